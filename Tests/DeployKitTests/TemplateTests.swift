import Testing

@testable import DeployInventory
@testable import DeploySupport
@testable import DeployTemplating

/// The Jinja2 subset `deploy play` evaluates: each feature with the output Ansible gives.
@Suite struct TemplateTests {
  static let vars: [String: VarValue] = [
    "name": .string("web"), "port": .int(8080), "ratio": .double(1.5), "on": .bool(true),
    "off": .bool(false), "nothing": .null, "empty": .string(""),
    "hosts": .list([.string("a"), .string("b"), .string("c")]),
    "users": .list([
      .map(["name": .string("ann"), "admin": .bool(true)]),
      .map(["name": .string("bob"), "admin": .bool(false)]),
    ]),
    "conf": .map(["path": .string("/etc/app/app.conf"), "mode": .string("0644")]),
    "result": .map(["changed": .bool(true), "failed": .bool(false), "rc": .int(0)]),
    "skipped_result": .map(["changed": .bool(false), "skipped": .bool(true)]),
    "failed_result": .map(["failed": .bool(true)]),
  ]

  func render(_ text: String, _ vars: [String: VarValue] = Self.vars) throws -> String {
    try Template(text).render(vars)
  }

  static let outputs: [(String, String)] = [
    ("plain text", "plain text"),
    ("{{ name }}", "web"),
    ("{{ port }}", "8080"),
    ("{{ ratio }}", "1.5"),
    ("{{ 2.0 }}", "2.0"),
    ("{{ on }} {{ off }}", "True False"),
    ("[{{ nothing }}]", "[]"),
    ("{{ hosts }}", "['a', 'b', 'c']"),
    ("{{ conf }}", "{'mode': '0644', 'path': '/etc/app/app.conf'}"),
    ("{{ [1, 'x', none, true, 2.5] }}", "[1, 'x', None, True, 2.5]"),
    ("{{ {'k': 'v'} }}", "{'k': 'v'}"),
    ("{{ \"it's\" }} {{ ['it\\'s'] }}", "it's [\"it's\"]"),
    ("{{ 'a\\tb' }}", "a\tb"),
    (
      "{{ conf.path }} {{ conf['mode'] }} {{ hosts[0] }} {{ hosts[-1] }}",
      "/etc/app/app.conf 0644 a c"
    ),
    ("{{ users[1].name }} {{ hosts.1 }}", "bob b"),
    (
      "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }}",
      "7 9 3.5 3 -4 1"
    ),
    ("{{ -7 % 3 }} {{ 2 ** 10 }} {{ 1 + 1.5 }} {{ 4 / 2 }}", "2 1024 2.5 2.0"),
    (
      "{{ 'a' + 'b' }} {{ name ~ ':' ~ port }} {{ 'ab' * 3 }} {{ [1] + [2] }}",
      "ab web:8080 ababab [1, 2]"
    ),
    (
      "{{ 1 == 1.0 }} {{ 1 != 2 }} {{ 2 < 3 }} {{ 'b' >= 'a' }} {{ true == 1 }}",
      "True True True True True"
    ),
    (
      "{{ on and off }} {{ on or off }} {{ not on }} {{ empty or 'fallback' }}",
      "False True False fallback"
    ),
    (
      "{{ 'a' in hosts }} {{ 'z' not in hosts }} {{ 'eb' in name }} {{ 'path' in conf }}",
      "True True True True"
    ),
    ("{{ 'yes' if on else 'no' }} {{ 'yes' if off else 'no' }}", "yes no"),
    (
      "{{ missing is defined }} {{ name is defined }} {{ missing is not defined }}",
      "False True True"
    ),
    ("{{ conf.nope is defined }} {{ missing.deeper is defined }}", "False False"),
    (
      "{{ nothing is none }} {{ name is none }} {{ name is string }} {{ port is number }}",
      "True False True True"
    ),
    (
      "{{ result is changed }} {{ result is failed }} {{ result is succeeded }}",
      "True False True"
    ),
    (
      "{{ skipped_result is skipped }} {{ failed_result is failed }} {{ result is skipped }}",
      "True True False"
    ),
    ("{{ 6 is divisibleby 3 }} {{ 3 is odd }} {{ 4 is even }}", "True True True"),
  ]

