#!/usr/bin/env python3
"""Runs a composite action (action.yml) the way a GitHub runner would, for tests.

Usage: run-action.py ACTION_DIR INPUTS.json

For each step: evaluates `if:` (always(), success(), failure(), ==, !=, &&, ||, !), substitutes
`${{ inputs.X }}`, `${{ github.X }}`, `${{ runner.X }}` and `${{ steps.ID.outputs.X }}` in
`run:`, `env:`, `working-directory:` and `with:`, runs `run:` with
`bash --noprofile --norc -eo pipefail FILE` and a fresh $GITHUB_OUTPUT (parsed into
steps.ID.outputs, `name=value` and heredoc forms), and honours $GITHUB_ENV and $GITHUB_PATH.
`uses:` steps are skipped (with a note): the runner cannot fetch actions.

Workflow commands in the output are handled like GitHub: `::add-mask::V` is not printed and V
is replaced by `***` in every later line. The log (masked) goes to stdout. The action's outputs
are appended to the caller's $GITHUB_OUTPUT. Exit status: 1 if a step failed, else 0.

Environment read: RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE (default:
the current directory), GITHUB_REPOSITORY, plus everything else, passed to the steps.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Runner:
    def __init__(self, action_dir, inputs):
        self.action_dir = os.path.abspath(action_dir)
        with open(os.path.join(self.action_dir, "action.yml")) as f:
            self.action = yaml.safe_load(f)
        declared = self.action.get("inputs") or {}
        unknown = set(inputs) - set(declared)
        if unknown:
            raise SystemExit(f"unknown inputs: {sorted(unknown)}")
        self.inputs = {}
        for name, spec in declared.items():
            spec = spec or {}
            if name in inputs:
                self.inputs[name] = str(inputs[name])
            elif spec.get("required"):
                raise SystemExit(f"input {name} is required")
            else:
                self.inputs[name] = str(spec.get("default", ""))
        self.temp = os.environ.get("RUNNER_TEMP") or tempfile.mkdtemp()
        self.env = dict(os.environ)
        self.env.update(
            {
                "GITHUB_ACTIONS": "true",
                "RUNNER_TEMP": self.temp,
                "GITHUB_ACTION_PATH": self.action_dir,
                "GITHUB_WORKSPACE": os.environ.get("GITHUB_WORKSPACE", os.getcwd()),
                "GITHUB_STEP_SUMMARY": os.environ.get(
                    "GITHUB_STEP_SUMMARY", os.path.join(self.temp, "summary.md")
                ),
            }
        )
        # GitHub sets INPUT_<NAME> (upper case, dashes kept) for every input.
        for name, value in self.inputs.items():
            self.env["INPUT_" + name.upper().replace(" ", "_")] = value
        self.github = {
            "action_path": self.action_dir,
            "action_repository": os.environ.get("GITHUB_ACTION_REPOSITORY", ""),
            "repository": os.environ.get("GITHUB_REPOSITORY", "example/deploy"),
            "workspace": self.env["GITHUB_WORKSPACE"],
            "run_id": os.environ.get("GITHUB_RUN_ID", "1"),
            "token": "",
        }
        self.runner = {"temp": self.temp, "os": "Linux", "arch": "X64"}
        self.steps = {}
        self.failed = False
        self.masks = []

    # --- expressions -------------------------------------------------------------------------

    def lookup(self, ref):
        ref = ref.strip()
        if ref.startswith("'") and ref.endswith("'"):
            return ref[1:-1].replace("''", "'")
        parts = ref.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            if parts[1] not in self.inputs:
                raise SystemExit(f"expression names an undeclared input: {ref}")
            return self.inputs[parts[1]]
        if parts[0] == "github" and len(parts) == 2:
            return self.github.get(parts[1], "")
        if parts[0] == "runner" and len(parts) == 2:
            return self.runner.get(parts[1], "")
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        if parts[0] == "env" and len(parts) == 2:
            return self.env.get(parts[1], "")
        raise SystemExit(f"unsupported expression: {ref}")

    def evaluate(self, expr):
        """A small subset of GitHub's expression language; returns a string or a bool."""
        expr = expr.strip()
        for op in ("||", "&&"):
            depth, i = 0, 0
            while i < len(expr):
                c = expr[i]
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                elif c == "'":
                    i = expr.index("'", i + 1)
                elif depth == 0 and expr.startswith(op, i):
                    left, right = self.evaluate(expr[:i]), self.evaluate(expr[i + 2 :])
                    return (truthy(left) or truthy(right)) if op == "||" else (
                        truthy(left) and truthy(right)
                    )
                i += 1
        for op in ("==", "!="):
            m = re.match(r"^(.*?)\s*" + re.escape(op) + r"\s*(.*)$", expr)
            if m and "'" not in m.group(1):
                left = str(self.evaluate(m.group(1))).lower()
                right = str(self.evaluate(m.group(2))).lower()
                return (left == right) if op == "==" else (left != right)
        if expr.startswith("!"):
            return not truthy(self.evaluate(expr[1:]))
        if expr.startswith("(") and expr.endswith(")"):
            return self.evaluate(expr[1:-1])
        if expr == "always()":
            return True
        if expr == "success()":
            return not self.failed
        if expr == "failure()":
            return self.failed
        if expr in ("true", "false"):
            return expr == "true"
        return self.lookup(expr)

    def substitute(self, text):
        return EXPR.sub(lambda m: stringify(self.evaluate(m.group(1))), str(text))

    def condition(self, step):
        cond = step.get("if")
        if cond is None:
            return not self.failed
        cond = str(cond)
        m = EXPR.fullmatch(cond.strip())
        if m:
            cond = m.group(1)
        result = self.evaluate(cond)
        # As on GitHub, a condition without a status function implies success().
        if not re.search(r"\b(always|failure|success|cancelled)\(\)", cond):
            return truthy(result) and not self.failed
        return truthy(result)

    # --- output ------------------------------------------------------------------------------

    def emit(self, line):
        m = re.match(r"^::add-mask::(.*)$", line)
        if m:
            value = m.group(1)
            if value:
                self.masks.append(value)
            return
        for value in self.masks:
            line = line.replace(value, "***")
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    # --- steps -------------------------------------------------------------------------------

    def run(self):
        steps = self.action["runs"]["steps"]
        for index, step in enumerate(steps):
            name = step.get("name") or step.get("id") or step.get("uses") or f"step {index}"
            if not self.condition(step):
                self.emit(f"[run-action] skipped: {name}")
                continue
            if "uses" in step:
                with_ = {k: self.substitute(v) for k, v in (step.get("with") or {}).items()}
                self.emit(f"[run-action] not run (uses {step['uses']}, with {with_}): {name}")
                continue
            self.emit(f"[run-action] step: {name}")
            status, outputs = self.run_step(step)
            if step.get("id"):
                self.steps[step["id"]] = outputs
            if status != 0:
                self.emit(f"[run-action] step failed with exit code {status}: {name}")
                self.failed = True
        outputs = {
            name: self.substitute((spec or {}).get("value", ""))
            for name, spec in (self.action.get("outputs") or {}).items()
        }
        if os.environ.get("GITHUB_OUTPUT"):
            with open(os.environ["GITHUB_OUTPUT"], "a") as f:
                f.write(format_outputs(outputs))
        return 1 if self.failed else 0

    def run_step(self, step):
        env = dict(self.env)
        for key, value in (step.get("env") or {}).items():
            env[key] = self.substitute(value)
        fd, output_file = tempfile.mkstemp(prefix="output.", dir=self.temp)
        os.close(fd)
        fd, env_file = tempfile.mkstemp(prefix="env.", dir=self.temp)
        os.close(fd)
        fd, path_file = tempfile.mkstemp(prefix="path.", dir=self.temp)
        os.close(fd)
        env.update({"GITHUB_OUTPUT": output_file, "GITHUB_ENV": env_file, "GITHUB_PATH": path_file})
        fd, script = tempfile.mkstemp(prefix="step.", suffix=".sh", dir=self.temp)
        with os.fdopen(fd, "w") as f:
            f.write(self.substitute(step["run"]))
        shell = step.get("shell")
        if shell != "bash":
            raise SystemExit(f"step {step.get('id')}: shell must be bash, not {shell!r}")
        cwd = self.substitute(step.get("working-directory", "")) or self.github["workspace"]
        cwd = os.path.join(self.github["workspace"], cwd)
        proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors="replace",
        )
        for line in proc.stdout:
            self.emit(line.rstrip("\n"))
        status = proc.wait()
        outputs = parse_file_commands(output_file)
        self.env.update(parse_file_commands(env_file))
        with open(path_file) as f:
            for entry in f.read().splitlines():
                if entry:
                    self.env["PATH"] = entry + os.pathsep + self.env["PATH"]
        for path in (output_file, env_file, path_file, script):
            os.remove(path)
        return status, outputs


def parse_file_commands(path):
    """`name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks, as $GITHUB_OUTPUT has."""
    values = {}
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        m = re.match(r"^([^=<]+)<<(.+)$", line)
        if m:
            body = []
            while i < len(lines) and lines[i] != m.group(2):
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise SystemExit(f"{path}: unterminated heredoc {m.group(2)}")
            i += 1
            values[m.group(1)] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise SystemExit(f"{path}: invalid line {line!r}")
    return values


def format_outputs(outputs):
    text = ""
    for name, value in outputs.items():
        if "\n" in value:
            text += f"{name}<<RUN_ACTION_EOF\n{value}\nRUN_ACTION_EOF\n"
        else:
            text += f"{name}={value}\n"
    return text


def truthy(value):
    if isinstance(value, bool):
        return value
    return value not in ("", "0", "false", None)


def stringify(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[2]) as f:
        inputs = json.load(f)
    sys.exit(Runner(sys.argv[1], inputs).run())


if __name__ == "__main__":
    main()
