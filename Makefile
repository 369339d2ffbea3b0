# The entry points a person needs. Everything else is in scripts/.
.PHONY: dev test build deploy lint-infra operator lint fmt clean

## Start the local AWS emulator and serve every function (Ctrl-C stops everything).
dev:
	@scripts/dev.sh

## Run every test against a private emulator on a free port.
test:
	@scripts/test.sh

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
	@USERNAME="$(USERNAME)" EMAIL="$(EMAIL)" OPERATOR_LANGUAGE="$(OPERATOR_LANGUAGE)" scripts/operator.sh

## Formatting and lints.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	rm -rf target .run
