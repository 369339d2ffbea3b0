#!/usr/bin/env python3
"""Cold start and peak memory of every Lambda function, against a hello-world floor.

What is measured, for each start of a release bootstrap (a fresh process, as a Lambda cold start):

- init: from just before the process is spawned to its first `GET .../runtime/invocation/next`
  on the Lambda Runtime API this script serves on 127.0.0.1 (exec, the dynamic loader, the tokio
  runtime, the tracing subscriber and the function's own `main` before `run`: configuration,
  SSM secrets, SDK clients, services, rendered pages);
- first invocation, no AWS call: from the moment the first event is handed out (the `/next`
  answer is written) to its response POST, for an event the function answers without any AWS call
  (a validation error, a page, a route that needs no session, an empty batch), "n/a" when the
  function has none (retention always sweeps the table);
- first invocation with AWS calls: the next event, one that makes a DynamoDB call (or two) against
  the moto emulator this script starts: the first call pays for the SDK's connection, endpoint
  resolution and signing. When a function has no event of the first kind this one is its very
  first invocation;
- peak memory: `VmHWM` of `/proc/<pid>/status` after those two and a burst of `--burst` more
  invocations (the two events in turn; for `auth` the AWS event is a login, so the burst holds
  argon2id verifications of 19 MiB), read before the process is killed. The cross-check is the
  largest `VmRSS` seen by polling `/proc/<pid>/statm` about every millisecond during the burst
  (the kernel updates the high-water mark only at some points). `ru_maxrss` of the process's own
  `wait4` is in the JSON but no cross-check here: exec keeps the pre-exec high-water mark, which
  for a child of this script is this Python's RSS (about 27 MiB), larger than most functions.

The floor is `bench/hello-lambda`, a `lambda_http` function answering `200 hello`, started like
the real functions (`functions/*/src/main.rs`) and built with the workspace's release profile: its
init is the cost of any Rust Lambda here (exec, loader, tokio, tracing subscriber, runtime client),
so a function's own start-up is its median init minus the floor's median init in the same run.
The floor and the functions are started in turn (floor, fn1, floor, fn2, ...; `--starts` rounds),
so that both see the same machine load. Build it as `cargo lambda build` builds the functions
(`scripts/build.sh`; on x86_64 that is `--target x86_64-unknown-linux-gnu` with
`-C target-cpu=haswell`), e.g.
  cargo build --release --locked -p hello-lambda -p admin --target x86_64-unknown-linux-gnu \
    --config 'build.rustflags=["-C", "target-cpu=haswell"]'
(built on its own it has only lambda_http's own features; built in one cargo invocation with the
functions it would get theirs, e.g. hyper's HTTP/2, about 1 MB more binary and 0.8 MiB more RSS).

How to read it: the figures come from this machine (x86_64, loopback moto, a Python Runtime API),
not from Lambda (arm64, a Firecracker microVM, a real network): absolute numbers are lower bounds,
the differences between functions and the floor are what carries over. Medians are the figures;
p90 and min show the spread (with 3 starts, p90 is the slowest). The process's init on Lambda also
includes downloading and unpacking the code and starting the microVM, which nothing here sees.

Every function's environment is the template's (infra/template.yaml: the globals and its own
variables, secrets as `*_PARAMETER` SSM SecureStrings read at cold start, as on AWS; `--secrets
env` gives them directly, as `make dev` does), pointed at a private moto on a free port with the
table, bucket, sender identity and signing key created by `admin bootstrap` (the same helper as
`make dev`); the table is dropped and made again before each round's floor and function starts, so
that every start sees it empty (moto's queries read every item, DynamoDB's do not). It exits non-zero, loudly, when a bootstrap is missing, does not start, reports an
init error, dies, or answers an event with an error or an unexpected status.

Usage:
  scripts/coldstart.py --starts 3              # the probe (make test): every bootstrap starts and answers
  scripts/coldstart.py --starts 20 --markdown .run/coldstart.md   # the bench (make bench)

  Options: --bootstraps DIR (default target/lambda: DIR/<fn>/bootstrap), --bootstrap NAME=PATH
  (one function's, repeatable), --floor PATH (the hello-lambda binary), --admin PATH (the admin
  binary, for `admin bootstrap`; release or debug), --only fn1,fn2, --burst N (default 50), --json PATH (default .run/coldstart.json),
  --venv DIR (the virtualenv with moto, default .venv), --logs DIR (each start's output).

Python 3.11 standard library only (moto runs in the project's virtualenv).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import math
import os
import platform
import queue
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-south-1"
ACCOUNT = "123456789012"
STAGE = "bench"
TABLE = "foreign-users-bench"
BUCKET = "foreign-users-bench-documents"
SENDER = "noreply@accreditamento.example.it"
SIGNING_KEY_ALIAS = "alias/foreign-users-bench-oidc-signing"
SESSION_ISSUER = f"foreign-users-{STAGE}"
SESSION_AUDIENCE = f"foreign-users-{STAGE}-api"
# A closed port on loopback: should anything try reCAPTCHA, it fails here, never leaves the machine.
CAPTCHA_VERIFY_URL = "http://127.0.0.1:9/siteverify"
# make dev's generous limits (scripts/lib.sh): every call comes from the same machine.
RATE_LIMITS = (
    "submission_address=10000/3600,submission_email=1000/3600,login_address=10000/900,"
    "login_account=1000/900,reset_address=1000/900,reset_account=100/900,status_address=10000/900,"
    "status_request=1000/900"
)
START_TIMEOUT = 30.0
INVOKE_TIMEOUT = 60.0


class Failure(Exception):
    """A bootstrap that does not start or answers wrongly: the run fails."""


# ----------------------------------------------------------------------------------------------
# The Lambda Runtime API
# ----------------------------------------------------------------------------------------------


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    handed_at: float | None = None
    done_at: float | None = None
    outcome: str | None = None  # "response" or "error"
    error_type: str | None = None
    body: bytes = b""
    done: threading.Event = field(default_factory=threading.Event)


class Session:
    """What one started process sees of the Runtime API."""

    def __init__(self, function_arn: str, timeout_s: int):
        self.function_arn = function_arn
        self.timeout_s = timeout_s
        self.pending: queue.Queue[Invocation | None] = queue.Queue()
        self.invocations: dict[str, Invocation] = {}
        self.first_next_at: float | None = None
        self.init_error: tuple[str, bytes] | None = None
        self.stray: list[str] = []
        self.trace: list[str] = []  # what the Runtime API saw, for the failure messages
        self.began = time.perf_counter()
        self.ready = threading.Event()
        self.lock = threading.Lock()

    def note(self, what: str) -> None:
        self.trace.append(f"{(time.perf_counter() - self.began) * 1000:.1f} ms {what}")

    def close(self) -> None:
        for _ in range(4):
            self.pending.put(None)


class RuntimeApi(http.server.ThreadingHTTPServer):
    """The Runtime API of one start, on a port of its own: a request the previous process sent just
    before it was killed can never take an event meant for the next one."""

    daemon_threads = True

    def __init__(self, session: Session) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.session: Session | None = session
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.session is not None:
            self.session.close()
        self.shutdown()
        self.server_close()

    def handle_error(self, request: object, client_address: object) -> None:
        # A killed process drops its connection: that is how every start ends.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RuntimeApi

    def setup(self) -> None:
        super().setup()
        # One write per answer and no Nagle delay: the loopback must not add 40 ms ACK waits.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}"]
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(body)}")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        session = self.server.session
        if session is None or self.path != "/2018-06-01/runtime/invocation/next":
            self.answer(404, b'{"errorMessage":"unknown path"}')
            return
        session.note(f"GET /next (thread {threading.get_ident()}, port {self.client_address[1]})")
        with session.lock:
            if session.first_next_at is None:
                session.first_next_at = time.perf_counter()
                session.ready.set()
        invocation = session.pending.get()
        if invocation is None:  # the process is being stopped
            self.close_connection = True
            return
        deadline_ms = int(time.time() * 1000) + session.timeout_s * 1000
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": session.function_arn,
            "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0",
        }
        invocation.handed_at = time.perf_counter()
        self.answer(200, invocation.payload, headers)
        session.note(f"handed out {invocation.request_id}")

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        body = self.read_body()
        now = time.perf_counter()
        session = self.server.session
        parts = self.path.strip("/").split("/")
        if session is not None:
            session.note(f"POST {self.path} (port {self.client_address[1]})")
        if session is None:
            self.answer(404, b'{"errorMessage":"no function is running"}')
            return
        if parts == ["2018-06-01", "runtime", "init", "error"]:
            session.init_error = (self.headers.get("Lambda-Runtime-Function-Error-Type", ""), body)
            session.ready.set()
            self.answer(202, b'{"status":"OK"}')
            return
        if len(parts) == 5 and parts[:3] == ["2018-06-01", "runtime", "invocation"] and parts[4] in ("response", "error"):
            invocation = session.invocations.get(parts[3])
            if invocation is None:
                session.stray.append(self.path)
                self.answer(400, b'{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}')
                return
            invocation.done_at, invocation.body, invocation.outcome = now, body, parts[4]
            invocation.error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            invocation.done.set()
            self.answer(202, b'{"status":"OK"}')
            return
        session.stray.append(self.path)
        self.answer(404, b'{"errorMessage":"unknown path"}')


# ----------------------------------------------------------------------------------------------
# Events
# ----------------------------------------------------------------------------------------------


def sample(name: str) -> dict:
    """One of the sample events of events/."""
    return json.loads((ROOT / "events" / name).read_text())


class Context:
    """What events are made from: a counter (fresh ids, usernames and addresses) and the secrets."""

    def __init__(self, session_signing_key: str):
        self.session_signing_key = session_signing_key
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n

    def source_ip(self, n: int) -> str:
        return f"198.51.{(n // 250) % 250}.{n % 250 + 1}"

    def session_token(self, role: str = "operator") -> str:
        """An HS256 session token as the auth function issues it (its session is in no table)."""
        now = int(time.time())
        claims = {
            "sub": "bench.operator",
            "role": role,
            "iat": now,
            "exp": now + 600,
            "iss": SESSION_ISSUER,
            "aud": SESSION_AUDIENCE,
            "jti": secrets.token_hex(16),
        }
        encode = lambda data: base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=")
        signing_input = encode({"typ": "JWT", "alg": "HS256"}) + b"." + encode(claims)
        mac = hmac.new(self.session_signing_key.encode(), signing_input, hashlib.sha256).digest()
        return (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


def http_event(
    ctx: Context,
    method: str,
    path: str,
    body: str | None = None,
    query: str = "",
    route: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """An API Gateway HTTP API (payload 2.0) event, shaped like events/get-request.json."""
    n = ctx.next()
    event = sample("get-request.json")
    ip = ctx.source_ip(n)
    event["routeKey"] = event["requestContext"]["routeKey"] = route or f"{method} {path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = query
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["sourceIp"] = ip
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    event["headers"] = {
        "accept": "application/json",
        "host": "api.accreditamento.example.it",
        "user-agent": "coldstart.py",
        "x-forwarded-for": ip,
        "x-forwarded-proto": "https",
        **({"content-type": "application/json"} if body is not None else {}),
        **(headers or {}),
    }
    event.pop("pathParameters", None)
    if query:
        event["queryStringParameters"] = dict(pair.split("=", 1) for pair in query.split("&"))
    if body is not None:
        event["body"] = body
    return event


def authorizer_event(ctx: Context, token: str) -> dict:
    event = sample("apigw-authorizer.json")
    event["identitySource"] = [f"Bearer {token}"]
    event["headers"]["authorization"] = f"Bearer {token}"
    event["requestContext"]["http"]["sourceIp"] = ctx.source_ip(ctx.next())
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    return event


def s3_event(_ctx: Context) -> dict:
    event = sample("s3-object-created.json")
    event["Records"][0]["s3"]["bucket"]["name"] = BUCKET
    event["Records"][0]["s3"]["object"]["key"] = f"uploads/{uuid.uuid4()}/{secrets.token_hex(16)}"
    return event


def sns_event(_ctx: Context, tagged: bool) -> dict:
    event = sample("sns-ses-bounce.json")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    if tagged:
        message["mail"]["tags"]["request_id"] = [str(uuid.uuid4())]
    else:  # a delivery of an untagged email: logged, no action
        message = {"eventType": "Delivery", "mail": {"tags": {}}, "delivery": {"recipients": ["a@example.org"]}}
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    event["Records"][0]["Sns"]["MessageId"] = str(uuid.uuid4())
    return event


def stream_event_without_pending_email(_ctx: Context) -> dict:
    event = sample("dynamodb-outbox-stream.json")
    for record in event["Records"]:
        record["eventName"] = "REMOVE"
    return event


Check = Callable[[object], str | None]


def status_in(*codes: int) -> Check:
    def check(response: object) -> str | None:
        status = response.get("statusCode") if isinstance(response, dict) else None
        return None if status in codes else f"statusCode {status}, expected {' or '.join(map(str, codes))}"

    return check


def denied(response: object) -> str | None:
    authorized = response.get("isAuthorized") if isinstance(response, dict) else None
    return None if authorized is False else f"isAuthorized {authorized!r}, expected false"


def anything(_response: object) -> str | None:
    return None


@dataclass
class Event:
    what: str
    make: Callable[[Context], dict]
    check: Check


@dataclass
class Function:
    name: str
    memory_mb: int
    timeout_s: int
    env: dict[str, str]
    secrets: tuple[str, ...]
    local: Event | None
    aws: Event | None


def functions() -> dict[str, Function]:
    """Every function of functions/: its template settings, its own variables and its two events."""
    login = lambda user: json.dumps({"username": user, "password": "Not-the-password-1"})
    return {
        "requests": Function(
            "requests", 256, 15, {}, ("CAPTCHA_SECRET",),
            Event("POST /requests {} (400, validation)", lambda c: http_event(c, "POST", "/requests", "{}"), status_in(400)),
            Event(
                "GET /requests/{unknown id} with a token (2 rate-limit UpdateItems, GetItem; 404)",
                lambda c: http_event(
                    c, "GET", f"/requests/{uuid.uuid4()}", route="GET /requests/{id}",
                    headers={"authorization": f"Bearer {secrets.token_urlsafe(32)}"},
                ),
                status_in(404),
            ),
        ),
        "auth": Function(
            "auth", 1024, 10, {}, ("SESSION_SIGNING_KEY", "MFA_SECRET_KEY"),
            Event("POST /auth/login {} (400, validation)", lambda c: http_event(c, "POST", "/auth/login", "{}"), status_in(400)),
            Event(
                "POST /auth/login, unknown user (2 rate-limit UpdateItems, reads, argon2id, failure noted; 401)",
                lambda c: http_event(c, "POST", "/auth/login", login(f"nobody.{c.next()}")),
                status_in(401),
            ),
        ),
        "oidc": Function(
            "oidc", 256, 10,
            {
                "ISSUER_URL": "http://127.0.0.1:9000",
                "OIDC_SIGNING_KEY": SIGNING_KEY_ALIAS,
                "OIDC_ACCESS_TOKEN_SECONDS": "300",
                "OIDC_ID_TOKEN_SECONDS": "300",
                "OIDC_SSO_HOURS": "8",
            },
            ("SESSION_SIGNING_KEY", "SUBJECT_KEY"),
            Event(
                "GET /.well-known/openid-configuration (200)",
                lambda c: http_event(c, "GET", "/.well-known/openid-configuration"),
                status_in(200),
            ),
            Event(
                "GET /oidc/authorize, unknown client (GetItem; 400)",
                lambda c: http_event(c, "GET", "/oidc/authorize", query=f"client_id=unknown-{c.next()}&response_type=code"),
                status_in(400),
            ),
        ),
        "operator": Function(
            "operator", 1024, 15, {}, ("SESSION_SIGNING_KEY",),
            Event("GET /operator/requests, no token (401)", lambda c: http_event(c, "GET", "/operator/requests"), status_in(401)),
            Event(
                "GET /operator/requests, signed token of no session (2 GetItem; 401)",
                lambda c: http_event(c, "GET", "/operator/requests", headers={"authorization": f"Bearer {c.session_token()}"}),
                status_in(401),
            ),
        ),
        "authorizer": Function(
            "authorizer", 128, 3, {}, ("SESSION_SIGNING_KEY",),
            Event("malformed token (denied)", lambda c: authorizer_event(c, "not-a-session-token"), denied),
            Event("signed token of no session (2 GetItem; denied)", lambda c: authorizer_event(c, c.session_token()), denied),
        ),
        "web": Function(
            "web", 128, 3,
            {"RECAPTCHA_SITE_KEY": "bench-site-key", "PRIVACY_NOTICE_URL": "https://www.example.it/privacy"},
            (),
            Event("GET / (200, the form page)", lambda c: http_event(c, "GET", "/"), status_in(200)),
            None,
        ),
        "document-uploaded": Function(
            "document-uploaded", 256, 30, {}, (),
            Event("S3 event, no records", lambda c: {"Records": []}, anything),
            Event("ObjectCreated of no request (GetItem, DeleteObject)", s3_event, anything),
        ),
        "mailer": Function(
            "mailer", 512, 120, {}, (),
            Event("stream event, no pending email", stream_event_without_pending_email, anything),
            Event("scheduled sweep, empty outbox (Query)", lambda c: sample("scheduled-outbox-sweep.json"), anything),
        ),
        "retention": Function(
            "retention", 256, 300, {}, (),
            None,
            Event("scheduled sweep, nothing to erase (Query)", lambda c: sample("scheduled-outbox-sweep.json"), anything),
        ),
        "email-events": Function(
            "email-events", 128, 10, {}, (),
            Event("SNS: delivery of an untagged email (skipped)", lambda c: sns_event(c, tagged=False), anything),
            Event("SNS: permanent bounce of an unknown request (UpdateItem)", lambda c: sns_event(c, tagged=True), anything),
        ),
    }


FLOOR = Function(
    "floor", 128, 3, {}, (),
    Event("GET / (200 hello)", lambda c: http_event(c, "GET", "/"), status_in(200)),
    None,
)


# ----------------------------------------------------------------------------------------------
# The emulator
# ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


def aws_json(endpoint: str, service: str, target: str, payload: dict, version: str = "1.1") -> dict:
    """An unsigned AWS JSON-protocol call to moto (which reads the service and region from the
    credential scope and checks no signature)."""
    date = time.strftime("%Y%m%d", time.gmtime())
    request = urllib.request.Request(
        endpoint + "/",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={
            "Content-Type": f"application/x-amz-json-{version}",
            "X-Amz-Target": target,
            "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/{date}/{REGION}/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=0",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


# ----------------------------------------------------------------------------------------------
# Starts
# ----------------------------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """The largest VmRSS seen, polling /proc/<pid>/statm about every millisecond: the cross-check
    of VmHWM (which the kernel updates only at some points, e.g. before an unmap)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.path, self.peak_kib, self.stop = f"/proc/{pid}/statm", 0, threading.Event()
        self.page_kib = os.sysconf("SC_PAGE_SIZE") // 1024

    def run(self) -> None:
        try:
            with open(self.path, "rb", buffering=0) as statm:
                while not self.stop.is_set():
                    statm.seek(0)
                    self.peak_kib = max(self.peak_kib, int(statm.read().split()[1]) * self.page_kib)
                    time.sleep(0.001)
        except (OSError, ValueError, IndexError):
            pass


