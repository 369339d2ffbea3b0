# Shared by dev.sh and test.sh: the project's own Python tools and the local AWS emulator.
# Everything installed lives in .venv (git-ignored); everything started is stopped by its PID.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Creates the virtualenv $1 with the pinned tools of the requirement files $3... (a file named
# *constraints* constrains the others), once per change of those files; $2 says what they are.
python_env() {
  local venv="$1" what="$2"
  shift 2
  local stamp="$venv/.requirements.sha256" want file
  want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  command -v python3 >/dev/null || die "python3 is required to install $what"
  log "installing $what into ${venv#"$ROOT"/} (first run only)"
  python3 -m venv "$venv" || die "could not create the virtualenv in $venv"
  local args=()
  for file in "$@"; do
    case "$file" in *constraints*) args+=(-c "$file") ;; *) args+=(-r "$file") ;; esac
  done
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${args[@]}" \
    || die "pip could not install $what (see ${1#"$ROOT"/})"
  echo "$want" > "$stamp"
}

# .venv: the emulator (moto[server]) and cargo-lambda.
ensure_venv() {
  python_env "$VENV" "moto[server] and cargo-lambda" "$ROOT/scripts/requirements.txt" "$ROOT/scripts/constraints.txt"
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# True when nothing listens on 127.0.0.1:$1.
port_is_free() {
  "$VENV/bin/python" -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0)' "$1"
}

# Waits until GET $1 answers (any HTTP status), up to $2 seconds; fails otherwise.
wait_http() {
  local url="$1" seconds="$2"
  "$VENV/bin/python" - "$url" "$seconds" <<'PY' || return 1
import sys, time, urllib.request, urllib.error
url, deadline = sys.argv[1], time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        urllib.request.urlopen(url, timeout=max(1.0, deadline - time.time()))
        sys.exit(0)
    except urllib.error.HTTPError as error:
        if error.code != 503:  # the local gateway's answer while cargo lambda watch is not up yet
            sys.exit(0)
        time.sleep(0.3)
    except Exception:
        time.sleep(0.3)
sys.exit(1)
PY
}

# Starts the moto server (scripts/moto_server.py: DynamoDB calls serialised, as atomic as on AWS)
# on 127.0.0.1:$1; sets MOTO_PID. Fails loudly if it does not come up.
start_moto() {
  local port="$1"
  local logfile="$RUN_DIR/moto-$port.log"
  port_is_free "$port" || die "port $port is already in use: choose another with MOTO_PORT=<port>"
  log "starting the AWS emulator (moto) on 127.0.0.1:$port"
  "$VENV/bin/python" "$ROOT/scripts/moto_server.py" "$port" >"$logfile" 2>&1 &
  MOTO_PID=$!
  if ! wait_http "http://127.0.0.1:$port/moto-api/" 60; then
    tail -n 30 "$logfile" >&2 || true
    stop_pid "$MOTO_PID"
    die "the moto server did not start on port $port (log: $logfile)"
  fi
}

# Starts the fake reCAPTCHA verification server (scripts/fake_recaptcha.py) on a free port; sets
# CAPTCHA_PID and exports TEST_CAPTCHA_VERIFY_URL. Fails loudly if it does not come up.
start_fake_captcha() {
  local port
  port="$(free_port)"
  "$VENV/bin/python" "$ROOT/scripts/fake_recaptcha.py" "$port" &
  CAPTCHA_PID=$!
  wait_http "http://127.0.0.1:$port/" 30 || die "the fake reCAPTCHA server did not start"
  export TEST_CAPTCHA_VERIFY_URL="http://127.0.0.1:$port/siteverify"
}

# The cold-start floor (bench/hello-lambda) as a release build with the flags `cargo lambda build`
# gives the functions (on x86_64: that target, -C target-cpu=haswell), built on its own so that it
# has only lambda_http's own features (scripts/coldstart.py reads it from target/<triple>/release).
build_floor() {
  log "release build of the cold-start floor (bench/hello-lambda)"
  local flags=()
  if [[ "$(uname -m)" == x86_64 ]]; then
    flags=(--target x86_64-unknown-linux-gnu --config 'build.rustflags=["-C", "target-cpu=haswell"]')
  fi
  (cd "$ROOT" && cargo build --release --locked -p hello-lambda "${flags[@]}") \
    || die "the cold-start floor did not build (bench/hello-lambda)"
}

# Serves every function on 127.0.0.1:$1 as API Gateway does: `cargo lambda watch` (its flags
# "${@:4}", its output in the file $3) on the internal port $2, behind scripts/local_gateway.py on
# $1, which builds the API Gateway events itself and invokes the functions through watch's Invoke
# API (watch's own HTTP front refuses bodies and headers that are not UTF-8 and, under load, now and
# then a large response). Sets WATCH_PID (a start_group session) and GATEWAY_PID.
start_local_api() {
  local port="$1" watch_port="$2" logfile="$3"
  shift 3
  port_is_free "$port" || die "port $port is already in use: choose another with API_PORT=<port>"
  port_is_free "$watch_port" || die "port $watch_port is already in use: choose another with WATCH_PORT=<port>"
  start_group "$logfile" cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$watch_port" "$@"
  WATCH_PID="$BG_PID"
  "$VENV/bin/python" "$ROOT/scripts/local_gateway.py" "$port" "$watch_port" >>"$RUN_DIR/gateway-$port.log" 2>&1 &
  GATEWAY_PID=$!
}

# Starts every function served on the local API Gateway on 127.0.0.1:$1, one at a time, each by a
# GET that changes nothing (scripts/local_gateway.py --warm), waiting up to $2 seconds in all: a
# stack is ready once every function answers, not when the first one does.
warm_local_api() {
  "$VENV/bin/python" "$ROOT/scripts/local_gateway.py" --warm "$1" "$2"
}

# Whether process $1, asked to stop, ends within the 5 s grace stop_pid and stop_group give it.
ends_within_grace() {
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

# Stops a process (and its children) started by these scripts.
stop_pid() {
  local pid="${1:-}"
  [[ -z "$pid" ]] && return 0
  if kill -0 "$pid" 2>/dev/null; then
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    ends_within_grace "$pid" && return 0
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# Starts "${@:2}" in the background in a session of its own, its output in the file $1; sets
# BG_PID. stop_group stops the whole session (cargo and the compilers or functions it started).
start_group() {
  local logfile="$1"
  shift
  setsid --wait "$@" >"$logfile" 2>&1 &
  BG_PID=$!
}

# Stops the session started by start_group with PID $1 (nothing when $1 is empty).
stop_group() {
  local pid="${1:-}"
  [[ -z "$pid" ]] && return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  ends_within_grace "$pid" && return 0
  kill -KILL -- "-$pid" 2>/dev/null || true
}

# Waits for the start_group job $1; if it failed, shows the end of its log $2 and dies with $3.
finish_group() {
  local pid="$1" logfile="$2" what="$3"
  wait "$pid" && return 0
  tail -n 60 "$logfile" >&2 || true
  die "$what (log: ${logfile#"$ROOT"/})"
}

# Gives the start_group session $1 the lowest CPU priority: its processes' nice value (inherited by
# what they start next) and, where the kernel shares CPU time by session (autogroups, under which
# nice only orders a session's own processes), its autogroup's.
lowest_priority_group() {
  renice -n 19 -g "$1" >/dev/null 2>&1 || true
  { echo 19 > "/proc/$1/autogroup"; } 2>/dev/null || true
}

# The Lambda functions: the crates of functions/, by name.
function_names() {
  find "$ROOT/functions" -mindepth 2 -maxdepth 2 -name Cargo.toml -printf '%h\n' | xargs -n1 basename | sort
}

# The settings every local run shares: fake credentials, the region, the emulator's endpoint.
export_local_aws() {
  local moto_port="$1"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
  export AWS_REGION="${AWS_REGION:-eu-south-1}"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
  export PATH="$VENV/bin:$PATH"
}

# 48 random bytes, base64url: a fresh secret.
random_secret() {
  "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))'
}

# Exports the secret $1 unless set: the one kept in $RUN_DIR/$2, made on first use.
dev_secret() {
  local name="$1" file="$RUN_DIR/$2"
  [[ -n "${!name:-}" ]] && return 0
  [[ -s "$file" ]] || random_secret > "$file"
  export "$name=$(cat "$file")"
}

# The settings of the local stack (make dev, make operator); each may be overridden.
export_dev_settings() {
  export TABLE_NAME="${TABLE_NAME:-foreign-users}"
  export DOCUMENT_BUCKET="${DOCUMENT_BUCKET:-foreign-users-documents}"
  export SENDER_EMAIL="${SENDER_EMAIL:-noreply@accreditamento.example.it}"
  export PRIVACY_NOTICE_VERSION="${PRIVACY_NOTICE_VERSION:-dev}"
  export UPLOAD_ALLOWED_ORIGINS="${UPLOAD_ALLOWED_ORIGINS:-*}"
  export LOGIN_URL="${LOGIN_URL:-http://127.0.0.1:${API_PORT:-9000}/login}"
  if [[ -z "${CAPTCHA_SECRET:-}" ]]; then
    export CAPTCHA_MODE="${CAPTCHA_MODE:-off}"
  fi
  # The keys of sessions, of pairwise subject identifiers (OpenID Connect) and sealing TOTP
  # secrets: each kept in .run/ (git-ignored), made on first use.
  dev_secret SESSION_SIGNING_KEY session-signing-key
  dev_secret SUBJECT_KEY subject-key
  dev_secret MFA_SECRET_KEY mfa-secret-key
  # The emulator's KMS key signing ID tokens (admin bootstrap creates it under this alias).
  export OIDC_SIGNING_KEY="${OIDC_SIGNING_KEY:-alias/foreign-users-oidc-signing}"
  export RATE_LIMITS="${RATE_LIMITS:-$GENEROUS_RATE_LIMITS}"
}

# Rate limits for a local stack, where every call comes from 127.0.0.1: generous, still counted.
GENEROUS_RATE_LIMITS="submission_address=10000/3600,submission_email=1000/3600,login_address=10000/900,login_account=1000/900,reset_address=1000/900,reset_account=100/900,status_address=10000/900,status_request=1000/900"

# playwright-core and openid-client, exactly as package-lock.json pins them, once per change of the lock file.
# (the browser tests, and the demo portal of make dev)
ensure_node_modules() {
  command -v npm >/dev/null || die "npm (Node.js 20+) is required for the browser tests and the demo portal"
  local dir="$ROOT/tests/browser" stamp="$ROOT/tests/browser/node_modules/.lock.sha256" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  log "installing playwright-core and openid-client into tests/browser/node_modules (first run only)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/browser"
  echo "$want" > "$stamp"
}

INFRA_VENV="$ROOT/.venv-infra"
DEPLOY_VENV="$ROOT/.venv-deploy"

# .venv-infra: the template checkers, apart from .venv (checkov's pins clash with moto's).
ensure_infra_venv() {
  python_env "$INFRA_VENV" "aws-sam-translator, cfn-lint and checkov" "$ROOT/scripts/infra-requirements.txt"
}

# .venv-deploy: the AWS SAM CLI, for make deploy only.
ensure_deploy_venv() {
  python_env "$DEPLOY_VENV" "the AWS SAM CLI" "$ROOT/scripts/deploy-requirements.txt"
}
