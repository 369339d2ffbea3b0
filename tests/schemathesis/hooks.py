"""Schemathesis hooks of scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

- The operator routes (`/operator/*`) carry the session of an operator of the stack: the hook logs
  them in once, as the console does the first time: the temporary password of their credentials
  email (scripts/schemathesis.sh reads it from the emulator's SES messages), the forced change, the
  enrolment of a TOTP authenticator (RFC 6238: SHA-1, 6 digits, 30 s, computed here) with its first
  code; later logins (none in a run shorter than a session) would use its recovery codes. Each
  step's answer is checked against the document too.
- `POST /requests` gets, besides the generated bodies (almost all refused by the form's rules), valid
  forms of new people (every one of the stateful phase), so that requests are created and the links
  of the document (status, document check, upload form, with the access token) lead somewhere; three
  in four get their document uploaded to the signed form, so that the check accepts it and the
  operators' queue (and its links to the decisions) holds requests.

Settings, from the environment: FUZZ_BASE_URL (the stack), FUZZ_OPERATOR_USERNAME and
FUZZ_OPERATOR_PASSWORD (an operator created for the run, never logged in, and its temporary password).
"""

import base64
import hashlib
import hmac
import json
import os
import pathlib
import struct
import sys
import threading
import time
import uuid

import jsonschema_rs
import requests
import schemathesis
from hypothesis import strategies as st

BASE_URL = os.environ["FUZZ_BASE_URL"].rstrip("/")
OPERATOR_USERNAME = os.environ["FUZZ_OPERATOR_USERNAME"]
TEMPORARY_PASSWORD = os.environ["FUZZ_OPERATOR_PASSWORD"]
# The document the run checks against (the login steps of the hook are checked against it too).
DOCUMENT = json.loads((pathlib.Path(__file__).resolve().parents[2] / "functions/web/openapi.json").read_text())
# The password the operator chooses at the forced change (the policy accepts it).
OPERATOR_PASSWORD = "Schemathesis sul Vesuvio, 2026!"


def totp(secret, at=None):
    """The code an authenticator shows at `at` for the base32 `secret` (RFC 6238, SHA-1, 6 digits, 30 s)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def post(path, body):
    """POST a JSON body to the stack: (status, JSON answer)."""
    answer = requests.post(BASE_URL + path, json=body, timeout=60)
    return answer.status_code, answer.json()


def expect(what, path, status, answer, wanted):
    """The answer of a login step, checked: the status wanted, and the document's schema of it."""
    if status != 200 or answer.get("status") != wanted:
        raise RuntimeError(f"operator login, {what}: expected {wanted}, got {status} {answer}")
    schema = DOCUMENT["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": DOCUMENT["components"]})
    errors = list(validator.iter_errors(answer))
    if errors:
        raise RuntimeError(f"operator login, {what}: POST {path} answered outside the document: {errors[0].message}")
    return answer


class OperatorSession:
    """The operator's logins: the first one (change, enrolment), then with a recovery code each."""

    def __init__(self):
        self.lock = threading.Lock()
        self.recovery_codes = None
        self.tokens = set()

    def token(self):
        with self.lock:
            token = self.first_login() if self.recovery_codes is None else self.login()
            self.tokens.add(token)
            return token

    def first_login(self):
        status, answer = post("/auth/login", {"username": OPERATOR_USERNAME, "password": TEMPORARY_PASSWORD})
        change = expect("temporary password", "/auth/login", status, answer, "password_change_required")
        change = {"change_token": change["change_token"], "new_password": OPERATOR_PASSWORD}
        status, answer = post("/auth/password", change)
        enrolment = expect("forced change", "/auth/password", status, answer, "mfa_enrolment_required")
        status, answer = post("/auth/mfa", {"mfa_token": enrolment["mfa_token"], "code": totp(enrolment["secret"])})
        session = expect("first code", "/auth/mfa", status, answer, "authenticated")
        self.recovery_codes = list(session["recovery_codes"])
        return session["token"]

    def login(self):
        if not self.recovery_codes:
            raise RuntimeError("the operator's recovery codes are used up: too many logins")
        status, answer = post("/auth/login", {"username": OPERATOR_USERNAME, "password": OPERATOR_PASSWORD})
        challenge = expect("password", "/auth/login", status, answer, "second_factor_required")
        status, answer = post("/auth/mfa", {"mfa_token": challenge["mfa_token"], "code": self.recovery_codes.pop()})
        return expect("recovery code", "/auth/mfa", status, answer, "authenticated")["token"]


SESSION = OperatorSession()


# Sessions last 15 minutes; the run takes less. A 401 is a documented answer of these routes (an
# ended session): it is reported by the run's checks, not a reason to log in again.
@schemathesis.auth(refresh_interval=600, retry_on=[]).apply_to(path_regex="^/operator/")
class OperatorAuth:
    """`Authorization: Bearer <operator session>` on the operator routes."""

    def get(self, case, context):
        return SESSION.token()

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def valid_form(unique):
    """A form the server accepts, of a new person (unique email and identification code)."""
    suffix = unique.hex[:12]
    return {
        "name": "Maria",
        "surname": "D'Angelo",
        "email": f"maria.{suffix}@example.org",
        "phone": "+16175550100",
        "pec": None,
        "other_phone": None,
        "birth_country": "US",
        "birth_date": "1990-04-01",
        "identification_code": f"X{suffix.upper()}",
        "gender": "F",
        "citizenship": "US",
        "residence_country": "US",
        "address": {"city": "Boston", "street": "Main Street", "number": "12"},
        "privacy_consent": True,
        "language": "en",
        "captcha_token": "schemathesis",
        "document": {"content_type": "image/png", "size": 2048},
    }


def is_submission(operation):
    return operation is not None and operation.method.upper() == "POST" and operation.path == "/requests"


@schemathesis.hook
def before_generate_body(context, strategy):
    """Valid forms among the generated ones (fuzzing)."""
    return strategy | st.uuids().map(valid_form) if is_submission(context.operation) else strategy


@schemathesis.hook
def map_case(context, case):
    """Every submission of the stateful phase is valid: its links (status, document, upload form) are followed."""
    phase = getattr(getattr(case.meta, "phase", None), "name", None)
    if is_submission(case.operation) and getattr(phase, "value", phase) == "stateful":
        case.body = valid_form(uuid.uuid4())
    return case


# A PNG's first bytes, padded to the size the valid forms declare.
PNG = (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0").ljust(2048, b" ")


def upload(created):
    """Posts the PNG to the signed upload form of a created request, as the form page does."""
    form = created["upload"]
    file = {"file": ("id-card.png", PNG, "image/png")}
    answer = requests.post(form["url"], data=form["fields"], files=file, timeout=60)
    if answer.status_code not in (200, 201, 204):
        sys.stderr.write(f"schemathesis hooks: the upload of {created['id']} answered {answer.status_code}\n")


@schemathesis.hook
def after_call(context, case, response):
    """Three created requests in four (by id) get their document uploaded, so that the document
    check links lead both to an acceptance (then the operators' queue) and to `document_not_uploaded`.
    Also tells when the operator's session stopped working (the operator routes then test less)."""
    if is_submission(case.operation) and response.status_code == 201:
        created = response.json()
        if int(created["id"][0], 16) >= 4:
            upload(created)
    sent = (response.request.headers.get("Authorization") or "").removeprefix("Bearer ")
    if case.operation.path.startswith("/operator/") and response.status_code == 401 and sent in SESSION.tokens:
        sys.stderr.write(f"schemathesis hooks: {case.operation.label} answered 401 to the operator's session\n")
