#!/usr/bin/env bash
# make bench: every figure of the functions, measured in one run and written side by side to
# bench/results.md (scripts/bench_report.py), each beside its floor and its target:
# - sizes: every release bootstrap, x86_64 and arm64 (`cargo lambda build`, as make build);
# - cold start and peak memory: scripts/coldstart.py, STARTS (default 20) starts of every bootstrap
#   interleaved with the hello-world floor (bench/hello-lambda), against a private moto;
# - latency per route beside its AWS time, login beside its argon2id floor and the queue at scale
#   (100,000 requests): tests/benches/routes.rs, ROUTE_CALLS (default 300) calls per route, in
#   process against a private moto and the fake reCAPTCHA;
# - micro-benchmarks of the hot paths (core/benches/hot_paths.rs, divan);
# - the legacy import pipeline over ROWS generated rows (default 20,000) and the login timing by
#   kind of account (core/benches/legacy_import.rs, login_timing.rs).
# Every part runs: one that cannot start fails the whole run, loudly. Everything started is stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STARTS="${STARTS:-20}"
ROUTE_CALLS="${ROUTE_CALLS:-300}"
ROWS="${ROWS:-20000}"
OUT="$RUN_DIR/bench"
rm -rf "$OUT"
mkdir -p "$OUT"

cleanup() {
  stop_pid "${CAPTCHA_PID:-}"
  stop_pid "${MOTO_PID:-}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_venv
cd "$ROOT"
git rev-parse HEAD > "$OUT/commit"
if [[ -n "$(git status --porcelain)" ]]; then echo dirty; else echo clean; fi > "$OUT/worktree"
date -u +%Y-%m-%dT%H:%MZ > "$OUT/date"
echo "STARTS=$STARTS, ROUTE_CALLS=$ROUTE_CALLS, ROWS=$ROWS" > "$OUT/settings"

log "release build of every function, this machine (target/lambda)"
"$ROOT/scripts/build.sh"
build_floor
log "release build of admin (it makes each cold start's table: admin bootstrap)"
cargo build --release --locked -p admin

log "cold start and peak memory: $STARTS starts of each bootstrap beside the floor"
"$VENV/bin/python" "$ROOT/scripts/coldstart.py" --starts "$STARTS" \
  --json "$OUT/coldstart.json" --markdown "$OUT/coldstart.md" --logs "$OUT/coldstart-logs"

log "latency per route, login beside its floor, the queue at scale (building tests/benches/routes.rs)"
MOTO_PORT="$(free_port)"
export_local_aws "$MOTO_PORT"
start_moto "$MOTO_PORT"
start_fake_captcha
export TEST_AWS_ENDPOINT="$AWS_ENDPOINT_URL"
cargo bench --locked -q -p accreditation-tests --bench routes -- \
  --iterations "$ROUTE_CALLS" --markdown "$OUT/routes.md" --json "$OUT/routes.json"
stop_pid "$CAPTCHA_PID"
stop_pid "$MOTO_PID"

log "micro-benchmarks of the hot paths"
cargo bench --locked -q -p accreditation --bench hot_paths | tee "$OUT/hot_paths.txt"

log "login timing by kind of account (wrong passwords; core/benches/login_timing.rs)"
cargo bench --locked -q -p accreditation --bench login_timing -- "${LOGIN_ROUNDS:-200}" | tee "$OUT/login_timing.txt"

log "the legacy import pipeline on $ROWS generated rows"
EXPORT="$RUN_DIR/legacy-bench-$ROWS.csv"
"$VENV/bin/python" "$ROOT/scripts/legacy_export.py" "$ROWS" "$EXPORT"
LEGACY="$(cargo bench --locked -p accreditation --bench legacy_import --no-run --message-format=json 2>/dev/null \
  | "$VENV/bin/python" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "legacy_import" and m.get("executable"):
        print(m["executable"])')"
[[ -x "$LEGACY" ]] || die "the legacy import benchmark did not build (cargo bench -p accreditation --bench legacy_import --no-run)"
# Peak memory from getrusage, taken by the parent: /proc's VmHWM under-counts threaded processes.
"$VENV/bin/python" - "$LEGACY" "$EXPORT" <<'PY' | tee "$OUT/legacy_import.txt"
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak memory (both passes): {peak} KiB ({peak / 1024:.1f} MiB)")
PY

log "release build of every function, arm64 (sizes only; target/lambda-arm64)"
# In a target folder of its own, so that it neither waits for nor evicts this machine's builds.
ARCH=arm64 LAMBDA_DIR="$ROOT/target/lambda-arm64" CARGO_TARGET_DIR="$ROOT/target/arm64" "$ROOT/scripts/build.sh"

log "writing bench/results.md"
"$VENV/bin/python" "$ROOT/scripts/bench_report.py" "$OUT" "$ROOT/bench/results.md"
