"""Access logs folded into daily counts: the right channel and story for each read, nothing
counted twice, a rotated or truncated log read from its start, a bad line skipped."""

from __future__ import annotations

import datetime
import logging
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from samizdat.mirrors.models import Mirror
from samizdat.reach import actions
from samizdat.reach.models import LogCursor, ReadCount

pytestmark = pytest.mark.django_db

DAY = "2026-12-01"


def line(path: str, *, host: str = "testserver", status: int = 200, block: str = "web",
         via: str = "-", method: str = "GET", day: str = DAY) -> str:  # fmt: skip
    return "\t".join(["samizdat-reach-1", day, block, host, method, str(status), via, path]) + "\n"


def counts() -> dict[tuple[str, str, str], int]:
    return {(str(row.day), row.path, row.channel): row.count for row in ReadCount.objects.all()}


def fold(*paths: Path) -> list[actions.FoldReport]:
    return actions.fold(paths=paths, node="node-1")


def test_each_read_counts_for_its_day_story_and_channel(tmp_path: Path) -> None:
    Mirror.objects.create(url="https://mirror.example/", public=True)
    log = tmp_path / "reach.log"
    log.write_text(
        line("/en/news/trial/index.html")
        + line("/en/news/trial/")
        + line("/en/news/trial/", host="mirror.example")
        + line("/en/news/trial/", via="newsletter")
        + line("/en/news/trial/", block="onion", host="lantern.onion")
        + line("/en/news/trial/", host="unknown.example")
        + line("/en/feed/rss/index.xml")
        + line("/en/news/trial/", day="2026-12-02", status=304)
        + line("/ru/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/".replace("%", "\\x"))
        # not page reads: assets, errors, redirects, posts, robots.txt, uploads
        + line("/static/samizdat/site.css")
        + line("/404.html", status=404)
        + line("/en/news/trial", status=301)
        + line("/en/news/trial/", method="POST")
        + line("/en/news/trial/", method="HEAD")
        + line("/robots.txt")
        + line("/media/images/photo.jpg")
    )
    [report] = fold(log)
    assert (report.lines, report.reads, report.skipped) == (16, 9, 0)
    assert counts() == {
        (DAY, "/en/news/trial/", "origin"): 2,
        (DAY, "/en/news/trial/", "mirror:mirror.example"): 1,
        (DAY, "/en/news/trial/", "newsletter"): 1,
        (DAY, "/en/news/trial/", "onion"): 1,
        (DAY, "/en/news/trial/", "other"): 1,
        (DAY, "/en/feed/rss/", "feed"): 1,
        ("2026-12-02", "/en/news/trial/", "origin"): 1,
        (DAY, "/ru/новости/", "origin"): 1,
    }


def test_a_second_fold_reads_on_from_where_the_first_stopped(tmp_path: Path) -> None:
    log = tmp_path / "reach.log"
    log.write_text(line("/en/a/") + line("/en/b/"))
    fold(log)
    fold(log)  # nothing new: nothing counted again
    assert counts() == {(DAY, "/en/a/", "origin"): 1, (DAY, "/en/b/", "origin"): 1}
    with log.open("a") as handle:
        handle.write(line("/en/a/") + line("/en/c/")[:20])  # the last line still being written
    [report] = fold(log)
    assert (report.lines, report.reads) == (1, 1)
    assert counts()[(DAY, "/en/a/", "origin")] == 2
    with log.open("a") as handle:
        handle.write(line("/en/c/")[20:])
    fold(log)
    assert counts()[(DAY, "/en/c/", "origin")] == 1
    assert LogCursor.objects.get().offset == log.stat().st_size


def test_a_rotated_or_truncated_log_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "reach.log"
    log.write_text(line("/en/a/") + line("/en/b/") + line("/en/c/"))
    fold(log)
    log.rename(tmp_path / "reach.log.1")  # logrotate: a new file, with another first line
    log.write_text(line("/en/d/") + line("/en/e/") + line("/en/f/") + line("/en/g/"))
    [report] = fold(log)
    assert report.restarted and report.reads == 4
    log.write_text(line("/en/a/"))  # truncated in place (copytruncate), shorter than before
    [report] = fold(log)
    assert report.restarted and report.reads == 1
    assert counts()[(DAY, "/en/a/", "origin")] == 2
    assert sum(counts().values()) == 8