@dataclass
class Start:
    init_ms: float
    local_ms: float | None
    aws_ms: float | None
    vmhwm_kib: int
    vmrss_kib: int
    threads: int
    sampled_rss_kib: int
    # From the process's own wait4: at least the parent's RSS when it spawned the process (exec
    # keeps the pre-exec high-water mark, and the pre-exec memory was this Python's), so it says
    # nothing of a process smaller than this script: kept in the JSON only.
    maxrss_kib: int


def proc_status(pid: int) -> dict[str, str]:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields


def kib(value: str) -> int:
    return int(value.split()[0])


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


class Runner:
    def __init__(self, base_env: dict[str, str], ctx: Context, logs: Path, burst: int):
        self.base_env, self.ctx, self.logs, self.burst = base_env, ctx, logs, burst
        self.count = 0

    def env(self, function: Function, secret_env: dict[str, str]) -> dict[str, str]:
        lambda_name = f"foreign-users-{STAGE}-{function.name}"
        env = dict(self.base_env)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": lambda_name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{lambda_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + secrets.token_hex(16),
            }
        )
        env.update(function.env)
        for name in function.secrets:
            env.update(secret_env[name])
        return env

    def start(self, function: Function, bootstrap: Path, env: dict[str, str]) -> Start:
        self.count += 1
        log_path = self.logs / f"{self.count:04d}-{function.name}.log"
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{env['AWS_LAMBDA_FUNCTION_NAME']}"
        session = Session(arn, function.timeout_s)
        api = RuntimeApi(session)
        env = {**env, "AWS_LAMBDA_RUNTIME_API": api.address}
        where = f"{function.name} ({bootstrap}, start {self.count}, log {log_path})"
        with open(log_path, "wb") as log:
            spawned = time.perf_counter()
            try:
                process = subprocess.Popen(
                    [str(bootstrap)], env=env, cwd=bootstrap.parent, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
                )
            except OSError as error:
                raise Failure(f"{where} could not be started: {error}") from None
        maxrss = 0
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not session.ready.wait(0.02):
                if process.poll() is not None:
                    raise Failure(f"{where} exited with {process.returncode} before asking for an event:\n{tail(log_path)}")
                if time.monotonic() > deadline:
                    raise Failure(f"{where} did not ask for an event within {START_TIMEOUT:.0f} s:\n{tail(log_path)}")
            if session.init_error is not None:
                kind, body = session.init_error
                raise Failure(f"{where} reported an init error {kind}: {body.decode(errors='replace')}\n{tail(log_path)}")
            init_ms = (session.first_next_at - spawned) * 1000
            local_ms = self.invoke(session, process, function.local, where, log_path) if function.local else None
            aws_ms = self.invoke(session, process, function.aws, where, log_path) if function.aws else None
            events = [e for e in (function.local, function.aws) if e]
            sampler = RssSampler(process.pid)
            sampler.start()
            try:
                for i in range(self.burst):
                    self.invoke(session, process, events[i % len(events)], where, log_path)
            finally:
                sampler.stop.set()
                sampler.join()
            if session.stray:
                raise Failure(f"{where} made unexpected Runtime API calls: {session.stray}")
            status = proc_status(process.pid)
            vmhwm, vmrss, threads = kib(status["VmHWM"]), kib(status["VmRSS"]), int(status["Threads"])
        finally:
            if process.returncode is None:
                os.kill(process.pid, signal.SIGKILL)
                _, _, usage = os.wait4(process.pid, 0)
                process.returncode = -signal.SIGKILL
                maxrss = usage.ru_maxrss
            api.stop()
        return Start(init_ms, local_ms, aws_ms, vmhwm, vmrss, threads, sampler.peak_kib, maxrss)

    def invoke(self, session: Session, process: subprocess.Popen, event: Event, where: str, log_path: Path) -> float:
        invocation = Invocation(str(uuid.uuid4()), json.dumps(event.make(self.ctx)).encode())
        session.invocations[invocation.request_id] = invocation
        session.pending.put(invocation)
        deadline = time.monotonic() + INVOKE_TIMEOUT
        while not invocation.done.wait(0.02):
            if process.poll() is not None:
                raise Failure(f"{where} exited with {process.returncode} during {event.what}:\n{tail(log_path)}")
            if time.monotonic() > deadline:
                trace = "\n  ".join(session.trace)
                raise Failure(f"{where} did not answer {event.what} within {INVOKE_TIMEOUT:.0f} s; the Runtime API saw:\n  {trace}\n{tail(log_path)}")
        body = invocation.body.decode(errors="replace")
        if invocation.outcome != "response":
            raise Failure(f"{where} answered {event.what} with an error {invocation.error_type}: {body}\n{tail(log_path)}")
        try:
            response = json.loads(body)
        except ValueError:
            raise Failure(f"{where} answered {event.what} with no JSON: {body[:500]}") from None
        problem = event.check(response)
        if problem:
            raise Failure(f"{where} answered {event.what} with {problem}: {body[:800]}\n{tail(log_path)}")
        return (invocation.done_at - invocation.handed_at) * 1000


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)],
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def figures(starts: list[Start]) -> dict:
    return {
        "init_ms": summary([s.init_ms for s in starts]),
        "first_local_ms": summary([s.local_ms for s in starts if s.local_ms is not None]),
        "first_aws_ms": summary([s.aws_ms for s in starts if s.aws_ms is not None]),
        "vmhwm_kib": summary([s.vmhwm_kib for s in starts]),
        "sampled_rss_kib": summary([s.sampled_rss_kib for s in starts]),
        "maxrss_kib": summary([s.maxrss_kib for s in starts]),
        "vmrss_kib": summary([s.vmrss_kib for s in starts]),
        "threads": summary([s.threads for s in starts]),
    }


