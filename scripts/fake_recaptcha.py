"""A stand-in for reCAPTCHA's siteverify API, for the tests (never for `make dev`).

POST /siteverify with form fields `secret` and `response`. The answer depends on the token:
  pass...        success, score 0.9, action submit_request, hostname localhost
  low-score...   success, score 0.1
  wrong-action.. success, action login
  wrong-host...  success, hostname evil.example
  anything else  failure (invalid-input-response)
A secret other than `test-secret` fails with invalid-input-secret.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class SiteVerify(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        secret = form.get("secret", [""])[0]
        token = form.get("response", [""])[0]
        answer = {"success": True, "score": 0.9, "action": "submit_request", "hostname": "localhost",
                  "challenge_ts": "2026-11-23T10:00:00Z"}
        if secret != "test-secret":
            answer = {"success": False, "error-codes": ["invalid-input-secret"]}
        elif token.startswith("low-score"):
            answer["score"] = 0.1
        elif token.startswith("wrong-action"):
            answer["action"] = "login"
        elif token.startswith("wrong-host"):
            answer["hostname"] = "evil.example"
        elif not token.startswith("pass"):
            answer = {"success": False, "error-codes": ["invalid-input-response"]}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), SiteVerify).serve_forever()
