#!/usr/bin/env python3
"""Checks a composite action's metadata (action.yml), which actionlint does not read, and the
workflows that use it.

Usage: check-action.py [action.yml] [--workflows FILE...]

Checks: name, description and runs (composite, with steps); every input has a description;
every `${{ inputs.X }}` names a declared input and every declared input is used; step ids are
unique and `${{ steps.ID.outputs.X }}` names an earlier step (outputs: any step); every `run:`
step has `shell:`; `uses:` steps are pinned to a version; inputs reach `run:` scripts only
through `env:` (never `${{ inputs.X }}` inside a script, which would let an input inject shell
code); and, when shellcheck is installed, every `run:` script is shellcheck clean.

With --workflows, also checks each workflow file (a fallback for when actionlint cannot be
installed, and a check actionlint cannot make): `on` and `jobs`, every job has `runs-on` and
steps with exactly one of run and uses, `run:` scripts are shellcheck clean, and every step
that uses this action (`uses: ./` or `OWNER/deploy@REF`) passes only declared inputs and all
required ones.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ALLOWED_CONTEXTS = {"inputs", "steps", "github", "runner", "env", "matrix", "job", "secrets"}


def expressions(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from expressions(v)
    elif isinstance(value, list):
        for v in value:
            yield from expressions(v)
    elif isinstance(value, str):
        yield from EXPR.findall(value)
        # An `if:` is an expression without ${{ }}.


def references(expr):
    return re.findall(r"\b([a-z_]+)\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+))?",
                      re.sub(r"'[^']*'", "''", expr))


def shellcheck(script, where, error):
    if not shutil.which("shellcheck"):
        return
    script = EXPR.sub("EXPRESSION", script)
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write("#!/usr/bin/env bash\n" + script)
    try:
        result = subprocess.run(["shellcheck", "-s", "bash", f.name], capture_output=True, text=True)
        if result.returncode != 0:
            error(f"{where}: shellcheck:\n" + result.stdout.replace(f.name, "run"))
    finally:
        os.remove(f.name)


def check_workflow(path, inputs, errors):
    def error(message):
        errors.append(f"{path}: {message}")

    try:
        with open(path) as f:
            workflow = yaml.safe_load(f)
    except yaml.YAMLError as e:
        error(f"not valid YAML: {e}")
        return
    # YAML 1.1 reads the key `on` as True.
    if not (workflow.get("on") or workflow.get(True)):
        error("missing `on`")
    jobs = workflow.get("jobs") or {}
    if not jobs:
        error("missing `jobs`")
    for job_name, job in jobs.items():
        if "runs-on" not in job and "uses" not in job:
            error(f"job {job_name}: missing runs-on")
        for index, step in enumerate(job.get("steps") or []):
            where = f"job {job_name} step {index + 1}"
            if ("run" in step) == ("uses" in step):
                error(f"{where}: needs exactly one of run and uses")
            if "run" in step:
                shellcheck(step["run"], where, error)
            uses = step.get("uses", "")
            if uses == "./" or re.fullmatch(r"[^/]+/deploy@.+", uses):
                given = set((step.get("with") or {}).keys())
                for name in given - set(inputs):
                    error(f"{where}: `with: {name}` is not an input of action.yml")
                for name, spec in inputs.items():
                    if (spec or {}).get("required") and name not in given:
                        error(f"{where}: the action's required input {name} is missing")


def main():
    args = sys.argv[1:]
    workflows = []
    if "--workflows" in args:
        at = args.index("--workflows")
        workflows = args[at + 1 :]
        args = args[:at]
    path = args[0] if args else "action.yml"
    with open(path) as f:
        action = yaml.safe_load(f)
    errors = []

    def error(message):
        errors.append(f"{path}: {message}")

    for key in ("name", "description", "runs"):
        if not action.get(key):
            error(f"missing `{key}`")
    runs = action.get("runs") or {}
    if runs.get("using") != "composite":
        error("runs.using must be composite")
    steps = runs.get("steps") or []
    if not steps:
        error("runs.steps is empty")
    inputs = action.get("inputs") or {}
    for name, spec in inputs.items():
        if not (spec or {}).get("description"):
            error(f"input {name} has no description")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
            error(f"input {name}: use lower-case words joined by dashes")

    used_inputs = set()
    seen_ids = []

    def check_refs(where, texts, known_steps, allow_if=None):
        exprs = [e for t in texts for e in expressions(t)]
        if allow_if is not None:
            exprs.append(EXPR.sub(lambda m: m.group(1), str(allow_if)))
        for expr in exprs:
            for context, name, sub, leaf in references(expr):
                if context not in ALLOWED_CONTEXTS:
                    continue
                if context == "inputs":
                    used_inputs.add(name)
                    if name not in inputs:
                        error(f"{where}: `inputs.{name}` is not a declared input")
                elif context == "steps":
                    if name not in known_steps:
                        error(f"{where}: `steps.{name}` names no earlier step with that id")
                    if sub != "outputs" or not leaf:
                        error(f"{where}: use `steps.{name}.outputs.NAME`")

    for index, step in enumerate(steps):
        where = f"step {index + 1} ({step.get('id') or step.get('name') or step.get('uses')})"
        if "id" in step:
            if step["id"] in seen_ids:
                error(f"{where}: duplicate id {step['id']}")
        if ("run" in step) == ("uses" in step):
            error(f"{where}: needs exactly one of run and uses")
        if "run" in step:
            if step.get("shell") is None:
                error(f"{where}: a run step of a composite action needs `shell:`")
            for expr in EXPR.findall(str(step["run"])):
                if re.search(r"\binputs\.", expr):
                    error(f"{where}: pass `{expr}` through env:, not into the script")
        if "uses" in step and "@" not in step["uses"] and not step["uses"].startswith("./"):
            error(f"{where}: pin `uses: {step['uses']}` to a version")
        check_refs(
            where,
            [step.get("run", ""), step.get("env", {}), step.get("with", {}),
             step.get("working-directory", "")],
            seen_ids, allow_if=step.get("if"),
        )
        if "id" in step:
            seen_ids.append(step["id"])

    for name, spec in (action.get("outputs") or {}).items():
        if not (spec or {}).get("value"):
            error(f"output {name} has no value")
        check_refs(f"output {name}", [(spec or {}).get("value", "")], seen_ids)

    for name in inputs:
        if name not in used_inputs:
            error(f"input {name} is declared but never used")

    for index, step in enumerate(steps):
        if "run" in step:
            shellcheck(step["run"], f"step {index + 1} ({step.get('id')})", error)
    if not shutil.which("shellcheck"):
        print("check-action: shellcheck not installed; run: scripts not checked", file=sys.stderr)

    for workflow in workflows:
        check_workflow(workflow, inputs, errors)

    for message in errors:
        print(message, file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"{path}: ok ({len(steps)} steps, {len(inputs)} inputs)"
          + (f"; {len(workflows)} workflows ok" if workflows else ""))


if __name__ == "__main__":
    main()
