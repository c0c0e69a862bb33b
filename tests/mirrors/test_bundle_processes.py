"""A full build in several processes: the same bundle as one process, nothing rewritten when
nothing changed, progress reported in the building process after each chunk."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from samizdat.mirrors import bundle, manifest
from samizdat.publishing.models import ArticlePage
from tests import factories

# The rendering processes read the database: what the test wrote must be committed. They
# start from the settings module, so this module overrides no setting that shapes a page.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stories(newsroom: dict[str, Any]) -> dict[str, Any]:
    for n in range(1, 9):
        factories.ArticlePageFactory(
            parent=newsroom["news"] if n % 3 else newsroom["culture"],
            title=f"Process story {n}",
            slug=f"process-story-{n}",
            authors=[newsroom["anna"]] if n % 2 else [newsroom["pavel"]],
            tags=["courts"] if n % 4 == 0 else ["elections"],
        )
    return newsroom


def files(root: Path) -> dict[str, bytes]:
    """Every file of the bundle by path, and the manifest's list of them (it also says when
    it was written)."""
    found = {rel: Path(path).read_bytes() for rel, path in manifest.walk(root)}
    listed = json.loads((root / manifest.MANIFEST).read_bytes())
    found[manifest.MANIFEST] = json.dumps(listed["files"], sort_keys=True).encode()
    return found


def build(
    root: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, *, jobs: int
) -> tuple[bundle.BuildReport, list[tuple[int, int, int]]]:
    settings.BUNDLE_JOBS = jobs
    monkeypatch.setattr(bundle, "CHUNK_SIZE", 4)  # a small site still makes several chunks
    calls: list[tuple[int, int, int]] = []
    report = bundle.build_bundle(
        root, progress=lambda done, total: calls.append((os.getpid(), done, total))
    )
    return report, calls


def test_two_processes_build_the_same_bytes_as_one(
    stories: dict[str, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    one, _ = build(tmp_path / "one", settings, monkeypatch, jobs=1)
    two, calls = build(tmp_path / "two", settings, monkeypatch, jobs=2)

    assert (one.processes, two.processes) == (1, 2)
    assert one.problems == two.problems == []
    assert one.pages == two.pages > 40
    assert sorted(one.written) == sorted(two.written)
    assert files(tmp_path / "two") == files(tmp_path / "one")
    story = (tmp_path / "two" / "en/news/process-story-1/index.html").read_text()
    assert "<h1>Process story 1</h1>" in story and 'class="donate-form"' in story
    # Progress is told in the building process (which renews its lease there), chunk by
    # chunk, up to every page.
    assert {pid for pid, _done, _total in calls} == {os.getpid()}
    done = [done for _pid, done, _total in calls]
    assert len(calls) == -(-two.pages // 4) and done == sorted(done) and done[-1] == two.pages
    assert {total for _pid, _done, total in calls} == {two.pages}


def test_processes_forked_from_a_lone_builder_build_the_same_bytes(
    stories: dict[str, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``samizdat mirror build`` runs no other thread: its rendering processes are forked,
    with Django set up, and open database connections of their own."""
    one, _ = build(tmp_path / "one", settings, monkeypatch, jobs=1)
    monkeypatch.setattr(bundle, "_start_method", lambda: "fork")
    forked, _ = build(tmp_path / "forked", settings, monkeypatch, jobs=2)

    assert forked.processes == 2 and forked.problems == []
    assert sorted(forked.written) == sorted(one.written)
    assert files(tmp_path / "forked") == files(tmp_path / "one")
    assert ArticlePage.objects.live().count() > 8  # this process's database still answers


def test_processes_are_spawned_beside_other_threads() -> None:
    """The worker builds beside other threads: a lock one of them held at fork time would
    hang a forked process, so the rendering processes are fresh interpreters there."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert bundle._start_method() == "spawn"
    finally:
        stop.set()
        other.join()


def test_a_rebuild_with_nothing_changed_writes_nothing(
    stories: dict[str, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = tmp_path / "bundle"
    first, _ = build(root, settings, monkeypatch, jobs=2)
    before = {rel: Path(path).stat().st_mtime_ns for rel, path in manifest.walk(root)}

    again, _ = build(root, settings, monkeypatch, jobs=2)

    assert again.processes == 2 and again.pages == first.pages
    assert again.written == [] and again.removed == []
    after = {rel: Path(path).stat().st_mtime_ns for rel, path in manifest.walk(root)}
    assert after == before


def test_a_new_story_rewrites_only_what_shows_it(
    stories: dict[str, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = tmp_path / "bundle"
    build(root, settings, monkeypatch, jobs=2)
    factories.ArticlePageFactory(
        parent=stories["culture"], title="A late review", slug="a-late-review", tags=["theatre"]
    )

    again, _ = build(root, settings, monkeypatch, jobs=2)

    pages = set(again.pages_written)
    assert "en/culture/a-late-review/index.html" in pages
    assert "en/tags/theatre/index.html" in pages
    assert "en/culture/index.html" in pages and "en/feed/rss/index.xml" in pages
    assert "en/authors/index.html" not in pages  # lists no story
    # Each rewritten page got fresh compressed siblings, and no other file did.
    assert set(again.written) == pages | {
        rel + suffix
        for rel in pages
        if rel.endswith((".html", ".xml"))
        for suffix in (".gz", ".br")
    } | {rel for rel in again.written if rel.startswith("media/")}