def test_lines_in_another_format_are_skipped_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "reach.log"
    log.write_text(
        line("/en/a/")
        + '127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"\n'
        + line("/en/a/", day="2026-13-45")
        + "\n"
        + line("/en/b/")
    )
    with caplog.at_level(logging.WARNING, logger="samizdat.reach.actions"):
        [report] = fold(log)
    assert (report.lines, report.reads, report.skipped) == (5, 2, 3)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and "3 of 5 lines" in warnings[0].getMessage()
    assert "127.0.0.1" not in warnings[0].getMessage()
    assert LogCursor.objects.get().skipped == 3


def test_each_node_keeps_its_own_place_in_a_log_of_the_same_name(tmp_path: Path) -> None:
    log = tmp_path / "reach.log"
    log.write_text(line("/en/a/"))
    actions.fold(paths=[log], node="node-1")
    actions.fold(paths=[log], node="node-2")
    assert counts() == {(DAY, "/en/a/", "origin"): 2}
    assert LogCursor.objects.count() == 2


def test_nothing_is_read_when_counting_is_off(tmp_path: Path, settings: Any) -> None:
    settings.REACH_COUNTS = False
    log = tmp_path / "reach.log"
    log.write_text(line("/en/a/"))
    assert fold(log) == []
    assert not ReadCount.objects.exists() and not LogCursor.objects.exists()
    with pytest.raises(CommandError, match="off"):
        call_command("reach", "fold", str(log))


def test_the_command_folds_the_logs_it_is_given(tmp_path: Path, capsys: Any) -> None:
    log = tmp_path / "reach.log"
    log.write_text(line("/en/a/") + "garbage\n")
    call_command("reach", "fold", str(log), str(tmp_path / "missing.log"))
    out, err = capsys.readouterr()
    assert "2 new lines, 1 page reads, 1 skipped" in out
    assert "missing.log: no such file" in err
    assert counts() == {(DAY, "/en/a/", "origin"): 1}


def test_old_counts_are_forgotten(tmp_path: Path) -> None:
    today = datetime.date(2026, 12, 3)
    for day in (today - datetime.timedelta(days=401), today - datetime.timedelta(days=400)):
        ReadCount.objects.create(day=day, path="/en/a/", channel="origin", count=1)
    assert actions.forget_old(today=today, keep_days=400) == 1
    assert list(ReadCount.objects.values_list("day", flat=True)) == [
        today - datetime.timedelta(days=400)
    ]


def test_the_tables_hold_nothing_about_a_reader() -> None:
    """Counts only: no column for an address, a browser, a cookie, a time of day."""
    from django.db import connection

    from samizdat.reach.models import FailoverCount

    with connection.cursor() as cursor:
        columns = {
            model.__name__: sorted(
                column.name
                for column in connection.introspection.get_table_description(
                    cursor, model._meta.db_table
                )
            )
            for model in (ReadCount, FailoverCount, LogCursor)
        }
    assert columns == {
        "ReadCount": ["channel", "count", "day", "id", "path"],
        "FailoverCount": ["count", "day", "id", "mirror"],
        "LogCursor": ["head", "key", "lines", "offset", "skipped", "updated_at"],
    }
    assert ReadCount._meta.get_field("day").get_internal_type() == "DateField"


def test_the_workers_job_folds_the_configured_logs(tmp_path: Path, settings: Any) -> None:
    from samizdat.reach.wagtail_hooks import fold_logs

    log = tmp_path / "reach.log"
    log.write_text(line("/en/a/"))
    settings.REACH_LOGS = [str(log)]
    fold_logs(datetime.datetime.now(datetime.UTC))
    fold_logs(datetime.datetime.now(datetime.UTC))
    assert counts() == {(DAY, "/en/a/", "origin"): 1}


@pytest.mark.django_db(transaction=True)
def test_workers_folding_the_same_log_at_once_count_each_line_once(tmp_path: Path) -> None:
    """Two workers of one machine read the same log at the same moment: the one whose cursor
    moved first keeps its counts, the other's are rolled back."""
    import threading

    from django.db import connection

    log = tmp_path / "reach.log"
    lines = 30_000  # more than one chunk of reading
    log.write_text("".join(line(f"/en/story-{n % 50}/") for n in range(lines)))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            actions.fold(paths=[log], node="node-1")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    actions.fold(paths=[log], node="node-1")  # whatever a loser left is read now
    assert errors == []
    assert sum(counts().values()) == lines
    assert LogCursor.objects.get().offset == log.stat().st_size
