#!/usr/bin/env bash
# HTTP throughput/latency benchmark: the sandbox vs. a bare actix-web hello-world.
#
# Builds both (release), then, one server at a time (never both under load at
# once: this machine has 2 cores and wrk shares them), runs wrk against:
#   hello    GET /                    (bench/hello, the baseline)
#   sandbox  GET /v1/organizations    (X-API-Key: root key)
#   sandbox  GET /v1/phone-numbers    (X-API-Key: root key)
# Each target gets a warm-up run (discarded) and a measured run. Prints a table
# and the ratios against the baseline, and writes bench/results/http-latest.json.
#
# Environment:
#   DURATION=15        seconds of each measured run
#   WARMUP=3           seconds of each warm-up run
#   THREADS=2          wrk threads
#   CONNECTIONS=64     wrk connections
#   STARTUP_TIMEOUT=60 seconds to wait for a server to print its URL
#   SKIP_SANDBOX=1     bench only the hello-world (e.g. while the sandbox does not build)
#   SANDBOX_BIN=path   use this sandbox executable instead of building one
#   ENFORCE=1          exit 3 if a sandbox target misses the targets below
# Targets (same run): sandbox req/s >= 0.5 x hello req/s; sandbox p99 <= 2 x hello p99.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
HELLO_DIR="$BENCH_DIR/hello"
RESULTS_DIR="$BENCH_DIR/results"
OUT_JSON="$RESULTS_DIR/http-latest.json"

DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-3}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
STARTUP_TIMEOUT="${STARTUP_TIMEOUT:-60}"
SKIP_SANDBOX="${SKIP_SANDBOX:-0}"
ENFORCE="${ENFORCE:-0}"
MIN_RPS_RATIO=0.5
MAX_P99_RATIO=2.0
CLOCK_START="2026-11-03T18:00:00.000Z"

for v in DURATION WARMUP THREADS CONNECTIONS STARTUP_TIMEOUT; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf '\nbench: FAILED: %s\n' "$*" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pc-bench.XXXXXX")"
SERVER_PID=""

stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        # actix shuts down gracefully on SIGTERM; give it a moment, then insist.
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
cleanup() {
    local rc=$?
    [[ -z "${WRK_PID:-}" ]] || kill "$WRK_PID" 2>/dev/null || true
    stop_server
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    log "installing $* with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends "$@" >&2 \
        || { as_root apt-get update >&2 && as_root apt-get install -y --no-install-recommends "$@" >&2; } \
        || die "could not install $*"
}
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v curl >/dev/null 2>&1 || need+=(curl)
((${#need[@]} == 0)) || apt_install "${need[@]}"
command -v cargo >/dev/null 2>&1 || die "cargo not found on PATH"

# ---------------------------------------------------------------- build
# Both as release builds; the executables' paths come from cargo itself, so a
# CARGO_TARGET_DIR in the environment is honoured for the sandbox. The
# hello-world always builds into bench/hello/target.
cargo_exe() { # cargo_exe <bin-name> <cargo build args...>: build, print the executable path
    local bin="$1"
    shift
    cargo build --release --message-format=json-render-diagnostics "$@" \
        | jq -r --arg b "$bin" 'select(.reason == "compiler-artifact" and .target.name == $b and .executable != null) | .executable' \
        | tail -n 1
}
log "building hello-world (bench/hello, release)"
HELLO_BIN="$(cargo_exe bench-hello --manifest-path "$HELLO_DIR/Cargo.toml" --target-dir "$HELLO_DIR/target")" \
    || die "hello-world build failed"
[[ -x "$HELLO_BIN" ]] || die "hello-world build produced no executable"

SANDBOX_BIN="${SANDBOX_BIN:-}"
if [[ "$SKIP_SANDBOX" != 1 && -n "$SANDBOX_BIN" ]]; then
    log "using prebuilt sandbox SANDBOX_BIN=$SANDBOX_BIN (no build)"
    [[ -x "$SANDBOX_BIN" ]] || die "SANDBOX_BIN=$SANDBOX_BIN is not an executable"
elif [[ "$SKIP_SANDBOX" != 1 ]]; then
    log "building sandbox (cargo build --release --bin pc-sandbox)"
    SANDBOX_BIN="$(cd "$ROOT" && cargo_exe pc-sandbox --bin pc-sandbox)" || die "sandbox build failed"
    [[ -x "$SANDBOX_BIN" ]] || die "sandbox build produced no executable"
fi

# ---------------------------------------------------------------- servers
BASE_URL=""
start_server() { # start_server <name> <cmd...>: start in background, set BASE_URL from its stdout
    local name="$1"
    shift
    local out="$WORK/$name.stdout" err="$WORK/$name.stderr"
    "$@" >"$out" 2>"$err" &
    SERVER_PID=$!
    local deadline=$((SECONDS + STARTUP_TIMEOUT)) line
    BASE_URL=""
    while ((SECONDS < deadline)); do
        if line="$(grep -m1 -oE 'http://127\.0\.0\.1:[0-9]+' "$out" 2>/dev/null)"; then
            [[ "$line" =~ http://127\.0\.0\.1:([0-9]+) ]]
            BASE_URL="http://127.0.0.1:${BASH_REMATCH[1]}"
            break
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            printf -- '--- %s stdout\n' "$name" >&2; tail -n 40 "$out" >&2 || true
            printf -- '--- %s stderr\n' "$name" >&2; tail -n 40 "$err" >&2 || true
            SERVER_PID=""
            die "$name exited before printing its URL: $*"
        fi
        sleep 0.1
    done
    if [[ -z "$BASE_URL" ]]; then
        printf -- '--- %s stderr\n' "$name" >&2; tail -n 40 "$err" >&2 || true
        die "$name printed no http://127.0.0.1:<port> line within ${STARTUP_TIMEOUT}s"
    fi
    log "$name listening on $BASE_URL (pid $SERVER_PID)"
}

# check_200 <url> [curl args...]: one request; fail loudly unless HTTP 200.
check_200() {
    local url="$1"
    shift
    local body="$WORK/check.body" code
    code="$(curl -sS -o "$body" -w '%{http_code}' --max-time 10 "$@" "$url")" || code="curl-error"
    if [[ "$code" != 200 ]]; then
        printf -- '--- response body (first 2000 bytes)\n' >&2
        head -c 2000 "$body" >&2 2>/dev/null || true
        printf '\n' >&2
        die "GET $url answered $code, expected 200"
    fi
    printf '   preflight GET %s -> 200 (%s bytes)\n' "$url" "$(wc -c <"$body" | tr -d ' ')" >&2
}

# ---------------------------------------------------------------- wrk
# to_ms <value-with-unit>: wrk prints latencies as e.g. 812.00us, 1.23ms, 2.01s, 1.50m
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (match(v, /^[0-9.]+/) == 0) { print "null"; exit }
        n = substr(v, 1, RLENGTH); u = substr(v, RLENGTH + 1)
        if (u == "us") f = 0.001; else if (u == "ms") f = 1; else if (u == "s") f = 1000;
        else if (u == "m") f = 60000; else if (u == "h") f = 3600000; else { print "null"; exit }
        printf "%.3f", n * f
    }'
}

# wrk_bg <outfile> <wrk args...>: run wrk in the background and wait for it, so
# that a TERM/INT to this script is handled (and the servers stopped) at once.
WRK_PID=""
wrk_bg() {
    local out="$1" rc=0
    shift
    wrk "$@" >"$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    return "$rc"
}

declare -A RPS P50 P99 REQS NON2XX SOCKERR
ORDER=()
# run_wrk <key> <url> [extra wrk args...]: warm-up, then measured run; store parsed numbers.
run_wrk() {
    local key="$1" url="$2"
    shift 2
    local raw="$RESULTS_DIR/wrk-$key.txt"
    log "$key: warm-up ${WARMUP}s, then ${DURATION}s measured — $url"
    wrk_bg "$WORK/warmup.txt" -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$@" "$url" \
        || { cat "$WORK/warmup.txt" >&2; die "wrk warm-up failed for $key"; }
    wrk_bg "$raw" -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url" \
        || { cat "$raw" >&2; die "wrk failed for $key"; }
    cat "$raw" >&2

    local rps p50 p99 reqs non2xx sockerr
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$raw")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2; exit}' "$raw")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2; exit}' "$raw")")"
    reqs="$(awk '/requests in/ {print $1; exit}' "$raw")"
    non2xx="$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2; exit}' "$raw")"
    sockerr="$(awk '/Socket errors:/ {s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s; exit}' "$raw")"
    [[ -n "$rps" && "$p50" != null && "$p99" != null ]] || die "could not parse wrk output for $key (see $raw)"
    RPS[$key]="$rps"; P50[$key]="$p50"; P99[$key]="$p99"
    REQS[$key]="${reqs:-0}"; NON2XX[$key]="${non2xx:-0}"; SOCKERR[$key]="${sockerr:-0}"
    ORDER+=("$key")
    if [[ "${NON2XX[$key]}" != 0 || "${SOCKERR[$key]}" != 0 ]]; then
        printf '\nbench: WARNING: %s had %s non-2xx responses and %s socket errors\n' \
            "$key" "${NON2XX[$key]}" "${SOCKERR[$key]}" >&2
    fi
}

mkdir -p "$RESULTS_DIR"
rm -f "$RESULTS_DIR"/wrk-*.txt

# ---------------------------------------------------------------- hello-world
start_server hello "$HELLO_BIN" --port 0
check_200 "$BASE_URL/"
run_wrk hello "$BASE_URL/"
stop_server

# ---------------------------------------------------------------- sandbox
SANDBOX_TARGETS=(organizations phone_numbers)
declare -A SANDBOX_PATH=([organizations]=/v1/organizations [phone_numbers]=/v1/phone-numbers)
if [[ "$SKIP_SANDBOX" != 1 ]]; then
    start_server sandbox "$SANDBOX_BIN" serve --port 0 --rate-limit off --clock manual --clock-start "$CLOCK_START"
    keys_json="$WORK/keys.json"
    check_200 "$BASE_URL/_sandbox/keys"
    curl -sS --max-time 10 "$BASE_URL/_sandbox/keys" >"$keys_json" || die "GET /_sandbox/keys failed"
    ROOT_KEY="$(jq -r 'first(.data[]? | select(.role == "root") | .key) // empty' "$keys_json")" \
        || die "GET /_sandbox/keys did not return JSON: $(head -c 500 "$keys_json")"
    [[ -n "$ROOT_KEY" ]] || die "no key with role \"root\" in GET /_sandbox/keys: $(head -c 500 "$keys_json")"
    printf '   root key %s…\n' "${ROOT_KEY:0:12}" >&2
    for t in "${SANDBOX_TARGETS[@]}"; do
        check_200 "$BASE_URL${SANDBOX_PATH[$t]}" -H "X-API-Key: $ROOT_KEY"
    done
    for t in "${SANDBOX_TARGETS[@]}"; do
        run_wrk "sandbox_$t" "$BASE_URL${SANDBOX_PATH[$t]}" -H "X-API-Key: $ROOT_KEY"
    done
    stop_server
fi

# ---------------------------------------------------------------- report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "null"; else printf "%.3f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "null" && a + 0 <= b + 0) ? "true" : "false" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "null" && a + 0 >= b + 0) ? "true" : "false" }'; }

label() {
    case "$1" in
        hello) echo "hello GET /" ;;
        sandbox_organizations) echo "sandbox GET /v1/organizations" ;;
        sandbox_phone_numbers) echo "sandbox GET /v1/phone-numbers" ;;
        *) echo "$1" ;;
    esac
}

