# The entry points a person needs. Everything else is in scripts/.
.PHONY: dev test lint fmt clean

## Start the local AWS emulator and serve every function (Ctrl-C stops everything).
dev:
	@scripts/dev.sh

## Run every test against a private emulator on a free port.
test:
	@scripts/test.sh

## Formatting and lints.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	rm -rf target .run
