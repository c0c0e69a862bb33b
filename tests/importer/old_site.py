"""A stand-in for the old site: a real HTTP server on 127.0.0.1 serving files from memory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class OldSite:
    """What the server holds (path → bytes) and what it was asked for."""

    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    fallback: bytes | None = None  # served for any other path ending in an image extension
    url: str = ""


@contextmanager
def old_site(
    files: dict[str, bytes] | None = None, fallback: bytes | None = None
) -> Iterator[OldSite]:
    site = OldSite(files=dict(files or {}), fallback=fallback)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append((self.path, dict(self.headers.items())))
            path = self.path.split("?", 1)[0]
            body = site.files.get(path)
            image_path = path.lower().rsplit(".", 1)[-1] in ("jpg", "jpeg", "png", "gif", "webp")
            if body is None and image_path:
                body = site.fallback
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Set-Cookie", "tracking=1; Path=/")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