  @Test(arguments: outputs) func rendersExpressions(_ template: String, _ expected: String)
    throws
  {
    #expect(try render(template) == expected)
  }

  static let filters: [(String, String)] = [
    ("{{ missing | default('x') }} {{ name | default('x') }} {{ missing | d(1) }}", "x web 1"),
    ("{{ empty | default('x') }}|{{ empty | default('x', true) }}", "|x"),
    ("{{ off | default('x', boolean=true) }}", "x"),
    ("{{ hosts | join(', ') }} {{ hosts | join }}", "a, b, c abc"),
    (
      "{{ name | upper }} {{ 'MiXed' | lower }} {{ 'a-b-c' | replace('-', '+') }}",
      "WEB mixed a+b+c"
    ),
    (
      "{{ '42' | int + 1 }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'yes' | bool }} {{ 0 | bool }}",
      "43 4 0 True False"
    ),
    ("{{ port | string ~ '/tcp' }} {{ '  pad  ' | trim }}", "8080/tcp pad"),
    (
      "{{ conf.path | basename }} {{ conf.path | dirname }} {{ 'file' | dirname }}|",
      "app.conf /etc/app |"
    ),
    ("{{ 'v1.2.3' | regex_replace('^v(\\\\d+)\\\\..*$', 'major \\\\1') }}", "major 1"),
    ("{{ 'a.b.c' | regex_replace('\\\\.', '$') }}", "a$b$c"),
    ("{{ hosts | length }} {{ name | length }} {{ conf | length }}", "3 3 2"),
    ("{{ hosts | first }} {{ hosts | last }} {{ name | list }}", "a c ['w', 'e', 'b']"),
    (
      "{{ [3, 1, 3, 2] | unique }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }}",
      "[3, 1, 2] [1, 2, 3] ['A', 'b', 'c']"
    ),
    ("{{ [3, 1, 2] | sort(reverse=true) }}", "[3, 2, 1]"),
    ("{{ users | map(attribute='name') | join(',') }}", "ann,bob"),
    ("{{ hosts | map('upper') | list }}", "['A', 'B', 'C']"),
    (
      "{{ [0, 1, '', 'x'] | select | list }} {{ [0, 1, '', 'x'] | reject | list }}",
      "[1, 'x'] [0, '']"
    ),
    (
      "{{ [1, 2, 3, 4] | select('odd') | list }} {{ users | selectattr('admin') | list | length }}",
      "[1, 3] 1"
    ),
    ("{{ {'b': 1, 'a': [1, 'x']} | to_json }}", "{\"a\": [1, \"x\"], \"b\": 1}"),
    ("{{ 'é' | to_json }}", "\"\\u00e9\""),
    (
      "{{ {'b': 1, 'a': [1, 'x']} | to_nice_json }}",
      "{\n    \"a\": [\n        1,\n        \"x\"\n    ],\n    \"b\": 1\n}"
    ),
    (
      "{{ {'b': [1, 'x y'], 'a': {'s': 'yes', 'n': none}} | to_nice_yaml }}",
      "a:\n    n: null\n    s: 'yes'\nb:\n- 1\n- x y\n"
    ),
    (
      "{{ conf | ansible.builtin.to_json }}",
      "{\"mode\": \"0644\", \"path\": \"/etc/app/app.conf\"}"
    ),
    ("{{ conf.items() | list | length }} {{ conf.keys() | list }}", "2 ['mode', 'path']"),
  ]

  @Test(arguments: filters) func appliesFilters(_ template: String, _ expected: String) throws {
    let actual = try render(template)
    #expect(actual == expected, "\(String(reflecting: actual))")
  }

  @Test func ifElifElse() throws {
    let text = "{% if port > 9000 %}high{% elif port > 8000 %}mid{% else %}low{% endif %}"
    #expect(try render(text) == "mid")
    #expect(try render(text, ["port": .int(80)]) == "low")
    #expect(try render(text, ["port": .int(9001)]) == "high")
    #expect(try render("{% if missing is defined %}x{% endif %}-") == "-")
  }

