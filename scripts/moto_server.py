"""The moto server, with DynamoDB requests handled one at a time.

DynamoDB makes a conditional write (and a whole TransactWriteItems) atomic: of two concurrent
writes guarded by the same condition, one fails. Moto checks the condition and then writes, so
under concurrent requests both may pass. The tests race operators and retries on purpose, so the
emulator must keep DynamoDB's guarantee: DynamoDB calls are serialised; S3 and SES stay parallel.

Usage: moto_server.py <port>   (binds 127.0.0.1)
"""
import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

port = int(sys.argv[1])
os.environ.setdefault("MOTO_PORT", str(port))
moto = DomainDispatcherApplication(create_backend_app)
dynamodb = threading.Lock()


def app(environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with dynamodb:
            return list(moto(environ, start_response))
    return moto(environ, start_response)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
run_simple("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
