# The entry points a person needs. Everything else is in scripts/.
.PHONY: dev test operator lint fmt clean

## Start the local AWS emulator and serve every function (Ctrl-C stops everything).
dev:
	@scripts/dev.sh

## Run every test against a private emulator on a free port.
test:
	@scripts/test.sh

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
