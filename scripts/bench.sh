#!/usr/bin/env bash
# make bench: the legacy import pipeline over a generated export of ROWS rows (default 20,000;
# every hash format, 0.1% bad rows, 0.1% repeated usernames): rows per second and peak memory of a
# dry run and of an import into a store that accepts every batch (core/benches/legacy_import.rs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS="${ROWS:-20000}"
ensure_venv
EXPORT="$RUN_DIR/legacy-bench-$ROWS.csv"
log "generating $EXPORT"
"$VENV/bin/python" "$ROOT/scripts/legacy_export.py" "$ROWS" "$EXPORT"
log "building the benchmark (release profile)"
cd "$ROOT"
BENCH="$(cargo bench --locked -p accreditation --bench legacy_import --no-run --message-format=json 2>/dev/null \
  | "$VENV/bin/python" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "legacy_import" and m.get("executable"):
        print(m["executable"])')"
[[ -x "$BENCH" ]] || die "the benchmark did not build (cargo bench -p accreditation --bench legacy_import --no-run)"
log "running it on $ROWS rows"
# Peak memory from getrusage, taken by the parent: /proc's VmHWM under-counts threaded processes.
"$VENV/bin/python" - "$BENCH" "$EXPORT" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak memory (both passes): {peak} KiB ({peak / 1024:.1f} MiB)")
PY
log "login timing by kind of account (wrong passwords; core/benches/login_timing.rs)"
cargo bench --locked -q -p accreditation --bench login_timing -- "${LOGIN_ROUNDS:-200}"
