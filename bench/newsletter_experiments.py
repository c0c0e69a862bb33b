"""Inside a Django process: send one fresh edition with ``sending.send_pending`` and say where
the time went (``python -m bench.newsletter_app profile SPEC``).

SPEC: ``{"patches": [names from bench.newsletter_patches], "connections": C, "cprofile": bool}``.

Every run freezes a new edition of the same stories (``send_edition``; no worker runs, so the
tasks it queues stay queued) and sends it here over ``C`` connections. Four parts of the work
are timed with ``perf_counter`` and the calling thread's CPU clock: building the message
(``message_bytes``), the SMTP conversation (the transport's ``send`` without the message
building), recording the outcomes (``record``, a batch of letters per UPDATE and commit; with
``record_each`` one letter each) and claiming batches (``claim``); the figures are per letter.
With ``cprofile`` the run happens under cProfile instead (slower, but it names the functions);
a run is either timed or profiled, never both.
"""

from __future__ import annotations

import cProfile
import functools
import io
import os
import pstats
import threading
import time
from collections.abc import Callable
from typing import Any

PARTS = ("message_bytes", "transport_send", "record", "claim")
PROFILE_GROUPS = {
    "message_bytes": ("mail.py", "message_bytes"),
    "sendmail": ("smtplib.py", "sendmail"),
    "pipelined_sendmail": ("sending.py", "pipelined_sendmail"),
    "record": ("sending.py", "record"),
    "claim": ("sending.py", "claim"),
}


class Timers:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.figures: dict[str, list[float]] = {part: [0.0, 0.0, 0] for part in PARTS}

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                wall, spent = time.perf_counter() - started, time.thread_time() - cpu
                with self.lock:
                    figures = self.figures[name]
                    figures[0] += wall
                    figures[1] += spent
                    figures[2] += 1

        return timed


def install_timers(timers: Timers) -> None:
    from samizdat.newsletter import mail, sending

    mail.PreparedEdition.message_bytes = timers.wrap(  # type: ignore[method-assign]  # timed in place, on purpose
        "message_bytes", mail.PreparedEdition.message_bytes
    )
    sending.SmtpTransport.send = timers.wrap("transport_send", sending.SmtpTransport.send)  # type: ignore[method-assign]  # timed in place, on purpose
    sending.record = timers.wrap("record", sending.record)
    sending.claim = timers.wrap("claim", sending.claim)


def per_letter(timers: Timers, letters: int) -> dict[str, dict[str, float]]:
    figures = {name: list(values) for name, values in timers.figures.items()}
    # The transport's send includes building the message: report the SMTP part alone.
    for index in (0, 1):
        figures["transport_send"][index] -= figures["message_bytes"][index]
    figures["smtp"] = figures.pop("transport_send")
    return {
        name: {
            "wall_us": wall * 1e6 / letters,
            "cpu_us": cpu * 1e6 / letters,
            "calls": calls,
        }
        for name, (wall, cpu, calls) in figures.items()
    }


def profile_groups(profiler: cProfile.Profile, letters: int) -> dict[str, Any]:
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]  # typeshed omits Stats.stats
    groups: dict[str, dict[str, float]] = {}
    for name, (suffix, function) in PROFILE_GROUPS.items():
        for (filename, _line, func), (_cc, calls, _tt, cumulative, _callers) in raw.items():
            if func == function and filename.endswith(suffix):
                groups[name] = {"cumulative_us": cumulative * 1e6 / letters, "calls": calls}
    top = sorted(raw.items(), key=lambda item: item[1][2], reverse=True)[:25]
    functions = [
        {
            "function": f"{os.path.basename(filename)}:{line}({func})",
            "calls": calls,
            "own_us_per_letter": own * 1e6 / letters,
            "cumulative_us_per_letter": cumulative * 1e6 / letters,
        }
        for (filename, line, func), (_cc, calls, own, cumulative, _callers) in top
    ]
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    return {"groups": groups, "top_own_time": functions, "text": text.getvalue()}


def profile(spec: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection

    from bench import newsletter_patches
    from bench.newsletter_app import make_edition
    from samizdat.newsletter import sending
    from samizdat.newsletter.actions import delivery_counts, send_edition

    newsletter_patches.apply(spec["patches"])
    connections = int(spec["connections"])
    edition = make_edition(subject=f"Profile {'+'.join(spec['patches']) or 'as is'}")
    freeze_started = time.perf_counter()
    letters = send_edition(edition_id=edition.pk)
    freeze_seconds = time.perf_counter() - freeze_started
    timers = Timers()
    profiler = cProfile.Profile() if spec.get("cprofile") else None
    if profiler is None:
        install_timers(timers)
    started, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    stats = sending.send_pending(edition_id=edition.pk, connections=connections)
    if profiler is not None:
        profiler.disable()
    elapsed, cpu_spent = time.perf_counter() - started, time.process_time() - cpu
    result: dict[str, Any] = {
        "patches": spec["patches"],
        "connections": connections,
        "cprofile": profiler is not None,
        "debug": settings.DEBUG,
        "database": connection.vendor,
        "claim_size": settings.NEWSLETTER_CLAIM_SIZE,
        "letters": letters,
        "freeze_seconds": freeze_seconds,
        "stats": stats,
        "counts": delivery_counts(edition.pk),
        "seconds": elapsed,
        "letters_per_s": letters / elapsed,
        "process_cpu_us_per_letter": cpu_spent * 1e6 / letters,
        "load_average_1min": os.getloadavg()[0],
    }
    if profiler is None:
        result["parts"] = per_letter(timers, letters)
    else:
        result["profile"] = profile_groups(profiler, letters)
    return result