{
    printf '\nHTTP benchmark: wrk -t%s -c%s, %ss measured after %ss warm-up, %s cores\n\n' \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$WARMUP" "$(nproc)"
    printf '%-32s %12s %10s %10s %8s\n' target "req/s" "p50 ms" "p99 ms" errors
    for k in "${ORDER[@]}"; do
        printf '%-32s %12.0f %10.3f %10.3f %8d\n' "$(label "$k")" "${RPS[$k]}" "${P50[$k]}" "${P99[$k]}" \
            $((NON2XX[$k] + SOCKERR[$k]))
    done
}

results_json='{}'
for k in "${ORDER[@]}"; do
    results_json="$(jq -c --arg k "$k" --arg lbl "$(label "$k")" \
        --argjson rps "${RPS[$k]}" --argjson p50 "${P50[$k]}" --argjson p99 "${P99[$k]}" \
        --argjson reqs "${REQS[$k]}" --argjson non2xx "${NON2XX[$k]}" --argjson sockerr "${SOCKERR[$k]}" \
        '. + {($k): {label: $lbl, requests_per_sec: $rps, p50_ms: $p50, p99_ms: $p99,
                     requests: $reqs, non_2xx_3xx: $non2xx, socket_errors: $sockerr}}' <<<"$results_json")"
