"""The local API Gateway's calls of cargo lambda watch when watch does not answer (make test).

    .venv/bin/python -m unittest scripts/test_local_gateway.py
"""

import http.server
import json
import pathlib
import socket
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import local_gateway  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(handler, port):
    """A server of `handler` on 127.0.0.1:`port` in a thread; returns it (shutdown() stops it)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class FakeWatch(http.server.BaseHTTPRequestHandler):
    """Watch's Invoke API answering every invocation with a function's 200, counting them."""

    calls = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        FakeWatch.calls.append((self.path, json.loads(body)["rawPath"]))
        answer = json.dumps({"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "ok"}).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


class ClosingWatch(FakeWatch):
    """Watch taking the invocation, then closing the connection without an answer."""

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        FakeWatch.calls.append((self.path, None))
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


class GatewayTest(unittest.TestCase):
    def setUp(self):
        FakeWatch.calls = []
        self.watch_port = free_port()
        local_gateway.Gateway.watch_port = self.watch_port
        self.gateway = serve(local_gateway.Gateway, free_port())
        self.addCleanup(self.gateway.shutdown)

    def post(self, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.gateway.server_port}{path}", data=b"{}", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def test_a_call_waits_for_watch_to_accept_its_connection(self):
        # Watch starts listening 1.5 s after the call: the call reaches it once and is answered.
        starter = threading.Timer(1.5, lambda: self.addCleanup(serve(FakeWatch, self.watch_port).shutdown))
        starter.start()
        started = time.monotonic()
        status, body = self.post("/requests")
        starter.join()
        self.assertEqual((status, body), (200, b"ok"))
        self.assertGreaterEqual(time.monotonic() - started, 1.4)
        self.assertEqual(FakeWatch.calls, [("/2015-03-31/functions/requests/invocations", "/requests")])

    def test_a_call_that_reached_watch_is_never_sent_twice(self):
        self.addCleanup(serve(ClosingWatch, self.watch_port).shutdown)
        status, body = self.post("/requests")
        self.assertEqual(status, 503)
        self.assertEqual(json.loads(body), {"message": "Service Unavailable"})
        self.assertEqual(len(FakeWatch.calls), 1)

    def test_warming_calls_every_function_once_by_a_route_without_parameters(self):
        self.addCleanup(serve(FakeWatch, self.watch_port).shutdown)
        self.assertTrue(local_gateway.warm(self.gateway.server_port, 30))
        functions = sorted(path.split("/")[3] for path, _ in FakeWatch.calls)
        self.assertEqual(functions, sorted({function for _, _, _, function in local_gateway.ROUTES}))
        self.assertTrue(all("{" not in raw_path for _, raw_path in FakeWatch.calls))


if __name__ == "__main__":
    unittest.main()
