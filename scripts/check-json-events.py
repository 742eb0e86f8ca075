#!/usr/bin/python3
"""Checks `deploy --json` output (one JSON object per line, on stdin) against
docs/events.schema.json. Prints each line that does not validate, with the reason, and exits 1
if any did. Debian's python3-jsonschema (scripts/install-deps.sh), hence /usr/bin/python3.

    deploy exec --json -l all -- true | scripts/check-json-events.py
"""
import json
import pathlib
import sys

import jsonschema

schema_path = pathlib.Path(__file__).resolve().parent.parent / "docs" / "events.schema.json"
validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text()))

failures = 0
lines = 0
for number, line in enumerate(sys.stdin, start=1):
    if not line.strip():
        continue
    lines += 1
    try:
        event = json.loads(line)
    except json.JSONDecodeError as error:
        print(f"line {number}: not JSON ({error}): {line.rstrip()}")
        failures += 1
        continue
    errors = list(validator.iter_errors(event))
    if errors:
        failures += 1
        # anyOf/oneOf errors are vague at the top; the deepest context says which field.
        best = jsonschema.exceptions.best_match(errors)
        print(f"line {number}: {best.message} at {list(best.absolute_path)}: {line.rstrip()}")
if lines == 0:
    print("no JSON lines on stdin")
    sys.exit(1)
print(f"{lines - failures} of {lines} lines valid")
sys.exit(1 if failures else 0)
