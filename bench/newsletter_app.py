"""Run inside a Django process: ``python -m bench.newsletter_app COMMAND`` with the site's environment.

``edition MESSAGE_FILE``
    Make an English edition of the eight newest English stories with an editor's letter, save
    one subscriber's message (exactly the bytes the SMTP sender would send) to MESSAGE_FILE and
    print its id, the letter's size, the number of recipients and the sending settings.
``send EDITION_ID TIMEOUT``
    Call ``send_edition`` (the freeze: content and audience into Delivery rows, tasks queued),
    then watch the edition until it is marked sent (the worker that records the last letter
    marks it), polling its status every 50 ms. Prints the timings and the delivery counts.
``profile SPEC``
    Send fresh editions in this very process with ``sending.send_pending`` against the SMTP
    server of ``SAMIZDAT_EMAIL_URL``: once under cProfile (costs per letter by what they are),
    then once per variant without the profiler (letters per second). SPEC is JSON,
    ``{"variants": [...], "connections": [...]}``; see ``bench.newsletter_experiments``.

Every command prints one JSON line on stdout, last.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

EDITORS_LETTER = """\
Dear reader,

This was a week of long evenings in the newsroom. Three of our reporters spent it in the
courts, where the housing cases we have followed since spring finally came to a hearing; two
more sat through the council's budget debate, which ran past midnight twice. What they found is
below, together with the stories our readers wrote to us about most.

We also want to say thank you. Forty-one of you sent us documents, photographs and corrections
this week, and six of those letters became stories. A newsroom of our size lives on that kind
of help: we cannot be everywhere, but you are. If you saw something we should look at, answer
this letter; it reaches the editors, not a machine.

A note on what is coming. Next week we publish the first part of our investigation into the
river clean-up contracts: who won them, what was promised and what the water samples show a
year later. It took four months, two hundred pages of tender documents and a boat. We think it
was worth it, and we hope you will too.

Several of you asked why this letter looks the way it does. It has no tracking pixels and no
rewritten links: we do not know whether you opened it, and we do not want to. The links go
straight to our site or to one of its mirrors. If our site is blocked where you live, reply to
this letter and we will send you the current list of mirrors and the address of our onion
service; the stories in this letter are also readable in full on the web version linked below,
which works without scripts and loads quickly on a slow connection.

The budget debate deserves a word of its own. For the first time in six years the council
published the draft budget a full month before the vote, with line items rather than totals.
Our data desk has turned it into a table anyone can search, and it is linked from the first
story below. If you find something that does not add up, tell us: last year a reader spotted
the duplicated road repair contract before we did.

Finally, a correction. In last week's letter we wrote that the new tram line opens in May; the
city has since moved the date to September. The story on our site has been updated, and we are
sorry for the confusion.

