#!/usr/bin/env bash
# make operator USERNAME=<u> EMAIL=<e>: creates an operator on the running `make dev` stack; the
# initial password reaches the operator by email (read it from the emulator), never the terminal.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ -n "${USERNAME:-}" && -n "${EMAIL:-}" ]] || die "usage: make operator USERNAME=<username> EMAIL=<address> [OPERATOR_LANGUAGE=it|en]"
ensure_venv
MOTO_PORT="${MOTO_PORT:-5000}"
export_local_aws "$MOTO_PORT"
export_dev_settings
wait_http "$AWS_ENDPOINT_URL/moto-api/" 2 || die "the emulator is not running on port $MOTO_PORT: start \`make dev\` first"
cargo run --quiet -p admin -- operator --username "$USERNAME" --email "$EMAIL" --language "${OPERATOR_LANGUAGE:-it}"