def ms(stats: dict | None, key: str = "median") -> str:
    return "n/a" if stats is None else f"{stats[key]:.1f}"


def mib(stats: dict | None, key: str = "median") -> str:
    return "n/a" if stats is None else f"{stats[key] / 1024:.1f}"


def markdown(report: dict) -> str:
    meta, floor, rows = report["meta"], report["floor"], report["functions"]
    floor_init = floor["figures"]["init_ms"]["median"]
    out = [
        f"### Cold start: {meta['starts']} starts of each release bootstrap, floor and functions in turn",
        "",
        f"{meta['machine']}; secrets from {meta['secrets']}; moto on loopback; burst of {meta['burst']} invocations "
        f"before the memory is read. Milliseconds unless said; own start-up = median init - the floor's median "
        f"init ({floor_init:.1f} ms, {floor['figures']['init_ms']['n']} starts).",
        "",
        "| function | init median | p90 | min | own start-up | 1st invocation, no AWS call | median | p90 | 1st invocation with AWS calls | median | p90 |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |",
    ]
    for name, row in [("floor (hello-lambda)", floor), *rows.items()]:
        f = row["figures"]
        own = "-" if row is floor else f"{f['init_ms']['median'] - floor_init:+.1f}"
        out.append(
            f"| {name} | {ms(f['init_ms'])} | {ms(f['init_ms'], 'p90')} | {ms(f['init_ms'], 'min')} | {own} "
            f"| {row['local'] or 'n/a'} | {ms(f['first_local_ms'])} | {ms(f['first_local_ms'], 'p90')} "
            f"| {row['aws'] or 'n/a'} | {ms(f['first_aws_ms'])} | {ms(f['first_aws_ms'], 'p90')} |"
        )
    out += [
        "",
        f"### Peak memory after the first invocations and a burst of {meta['burst']} (MiB)",
        "",
        "| function | memory size (template) | VmHWM median | VmHWM max | sampled VmRSS peak, median | VmRSS at the end | threads | bootstrap size |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in [("floor (hello-lambda)", floor), *rows.items()]:
        f = row["figures"]
        out.append(
            f"| {name} | {row['memory_mb']} MB | {mib(f['vmhwm_kib'])} | {mib(f['vmhwm_kib'], 'max')} | {mib(f['sampled_rss_kib'])} "
            f"| {mib(f['vmrss_kib'])} | {f['threads']['median']:.0f} | {row['bootstrap_bytes'] / 1048576:.2f} |"
        )
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------


def function_names() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "functions").glob("*/Cargo.toml"))


