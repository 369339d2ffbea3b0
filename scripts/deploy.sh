#!/usr/bin/env bash
# make deploy [STAGE=dev|prod]: sam build (cargo-lambda, arm64) and sam deploy of infra/template.yaml
# with infra/samconfig.toml's stage settings and infra/parameters-<stage>.env's values. Needs AWS
# credentials for the target account and the aarch64-unknown-linux-gnu rustup target.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STAGE="${STAGE:-dev}"
[[ "$STAGE" == dev || "$STAGE" == prod ]] || die "STAGE must be dev or prod, not $STAGE"
PARAMETERS="$ROOT/infra/parameters-$STAGE.env"
[[ -f "$PARAMETERS" ]] || die "missing $PARAMETERS: copy infra/parameters.example.env and fill it in"

ensure_venv
ensure_deploy_venv
# sam build calls cargo lambda (and its zig) from .venv.
export PATH="$VENV/bin:$DEPLOY_VENV/bin:$PATH"
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  log "adding the aarch64-unknown-linux-gnu rustup target (the functions run on arm64)"
  rustup target add aarch64-unknown-linux-gnu
fi

OVERRIDES=("Stage=$STAGE")
while IFS= read -r line || [[ -n "$line" ]]; do
  [[ -z "${line// }" || "$line" == \#* ]] && continue
  [[ "$line" == *=* ]] || die "$PARAMETERS: not Name=value: $line"
  OVERRIDES+=("$line")
done < "$PARAMETERS"

cd "$ROOT/infra"
log "sam build ($STAGE)"
sam build --config-env "$STAGE"
log "sam deploy ($STAGE): review the change set before confirming"
sam deploy --config-env "$STAGE" --parameter-overrides "${OVERRIDES[@]}"
