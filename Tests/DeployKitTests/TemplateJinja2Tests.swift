import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport
@testable import DeployTemplating

/// Renders the same templates with Python's jinja2, configured as Ansible configures it
/// (`trim_blocks`, strict undefined, `None` written as nothing, the trailing newline kept, and
/// Ansible's filters and result tests as Ansible defines them), and compares the outputs.
/// Skipped where python3 has no jinja2.
@Suite struct TemplateJinja2Tests {
  static let jinja2Available: Bool =
    (try? ChildProcess.capture(["python3", "-c", "import jinja2"]))?.exit.status == 0

  static let harness = #"""
    import json, os, re, sys, yaml, jinja2, shlex

    def to_bool(a):
        if isinstance(a, bool): return a
        if a is None: return False
        if isinstance(a, str): a = a.lower()
        return a in ('yes', 'on', '1', 'true', 1)

    def regex_replace(value='', pattern='', replacement=''):
        return re.sub(pattern, replacement, value)

    def result(key):
        def test(r):
            if not isinstance(r, dict): raise ValueError('not a result')
            return r.get(key, False)
        return test

    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, finalize=lambda x: '' if x is None else x)
    env.filters.update({
        'to_json': lambda a: json.dumps(a, sort_keys=True),
        'to_nice_json': lambda a, indent=4: json.dumps(a, indent=indent, sort_keys=True,
            separators=(',', ': ')),
        'to_nice_yaml': lambda a: yaml.dump(a, indent=4, allow_unicode=True,
            default_flow_style=False),
        'basename': os.path.basename, 'dirname': os.path.dirname,
        'regex_replace': regex_replace, 'bool': to_bool, 'quote': shlex.quote,
        'dict2items': lambda d, key_name='key', value_name='value':
            [{key_name: k, value_name: v} for k, v in d.items()],
        'combine': lambda *ds: {k: v for d in ds for k, v in d.items()},
    })
    env.tests.update({'changed': result('changed'), 'failed': result('failed'),
        'succeeded': lambda r: not result('failed')(r), 'skipped': result('skipped')})
    out = []
    for case in json.load(sys.stdin):
        try:
            out.append({'ok': env.from_string(case['t']).render(case['v'])})
        except Exception as e:
            out.append({'error': type(e).__name__ + ': ' + str(e)})
    print(json.dumps(out))
    """#

  /// Templates whose output must be byte-identical to jinja2's. Maps in the variables are
  /// iterated in sorted key order by `deploy` (they have no order); the cases keep to that.
  static let templates: [String] = [
    "{{ name }} {{ port }} {{ ratio }} {{ on }} {{ off }} [{{ nothing }}] {{ 2.0 }} {{ 1e20 }}",
    "{{ hosts }} {{ conf }} {{ [1, 'x', none, true, 2.5, \"it's\", 'q\"\\\\'] }}",
    "{{ users }}",
    "{{ 1 + 2 * 3 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }}",
    "{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 0.1 + 0.2 }} {{ 10 / 4 }} {{ 1 - 2 - 3 }}",
    "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 2 }} {{ [1] + [2] }} {{ 1 + 2 ~ 3 }}",
    "{{ -2 ** 2 }} {{ not 1 == 2 }} {{ 1 < 2 < 3 }} {{ 'a' < 'B' }}",
    "{{ on and 'x' }} {{ off or 0 }} {{ empty or none }}|",
    "{{ 'a' in hosts }} {{ 'z' not in hosts }} {{ 'eb' in name }} {{ 'mode' in conf }}",
    "{{ 'y' if on else 'n' }} {{ 'y' if off }}|{{ 1 if 0 else 2 if 0 else 3 }}",
    "{{ conf.path }} {{ conf['mode'] }} {{ hosts[-1] }} {{ users[0].name }} {{ hosts.1 }}",
    "{{ missing is defined }} {{ conf.nope is defined }} {{ nothing is none }}",
    "{{ result is changed }} {{ result is failed }} {{ result is succeeded }}",
    "{{ skipped_result is skipped }} {{ 6 is divisibleby 3 }} {{ 'x' is string }}",
    "{{ missing | default('x') }} {{ empty | default('x') }} {{ empty | d('x', true) }}",
    "{{ off | default('x', boolean=true) }} {{ nothing | default('x') }}|",
    "{{ hosts | join(', ') }} {{ [1, 2] | join }} {{ name | upper }} {{ 'AbC' | lower }}",
    "{{ 'a-b' | replace('-', '+') }} {{ '42' | int + 1 }} {{ '4.7' | int }} {{ 4.7 | int }}",
    "{{ 'x' | int }} {{ 'yes' | bool }} {{ 0 | bool }} {{ port | string }} {{ ' p ' | trim }}",
    "{{ conf | to_json }} {{ 'é\\n' | to_json }} {{ [1.5, none, true] | to_json }}",
    "{{ users | to_nice_json }}",
    "{{ {'b': [1, 'x y', {'k': 'v', 'a': []}], 'a': {'n': none, 't': true, 'f': 1.5, 's': 'yes', 'e': ''}} | to_nice_yaml }}",
    "{{ users | to_nice_yaml }}",
    "{{ conf.path | basename }} {{ conf.path | dirname }} {{ '/' | dirname }} {{ 'a/' | basename }}|",
    "{{ 'v1.2.3' | regex_replace('^v(\\\\d+)\\\\.(\\\\d+).*$', '\\\\2-\\\\1') }}",
    "{{ 'a.b' | regex_replace('\\\\.', '$') }} {{ 'key=val' | regex_replace('(?P<k>\\\\w+)=', '\\\\g<k>: ') }}",
    "{{ hosts | length }} {{ conf | length }} {{ hosts | first }} {{ hosts | last }} {{ name | list }}",
    "{{ [3, 1, 3, 2] | unique | list }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }}",
    "{{ [3, 1, 2] | sort(reverse=true) }} {{ users | sort(attribute='name', reverse=true) | map(attribute='name') | list }}",
    "{{ users | map(attribute='name') | join(',') }} {{ hosts | map('upper') | list }}",
    "{{ [0, 1, '', 'x'] | select | list }} {{ [0, 1, '', 'x'] | reject | list }}",
    "{{ [1, 2, 3, 4] | select('odd') | list }} {{ users | selectattr('admin') | list }}",
    "{% for h in hosts %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ h }}{% endfor %}",
    "{% for k in conf %}{{ k }};{% endfor %}{% for k, v in conf.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for x in [] %}x{% else %}none{% endfor %} {% for u in users if u.admin %}{{ u.name }}{% endfor %}",
    "{% set x = 1 %}{% for h in hosts %}{% set x = 2 %}{% endfor %}{{ x }}",
    "{% if port > 9000 %}high{% elif port > 8000 %}mid{% else %}low{% endif %}",
    "a\n  {%- if on -%}\n  x\n  {%- endif %}\nb\n",
    "{% if on %}\nyes\n{% endif %}\nend\n",
    "  {% for h in hosts %}\n  - {{ h }}\n  {% endfor %}\n",
    "a{# comment {{ x }} #}\nb {{- ' c ' -}} d\n{# last #}\n",
    "{{ {'a': {'b': 1}} }} {{ \"}}\" }} {{ (1 + 2) }}",
    "{% raw %}\n{{ kept }} {% if %}{% endraw %}|{%- raw -%} x {%- endraw -%} | y",
    "{{ users[0].nope }}",
    "{{ -7 // 2 }} {{ 7 // -2 }} {{ -8 // 2 }} {{ 2 ** 62 }} {{ (-1) ** 65 }} {{ 2 ** -1 }}",
    "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}",
    "{{ 'tab\\there' }} {{ \"q'uote\" }} {{ ['é', '\\n', 'a\\\\b'] }}",
    "{{ 10 | string ~ 'x' }} {{ 3 * 1.5 }} {{ 1e3 }} {{ 100000000000000000.0 }} {{ 1_000 }}",
    "{{ none is none }} {{ {} | length }} {{ [] | first | default('d') }} {{ hosts | last }}",
    "{{ users | map(attribute='name') | map('upper') | join('/') }}",
    "{% if 'a' in hosts and not (port < 80 or port > 9000) %}ok{% endif %}",
    "{{ 5 is divisibleby(2) }} {{ 'ABC' is upper }} {{ -port }} {{ +1 }} {{ (port // 1000) | string }}",
    "{%- for h in hosts %}\n{{ h }}\n{%- endfor %}\n",
    "{% for h in hosts -%}\n  {{ h }}{{ ',' if not loop.last }}\n{% endfor %}",
    "{{ conf | dict2items | map(attribute='key') | list }} {{ {'a': 1} | combine({'b': 2}) }}",
    "{{ missing }}",
    "{{ conf.nope }}",
  ]

  @Test(.enabled(if: jinja2Available, "python3 with jinja2 is not installed"))
  func rendersLikeJinja2() throws {
    let vars = TemplateTests.vars
    let cases = VarValue.list(
      Self.templates.map { .map(["t": .string($0), "v": .map(vars)]) })
    let input = PythonFormat.json(cases, indent: nil)
    let output = try Python.run(Self.harness, stdin: Array(input.utf8))
    let answers = try #require(
      try JSONSerialization.jsonObject(with: Data(output)) as? [[String: String]])
    try #require(answers.count == Self.templates.count)
    for (template, answer) in zip(Self.templates, answers) {
      let ours: String
      do {
        ours = try Template(template).render(vars)
      } catch {
        #expect(answer["error"] != nil, "\(template): we fail (\(error)), jinja2 gives \(answer)")
        continue
      }
      #expect(ours == answer["ok"], "\(template) (jinja2: \(answer))")
    }
  }
}
