#!/usr/bin/env bash
# Schemathesis against a running local stack (scripts/browser_test.sh runs it on its stack, after
# the browser tests): every operation of functions/web/openapi.json, with a bounded number of
# examples each, the links of the document followed (a created request -> its status, document
# check and upload form; the queue -> a request -> the decisions), the operator routes with the
# session of an operator created here (tests/schemathesis/hooks.py logs them in).
# Required: no server error, no answer the document does not describe (status, content type,
# headers, body). Prints the requests made and the checks passed; fails on any failure.
#
#   scripts/schemathesis.sh <base URL of the stack>
#
# The stack's settings (AWS_ENDPOINT_URL of its emulator, TABLE_NAME, SENDER_EMAIL...) come from
# the environment, as browser_test.sh exports them; FUZZ_OPERATOR_USERNAME names the operator it
# creates (a new one for each run on the same stack), FUZZ_EXAMPLES (default 12) bounds the examples
# of each operation (the stateful phase gets three times as many scenarios: the links are where
# whole journeys are tried), FUZZ_SEED fixes the generation. About 1½ minutes on 2 cores.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BASE_URL="${1:?usage: scripts/schemathesis.sh <base URL of the stack>}"
EXAMPLES="${FUZZ_EXAMPLES:-12}"
ensure_venv

# An operator of its own, never logged in yet: the hooks do its first login with the temporary
# password of its credentials email, read here, once, from the emulator's SES messages.
export FUZZ_BASE_URL="$BASE_URL"
export FUZZ_OPERATOR_USERNAME="${FUZZ_OPERATOR_USERNAME:-schemathesis.operator}"
export FUZZ_OPERATOR_EMAIL="$FUZZ_OPERATOR_USERNAME@example.org"
cd "$ROOT"
cargo run --quiet --locked -p admin -- operator --username "$FUZZ_OPERATOR_USERNAME" \
  --email "$FUZZ_OPERATOR_EMAIL" --language en >/dev/null
FUZZ_OPERATOR_PASSWORD="$("$VENV/bin/python" - "$AWS_ENDPOINT_URL" "$FUZZ_OPERATOR_EMAIL" <<'PY'
import json, sys, time, urllib.request

emulator, address = sys.argv[1:]
for _ in range(50):
    with urllib.request.urlopen(f"{emulator}/moto-api/data.json", timeout=120) as response:
        messages = json.load(response).get("ses", {}).get("Message", [])
    for message in messages:
        if address in (message.get("destinations") or {}).get("ToAddresses", []):
            for line in message.get("body", "").splitlines():
                if line.strip().startswith("Temporary password: "):
                    print(line.strip().removeprefix("Temporary password: ").removesuffix("<br>").strip())
                    sys.exit(0)
    time.sleep(0.2)
sys.exit(f"no credentials email to {address} in the emulator")
PY
)"
export FUZZ_OPERATOR_PASSWORD

REPORT_DIR="$RUN_DIR/schemathesis-$(date +%s)-$$"
mkdir -p "$REPORT_DIR"
# The coverage phase also sends each path the methods it does not serve (405 with Allow expected).
cat >"$REPORT_DIR/schemathesis.toml" <<TOML
[generation]
max-examples = $EXAMPLES

[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "options", "patch", "trace"]

[phases.stateful.generation]
max-examples = $((EXAMPLES * 3))
TOML
CHECKS="not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance"
CHECKS="$CHECKS,response_schema_conformance"
log "schemathesis: every operation of functions/web/openapi.json against $BASE_URL (report: ${REPORT_DIR#"$ROOT"/})"
status=0
(
  cd "$REPORT_DIR"
  SCHEMATHESIS_HOOKS="$ROOT/tests/schemathesis/hooks.py" "$VENV/bin/schemathesis" --no-color \
    --config-file "$REPORT_DIR/schemathesis.toml" run "$ROOT/functions/web/openapi.json" --url "$BASE_URL" \
    --checks "$CHECKS" \
    --phases examples,coverage,fuzzing,stateful ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
    --workers 2 --request-timeout 60 --generation-database none --suppress-health-check all \
    --report ndjson,junit --report-dir "$REPORT_DIR"
) >"$REPORT_DIR/output.txt" 2>&1 || status=$?

# The counts, from the run's events: every request made, every check run on its answer.
"$VENV/bin/python" - "$REPORT_DIR" "$status" <<'PY' || status=1
import collections, json, pathlib, sys

directory, status = pathlib.Path(sys.argv[1]), int(sys.argv[2])
requests, checks = 0, collections.Counter()
for line in next(directory.glob("ndjson-*.ndjson")).read_text().splitlines():
    recorder = json.loads(line).get("ScenarioFinished", {}).get("recorder", {})
    requests += len(recorder.get("interactions", {}))
    for results in recorder.get("checks", {}).values():
        checks.update(result["status"] for result in results)
print(f"schemathesis: {requests} requests made, {checks['success']} checks passed, {checks['failure']} failed")
sys.exit(1 if checks["failure"] or status else 0)
PY
if [[ "$status" != 0 ]]; then
  tail -n 80 "$REPORT_DIR/output.txt" >&2
  die "schemathesis found answers the OpenAPI document does not allow (full output: ${REPORT_DIR#"$ROOT"/}/output.txt)"
fi
