#!/usr/bin/env bash
# make test: formatting and lints (make lint), the template checks, every test of the workspace against its own emulator on a free
# port (tests fail, never skip, when the emulator is unreachable), the browser tests against a stack
# of their own, the release build of every function with its size limit, and a short probe of make
# bench's cold-start harness. Everything started is stopped, even on failure.
#
# The CPU-bound builds overlap the rest: the test build runs while the tools install, the release
# build starts beside it and, once the tests run, goes on at the lowest CPU priority, on the CPU
# they leave idle while waiting on the emulator and the browser.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TEST_BUILD_PID="" RELEASE_PID=""
cleanup() {
  stop_group "$RELEASE_PID"
  stop_group "$TEST_BUILD_PID"
  stop_pid "${CAPTCHA_PID:-}"
  stop_pid "${MOTO_PID:-}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "cargo fmt --check"
cargo fmt --all -- --check || die "unformatted code: run make fmt"

TEST_BUILD_LOG="$RUN_DIR/test-build.log"
log "building the tests in the background (log: ${TEST_BUILD_LOG#"$ROOT"/})"
start_group "$TEST_BUILD_LOG" "$ROOT/scripts/build_tests.sh"
TEST_BUILD_PID="$BG_PID"

"$ROOT/scripts/infra_check.sh"
ensure_venv

RELEASE_LOG="$RUN_DIR/release-build.log"
log "release build in the background, beside the tests (log: ${RELEASE_LOG#"$ROOT"/})"
start_group "$RELEASE_LOG" "$ROOT/scripts/build.sh"
RELEASE_PID="$BG_PID"

log "waiting for the test build"
finish_group "$TEST_BUILD_PID" "$TEST_BUILD_LOG" "the tests did not build"
TEST_BUILD_PID=""
log "clippy, every lint of [workspace.lints] denied"
cargo clippy --workspace --all-targets --locked -- -D warnings || die "clippy found problems (make lint)"
# From here the tests come first: the release build only gets the CPU they leave idle.
lowest_priority_group "$RELEASE_PID"

MOTO_PORT="$(free_port)"
export_local_aws "$MOTO_PORT"
start_moto "$MOTO_PORT"
start_fake_captcha
export TEST_AWS_ENDPOINT="$AWS_ENDPOINT_URL"
# The functions' AWS calls are noted as they run, then checked against their roles.
export AWS_CALLS_LOG="$RUN_DIR/aws-calls.jsonl"
rm -f "$AWS_CALLS_LOG"
FAULT_TABLE="$ROOT/target/test-logs/fault-table.md"
rm -f "$FAULT_TABLE"
cargo test --workspace --locked "$@"
# The figures of the journeys under injected AWS faults (tests/api/faults.rs), with their invariants.
if [[ -f "$FAULT_TABLE" ]]; then
  log "the journey under injected AWS faults"
  cat "$FAULT_TABLE"
elif [[ $# -eq 0 ]]; then
  die "the fault-injection test left no figures ($FAULT_TABLE)"
fi
log "every AWS call of the functions against their roles"
cargo test -p accreditation-tests --test iam --locked -- --nocapture
stop_pid "$CAPTCHA_PID"
stop_pid "$MOTO_PID"

"$ROOT/scripts/browser_test.sh"

# make dev as a newcomer meets it: three fresh starts, the first request to every function at once
# (no 503, no 5xx), then Ctrl-C stopping everything.
log "the local API Gateway when watch does not answer (scripts/test_local_gateway.py)"
"$VENV/bin/python" -m unittest "$ROOT/scripts/test_local_gateway.py" || die "the local API Gateway's tests failed"
log "make dev: fresh starts, first requests, Ctrl-C (scripts/dev_check.py)"
"$VENV/bin/python" "$ROOT/scripts/dev_check.py" --starts 3 --json "$RUN_DIR/dev-check.json" \
  || die "make dev's fresh starts failed (scripts/dev_check.py)"

log "waiting for the release build"
finish_group "$RELEASE_PID" "$RELEASE_LOG" "the release build failed"
RELEASE_PID=""
sed -n '/function  *bytes/,$p' "$RELEASE_LOG"

# The cold-start harness of make bench, kept working: every release bootstrap starts 3 times beside
# the hello-world floor and answers its events (no timing is asserted; a bootstrap that does not
# start, reports an init error or answers wrongly fails the run).
build_floor
log "the cold-start probe: every release bootstrap started 3 times (scripts/coldstart.py)"
"$VENV/bin/python" "$ROOT/scripts/coldstart.py" --starts 3 --burst 5 --json "$RUN_DIR/coldstart-probe.json" \
  || die "the cold-start probe failed"
