"""Run inside a Django process: ``python -m bench.render`` with the site's environment.

Reads ``{"pages": {name: [path, ...]}, "requests": N}`` as JSON on stdin and prints the figures
for each page kind as JSON on stdout. Each kind's paths are fetched once to warm templates,
renditions and the site cache, once more to count SQL queries and HTML bytes, and then ``N``
times (cycling through the paths) with nothing but a timer around the request, so the timed
renders pay no query-logging overhead. Nothing caches whole pages: every request renders.
Each timed render also records this process's CPU time, which other busy processes on the
machine barely change, unlike the wall-clock time.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any


def get(client: Any, path: str) -> Any:
    """GET ``path`` as the production handler would serve it, database connection handling included.

    The test client leaves the database connection open between requests; the real handler
    closes it when it is older than CONN_MAX_AGE (0 for SQLite here: every request opens its
    own), so this does what the real handler's request_finished signal does.
    """
    from django.db import close_old_connections

    response = client.get(path)
    close_old_connections()
    if response.status_code != 200:
        raise SystemExit(f"bench: GET {path} answered {response.status_code}, not 200")
    return response


def measure(client: Any, paths: list[str], requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for path in paths:
        get(client, path)

    queries: list[int] = []
    sizes: list[int] = []
    first_sql: list[str] = []
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            response = get(client, path)
        queries.append(len(captured.captured_queries))
        sizes.append(len(response.content))
        if not first_sql:
            first_sql = [query["sql"] for query in captured.captured_queries]

    timings: list[float] = []
    cpu: list[float] = []  # this process's CPU time: what other busy processes barely change
    for number in range(requests):
        path = paths[number % len(paths)]
        started, cpu_started = time.perf_counter(), time.process_time()
        get(client, path)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)

    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {
        "paths": len(paths),
        "requests": requests,
        "ms_p50": statistics.median(timings),
        "ms_p95": cuts[94],
        "ms_mean": statistics.fmean(timings),
        "cpu_ms_p50": statistics.median(cpu),
        "queries_min": min(queries),
        "queries_max": max(queries),
        "bytes_p50": int(statistics.median(sizes)),
        "example_path": paths[0],
        "example_sql": first_sql,
    }


def main() -> None:
    spec = json.load(sys.stdin)

    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    figures = {
        name: measure(client, paths, spec["requests"]) for name, paths in spec["pages"].items()
    }
    sys.stdout.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
