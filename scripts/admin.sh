#!/usr/bin/env bash
# The ops commands of the admin binary (make operator, import-legacy, legacy-dormant): against the
# running `make dev` stack by default; with AWS=1, against AWS with the environment's credentials,
# AWS_REGION and TABLE_NAME (the stack's TableName output).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ "${AWS:-}" == 1 ]]; then
  [[ -n "${TABLE_NAME:-}" ]] || die "AWS=1 needs TABLE_NAME (the stack's TableName output) and AWS credentials"
  unset AWS_ENDPOINT_URL
else
  ensure_venv
  MOTO_PORT="${MOTO_PORT:-5000}"
  export_local_aws "$MOTO_PORT"
  export_dev_settings
  wait_http "$AWS_ENDPOINT_URL/moto-api/" 2 || die "the emulator is not running on port $MOTO_PORT: start \`make dev\` first (or use AWS=1)"
fi
cd "$ROOT"
cargo run --quiet -p admin -- "$@"