def first_existing(*paths: Path) -> Path | None:
    found = [p for p in paths if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=20, help="starts of each bootstrap (3: the probe)")
    parser.add_argument("--burst", type=int, default=50, help="invocations after the first two, before the memory is read")
    parser.add_argument("--bootstraps", type=Path, default=ROOT / "target" / "lambda", help="DIR/<function>/bootstrap")
    parser.add_argument("--bootstrap", action="append", default=[], metavar="NAME=PATH", help="one function's bootstrap")
    parser.add_argument("--floor", type=Path, help="the hello-lambda binary (default: the newest release build)")
    parser.add_argument("--admin", type=Path, help="the admin binary (default: target/release/admin or target/debug/admin)")
    parser.add_argument("--only", help="these functions only, comma-separated")
    parser.add_argument("--secrets", choices=("ssm", "env"), default="ssm", help="SSM parameters as on AWS, or plain variables")
    parser.add_argument("--venv", type=Path, default=Path(os.environ.get("VENV", ROOT / ".venv")), help="the virtualenv with moto")
    parser.add_argument("--markdown", type=Path, help="also write the tables here")
    parser.add_argument("--json", type=Path, default=ROOT / ".run" / "coldstart.json", help="every figure, for machines")
    parser.add_argument("--logs", type=Path, help="each start's output (default: a fresh directory under .run/)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.starts < 1 or args.burst < 0:
        raise Failure("--starts must be at least 1 and --burst at least 0")
    specs = functions()
    names = function_names()
    unknown = sorted(set(names) - set(specs))
    if unknown:
        raise Failure(f"no events are known for {', '.join(unknown)}: add them to scripts/coldstart.py")
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        missing = sorted(set(wanted) - set(names))
        if missing:
            raise Failure(f"--only names no function of functions/: {', '.join(missing)}")
        names = wanted
    bootstraps = {name: args.bootstraps / name / "bootstrap" for name in names}
    for pair in args.bootstrap:
        name, _, path = pair.partition("=")
        if name not in bootstraps or not path:
            raise Failure(f"--bootstrap {pair}: expected NAME=PATH with NAME one of {', '.join(names)}")
        bootstraps[name] = Path(path)
    triples = (".", "x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu")
    floor = args.floor or first_existing(*(ROOT / "target" / t / "release" / "hello-lambda" for t in triples))
    admin = args.admin or first_existing(
        *(ROOT / "target" / t / "release" / "admin" for t in triples), ROOT / "target" / "debug" / "admin"
    )
    bootstraps = {name: path.resolve() for name, path in bootstraps.items()}
    floor, admin = (p.resolve() if p else None for p in (floor, admin))
    problems = [f"{name}: no bootstrap at {path}" for name, path in bootstraps.items() if not os.access(path, os.X_OK)]
    if floor is None or not os.access(floor, os.X_OK):
        problems.append(f"the floor is not built ({floor or 'target/release/hello-lambda'}): cargo build --release -p hello-lambda")
    if admin is None or not os.access(admin, os.X_OK):
        problems.append(f"the admin binary is not built ({admin or 'target/release/admin'}): cargo build --release -p admin")
    python = args.venv / "bin" / "python"
    if not os.access(python, os.X_OK):
        problems.append(f"no virtualenv with moto at {args.venv} (scripts/lib.sh ensure_venv makes it)")
    if problems:
        raise Failure("cannot run:\n  " + "\n  ".join(problems))

    run_dir = ROOT / ".run"
    run_dir.mkdir(exist_ok=True)
    logs = args.logs or Path(tempfile.mkdtemp(prefix="coldstart-", dir=run_dir))
    logs.mkdir(parents=True, exist_ok=True)
    moto_port = free_port()
    endpoint = f"http://127.0.0.1:{moto_port}"
    moto_log = open(logs / "moto.log", "wb")
    moto = subprocess.Popen([str(python), str(ROOT / "scripts" / "moto_server.py"), str(moto_port)], stdout=moto_log, stderr=subprocess.STDOUT)
    try:
        if not wait_http(f"{endpoint}/moto-api/", 60):
            raise Failure(f"moto did not start on {endpoint}:\n{tail(logs / 'moto.log')}")
        aws = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
            # Nothing may look for credentials off this machine.
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        settings = {
            # infra/template.yaml's Globals, with local values.
            "TABLE_NAME": TABLE,
            "DOCUMENT_BUCKET": BUCKET,
            "SENDER_EMAIL": SENDER,
            "LOGIN_URL": "http://127.0.0.1:9000/login",
            "RESET_URL": "http://127.0.0.1:9000/reset",
            "RATE_LIMITS": RATE_LIMITS,
            "DOCUMENT_RETENTION_DAYS": "30",
            "REJECTED_RETENTION_DAYS": "90",
            "PRIVACY_NOTICE_VERSION": "bench",
            "CAPTCHA_HOSTNAMES": "127.0.0.1,localhost",
            "CAPTCHA_VERIFY_URL": CAPTCHA_VERIFY_URL,
            "CREDENTIALS_DELIVERY": "password",
            "CREDENTIALS_VALIDITY_DAYS": "7",
            "SESSION_ISSUER": SESSION_ISSUER,
            "SESSION_AUDIENCE": SESSION_AUDIENCE,
        }
        bootstrap_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **aws, **settings, "OIDC_SIGNING_KEY": SIGNING_KEY_ALIAS, "UPLOAD_ALLOWED_ORIGINS": "*"}

        def make_resources() -> None:
            made = subprocess.run([str(admin), "bootstrap"], env=bootstrap_env, capture_output=True, text=True)
            if made.returncode != 0:
                raise Failure(f"admin bootstrap failed ({admin}):\n{made.stdout}{made.stderr}")

        def empty_table() -> None:
            # Every function start sees the table as admin bootstrap makes it: moto's queries and
            # scans read every item (DynamoDB's do not), so what earlier starts wrote would slow
            # the sweeps' first call as the run goes on.
            aws_json(endpoint, "dynamodb", "DynamoDB_20120810.DeleteTable", {"TableName": TABLE}, version="1.0")
            make_resources()

        make_resources()
        values = {name: secrets.token_urlsafe(48) for name in ("SESSION_SIGNING_KEY", "CAPTCHA_SECRET", "MFA_SECRET_KEY", "SUBJECT_KEY")}
        if args.secrets == "ssm":
            secret_env = {}
            for name, value in values.items():
                parameter = f"/foreign-users/{STAGE}/{name.lower().replace('_', '-')}"
                aws_json(endpoint, "ssm", "AmazonSSM.PutParameter", {"Name": parameter, "Value": value, "Type": "SecureString", "Overwrite": True})
                secret_env[name] = {f"{name}_PARAMETER": parameter}
        else:
            secret_env = {name: {name: value} for name, value in values.items()}
        lambda_env = {
            # What Lambda sets for a provided.al2023 function (the per-function ones in Runner.env).
            "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "_HANDLER": "bootstrap",
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            # LoggingConfig: { LogFormat: JSON, ApplicationLogLevel: INFO }
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
            "AWS_LAMBDA_LOG_LEVEL": "INFO",
            **aws,
            **settings,
        }
        ctx = Context(values["SESSION_SIGNING_KEY"])
        runner = Runner(lambda_env, ctx, logs, args.burst)
        envs = {name: runner.env(specs[name], secret_env) for name in names}
        floor_env = runner.env(FLOOR, secret_env)
        load_before = os.getloadavg()
        results: dict[str, list[Start]] = {name: [] for name in names}
        floor_starts: list[Start] = []
        began = time.monotonic()
        for round_ in range(1, args.starts + 1):
            for name in names:
                empty_table()  # before the floor, so that both starts follow the same work
                floor_starts.append(runner.start(FLOOR, floor, floor_env))
                results[name].append(runner.start(specs[name], bootstraps[name], envs[name]))
            print(f"coldstart: round {round_}/{args.starts} done ({time.monotonic() - began:.0f} s)", file=sys.stderr, flush=True)
        load_after = os.getloadavg()
    finally:
        moto.terminate()
        try:
            moto.wait(10)
        except subprocess.TimeoutExpired:
            moto.kill()
            moto.wait()
        moto_log.close()

    report = {
        "meta": {
            "starts": args.starts,
            "burst": args.burst,
            "secrets": "SSM parameters (as on AWS)" if args.secrets == "ssm" else "environment variables (as make dev)",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}, "
            f"load {load_before[0]:.1f} before and {load_after[0]:.1f} after",
            "floor": str(floor),
            # What every function got (the per-function variables are under each function).
            "environment": {k: v for k, v in lambda_env.items() if k not in values},
            "logs": str(logs),
            "seconds": round(time.monotonic() - began, 1),
        },
        "floor": {
            "bootstrap": str(floor),
            "bootstrap_bytes": floor.stat().st_size,
            "memory_mb": FLOOR.memory_mb,
            "local": FLOOR.local.what,
            "aws": None,
            "figures": figures(floor_starts),
            "starts": [s.__dict__ for s in floor_starts],
        },
        "functions": {
            name: {
                "bootstrap": str(bootstraps[name]),
                "bootstrap_bytes": bootstraps[name].stat().st_size,
                "memory_mb": specs[name].memory_mb,
                # Its own variables beside the globals (secret values left out: only their names).
                "env": {k: v for k, v in envs[name].items() if k in specs[name].env or k.endswith("_PARAMETER")}
                | {k: "(secret)" for k in envs[name] if k in values},
                "local": specs[name].local.what if specs[name].local else None,
                "aws": specs[name].aws.what if specs[name].aws else None,
                "figures": figures(results[name]),
                "starts": [s.__dict__ for s in results[name]],
            }
            for name in names
        },
    }
    report["functions_own_startup_ms"] = {
        name: row["figures"]["init_ms"]["median"] - report["floor"]["figures"]["init_ms"]["median"]
        for name, row in report["functions"].items()
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    tables = markdown(report)
    print(tables)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(tables)
    print(f"coldstart: figures in {args.json}, each start's output in {logs}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"\n\033[31mcoldstart: FAILED\033[0m {failure}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