  @Test func forLoopsWithLoopVariables() throws {
    #expect(
      try render(
        "{% for h in hosts %}{{ loop.index }}:{{ h }}{% if not loop.last %},{% endif %}{% endfor %}"
      ) == "1:a,2:b,3:c")
    #expect(
      try render("{% for h in hosts %}{{ loop.first }}{{ loop.index0 }}{% endfor %}")
        == "True0False1False2")
    #expect(try render("{% for k in conf %}{{ k }};{% endfor %}") == "mode;path;")
    #expect(
      try render("{% for k, v in conf.items() %}{{ k }}={{ v }} {% endfor %}")
        == "mode=0644 path=/etc/app/app.conf ")
    #expect(try render("{% for x in [] %}x{% else %}none{% endfor %}") == "none")
    #expect(
      try render("{% for u in users if u.admin %}{{ u.name }}{% endfor %}") == "ann")
  }

  @Test func loopVariablesDoNotLeakAndSetWorks() throws {
    #expect(try render("{% set x = port + 1 %}{{ x }}") == "8081")
    #expect(
      try render("{% for h in hosts %}{% set last = h %}{% endfor %}{{ last | default('-') }}")
        == "-")
  }

  @Test func commentsAndWhitespaceControl() throws {
    #expect(try render("a{# note {{ x }} #}b") == "ab")
    #expect(try render("a  {{- name -}}  b") == "awebb")
    #expect(try render("a\n  {%- if on -%}\n  x\n  {%- endif %}\nb") == "axb")
    // trim_blocks (Ansible's default): the newline after a block tag goes.
    #expect(try render("{% if on %}\nyes\n{% endif %}\nend\n") == "yes\nend\n")
    let plain = try Template("{% if on %}\nyes\n{% endif %}\nend\n", options: .jinja2)
    #expect(try plain.render(Self.vars) == "\nyes\n\nend")
    let lstrip = try Template(
      "  {% if on %}\n  x\n  {% endif %}\n", options: .init(lstripBlocks: true))
    #expect(try lstrip.render(Self.vars) == "  x\n")
  }

  @Test func rawBlocksAreOutputAsTheyAre() throws {
    #expect(try render("{% raw %}{{ x }}{% if %}{% endraw %}!") == "{{ x }}{% if %}!")
    #expect(throws: DeployError.self) { try Template("{% raw %}{{ x }}") }
  }

  @Test func noneIsEmptyInOutputLikeAnsibleButNoneInRepr() throws {
    #expect(try render("[{{ nothing }}] {{ [nothing] }}") == "[] [None]")
    #expect(try Template("{{ nothing }}", options: .jinja2).render(Self.vars) == "None")
  }

  @Test func undefinedVariableIsAnErrorNamingIt() throws {
    let template = try Template("line one\n  {{ missing }}", location: .init(file: "t.j2"))
    #expect(throws: DeployError.self) { try template.render([:]) }
    do {
      _ = try template.render([:])
    } catch {
      #expect(error.description == "t.j2:2:3: error: 'missing' is undefined")
    }
    #expect(try render("{{ missing | default('x') }}") == "x")
    #expect(try render("{{ missing.deeper | default('x') }}") == "x")
    for (text, message) in [
      ("{{ conf.nope }}", "'dict object' has no attribute 'nope'"),
      ("{{ missing.deeper }}", "'missing' is undefined"),
      ("{{ hosts[7] }}", "list index 7 out of range"),
      (
        "{{ port | mandatory }}{{ gone | mandatory }}",
        "mandatory variable not defined: 'gone' is undefined"
      ),
    ] {
      let column = text.hasPrefix("{{ port") ? 23 : 1
      do {
        _ = try render(text)
        Issue.record("expected an error for \(text)")
      } catch {
        #expect("\(error)" == "<template>:1:\(column): error: \(message)")
      }
    }
  }

  @Test func unknownFilterIsReportedAtParseTimeWithItsLocation() {
    let text = "server {\n  listen {{ port }};\n  root {{ root | defualt('/srv') }};\n}\n"
    do {
      _ = try Template(text, location: SourceLocation(file: "site.j2"))
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "site.j2:3:18: error: no filter named 'defualt'")
    }
  }

  @Test func locationIsRelativeToTheTemplatesOwnPosition() {
    // A playbook value starting at line 10, column 12: first-line columns shift, later don't.
    let base = SourceLocation(file: "play.yml", line: 10, column: 12)
    do {
      _ = try Template("{{ x | nope }}", location: base)
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "play.yml:10:19: error: no filter named 'nope'")
    }
    do {
      _ = try Template("a\n{{ x | nope }}", location: base)
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "play.yml:11:8: error: no filter named 'nope'")
    }
  }

  static let syntaxErrors: [(String, String)] = [
    ("{{ name ", "<template>:1:1: error: '{{' is never closed"),
    ("{% if on %}x", "<template>:1:1: error: 'if' is never closed by 'endif'"),
    ("x{% endif %}", "<template>:1:2: error: unexpected 'endif'"),
    ("{% frobnicate %}", "<template>:1:1: error: unknown tag 'frobnicate'"),
    ("{{ 1 + }}", "<template>:1:8: error: expected a value, found end of expression"),
    ("{{ x is frob }}", "<template>:1:9: error: no test named 'frob'"),
    ("{{ 'abc }}", "<template>:1:1: error: '{{' is never closed"),
  ]

  @Test(arguments: syntaxErrors) func syntaxErrorsAreLocated(_ text: String, _ message: String) {
    do {
      _ = try Template(text)
      Issue.record("expected an error for \(text)")
    } catch {
      #expect(error.description == message)
    }
  }

  @Test func usedFiltersAndVariables() throws {
    let template = try Template(
      "{% for h in hosts %}{{ h | upper }}{{ loop.index }}{% endfor %}"
        + "{{ port | default(80) | string }}{% set y = 1 %}{{ y }}")
    #expect(template.usedFilters == ["upper", "default", "string"])
    #expect(template.usedVariables == ["hosts", "port"])
  }

  @Test func expressionsForWhenConditions() throws {
    #expect(
      try Expression.evaluate("port == 8080 and name != 'db'", vars: Self.vars) == .bool(true))
    #expect(try Expression.evaluate("result is changed", vars: Self.vars) == .bool(true))
    #expect(try Expression.evaluate("missing is defined", vars: Self.vars) == .bool(false))
    #expect(try Expression.evaluate("hosts | length", vars: Self.vars) == .int(3))
    #expect(throws: DeployError.self) { try Expression.evaluate("missing == 1", vars: [:]) }
    #expect(throws: DeployError.self) { try Expression.evaluate("1 +", vars: [:]) }
  }

  @Test func truthinessIsPythons() {
    for value: VarValue in [
      .bool(false), .null, .int(0), .double(0), .string(""), .list([]), .map([:]),
    ] {
      #expect(!Expression.isTrue(value))
    }
    for value: VarValue in [.bool(true), .int(-1), .double(0.1), .string("false"), .list([.null])] {
      #expect(Expression.isTrue(value))
    }
  }

  @Test func nginxSiteTemplate() throws {
    let text = """
      # Managed by deploy
      {% for site in sites %}
      server {
          listen {{ site.port | default(80) }};
          server_name {{ site.names | join(' ') }};
      {% if site.tls is defined and site.tls %}
          ssl_certificate /etc/ssl/{{ site.names[0] }}.pem;
      {% endif %}
      {% for loc in site.locations %}
          location {{ loc.path }} {
      {% if loc.proxy is defined %}
              proxy_pass {{ loc.proxy }};
      {% else %}
              root {{ loc.root | default('/var/www/' ~ site.names[0]) }};
      {% endif %}
          }
      {% endfor %}
      }
      {% endfor %}

      """
    let vars: [String: VarValue] = [
      "sites": .list([
        .map([
          "names": .list([.string("example.org"), .string("www.example.org")]),
          "port": .int(443), "tls": .bool(true),
          "locations": .list([
            .map(["path": .string("/"), "proxy": .string("http://127.0.0.1:8080")]),
            .map(["path": .string("/static")]),
          ]),
        ]),
        .map(["names": .list([.string("old.example.org")]), "locations": .list([])]),
      ])
    ]
    let expected = """
      # Managed by deploy
      server {
          listen 443;
          server_name example.org www.example.org;
          ssl_certificate /etc/ssl/example.org.pem;
          location / {
              proxy_pass http://127.0.0.1:8080;
          }
          location /static {
              root /var/www/example.org;
          }
      }
      server {
          listen 80;
          server_name old.example.org;
      }

      """
    #expect(try Template(text).render(vars) == expected)
  }
}