Thank you for reading, and for staying with us.
"""

CLOSING = """\
That is all for this week. If a friend would like these letters, they can sign up on our
site; if you no longer want them, the link at the bottom of this letter ends them at once.
"""


STALL = 60.0


def emit(value: Any) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def make_edition(subject: str = "The week in review") -> Any:
    from samizdat.newsletter.models import Edition, EditionItem
    from samizdat.publishing.models import articles

    stories = list(
        articles().filter(locale__language_code="en").order_by("-first_published_at", "-pk")[:8]
    )
    if not stories:
        raise SystemExit("bench: no live English articles to put in an edition")
    edition = Edition.objects.create(
        language="en", subject=subject, intro=EDITORS_LETTER, closing=CLOSING
    )
    for number, story in enumerate(stories):
        EditionItem.objects.create(edition=edition, article=story, sort_order=number)
    return edition


def edition(message_file: str) -> None:
    from django.conf import settings

    from samizdat.newsletter.mail import PreparedEdition, render
    from samizdat.newsletter.models import Subscriber

    made = make_edition()
    # Seeding published stories, which queued rebuilds of the static bundle: the benchmark
    # serves no bundle, and those tasks would take the workers' CPU from the sending.
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").delete()
    subscriber = Subscriber.objects.filter(language="en", status="active").order_by("pk").first()
    if subscriber is None:
        raise SystemExit("bench: no active English subscriber")
    prepared = PreparedEdition(made.pk, made.language, render(made))
    # Delivery ids start at 1 in a fresh database: the first letter, as the sender builds it.
    message = prepared.message_bytes(1, subscriber.pk, subscriber.email)
    Path(message_file).write_bytes(message)
    emit(
        {
            "edition_id": made.pk,
            "stories": made.items.count(),
            "message_bytes": len(message),
            "html_chars": len(prepared.rendered.html),
            "text_chars": len(prepared.rendered.text),
            "envelope_from": prepared.envelope_from,
            "recipients": Subscriber.objects.filter(language="en", status="active").count(),
            "connections": settings.NEWSLETTER_CONNECTIONS,
            "tasks": settings.NEWSLETTER_TASKS,
        }
    )


def failed_sends(since: float) -> list[str]:
    """Tracebacks of send tasks that failed since ``since`` (the database task backend)."""
    from datetime import UTC, datetime

    from django_tasks_db.models import DBTaskResult

    failed = DBTaskResult.objects.filter(
        status="FAILED",
        task_path__endswith="send_deliveries",
        finished_at__gte=datetime.fromtimestamp(since, UTC),
    )
    return [str(result.traceback or "")[-2000:] for result in failed[:3]]


def send(edition_id: int, timeout: float) -> None:
    """Freeze, then wait for the edition to be sent; give up when a send task fails, when no
    letter is recorded for STALL seconds, or after ``timeout`` seconds."""
    from django.db.models import Max, Min

    from samizdat.newsletter.actions import delivery_counts, send_edition
    from samizdat.newsletter.models import Delivery, Edition

    called = time.time()
    letters = send_edition(edition_id=edition_id)
    frozen = time.time()
    deadline = time.monotonic() + timeout
    status, problem, errors = "", "", []
    open_rows = Delivery.objects.filter(edition_id=edition_id, status__in=["pending", "claimed"])
    last_open, progressed, checked = -1, time.monotonic(), 0.0
    while True:
        status = Edition.objects.filter(pk=edition_id).values_list("status", flat=True).get()
        if status == Edition.Status.SENT:
            break
        now = time.monotonic()
        if now > deadline:
            problem = f"not sent after {timeout:.0f} s"
            break
        if now - checked > 2:
            checked = now
            if errors := failed_sends(called):
                problem = "a send task failed"
                break
            remaining = open_rows.count()
            if remaining != last_open:
                last_open, progressed = remaining, now
            elif now - progressed > STALL:
                problem = f"no letter recorded for {STALL:.0f} s"
                break
        time.sleep(0.05)
    seen = time.time()
    final = Edition.objects.get(pk=edition_id)
    window = Delivery.objects.filter(edition_id=edition_id, status="sent").aggregate(
        first=Min("sent_at"), last=Max("sent_at")
    )
    emit(
        {
            "letters": letters,
            "finished": status == Edition.Status.SENT,
            "problem": problem,
            "task_errors": errors,
            "called_at": called,
            "freeze_seconds": frozen - called,
            "seen_sent_seconds": seen - called,
            "finished_seconds": (
                final.finished_at.timestamp() - called if final.finished_at else None
            ),
            "first_sent_seconds": (
                window["first"].timestamp() - called if window["first"] else None
            ),
            "last_sent_seconds": window["last"].timestamp() - called if window["last"] else None,
            "counts": delivery_counts(edition_id),
        }
    )


def main() -> None:
    import django

    django.setup()
    command, *args = sys.argv[1:]
    if command == "edition":
        edition(args[0])
    elif command == "send":
        send(int(args[0]), float(args[1]))
    elif command == "profile":
        from bench.newsletter_experiments import profile

        emit(profile(json.loads(args[0])))
    else:
        raise SystemExit(f"bench: unknown command {command!r}")


if __name__ == "__main__":
    main()
