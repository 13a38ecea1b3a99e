"""A local fake of the Microsoft identity platform and Graph for bench/provider-connection.sh (stdlib only).

    python3 bench/fake_microsoft.py PORT [ROLE ...]

POST /{tenant}/oauth2/v2.0/token (client-credentials grant) answers 200 with a JWT-shaped access_token whose
payload carries `roles` (default Directory.Read.All: the service's default required role, so runs are healthy);
GET /v1.0/organization answers 200 with one organization. Anything else is 404. HTTP/1.1 with keep-alive, one
thread per connection. Counts the requests it answered: GET /stats.
"""
import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLES = sys.argv[2:] or ["Directory.Read.All"]
COUNTS = {"token": 0, "graph": 0, "other": 0}
LOCK = threading.Lock()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def access_token(tenant: str) -> str:
    header = b64(b'{"typ":"JWT","alg":"RS256"}')
    payload = b64(json.dumps({"aud": "https://graph.microsoft.com", "tid": tenant, "roles": ROLES}).encode())
    return f"{header}.{payload}.c2lnbmF0dXJl"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle + the client's delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, *args):  # quiet
        pass

    def answer(self, status: int, body: dict, kind: str) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with LOCK:
            COUNTS[kind] += 1

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode(errors="replace")
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"] and "grant_type=client_credentials" in form:
            self.answer(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                              "access_token": access_token(parts[0])}, "token")
        else:
            self.answer(404, {"error": "not_found"}, "other")

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/v1.0/organization":
            self.answer(200, {"value": [{"id": "00000000-0000-0000-0000-000000000001"}]}, "graph")
        elif path == "/stats":
            with LOCK:
                counts = dict(COUNTS)
            self.answer(200, counts, "other")
        else:
            self.answer(404, {"error": {"code": "NotFound"}}, "other")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()
