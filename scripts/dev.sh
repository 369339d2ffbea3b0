#!/usr/bin/env bash
# make dev: the local AWS emulator with the table, bucket and sender identity, and every function
# served by `cargo lambda watch` behind the local API Gateway (scripts/local_gateway.py) on the same
# paths as API Gateway. Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MOTO_PORT="${MOTO_PORT:-5000}"
API_PORT="${API_PORT:-9000}"
WATCH_PORT="${WATCH_PORT:-$((API_PORT + 1))}"
ensure_venv
export_local_aws "$MOTO_PORT"
export_dev_settings
# Our functions log at info; cargo-lambda's own chatter only from warnings up.
export RUST_LOG="${RUST_LOG:-warn,accreditation=info,requests=info,document_uploaded=info,mailer=info,auth=info,operator=info,authorizer=info,email_events=info,web=info,lambda_runtime=info}"

WATCH_PID="" GATEWAY_PID="" SWEEP_PID=""
cleanup() {
  trap - EXIT INT TERM
  log "stopping"
  stop_pid "$SWEEP_PID"
  stop_pid "${TAIL_PID:-}"
  stop_pid "$GATEWAY_PID"
  stop_group "$WATCH_PID"
  stop_pid "${MOTO_PID:-}"
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

port_is_free "$API_PORT" || die "port $API_PORT is already in use: choose another with API_PORT=<port>"
port_is_free "$WATCH_PORT" || die "port $WATCH_PORT is already in use: choose another with WATCH_PORT=<port>"
start_moto "$MOTO_PORT"
log "creating the table, bucket and sender identity"
cargo run --quiet -p admin -- bootstrap

log "building and serving the functions with cargo lambda watch (127.0.0.1:$WATCH_PORT) behind the local API Gateway on 127.0.0.1:$API_PORT"
WATCH_LOG="$RUN_DIR/dev-watch.log"
start_local_api "$API_PORT" "$WATCH_PORT" "$WATCH_LOG"
tail -n +1 -f "$WATCH_LOG" &
TAIL_PID=$!

# The scheduled outbox sweep (EventBridge every minute on AWS).
( while sleep 60; do
    cargo lambda invoke mailer --invoke-address 127.0.0.1 --invoke-port "$API_PORT" --data-ascii '{}' >/dev/null 2>&1 || true
  done ) &
SWEEP_PID=$!

wait_http "http://127.0.0.1:$API_PORT/requests" 600 || die "cargo lambda watch did not start"
cat <<INFO

  Foreign User accreditation is running locally.

  Applicant's form    http://127.0.0.1:$API_PORT/
  Operators' console  http://127.0.0.1:$API_PORT/console
  API base URL        http://127.0.0.1:$API_PORT        (e.g. POST http://127.0.0.1:$API_PORT/requests)
  cargo lambda watch  http://127.0.0.1:$WATCH_PORT        (its log: ${WATCH_LOG#"$ROOT"/})
  AWS emulator        $AWS_ENDPOINT_URL     (moto; region $AWS_REGION)
  Sent emails         $AWS_ENDPOINT_URL/moto-api/data.json   (under ses.Message)
  Table / bucket      $TABLE_NAME / $DOCUMENT_BUCKET
  CAPTCHA             ${CAPTCHA_MODE:-recaptcha}

  Create an operator:  make operator USERNAME=<username> EMAIL=<address>
  The README has a curl session of the whole journey. Ctrl-C stops everything.

INFO
wait "$WATCH_PID"
