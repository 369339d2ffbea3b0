#!/usr/bin/env bash
# make dev: the local AWS emulator with the table, bucket and sender identity, and every function
# served by `cargo lambda watch` behind the local API Gateway (scripts/local_gateway.py) on the same
# paths as API Gateway. Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MOTO_PORT="${MOTO_PORT:-5000}"
API_PORT="${API_PORT:-9000}"
WATCH_PORT="${WATCH_PORT:-$((API_PORT + 1))}"
DEMO_PORT="${DEMO_PORT:-$((API_PORT + 100))}"
ensure_venv
ensure_node_modules
export_local_aws "$MOTO_PORT"
export_dev_settings
# Our functions log at info; cargo-lambda's own chatter only from warnings up.
export RUST_LOG="${RUST_LOG:-warn,accreditation=info,requests=info,document_uploaded=info,mailer=info,retention=info,auth=info,oidc=info,operator=info,authorizer=info,email_events=info,web=info,lambda_runtime=info}"

WATCH_PID="" GATEWAY_PID="" SWEEP_PID="" DEMO_PID=""
cleanup() {
  trap - EXIT INT TERM
  log "stopping"
  stop_pid "$SWEEP_PID"
  stop_pid "$DEMO_PID"
  stop_pid "${TAIL_PID:-}"
  stop_pid "$GATEWAY_PID"
  stop_group "$WATCH_PID"
  stop_pid "${MOTO_PID:-}"
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

port_is_free "$API_PORT" || die "port $API_PORT is already in use: choose another with API_PORT=<port>"
port_is_free "$DEMO_PORT" || die "port $DEMO_PORT is already in use: choose another with DEMO_PORT=<port>"
port_is_free "$WATCH_PORT" || die "port $WATCH_PORT is already in use: choose another with WATCH_PORT=<port>"
start_moto "$MOTO_PORT"
log "creating the table, bucket and sender identity"
cargo run --quiet -p admin -- bootstrap

# The demo portal: a relying party of the OpenID Connect provider (openid-client), registered anew
# on every start (the emulator keeps nothing), at http://127.0.0.1:$DEMO_PORT/demo-portal.
DEMO_BASE="http://127.0.0.1:$DEMO_PORT"
registered="$(cargo run --quiet -p admin -- client register --name "Portale dimostrativo / Demo portal" \
  --redirect-uri "$DEMO_BASE/demo-portal/callback" --post-logout-redirect-uri "$DEMO_BASE/demo-portal/logged-out")"
DEMO_CLIENT_ID="$(awk '$1 == "client_id" {print $2}' <<<"$registered")"
DEMO_CLIENT_SECRET="$(awk '$1 == "client_secret" {print $2}' <<<"$registered")"
[[ -n "$DEMO_CLIENT_ID" && -n "$DEMO_CLIENT_SECRET" ]] || die "the demo portal could not be registered"
ISSUER="${ISSUER_URL:-http://127.0.0.1:$API_PORT}" DEMO_PORT="$DEMO_PORT" DEMO_CLIENT_ID="$DEMO_CLIENT_ID" \
  DEMO_CLIENT_SECRET="$DEMO_CLIENT_SECRET" node "$ROOT/tests/browser/demo-portal.mjs" >"$RUN_DIR/demo-portal.log" 2>&1 &
DEMO_PID=$!

log "building and serving the functions with cargo lambda watch (127.0.0.1:$WATCH_PORT) behind the local API Gateway on 127.0.0.1:$API_PORT"
WATCH_LOG="${WATCH_LOG:-$RUN_DIR/dev-watch.log}"
start_local_api "$API_PORT" "$WATCH_PORT" "$WATCH_LOG"
tail -n +1 -f "$WATCH_LOG" &
TAIL_PID=$!

# Every function started before the stack is called ready (watch starts each at its first call):
# those behind the gateway, then the mailer by a first outbox sweep.
sweep() {
  cargo lambda invoke mailer --invoke-address 127.0.0.1 --invoke-port "$API_PORT" --data-ascii '{}' >/dev/null 2>&1
}
warm_local_api "$API_PORT" 900 || die "cargo lambda watch did not start every function (log: ${WATCH_LOG#"$ROOT"/})"
sweep || die "the mailer did not answer its first outbox sweep (log: ${WATCH_LOG#"$ROOT"/})"

# The scheduled outbox sweep (EventBridge every minute on AWS).
( while sleep 60; do sweep || true; done ) &
SWEEP_PID=$!
cat <<INFO

  Foreign User accreditation is running locally.

  Applicant's form    http://127.0.0.1:$API_PORT/
  Operators' console  http://127.0.0.1:$API_PORT/console
  Demo portal         $DEMO_BASE/demo-portal   (signs in with the credentials: OpenID Connect)
  OpenID provider     http://127.0.0.1:$API_PORT/.well-known/openid-configuration
  API base URL        http://127.0.0.1:$API_PORT        (e.g. POST http://127.0.0.1:$API_PORT/requests)
  cargo lambda watch  http://127.0.0.1:$WATCH_PORT        (its log: ${WATCH_LOG#"$ROOT"/})
  AWS emulator        $AWS_ENDPOINT_URL     (moto; region $AWS_REGION)
  Sent emails         $AWS_ENDPOINT_URL/moto-api/data.json   (under ses.Message)
  Table / bucket      $TABLE_NAME / $DOCUMENT_BUCKET
  CAPTCHA             ${CAPTCHA_MODE:-recaptcha}

  Create an operator:  make operator USERNAME=<username> EMAIL=<address>
  Register a site:     make client NAME=<name> REDIRECT_URI=<uri> [PUBLIC=1]
  The README has a curl session of the whole journey. Ctrl-C stops everything.

INFO
wait "$WATCH_PID"
