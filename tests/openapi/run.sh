#!/usr/bin/env bash
# OpenAPI / Postman checks: runs the sandbox's generated OpenAPI 3.1 document
# and Postman Collection v2.1 through the ecosystem's own tools:
#   redocly lint (@redocly/cli), openapi-spec-validator, newman (against a
#   fresh sandbox) and schemathesis (against another fresh sandbox).
# Each check runs even when an earlier one failed. The run ends with a line
# "N passed, M failed" and exits non-zero if any check failed. See
# tests/openapi/README.md.
#
# Usage: tests/openapi/run.sh            (from any directory)
# Env:   PC_SANDBOX_BIN=path   use this binary instead of `cargo build`
#        OPENAPI_FILE=path     check this document instead of `pc-sandbox openapi`
#                              (schemathesis then reads it too, not /v1/openapi.json)
#        POSTMAN_FILE=path     run this collection instead of `pc-sandbox postman`
#        EXTRA_SERVE_FLAGS="..."  more `serve` flags for both sandboxes
#        ST_MAX_EXAMPLES=N  ST_SEED=N  ST_TIME_LIMIT=secs   bound schemathesis
#        OPENAPI_NETNS=auto|1|0  run the tools and sandboxes in a loopback-only
#                              network namespace (auto: when `unshare --net` works)
set -euo pipefail

OA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Paths given in the environment are relative to where run.sh was started.
# (A PC_SANDBOX_BIN without a slash is looked up on the PATH.)
for _var in PC_SANDBOX_BIN OPENAPI_FILE POSTMAN_FILE; do
  _val="${!_var:-}"
  [[ -n "$_val" && "$_val" != /* ]] || continue
  [[ $_var == PC_SANDBOX_BIN && "$_val" != */* ]] && continue
  printf -v "$_var" '%s/%s' "$PWD" "$_val"
done
ROOT="$(cd "$OA_DIR/../.." && pwd)"
VENV="$OA_DIR/.venv"
NODE_BIN="$OA_DIR/node_modules/.bin"
# The last run's documents, reports and sandbox logs (git-ignored, wiped per run).
OUT="$OA_DIR/.out"

CLOCK_START="2026-11-03T18:00:00Z"
# Both sandboxes (newman's, schemathesis') start with exactly these flags.
SERVE_FLAGS=(
  --port 0
  --rate-limit off
  --clock manual
  --clock-start "$CLOCK_START"
  --fetch-loopback-only
)
if [[ -n "${EXTRA_SERVE_FLAGS:-}" ]]; then
  read -r -a _extra <<<"$EXTRA_SERVE_FLAGS"
  SERVE_FLAGS+=("${_extra[@]}")
fi
# `pc-sandbox openapi` / `postman` take their examples (ids included) from a
# seeded world: it must be the world the sandboxes serve, i.e. the same
# --clock-start (and --seed, if one is added to SERVE_FLAGS).
DOC_FLAGS=(--clock-start "$CLOCK_START")

# The seeded world's root key (Keystone Strategies Group): sees the whole tree.
API_KEY="pc_test_SandboxRootKey0000000000"
ST_MAX_EXAMPLES="${ST_MAX_EXAMPLES:-100}" # test cases per operation and phase
ST_SEED="${ST_SEED:-20261103}"
ST_TIME_LIMIT="${ST_TIME_LIMIT:-300}"     # hard stop for the whole schemathesis run (s)

export PYTHONDONTWRITEBYTECODE=1
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

say() { printf '==> %s\n' "$*"; }
hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# ---------------------------------------------------------------------------
# One fresh sandbox and one client against it: `run.sh --live newman|schemathesis`.
# run.sh calls itself this way, inside the network namespace when it has one.

SANDBOX_PID=""
BASE_URL=""
ORIGIN=""

