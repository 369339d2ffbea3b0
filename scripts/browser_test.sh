#!/usr/bin/env bash
# The browser tests: Debian's Chromium, driven by playwright-core (tests/browser), against a
# `make dev`-style stack of its own on free ports: the emulator, the table/bucket/sender, an
# operator, and every function under `cargo lambda watch`. Screenshots go to tests/artifacts/browser
# (git-ignored). Everything started is stopped, even on failure; nothing is skipped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BROWSER_DIR="$ROOT/tests/browser"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

# Debian's Chromium: a test tool's own browser download is not possible on these machines.
ensure_chromium() {
  [[ -x "$CHROMIUM" ]] && return 0
  command -v apt-get >/dev/null || die "Chromium is missing at $CHROMIUM and apt-get is not available: install Chromium or set CHROMIUM=<path>"
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  log "installing Debian's chromium (first run only)"
  $sudo apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null || die "apt-get could not install chromium"
  [[ -x "$CHROMIUM" ]] || die "chromium was installed but $CHROMIUM is not there"
}

ensure_venv
ensure_chromium
ensure_node_modules

MOTO_PORT="$(free_port)"
API_PORT="$(free_port)"
export_local_aws "$MOTO_PORT"
SUFFIX="$(date +%s)-$$"
export TABLE_NAME="browser-$SUFFIX" DOCUMENT_BUCKET="browser-$SUFFIX"
export SENDER_EMAIL="noreply@accreditamento.example.it" PRIVACY_NOTICE_VERSION="browser-test"
export UPLOAD_ALLOWED_ORIGINS="http://127.0.0.1:$API_PORT"
export LOGIN_URL="http://127.0.0.1:$API_PORT/login"
export CAPTCHA_MODE=off RATE_LIMITS="$GENEROUS_RATE_LIMITS"
SESSION_SIGNING_KEY="$(random_secret)"
export SESSION_SIGNING_KEY
MFA_SECRET_KEY="$(random_secret)"
export MFA_SECRET_KEY
SUBJECT_KEY="$(random_secret)"
export SUBJECT_KEY OIDC_SIGNING_KEY="alias/browser-oidc-signing"
export RUST_LOG="${RUST_LOG:-warn}"
OPERATOR_USERNAME="giulia.bianchi" OPERATOR_EMAIL="giulia.bianchi@example.org"

WATCH_PID="" GATEWAY_PID=""
cleanup() {
  stop_pid "${GATEWAY_PID:-}"
  stop_group "${WATCH_PID:-}"
  stop_pid "${MOTO_PID:-}"
}
trap cleanup EXIT INT TERM

start_moto "$MOTO_PORT"
cd "$ROOT"
cargo run --quiet --locked -p admin -- bootstrap >/dev/null
cargo run --quiet --locked -p admin -- operator --username "$OPERATOR_USERNAME" --email "$OPERATOR_EMAIL" --language it >/dev/null

# Two relying parties of the OpenID Connect provider, served by the test itself (demo-portal.mjs):
# a confidential one (client_secret_basic) and a public one (PKCE only).
DEMO_PORT="$(free_port)"
DEMO_BASE="http://127.0.0.1:$DEMO_PORT"
registered="$(cargo run --quiet --locked -p admin -- client register --name "Portale dimostrativo" \
  --redirect-uri "$DEMO_BASE/demo-portal/callback" --post-logout-redirect-uri "$DEMO_BASE/demo-portal/logged-out")"
DEMO_CLIENT_ID="$(awk '$1 == "client_id" {print $2}' <<<"$registered")"
DEMO_CLIENT_SECRET="$(awk '$1 == "client_secret" {print $2}' <<<"$registered")"
registered="$(cargo run --quiet --locked -p admin -- client register --name "Altro portale" --public \
  --redirect-uri "$DEMO_BASE/altro-portale/callback" --post-logout-redirect-uri "$DEMO_BASE/altro-portale/logged-out")"
PUBLIC_CLIENT_ID="$(awk '$1 == "client_id" {print $2}' <<<"$registered")"
[[ -n "$DEMO_CLIENT_ID" && -n "$DEMO_CLIENT_SECRET" && -n "$PUBLIC_CLIENT_ID" ]] || die "the relying parties could not be registered"
export DEMO_PORT DEMO_CLIENT_ID DEMO_CLIENT_SECRET PUBLIC_CLIENT_ID

LOG="$RUN_DIR/browser-watch-$API_PORT.log"
log "serving the functions with cargo lambda watch behind the local API Gateway on 127.0.0.1:$API_PORT (log: ${LOG#"$ROOT"/})"
start_local_api "$API_PORT" "$(free_port)" "$LOG" --ignore-changes
if ! warm_local_api "$API_PORT" 900; then
  tail -n 30 "$LOG" >&2 || true
  die "cargo lambda watch did not start every function (log: $LOG)"
fi

ARTIFACTS_DIR="$ROOT/tests/artifacts/browser"
rm -rf "$ARTIFACTS_DIR"
log "browser tests (headless $("$CHROMIUM" --version 2>/dev/null || echo Chromium)); screenshots in ${ARTIFACTS_DIR#"$ROOT"/}"
cd "$BROWSER_DIR"
BASE_URL="http://127.0.0.1:$API_PORT" EMULATOR_URL="$AWS_ENDPOINT_URL" CHROMIUM="$CHROMIUM" \
  OPERATOR_USERNAME="$OPERATOR_USERNAME" OPERATOR_EMAIL="$OPERATOR_EMAIL" ARTIFACTS_DIR="$ARTIFACTS_DIR" \
  node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs

# Then Schemathesis on the same stack, every route against functions/web/openapi.json (after the
# browser tests, which its leftovers cannot disturb then).
"$ROOT/scripts/schemathesis.sh" "http://127.0.0.1:$API_PORT"