done

ratios_json='{}'
missed=0
if [[ "$SKIP_SANDBOX" != 1 ]]; then
    printf '\nratios vs hello-world (targets: req/s >= %s x, p99 <= %s x)\n' "$MIN_RPS_RATIO" "$MAX_P99_RATIO"
    for t in "${SANDBOX_TARGETS[@]}"; do
        k="sandbox_$t"
        rr="$(ratio "${RPS[$k]}" "${RPS[hello]}")"
        pr="$(ratio "${P99[$k]}" "${P99[hello]}")"
        rok="$(ge "$rr" "$MIN_RPS_RATIO")"
        pok="$(le "$pr" "$MAX_P99_RATIO")"
        [[ "$rok" == true && "$pok" == true ]] || missed=1
        printf '  %-32s req/s ratio %6s %-4s   p99 ratio %6s %s\n' "$(label "$k")" \
            "$rr" "$([[ $rok == true ]] && echo ok || echo MISS)" \
            "$pr" "$([[ $pok == true ]] && echo ok || echo MISS)"
        ratios_json="$(jq -c --arg k "$t" --argjson rr "$rr" --argjson pr "$pr" \
            --argjson rok "$rok" --argjson pok "$pok" \
            '. + {($k): {rps_ratio: $rr, p99_ratio: $pr, rps_ok: $rok, p99_ok: $pok}}' <<<"$ratios_json")"
    done
else
    printf '\n(SKIP_SANDBOX=1: hello-world only, no ratios)\n'
fi

jq -n \
    --arg generated_at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)" \
    --arg wrk_version "$(wrk -v 2>&1 | head -n 1 || true)" \
    --argjson cores "$(nproc)" \
    --argjson duration "$DURATION" --argjson warmup "$WARMUP" \
    --argjson threads "$THREADS" --argjson connections "$CONNECTIONS" \
    --argjson min_rps "$MIN_RPS_RATIO" --argjson max_p99 "$MAX_P99_RATIO" \
    --argjson sandbox "$([[ "$SKIP_SANDBOX" == 1 ]] && echo false || echo true)" \
    --argjson results "$results_json" --argjson ratios "$ratios_json" \
    '{generated_at: $generated_at, git_commit: $commit, wrk_version: $wrk_version, cores: $cores,
      wrk: {threads: $threads, connections: $connections, warmup_s: $warmup, duration_s: $duration},
      sandbox_included: $sandbox,
      targets: {min_rps_ratio: $min_rps, max_p99_ratio: $max_p99},
      results: $results, ratios: $ratios}' >"$OUT_JSON"
printf '\nwrote %s (raw wrk output: %s/wrk-*.txt)\n' "$OUT_JSON" "$RESULTS_DIR"

if [[ "$ENFORCE" == 1 && "$missed" == 1 ]]; then
    echo "bench: a sandbox target missed its goal (ENFORCE=1)" >&2
    exit 3
fi
