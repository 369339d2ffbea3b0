#!/usr/bin/env bash
# make build: every Lambda of functions/ built with `cargo lambda build --release`, each bootstrap's
# size reported and checked against MAX_BINARY_MB (default 12). ARCH=arm64 cross-builds for the
# template's Graviton functions (zig comes with cargo-lambda; needs the aarch64-unknown-linux-gnu
# rustup target); the default builds for this machine. LAMBDA_DIR: where the bootstraps go (default
# target/lambda, one folder per function).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_venv
export PATH="$VENV/bin:$PATH"
ARCH="${ARCH:-native}"
MAX_BINARY_MB="${MAX_BINARY_MB:-12}"
LAMBDA_DIR="${LAMBDA_DIR:-$ROOT/target/lambda}"

mapfile -t FUNCTIONS < <(function_names)
PACKAGES=()
for f in "${FUNCTIONS[@]}"; do PACKAGES+=(--package "$f"); done

case "$ARCH" in
  native) TARGET_FLAGS=(--compiler cargo) ;;
  arm64)
    if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
      log "adding the aarch64-unknown-linux-gnu rustup target"
      rustup target add aarch64-unknown-linux-gnu || die "cannot add the aarch64-unknown-linux-gnu target here; build natively with make build"
    fi
    TARGET_FLAGS=(--arm64) ;;
  *) die "ARCH must be native or arm64, not $ARCH" ;;
esac

log "cargo lambda build --release (${ARCH}): ${FUNCTIONS[*]}"
cd "$ROOT"
cargo lambda build --release --locked --lambda-dir "$LAMBDA_DIR" "${TARGET_FLAGS[@]}" "${PACKAGES[@]}"

status=0
largest=0
printf '\n  %-20s %10s\n' function bytes
for f in "${FUNCTIONS[@]}"; do
  binary="$LAMBDA_DIR/$f/bootstrap"
  [[ -f "$binary" ]] || die "no bootstrap was built for $f ($binary)"
  size="$(stat -c %s "$binary")"
  (( size > largest )) && largest="$size"
  printf '  %-20s %10s  (%s MB)\n' "$f" "$size" "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }')"
done
limit=$(( MAX_BINARY_MB * 1048576 ))
if (( largest > limit )); then
  printf '\n' >&2
  die "the largest bootstrap is $largest bytes, over the ${MAX_BINARY_MB} MB limit"
fi
log "every bootstrap is under ${MAX_BINARY_MB} MB (largest: $largest bytes)"
