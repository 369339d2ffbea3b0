# The entry points a person needs. Everything else is in scripts/.
.PHONY: dev test check build deploy lint-infra erase operator client client-list client-disable client-rotate-secret operator-disable operator-enable operator-unlock operator-reset-mfa import-legacy legacy-dormant bench lint fmt clean

## Start the local AWS emulator and serve every function (Ctrl-C stops everything).
dev:
	@scripts/dev.sh

## Run every test against a private emulator on a free port.
test:
	@scripts/test.sh

## The fast inner loop: formatting, clippy, and the unit and service tests (no emulator).
check:
	@scripts/check.sh

## Release build of every function with its size: make build [ARCH=arm64]
build:
	@ARCH="$(ARCH)" scripts/build.sh

## Deploy to AWS with SAM: make deploy [STAGE=dev|prod] (prerequisites in the README)
deploy:
	@STAGE="$(STAGE)" scripts/deploy.sh

## Lint infra/template.yaml: the Serverless transform expanded offline, cfn-lint and checkov.
lint-infra:
	@scripts/infra_check.sh

## Create an operator on the running `make dev` stack: make operator USERNAME=<u> EMAIL=<e>
operator:
	@test -n "$(USERNAME)" -a -n "$(EMAIL)" || { echo "usage: make operator USERNAME=<username> EMAIL=<address> [OPERATOR_LANGUAGE=it|en]"; exit 2; }
	@scripts/admin.sh operator --username "$(USERNAME)" --email "$(EMAIL)" --language "$(or $(OPERATOR_LANGUAGE),it)"

## Administer an operator on the running stack (audited): make operator-disable|operator-enable|operator-unlock|operator-reset-mfa USERNAME=<u>
operator-disable operator-enable operator-unlock operator-reset-mfa:
	@test -n "$(USERNAME)" || { echo "usage: make $@ USERNAME=<username>"; exit 2; }
	@scripts/admin.sh operator "$(patsubst operator-%,%,$@)" --username "$(USERNAME)"

## Register an OpenID Connect relying party: make client NAME=<n> REDIRECT_URI=<uri> [POST_LOGOUT_REDIRECT_URI=<uri>] [PUBLIC=1] [AWS=1]
client:
	@test -n "$(NAME)" -a -n "$(REDIRECT_URI)" || { echo "usage: make client NAME=<name> REDIRECT_URI=<uri> [POST_LOGOUT_REDIRECT_URI=<uri>] [PUBLIC=1] [AWS=1]"; exit 2; }
	@scripts/admin.sh client register --name "$(NAME)" $(foreach uri,$(REDIRECT_URI),--redirect-uri "$(uri)") $(foreach uri,$(POST_LOGOUT_REDIRECT_URI),--post-logout-redirect-uri "$(uri)") $(if $(PUBLIC),--public)

## The relying parties (CSV): make client-list [AWS=1]
client-list:
	@scripts/admin.sh client list

## Disable a relying party or give it a new secret: make client-disable|client-rotate-secret CLIENT_ID=<id> [AWS=1]
client-disable client-rotate-secret:
	@test -n "$(CLIENT_ID)" || { echo "usage: make $@ CLIENT_ID=<client_id>"; exit 2; }
	@scripts/admin.sh client "$(patsubst client-%,%,$@)" --client-id "$(CLIENT_ID)"

## Erase one person's request on their demand (GDPR art. 17; audited): make erase REFERENCE=<UE-YYYY-NNNNNN> [TICKET=<case>] [AWS=1]
erase:
	@test -n "$(REFERENCE)" || { echo "usage: make erase REFERENCE=<UE-YYYY-NNNNNN> [TICKET=<case number>] [AWS=1]"; exit 2; }
	@scripts/admin.sh erase --reference "$(REFERENCE)" $(if $(TICKET),--ticket "$(TICKET)")

## Import the old portal's accounts: make import-legacy FILE=<export.csv|.jsonl> [DRY_RUN=1] [AWS=1]
import-legacy:
	@test -n "$(FILE)" || { echo "usage: make import-legacy FILE=<export.csv|export.jsonl> [DRY_RUN=1] [REPORT=<path>] [AWS=1]"; exit 2; }
	@scripts/admin.sh import-legacy "$(abspath $(FILE))" $(if $(DRY_RUN),--dry-run) $(if $(REPORT),--report "$(abspath $(REPORT))")

## Imported accounts without a first login for DAYS days: make legacy-dormant DAYS=90 [AWS=1]
legacy-dormant:
	@scripts/admin.sh legacy-dormant --days "$(or $(DAYS),90)"

## Benchmarks, written to bench/results.md beside their targets: cold start, memory and size of every
## function, latency per route, the queue at scale, hot paths, legacy import: make bench [STARTS=20] [ROUTE_CALLS=300] [ROWS=20000]
bench:
	@STARTS="$(or $(STARTS),20)" ROUTE_CALLS="$(or $(ROUTE_CALLS),300)" ROWS="$(or $(ROWS),20000)" scripts/bench.sh

## Formatting and lints ([workspace.lints] in Cargo.toml); make test runs them too.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

clean:
	rm -rf target .run
