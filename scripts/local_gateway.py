"""The local API Gateway in front of `cargo lambda watch` (make dev, the browser and end-to-end tests).

cargo-lambda 1.9.2's own HTTP front differs from API Gateway in two ways that matter here:
- it answers its own 500 to a request whose body or a header is not UTF-8, before any function
  runs, where API Gateway passes such a body base64-encoded (and a header as text);
- under concurrent calls it sometimes answers its own 500 to a large response: 4 of 600 for a
  156 KB gzip-compressed asset with 6 clients, 0 of 1,000 with one client or a 1.6 KB asset, while
  the same 600 (and 2,000) calls through its Lambda Invoke API all came back whole.

So this gateway routes each request as the template's HTTP API does (the router of Cargo.toml),
builds the API Gateway payload v2 event itself and invokes the function through the Invoke API,
then turns the function's answer into the HTTP response. Calls of the Invoke API itself (`cargo
lambda invoke`, the mailer sweep of make dev) pass through unchanged.

Watch starts a function's process (`cargo run`) at its first invocation. `--warm` makes that first
invocation for every function of the router, one at a time, with a GET of a route that changes
nothing, so that a stack is only called ready once every function answers.

    python3 scripts/local_gateway.py <listen port> <cargo lambda watch port>
    python3 scripts/local_gateway.py --warm <gateway port> <seconds>
"""

import base64
import datetime
import http.client
import http.server
import json
import pathlib
import re
import sys
import time
import tomllib
import urllib.parse
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
INVOKE_PREFIX = "/2015-03-31/functions/"
# How long a call waits for cargo lambda watch to accept its connection.
CONNECT_PATIENCE = 30.0
TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|[^/]*\+json|xml|[^/]*\+xml|javascript|x-www-form-urlencoded))$"
)


def load_routes():
    """The (pattern, regex, parameter names, function) of every route of the workspace router."""
    router = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["metadata"]["lambda"]["watch"]["router"]
    routes = []
    for pattern, function in router.items():
        names = re.findall(r"\{(\w+)\}", pattern)
        regex = "^" + re.sub(r"\\\{\w+\\\}", "([^/]+)", re.escape(pattern)) + "$"
        routes.append((pattern, re.compile(regex), names, function))
    return routes


ROUTES = load_routes()


def route(path):
    """The route serving `path`: its pattern, function and path parameters; None when none does."""
    for pattern, regex, names, function in ROUTES:
        match = regex.match(path)
        if match:
            return pattern.rstrip("/") or "/", function, dict(zip(names, match.groups()))
    return None


def event_for(method, target, headers, body, source_ip, pattern, parameters):
    """The API Gateway HTTP API (payload 2.0) event of one request."""
    parts = urllib.parse.urlsplit(target)
    merged = {}
    for name, value in headers:
        name = name.lower()
        merged[name] = f"{merged[name]},{value}" if name in merged else value
    cookies = [c.strip() for c in merged.pop("cookie", "").split(";") if c.strip()]
    query = {}
    for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = datetime.datetime.now(datetime.timezone.utc)
    route_key = f"{method} {pattern}"
    event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": merged,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": merged.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if parameters:
        event["pathParameters"] = parameters
    if body:
        content_type = merged.get("content-type", "").split(";")[0].strip().lower()
        try:
            text = body.decode("utf-8") if TEXT_TYPES.match(content_type) else None
        except UnicodeDecodeError:
            text = None
        if text is None:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["body"] = text
    return event