start_sandbox() { # $1: a name for the log files
  local log="$OUT/sandbox-$1.log" line="" i
  # setpriv: the sandbox gets SIGTERM even if this shell is killed outright.
  local launch=()
  if setpriv --pdeathsig TERM true 2>/dev/null; then launch=(setpriv --pdeathsig TERM); fi
  ${launch[@]+"${launch[@]}"} "$PC_SANDBOX_BIN" serve "${SERVE_FLAGS[@]}" \
    >"$log" 2>"$OUT/sandbox-$1.stderr.log" &
  SANDBOX_PID=$!
  say "sandbox ($1): $PC_SANDBOX_BIN serve ${SERVE_FLAGS[*]}  [pid $SANDBOX_PID]"
  # The banner's first line: "pc-sandbox <version> listening on http://127.0.0.1:<port>/v1".
  # stdout goes to a file, so the sandbox never blocks on a full pipe.
  for ((i = 0; i < 600; i++)); do
    if [[ -s "$log" && "$(wc -l <"$log")" -ge 1 ]]; then
      IFS= read -r line <"$log" || true
      break
    fi
    if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
      echo "run.sh: the sandbox exited before printing its banner:" >&2
      cat "$OUT/sandbox-$1.stderr.log" >&2
      return 1
    fi
    sleep 0.1
  done
  if [[ "$line" =~ ^pc-sandbox\ [^\ ]+\ listening\ on\ (http://127\.0\.0\.1:([0-9]+))(/[^\ ]*)?$ ]]; then
    ORIGIN="${BASH_REMATCH[1]}"
    BASE_URL="$ORIGIN${BASH_REMATCH[3]}"
    say "sandbox ($1) listening on $BASE_URL"
  else
    echo "run.sh: no loopback banner from the sandbox within 60 s; first line: '$line'" >&2
    return 1
  fi
}

stop_sandbox() {
  [[ -n "$SANDBOX_PID" ]] || return 0
  local i
  kill "$SANDBOX_PID" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$SANDBOX_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SANDBOX_PID" 2>/dev/null || true
  wait "$SANDBOX_PID" 2>/dev/null || true
  SANDBOX_PID=""
}

live_newman() {
  "$NODE_BIN/newman" run "$OUT/postman.json" \
    --env-var "baseUrl=$BASE_URL" \
    --env-var "origin=$ORIGIN" \
    --reporters cli,json \
    --reporter-json-export "$OUT/newman.json" \
    --timeout-request 30000 \
    --timeout 300000
}

live_schemathesis() {
  local location="$BASE_URL/openapi.json" excludes=()
  [[ -n "${OPENAPI_FILE:-}" ]] && location="$OUT/openapi.json"
  if [[ "${OA_IN_NETNS:-0}" != 1 && " ${SERVE_FLAGS[*]} " != *" --fetch-loopback-only "* ]]; then
    # Without the namespace or --fetch-loopback-only, a generated source_url
    # would make the sandbox fetch a random host: leave out the two routes
    # that fetch (all their methods).
    echo "run.sh: no network namespace and no --fetch-loopback-only: skipping /contact-lists/import and /media" >&2
    excludes=(--exclude-path-regex '^/(contact-lists/import|media)$')
  fi
  local work="$OUT/schemathesis/work"
  mkdir -p "$work"
  # Hypothesis (.hypothesis/) and schemathesis (.schemathesis/) write into the
  # working directory; the empty config file stops the search for a
  # schemathesis.toml in parent directories.
  : >"$work/schemathesis.toml"
  (
    cd "$work"
    # SIGINT first, so schemathesis still prints its summary and writes reports.
    # --foreground: schemathesis stays in the live part's process group, which
    # is where run.sh sends Ctrl-C.
    timeout --foreground --signal=INT --kill-after=30 "$ST_TIME_LIMIT" \
      "$VENV/bin/schemathesis" run "$location" \
      --origin "$ORIGIN" \
      --header "X-API-Key: $API_KEY" \
      --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
      --max-examples "$ST_MAX_EXAMPLES" \
      --seed "$ST_SEED" \
      --workers 1 \
      --request-timeout 10 \
      --wait-for-schema 15 \
      --generation-database none \
      --suppress-health-check too_slow \
      --report junit,json \
      --report-dir "$OUT/schemathesis" \
      --report-json-path "$OUT/schemathesis/report.json" \
      --report-junit-path "$OUT/schemathesis/junit.xml" \
      --no-color \
      ${excludes[@]+"${excludes[@]}"}
  ) 2>&1 | tee "$OUT/schemathesis/output.txt"
}

if [[ "${1:-}" == --live ]]; then
  client="${2:?--live needs newman or schemathesis}"
  if [[ "${OA_IN_NETNS:-0}" == 1 ]]; then
    ip link set lo up
  fi
  trap stop_sandbox EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_sandbox "$client"
  "live_$client"
  exit
fi

# ---------------------------------------------------------------------------
# 1. Tools. Python: openapi-spec-validator and schemathesis in .venv (git-ignored).
cd "$OA_DIR"
install_start=$SECONDS
want="$(hash_of requirements.txt)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.installed" 2>/dev/null)" != "$want" ]]; then
  say "installing Python packages into tests/openapi/.venv"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" >"$VENV/.installed"
fi

# Node: @redocly/cli and newman in node_modules (git-ignored).
if [[ ! -f package-lock.json ]]; then
  say "no package-lock.json: resolving with npm install (commit the lock it writes)"
  npm install --no-audit --no-fund --loglevel=error
fi
want="$(hash_of package.json package-lock.json)"
if [[ "$(cat node_modules/.installed 2>/dev/null)" != "$want" ]]; then
  say "installing npm packages into tests/openapi/node_modules"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >node_modules/.installed
fi
say "tools ready in $((SECONDS - install_start)) s:" \
  "redocly $("$NODE_BIN/redocly" --version 2>/dev/null | tail -n1)," \
  "newman $("$NODE_BIN/newman" --version)," \
  "$("$VENV/bin/schemathesis" --version | sed 's/, version / /')," \
  "openapi-spec-validator $("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("openapi-spec-validator"))')"

# 2. The server under test.
if [[ -z "${PC_SANDBOX_BIN:-}" ]]; then
  say "cargo build --bin pc-sandbox"
  (cd "$ROOT" && cargo build --quiet --bin pc-sandbox)
  target_dir="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  PC_SANDBOX_BIN="$target_dir/debug/pc-sandbox"
fi
[[ "$PC_SANDBOX_BIN" == */* ]] || PC_SANDBOX_BIN="$(command -v "$PC_SANDBOX_BIN" || echo "$PC_SANDBOX_BIN")"
[[ -x "$PC_SANDBOX_BIN" ]] || { echo "run.sh: $PC_SANDBOX_BIN is not an executable" >&2; exit 1; }
PC_SANDBOX_BIN="$(cd "$(dirname "$PC_SANDBOX_BIN")" && pwd)/$(basename "$PC_SANDBOX_BIN")"
export PC_SANDBOX_BIN

# The network namespace: only a loopback interface, so neither the tools nor
# the sandboxes (e.g. fetching a generated source_url) can reach anything else.
ISOLATE=()
case "${OPENAPI_NETNS:-auto}" in
  0) ;;
  *)
    if unshare --net -- sh -c 'ip link set lo up' 2>/dev/null; then
      ISOLATE=(unshare --net -- env OA_IN_NETNS=1)
    elif [[ "${OPENAPI_NETNS:-auto}" == 1 ]]; then
      echo "run.sh: OPENAPI_NETNS=1 but \`unshare --net\` does not work here" >&2
      exit 1
    fi
    ;;
esac
if [[ ${#ISOLATE[@]} -gt 0 ]]; then
  say "tools and sandboxes run in a loopback-only network namespace"
else
  say "no network namespace: tools and sandboxes share the machine's network"
fi
# Runs a command inside the namespace (if any), with loopback up.
isolated() {
  # shellcheck disable=SC2016 # expanded by the inner sh, not here
  ${ISOLATE[@]+"${ISOLATE[@]}"} sh -c '[ "${OA_IN_NETNS:-0}" != 1 ] || ip link set lo up; exec "$@"' isolated "$@"
}

# 3. The documents.
rm -rf "$OUT"
mkdir -p "$OUT/schemathesis"
export OUT OPENAPI_FILE="${OPENAPI_FILE:-}" POSTMAN_FILE="${POSTMAN_FILE:-}"

NAMES=()
declare -A RESULT=() DETAIL=() TOOK=()
record() { # name status detail seconds
  NAMES+=("$1")
  RESULT[$1]="$2"
  DETAIL[$1]="$3"
  TOOK[$1]="$4"
}

have_openapi=1 have_postman=1
if [[ -n "$OPENAPI_FILE" ]]; then
  say "OpenAPI document: $OPENAPI_FILE"
  cp "$OPENAPI_FILE" "$OUT/openapi.json" || have_openapi=0
else
  say "$PC_SANDBOX_BIN openapi ${DOC_FLAGS[*]} > $OUT/openapi.json"
  "$PC_SANDBOX_BIN" openapi "${DOC_FLAGS[@]}" >"$OUT/openapi.json" || have_openapi=0
fi
if [[ -n "$POSTMAN_FILE" ]]; then
  say "Postman collection: $POSTMAN_FILE"
  cp "$POSTMAN_FILE" "$OUT/postman.json" || have_postman=0
else
  say "$PC_SANDBOX_BIN postman ${DOC_FLAGS[*]} > $OUT/postman.json"
  "$PC_SANDBOX_BIN" postman "${DOC_FLAGS[@]}" >"$OUT/postman.json" || have_postman=0
fi
[[ $have_openapi == 1 ]] || echo "run.sh: could not get the OpenAPI document" >&2
[[ $have_postman == 1 ]] || echo "run.sh: could not get the Postman collection" >&2

# 4. redocly lint: no errors (warnings are printed).
start=$SECONDS
if [[ $have_openapi == 1 ]]; then
  say "redocly lint --config tests/openapi/redocly.yaml openapi.json"
  if isolated "$NODE_BIN/redocly" lint "$OUT/openapi.json" --config "$OA_DIR/redocly.yaml" --format codeframe; then
    record "redocly lint" passed "" $((SECONDS - start))
  else
    record "redocly lint" failed "" $((SECONDS - start))
  fi
else
  record "redocly lint" failed "no OpenAPI document" 0
fi

# 5. openapi-spec-validator: the document is valid OpenAPI 3.1.
start=$SECONDS
if [[ $have_openapi == 1 ]]; then
  say "openapi-spec-validator --schema 3.1 openapi.json"
  if isolated "$VENV/bin/openapi-spec-validator" --schema 3.1 --validation-errors all "$OUT/openapi.json"; then
    record "openapi-spec-validator" passed "" $((SECONDS - start))
  else
    record "openapi-spec-validator" failed "" $((SECONDS - start))
  fi
else
  record "openapi-spec-validator" failed "no OpenAPI document" 0
fi

# 6, 7. A fresh sandbox each for newman and schemathesis: run.sh runs the
# `--live` part of itself (in the namespace, if any), whose EXIT trap stops the
# sandbox however it ends. The live part gets a process group of its own
# (set -m) and run.sh waits for it in the background, so that on Ctrl-C or
# SIGTERM run.sh passes the signal on to the whole group (sandbox, client and
# all), waits for it to wind down, and stops.
LIVE_PID=""
pass_on() { # signal exit-code
  if [[ -n "$LIVE_PID" ]]; then
    kill -"$1" -- "-$LIVE_PID" 2>/dev/null || true
    wait "$LIVE_PID" 2>/dev/null || true
  fi
  exit "$2"
}
trap 'pass_on INT 130' INT
trap 'pass_on TERM 143' TERM
run_live() { # newman|schemathesis
  local rc=0
  set -m
  ${ISOLATE[@]+"${ISOLATE[@]}"} bash "$OA_DIR/run.sh" --live "$1" </dev/null &
  LIVE_PID=$!
  set +m
  wait "$LIVE_PID" || rc=$?
  # Normally the group is empty by now; if the live part was killed outright,
  # this ends what it left (its sandbox already got SIGTERM from setpriv).
  kill -TERM -- "-$LIVE_PID" 2>/dev/null || true
  LIVE_PID=""
  return $rc
}

start=$SECONDS
if [[ $have_postman == 1 ]] && "$VENV/bin/python" "$OA_DIR/report.py" postman-precheck "$OUT/postman.json"; then
  say "newman run postman.json (fresh sandbox)"
  rc=0
  run_live newman || rc=$?
  detail="$("$VENV/bin/python" "$OA_DIR/report.py" newman "$OUT/newman.json" 2>/dev/null)" ||
    { rc=1; detail="${detail:-no newman report}"; }
  record newman "$([[ $rc == 0 ]] && echo passed || echo failed)" "$detail" $((SECONDS - start))
else
  record newman failed "no usable Postman collection" $((SECONDS - start))
fi

start=$SECONDS
if [[ $have_openapi == 1 || -z "$OPENAPI_FILE" ]]; then
  say "schemathesis run (fresh sandbox; at most $ST_MAX_EXAMPLES examples per operation, ${ST_TIME_LIMIT}s)"
  rc=0
  run_live schemathesis || rc=$?
  cut_off=""
  [[ $rc == 124 || $rc == 137 ]] && cut_off=" [cut off after ${ST_TIME_LIMIT}s]"
  detail="$("$VENV/bin/python" "$OA_DIR/report.py" schemathesis "$OUT/schemathesis/report.json" "$OUT/schemathesis/output.txt")" || rc=1
  detail+="$cut_off"
  record schemathesis "$([[ $rc == 0 ]] && echo passed || echo failed)" "$detail" $((SECONDS - start))
else
  record schemathesis failed "no OpenAPI document" 0
fi

# 8. Summary.
say "summary (documents, reports and sandbox logs in ${OUT#"$ROOT/"}/)"
passed=0 failed=0
for name in "${NAMES[@]}"; do
  if [[ ${RESULT[$name]} == passed ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  printf '  %-24s %-7s %4ss  %s\n' "$name" "${RESULT[$name]}" "${TOOK[$name]}" "${DETAIL[$name]}"
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
