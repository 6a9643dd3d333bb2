#!/usr/bin/env bash
# SDK contract suite: drives the official Political Comms SDKs (TypeScript
# @political-comms/sdk 0.11.1, Python political-comms 0.15.0) against fresh
# pc-sandbox servers and validates every response against JSON Schemas derived
# from the SDK's own type definitions. See tests/sdk/README.md.
#
# Usage: tests/sdk/run.sh            (from any directory)
# Env:   PC_SANDBOX_BIN=path         use this binary instead of `cargo build`
set -euo pipefail

SDK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SDK_DIR/../.." && pwd)"
cd "$SDK_DIR"
export PYTHONDONTWRITEBYTECODE=1

say() { printf '==> %s\n' "$*"; }
hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# 1. Python: the SDK, pytest and jsonschema in tests/sdk/.venv (git-ignored).
VENV="$SDK_DIR/.venv"
want="$(hash_of requirements.txt)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.installed" 2>/dev/null)" != "$want" ]]; then
  say "installing Python packages into tests/sdk/.venv"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$VENV/.installed"
fi

# 2. Node: the SDK, ts-json-schema-generator and ajv in tests/sdk/node_modules (git-ignored).
if [[ ! -f package-lock.json ]]; then
  say "no package-lock.json: resolving with npm install (commit the lock it writes)"
  npm install --no-audit --no-fund --loglevel=error
fi
want="$(hash_of package.json package-lock.json)"
if [[ "$(cat node_modules/.installed 2>/dev/null)" != "$want" ]]; then
  say "installing npm packages into tests/sdk/node_modules"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.installed
fi

# 3. JSON Schemas from the installed SDK's dist/index.d.ts (cached in tests/sdk/.schemas).
"$VENV/bin/python" derive_schemas.py

# 4. The server under test.
if [[ -z "${PC_SANDBOX_BIN:-}" ]]; then
  say "cargo build --bin pc-sandbox"
  (cd "$ROOT" && cargo build --quiet --bin pc-sandbox)
  target_dir="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps \
    | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  PC_SANDBOX_BIN="$target_dir/debug/pc-sandbox"
fi
export PC_SANDBOX_BIN
[[ -x "$PC_SANDBOX_BIN" ]] || { echo "run.sh: $PC_SANDBOX_BIN is not an executable" >&2; exit 1; }

# 5. The suites. Each starts its own sandboxes (--port 0) and stops them.
PC_SDK_CALLED_DIR="$(mktemp -d)"
export PC_SDK_CALLED_DIR
trap 'rm -rf "$PC_SDK_CALLED_DIR"' EXIT
status=0

say "pytest tests/sdk/python (political-comms 0.15.0)"
"$VENV/bin/python" -m pytest python -q -p no:cacheprovider || status=1

say "node --test tests/sdk/node (@political-comms/sdk 0.11.1)"
node --test node/ || status=1

# 6. What the suite covers, checked against what the tests really called.
"$VENV/bin/python" coverage.py --called-dir "$PC_SDK_CALLED_DIR" || status=1

if [[ $status -ne 0 ]]; then
  say "SDK contract suite FAILED"
else
  say "SDK contract suite passed"
fi
exit $status
