#!/usr/bin/env python3
"""Stand-ins for the add-on image test (scripts/image-test.sh), run inside its network namespace.

  standin.py supervisor PORT TOKEN SERVICE_JSON LOG
      the Supervisor's GET /services/mqtt: SERVICE_JSON as {"result":"ok","data":...} for "Bearer TOKEN",
      401 otherwise; every request is appended to LOG ("METHOD PATH auth-ok|auth-bad")
  standin.py camera PORT DIR
      a snapshot camera: GET /snap.jpg answers the JPEG files of DIR in turn
"""
import http.server
import json
import sys
from pathlib import Path


def send(handler, status, content_type, data):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class Supervisor(http.server.BaseHTTPRequestHandler):
    token = ""
    service = {}
    log = ""

    def do_GET(self):
        ok = self.headers.get("Authorization") == f"Bearer {self.token}"
        with open(self.log, "a") as f:
            f.write(f"GET {self.path} {'auth-ok' if ok else 'auth-bad'}\n")
        if not ok:
            self.answer(401, {"result": "error", "message": "Unauthorized"})
        elif self.path == "/services/mqtt":
            self.answer(200, {"result": "ok", "data": self.service})
        else:
            self.answer(404, {"result": "error", "message": f"no {self.path} here"})

    def answer(self, status, body):
        send(self, status, "application/json", json.dumps(body).encode())

    def log_message(self, *args):
        pass


class Camera(http.server.BaseHTTPRequestHandler):
    frames = []
    served = 0

    def do_GET(self):
        if self.path != "/snap.jpg":
            self.send_error(404)
            return
        data = self.frames[Camera.served % len(self.frames)]
        Camera.served += 1
        send(self, 200, "image/jpeg", data)

    def log_message(self, *args):
        pass


def main(argv):
    kind, port = argv[1], int(argv[2])
    if kind == "supervisor":
        Supervisor.token, Supervisor.service, Supervisor.log = argv[3], json.loads(argv[4]), argv[5]
        handler = Supervisor
    elif kind == "camera":
        Camera.frames = [p.read_bytes() for p in sorted(Path(argv[3]).glob("*.jpg"))]
        if not Camera.frames:
            sys.exit(f"no *.jpg in {argv[3]}")
        handler = Camera
    else:
        sys.exit(__doc__)
    http.server.ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    main(sys.argv)
