"""A webhook receiver on 127.0.0.1 for tests: verifies Standard Webhooks signatures, can fail on demand."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver:
    """Collects (webhook-id, body) pairs; answers ``fail_with`` for the first ``fail_times`` requests."""

    def __init__(self, secret: str = SECRET) -> None:
        self.verifier = Webhook(secret)
        self.calls: list[tuple[str, dict]] = []
        self.bad_signatures = 0
        self.truncated = 0
        self.fail_times = 0
        self.fail_with = 503
        #: seconds each accepted request takes (so a test can kill a sender mid-delivery)
        self.delay_s = 0.0
        self._lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                want = int(self.headers.get("content-length", 0))
                body = self.rfile.read(want)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if len(body) < want:
                    # The sender died mid-request (a SIGKILLed worker): no delivery, and no signature to judge.
                    with outer._lock:
                        outer.truncated += 1
                    return
                with outer._lock:
                    if outer.fail_times > 0:
                        outer.fail_times -= 1
                        self.send_response(outer.fail_with)
                        self.end_headers()
                        return
                    try:
                        outer.verifier.verify(body, headers)
                    except Exception:  # noqa: BLE001
                        outer.bad_signatures += 1
                    outer.calls.append((headers.get("webhook-id", headers.get("idempotency-key", "")), json.loads(body)))
                if outer.delay_s:
                    time.sleep(outer.delay_s)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
