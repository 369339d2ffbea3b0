#!/usr/bin/env bash
# make lint-infra (also run by make test): infra/template.yaml expanded offline by
# aws-sam-translator, cfn-lint on the template and on its expansion (cfn-lint alone does not look
# inside AWS::Serverless resources), checkov on both. Any error, warning or failed check fails.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_infra_venv
TEMPLATE="$ROOT/infra/template.yaml"
EXPANDED="$RUN_DIR/template.expanded.json"
# The template's home region (Milan): cfn-lint checks every resource type exists there.
REGION="${INFRA_REGION:-eu-south-1}"

log "expanding the Serverless transform offline (aws-sam-translator)"
AWS_DEFAULT_REGION="$REGION" "$INFRA_VENV/bin/python" "$ROOT/scripts/sam_translate.py" "$TEMPLATE" "$EXPANDED" \
  || die "the Serverless transform rejects infra/template.yaml"
log "cfn-lint: the template and its expansion"
"$INFRA_VENV/bin/cfn-lint" --regions "$REGION" -- "$TEMPLATE" "$EXPANDED" \
  || die "cfn-lint found problems in infra/template.yaml"
log "checkov: the template and its expansion (suppressions live in the template, each with a reason)"
"$INFRA_VENV/bin/checkov" --framework cloudformation --quiet --compact --skip-download \
  -f "$TEMPLATE" -f "$EXPANDED" || die "checkov failed checks in infra/template.yaml"
log "infra/template.yaml: transform, cfn-lint and checkov clean"