class Gateway(http.server.BaseHTTPRequestHandler):
    """One request: routed, invoked, answered."""

    protocol_version = "HTTP/1.1"
    watch_port = 0

    def handle_any(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith(INVOKE_PREFIX):
            return self.pass_through(body)
        path = urllib.parse.urlsplit(self.path).path
        found = route(path)
        if found is None:
            return self.answer(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
        pattern, function, parameters = found
        event = event_for(self.command, self.path, self.headers.items(), body, self.client_address[0], pattern, parameters)
        status, _, payload = self.watch("POST", f"{INVOKE_PREFIX}{function}/invocations", json.dumps(event).encode())
        if status == 503:
            return self.answer(503, {"content-type": "application/json"}, b'{"message":"Service Unavailable"}')
        try:
            answer = json.loads(payload) if status == 200 else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or "statusCode" not in answer:
            sys.stderr.write(f"local gateway: {function} failed ({status}): {payload[:300]!r}\n")
            return self.answer(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
        content = answer.get("body") or ""
        content = base64.b64decode(content) if answer.get("isBase64Encoded") else content.encode()
        headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ",".join(values)
        self.answer(answer["statusCode"], headers, content, answer.get("cookies") or [])

    def pass_through(self, body):
        status, headers, payload = self.watch(self.command, self.path, body, dict(self.headers.items()))
        self.answer(status, {k.lower(): v for k, v in headers if k.lower() not in ("connection",)}, payload)

    def watch(self, method, path, body, headers=None):
        """A call to cargo lambda watch: status, headers, body (no read timeout: a first call waits
        for the function to compile).

        A connection that cannot be made carried nothing, so it is tried again for up to
        CONNECT_PATIENCE seconds (watch restarting, or not listening yet); a call that failed after
        the request left is answered 503 and never repeated, since the function may have run it."""
        headers = {k: v for k, v in (headers or {}).items() if k.lower() not in ("host", "content-length")}
        deadline = time.monotonic() + CONNECT_PATIENCE
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", self.watch_port)
            try:
                connection.connect()
            except OSError as error:
                connection.close()
                if time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                return self.unavailable(method, path, f"no connection: {error!r}")
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except OSError as error:
                return self.unavailable(method, path, f"after the request was sent: {error!r}")
            finally:
                connection.close()

    @staticmethod
    def unavailable(method, path, why):
        """The 503 of a call watch did not answer, with its cause in the gateway's log."""
        sys.stderr.write(f"local gateway: {method} {path}: cargo lambda watch did not answer ({why})\n")
        return 503, [], f"cargo lambda watch did not answer: {why}".encode()

    def answer(self, status, headers, content, cookies=()):
        self.send_response(status)
        for name, value in headers.items():
            if name not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(name, value)
        for cookie in cookies:
            self.send_header("set-cookie", cookie)
        # A HEAD answer tells the length of the GET body it stands for (the function sets it).
        length = headers.get("content-length") if self.command == "HEAD" and not content else None
        self.send_header("content-length", length or str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    # Every method reaches the functions, which answer 405 to those a route does not serve.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = do_QUERY = handle_any

    def log_message(self, format, *args):
        pass


def warm_paths():
    """One path per function of the router: its first route without parameters (a GET of it changes
    nothing: a page, a document, or a 401/405 answer)."""
    paths = {}
    for pattern, _, names, function in ROUTES:
        if not names and function not in paths:
            paths[function] = pattern
    return paths


def warm(port, seconds):
    """Calls every function once through the gateway on `port`, one at a time, until each answers
    (a 503 is watch not answering yet); False when one did not within `seconds`."""
    deadline = time.monotonic() + seconds
    for function, path in warm_paths().items():
        while True:
            status = None
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=max(1.0, deadline - time.monotonic()))
                connection.request("GET", path)
                status = connection.getresponse().status
            except OSError:
                pass
            finally:
                connection.close()
            if status is not None and status != 503:
                break
            if time.monotonic() >= deadline:
                sys.stderr.write(f"local gateway: {function} did not answer GET {path} within {seconds} s\n")
                return False
            time.sleep(0.3)
    return True


def main():
    if sys.argv[1] == "--warm":
        sys.exit(0 if warm(int(sys.argv[2]), float(sys.argv[3])) else 1)
    listen, watch = int(sys.argv[1]), int(sys.argv[2])
    Gateway.watch_port = watch
    server = http.server.ThreadingHTTPServer(("127.0.0.1", listen), Gateway)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
