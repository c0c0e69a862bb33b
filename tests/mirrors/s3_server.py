"""A real S3 endpoint for tests: moto's server on a free local port, recording each request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import boto3
import requests
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

REGION = "us-east-1"
KEY_ID = "testing-key-id"
SECRET = "testing-secret-key"


@dataclass
class S3Server:
    url: str
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) in order

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )

    def puts(self, bucket: str) -> list[str]:
        """Keys written with PUT, in the order they arrived."""
        start = f"/{bucket}/"
        return [p[len(start) :] for m, p in self.requests if m == "PUT" and p.startswith(start)]

    def deletions(self) -> int:
        """How many DeleteObjects requests arrived."""
        return sum(1 for m, p in self.requests if m == "POST" and p.endswith("?delete"))

    def keys(self, bucket: str) -> set[str]:
        found = set()
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found |= {item["Key"] for item in page.get("Contents", [])}
        return found


def _recording(app: Any, log: list[tuple[str, str]]) -> Callable[..., Iterable[bytes]]:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        path = unquote(environ.get("PATH_INFO", ""))
        log.append((environ["REQUEST_METHOD"], f"{path}?{query}" if query else path))
        return app(environ, start_response)

    return wrapped


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start moto's S3 on 127.0.0.1 (state reset), yield it, stop it."""
    log: list[tuple[str, str]] = []
    app = _recording(DomainDispatcherApplication(create_backend_app), log)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
        log.clear()
        yield S3Server(url=url, requests=log)
    finally:
        server.shutdown()
        thread.join()
