#!/usr/bin/env bash
# make check: the fast inner loop. Formatting, clippy (every lint of [workspace.lints] denied) and
# the unit and service tests of every crate (the services over the in-memory fakes of
# core/src/fakes): no emulator, no browser, nothing started. make test stays the whole suite.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cd "$ROOT"
log "cargo fmt --check"
cargo fmt --all -- --check || die "unformatted code: run make fmt"
log "clippy, every lint of [workspace.lints] denied"
cargo clippy --workspace --all-targets --locked -- -D warnings || die "clippy found problems"
log "unit and service tests (no emulator)"
cargo test --workspace --lib --bins --locked
