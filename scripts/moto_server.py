"""The moto server, with DynamoDB requests handled one at a time.

DynamoDB makes a conditional write (and a whole TransactWriteItems) atomic: of two concurrent
writes guarded by the same condition, one fails. Moto checks the condition and then writes, so
under concurrent requests both may pass. The tests race operators and retries on purpose, so the
emulator must keep DynamoDB's guarantee: DynamoDB calls are serialised; S3 and SES stay parallel.

Moto also ignores CopyObject's `x-amz-copy-source-if-match` (it implements only
`...-if-none-match`); S3 answers `412 PreconditionFailed` when the source's ETag differs, and the
acceptance check relies on it (only the version checked is copied), so it is checked here.

Its data API holds only the sent emails (see track_only_emails).

Usage: moto_server.py <port>   (binds 127.0.0.1)
"""
import os
import signal
import sys
import threading
from urllib.parse import unquote

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.common_models import BaseModel
from moto.s3.models import s3_backends
from werkzeug.serving import run_simple


def track_only_emails(cls, *args, **kwargs):
    """Moto keeps every model instance it ever made, for its data API (`/moto-api/data.json`),
    and serialises them all at each call: over a test run, deleted items included, that grew to
    gigabytes and made each read of the sent emails take seconds. Only SES's are kept: the
    tests and make dev read the emails there."""
    instance = object.__new__(cls)
    if cls.__module__.startswith("moto.ses."):
        cls.instances_tracked.append(instance)
    return instance


BaseModel.__new__ = staticmethod(track_only_emails)

port = int(sys.argv[1])
os.environ.setdefault("MOTO_PORT", str(port))
moto = DomainDispatcherApplication(create_backend_app)
dynamodb = threading.Lock()


PRECONDITION_FAILED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>'
    b"<Message>At least one of the pre-conditions you specified did not hold</Message>"
    b"<Condition>x-amz-copy-source-If-Match</Condition></Error>"
)


def copy_source_changed(environ):
    """Whether a CopyObject insists on a source ETag that the source no longer has."""
    wanted = environ.get("HTTP_X_AMZ_COPY_SOURCE_IF_MATCH")
    source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
    if environ.get("REQUEST_METHOD") != "PUT" or not wanted or not source:
        return False
    bucket, _, key = unquote(source.split("?")[0]).lstrip("/").partition("/")
    try:
        current = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_object(bucket, key)
    except Exception:  # noqa: BLE001 - a missing bucket or key is moto's own 404 to answer
        return False
    return current is not None and current.etag.strip('"') != wanted.strip('"')


def app(environ, start_response):
    if copy_source_changed(environ):
        start_response("412 Precondition Failed", [("Content-Type", "application/xml")])
        return [PRECONDITION_FAILED]
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with dynamodb:
            return list(moto(environ, start_response))
    return moto(environ, start_response)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
run_simple("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
