#!/usr/bin/env bash
# make test: the template checks, then its own emulator on a free port, every test of the workspace,
# and teardown even on failure (tests fail, never skip, when the emulator is unreachable); then the
# browser tests against a stack of their own; then the release build of every function with its
# size limit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

"$ROOT/scripts/infra_check.sh"

ensure_venv
MOTO_PORT="$(free_port)"
export_local_aws "$MOTO_PORT"
CAPTCHA_PORT="$(free_port)"
trap 'stop_pid "${CAPTCHA_PID:-}"; stop_pid "${MOTO_PID:-}"' EXIT INT TERM
start_moto "$MOTO_PORT"
"$VENV/bin/python" "$ROOT/scripts/fake_recaptcha.py" "$CAPTCHA_PORT" &
CAPTCHA_PID=$!
wait_http "http://127.0.0.1:$CAPTCHA_PORT/" 30 || die "the fake reCAPTCHA server did not start"
export TEST_AWS_ENDPOINT="$AWS_ENDPOINT_URL"
export TEST_CAPTCHA_VERIFY_URL="http://127.0.0.1:$CAPTCHA_PORT/siteverify"
cargo test --workspace --locked "$@"
stop_pid "$CAPTCHA_PID"
stop_pid "$MOTO_PID"

"$ROOT/scripts/browser_test.sh"

"$ROOT/scripts/build.sh"
