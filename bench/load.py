"""HTTP figures: gunicorn serving the site, then a bare Django view, each loaded by wrk.

Only 127.0.0.1 is ever a target. Every server is stopped (terminated, then waited for) before
the function that started it returns, whatever happens.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.pages import BIN, clean_env, log

HOST = "127.0.0.1"
WORKERS = 2
THREADS = 2
CONNECTIONS = 16

BARE_APP = '''\
"""The framework's ceiling: one Django view, no middleware, no database, no templates."""

from __future__ import annotations

from django.conf import settings

settings.configure(
    DEBUG=False,
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY={secret!r},
    MIDDLEWARE=[],
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

BODY = b"x" * {size}


def page(request):
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("", page)]
application = get_wsgi_application()
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(url: str, timeout: float = 30) -> tuple[int, bytes]:
    parts = urlsplit(url)
    assert parts.hostname == HOST
    conn = http.client.HTTPConnection(HOST, parts.port, timeout=timeout)
    try:
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def gunicorn(
    app: str, env: dict[str, str], log_file: Path, chdir: Path
) -> Iterator[tuple[str, int]]:
    """Serve ``app`` with gunicorn (sync workers) on a free port; yield its URL and pid."""
    port = free_port()
    argv = [str(BIN / "gunicorn"), app, "-b", f"{HOST}:{port}", "-w", str(WORKERS)]
    argv += ["--chdir", str(chdir)]
    if int(version("gunicorn").split(".")[0]) >= 25:
        argv.append("--no-control-socket")  # one per user by default: runs would contend for it
    base = f"http://{HOST}:{port}"
    with log_file.open("wb") as output:
        process = subprocess.Popen(argv, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"bench: gunicorn exited early; see {log_file}")
                try:
                    fetch(base + "/", timeout=5)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(
                            f"bench: gunicorn did not answer; see {log_file}"
                        ) from None
                    time.sleep(0.2)
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s)", output)
    if rate is None or total is None:
        raise SystemExit(f"bench: could not read wrk's output:\n{output}")
    latency = {
        f"p{cut}": to_ms(value, unit)
        for cut, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    socket_errors = sum(int(n) for n in re.findall(r"\d+", sockets.group(1))) if sockets else 0
    return {
        "tool": "wrk",
        "requests_per_s": float(rate.group(1)),
        "requests": int(total.group(1)),
        "latency_ms": latency,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors,
    }


def run_wrk(url: str, duration: int) -> dict[str, Any]:
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency"]
    argv += ["--timeout", "10s", url]  # a slow answer counts in the latencies, not as an error
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=True)
    return parse_wrk(done.stdout)


def run_python(url: str, duration: int) -> dict[str, Any]:
    """A small stand-in for wrk: CONNECTIONS threads, each one keep-alive connection."""
    parts = urlsplit(url)
    assert parts.hostname == HOST
    latencies: list[float] = []
    failures = [0, 0]  # [non-2xx/3xx responses, socket errors]
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + duration

    def worker() -> None:
        mine: list[float] = []
        bad = errors = 0
        conn: http.client.HTTPConnection | None = None
        while time.monotonic() < deadline:
            if conn is None:
                conn = http.client.HTTPConnection(HOST, parts.port, timeout=10)
            begun = time.perf_counter()
            try:
                conn.request(
                    "GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                )
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = None
                continue
            mine.append((time.perf_counter() - begun) * 1000)
            bad += response.status >= 400
            if response.will_close:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad
            failures[1] += errors

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []
    return {
        "tool": "python",
        "requests_per_s": len(latencies) / elapsed,
        "requests": len(latencies),
        "latency_ms": {f"p{cut}": cuts[cut - 1] for cut in (50, 75, 90, 99)} if cuts else {},
        "non_2xx_3xx": failures[0],
        "socket_errors": failures[1],
    }


def has_wrk() -> bool:
    return shutil.which("wrk") is not None


def workers_cpu_seconds(master: int) -> float | None:
    """CPU time used so far by the gunicorn master's worker processes (Linux /proc), or None."""
    try:
        tasks = Path(f"/proc/{master}/task").glob("*/children")
        children = [pid for task in tasks for pid in task.read_text().split()]
        ticks = 0
        for child in children:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime and stime
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def load(url: str, duration: int, master: int) -> dict[str, Any]:
    """Warm both workers for a moment (discarded), then load ``url`` for ``duration`` s.

    Besides what the load tool sees, it records the workers' CPU time per request: unlike the
    rates, that figure hardly moves when other processes compete for the CPUs.
    """
    run = run_wrk if has_wrk() else run_python
    run(url, min(2, duration))
    cpu_before = workers_cpu_seconds(master)
    figures = run(url, duration)
    cpu_after = workers_cpu_seconds(master)
    figures["server_cpu_ms_per_request"] = (
        (cpu_after - cpu_before) * 1000 / figures["requests"]
        if cpu_before is not None and cpu_after is not None and figures["requests"]
        else None
    )
    return figures


def http_figures(
    env: dict[str, str], article_path: str, duration: int, workdir: Path
) -> dict[str, Any]:
    """req/s and latency for one article page, and for a bare Django view of the same size."""
    if not has_wrk():
        log("wrk not found (apt-get install wrk): using a small Python load generator instead")
    site = gunicorn("samizdat.wsgi:application", env, workdir / "gunicorn-site.log", workdir)
    with site as (base, pid):
        status, body = fetch(base + article_path)
        if status != 200:
            raise SystemExit(f"bench: GET {article_path} under gunicorn answered {status}")
        log(f"loading {article_path} for {duration} s")
        article = load(base + article_path, duration, pid)
    article["path"] = article_path
    article["bytes"] = len(body)

    app = workdir / "bare_django.py"
    app.write_text(BARE_APP.format(secret=env["SAMIZDAT_SECRET_KEY"], size=len(body)))
    bare_site = gunicorn(
        "bare_django:application", clean_env(), workdir / "gunicorn-bare.log", workdir
    )
    with bare_site as (base, pid):
        log(f"loading a bare Django view ({len(body):,} bytes) for {duration} s")
        bare = load(base + "/", duration, pid)
    bare["bytes"] = len(body)
    return {"article": article, "bare_django": bare}
