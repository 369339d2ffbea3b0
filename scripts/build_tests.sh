#!/usr/bin/env bash
# Builds what make test runs, ahead of the tests (test.sh starts it while the tools install): the
# workspace's test binaries, then each function and the admin command as `cargo lambda watch` and
# the scripts build them (`cargo run --bin <name>`: that package's features alone, which differ from
# the whole workspace's with its dev-dependencies, so these are separate builds).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cd "$ROOT"
cargo build --workspace --locked --tests
for name in $(function_names) admin; do
  cargo build --locked --bin "$name"
done
