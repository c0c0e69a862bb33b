from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connections, transaction
from django.test import Client
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from pytest_django import DjangoDbBlocker
from wagtail.models import Page

from samizdat.publishing.actions import ensure_site_tree
from tests import factories
from tests.logins import log_in

TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server"}
MODULE_DATA = "module_data_"
T = TypeVar("T")

# Property tests (tests/properties/): the same examples on every run, so a failure in CI is
# one anyone can replay; SAMIZDAT_HYPOTHESIS_PROFILE=deep explores ten times as far, anew
# each run, for a search before a release.
_PROPERTIES = hypothesis_settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example cleans up after itself
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
hypothesis_settings.register_profile(
    "default", _PROPERTIES, max_examples=100, derandomize=True, database=None
)
hypothesis_settings.register_profile("deep", _PROPERTIES, max_examples=1000)
hypothesis_settings.load_profile(os.environ.get("SAMIZDAT_HYPOTHESIS_PROFILE", "default"))


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    in_marker = bool(marker and marker.kwargs.get("transaction"))
    return in_marker or bool(TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))


def _uses_database(item: pytest.Item) -> bool:
    """Whether the test reads or writes the database under test, or a copy of it for
    processes of its own: every database fixture rests on ``django_db_setup``."""
    names = set(getattr(item, "fixturenames", ()))
    return "django_db_setup" in names or item.get_closest_marker("django_db") is not None


# Where the code speaks SQL of its own or leans on the engine: search, the import's redirects
# and subscribers, the newsletter's claims
# and sending, donations' row locks, leases, periodic claims, encrypted look-ups, the bundle's
# state and locks, the migrations. Elsewhere (pages, the admin, reading) only the tests that
# commit, and so take locks and see other connections, run on PostgreSQL too.
EVERY_DATABASE = (
    "tests/core/",
    "tests/donations/",
    "tests/importer/test_addresses.py",
    "tests/importer/test_subscribers.py",
    "tests/mirrors/",
    "tests/multinode/",
    "tests/newsletter/",
    "tests/properties/test_reading.py",
    "tests/reach/",
    "tests/publishing/test_search.py",
    "tests/test_migrations.py",
)


# Tests in those folders of what no engine changes: writing configuration (nginx, systemd, the
# settings file), refusing bad settings, copying files to mirror targets, publishing the bundle
# to a bucket. They run on SQLite only; a production installation is still set up and checked
# on PostgreSQL too (`test_setup_writes_an_installation_that_passes_every_check`,
# `test_a_production_installation_is_clean`, the machine of several), and takedowns reach the
# bucket there (the rest of tests/mirrors/test_published.py, and the multinode suite).
SQLITE_ONLY = (
    "tests/core/test_deploy_checks.py::test_a_guessable_secret_key_stops_every_command",
    "tests/core/test_deploy_checks.py::test_accounts_with_the_demo_password_are_an_error",
    "tests/core/test_deploy_checks.py::test_several_machines_without_a_mail_server_are_warned",
    "tests/core/test_deploy_checks.py::test_the_demos_data_folder_is_refused_without_debug",
    "tests/core/test_setup.py::test_a_second_run_keeps_the_keys_and_changes_the_rest",
    "tests/mirrors/test_nginx.py",
    "tests/mirrors/test_published.py::test_a_build_publishes_the_bundle_with_types_a_browser_needs",
    "tests/mirrors/test_published.py::test_a_build_whose_pages_answered_500_is_reported_partial",
    "tests/mirrors/test_published.py::test_a_correction_publishes_only_the_files_it_changed",
    "tests/mirrors/test_published.py::test_a_full_build_repairs_a_bucket_with_stray_missing_and_",
    "tests/mirrors/test_published.py::test_a_node_with_an_empty_bundle_catches_up_from_the_bucket",
    "tests/mirrors/test_targets.py",
)


def _on_every_database(item: pytest.Item) -> bool:
    if not _uses_database(item) or item.nodeid.startswith(SQLITE_ONLY):
        return False
    where = item.nodeid.split("::", 1)[0]
    return where.startswith(EVERY_DATABASE) or _transactional(item)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests run in random order (pytest-randomly), so none may count on what ran before it.

    A test that commits starts from the database as migrations left it (the skeleton, the
    roles, the default currencies), serialized once at set-up, and leaves it so (see
    ``_migrated_data_back``). Data a module builds once (fixtures named ``module_data_…``)
    is built before the module's first test, whichever that is, so every test of the module
    sees the same database.

    On PostgreSQL (the second pass of `make test`) only the tests whose outcome can depend on
    the database run (``_on_every_database``): the others did the same on SQLite already."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        elsewhere = [item for item in items if not _on_every_database(item)]
        if elsewhere:
            config.hook.pytest_deselected(items=elsewhere)
            items[:] = [item for item in items if _on_every_database(item)]
    tests = [item for item in items if isinstance(item, pytest.Function)]
    module_data: dict[Any, list[str]] = {}
    for test in tests:
        for name in test.fixturenames:
            wanted = module_data.setdefault(test.module, [])
            if name.startswith(MODULE_DATA) and name not in wanted:
                wanted.append(name)
    for test in tests:
        missing = [name for name in module_data[test.module] if name not in test.fixturenames]
        test.fixturenames[:0] = missing  # first, before the test's own transaction begins
        if _transactional(test):
            marker = pytest.mark.django_db(transaction=True, serialized_rollback=True)
            test.add_marker(marker, append=False)  # the closest: it wins over the test's own
            test.fixturenames.insert(0, "_migrated_data_back")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> None:
    """The test database as migrations leave it; a database kept from an earlier run
    (``--reuse-db``) that a run stopped in the middle of a committing test left empty is
    refused with what to do, rather than failing every test."""
    with django_db_blocker.unblock():
        if not Page.objects.exists():
            pytest.exit(
                "The test database kept from an earlier run is empty (that run stopped while "
                "a test that commits was running): run once with --create-db, e.g. "
                "`make test PYTEST_ARGS=--create-db`.",
                returncode=2,
            )


@pytest.fixture
def _migrated_data_back(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Set up before the database of a test that commits, so torn down after its tables
    were emptied (and before the test database itself goes, after the last test): puts back
    what migrations wrote, so the tests after it, in any order and file, find it as in a
    fresh database."""
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            contents = getattr(connection, "_test_serialized_contents", None)
            if contents:
                connection.creation.deserialize_db_from_string(contents)


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Every test starts in the default language: a view or command that activated another
    (as reader pages do) leaves it active in the thread, which the next test would inherit."""
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    for alias in ("default", "renditions"):
        caches[alias].clear()


@pytest.fixture
def admin_client(db: Any, admin_user: Any) -> Client:
    """A superuser signed in to the admin as staff are: password, then an app's code (the
    admin is closed to a password alone)."""
    client = Client()
    log_in(client, admin_user, password="password")
    return client


@pytest.fixture
def site_tree(db: Any) -> Any:
    """The skeleton every installation has: a home page and author index per language."""
    return ensure_site_tree()


@pytest.fixture(scope="module")
def module_transaction(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[bool]:
    """A transaction around a whole module, as Django's ``TestCase.setUpTestData`` has: data
    built in it once is there for every test of the module (each test's own transaction is a
    savepoint inside it) and gone when the module ends. False, and no transaction, in a module
    with tests that commit: they need the database as it is."""
    module = request.module
    if any(
        _transactional(item)
        for item in request.session.items
        if getattr(item, "module", None) is module
    ):
        yield False
        return
    with django_db_blocker.unblock():
        atomics = [transaction.atomic(using=alias) for alias in connections]
        for atomic in atomics:
            atomic.__enter__()
    try:
        yield True
    finally:
        with django_db_blocker.unblock():
            for alias, atomic in zip(reversed(list(connections)), reversed(atomics), strict=True):
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


def build_once(
    module_transaction: bool, django_db_blocker: DjangoDbBlocker, build: Callable[[], T]
) -> T | None:
    """``build()``'s result, built once for the module; None where each test builds its own."""
    if not module_transaction:
        return None
    with django_db_blocker.unblock():
        return build()


def _build_newsroom() -> dict[str, Any]:
    ensure_site_tree()
    home = factories.home("en")
    news = factories.SectionPageFactory(parent=home, title="News", slug="news")
    culture = factories.SectionPageFactory(parent=home, title="Culture", slug="culture")
    index = factories.author_index("en")
    anna = factories.AuthorPageFactory(parent=index, title="Anna Berg", slug="anna-berg")
    pavel = factories.AuthorPageFactory(parent=index, title="Pavel Drozd", slug="pavel-drozd")
    image = factories.ImageFactory(title="Court steps")
    lead = factories.ArticlePageFactory(
        parent=news,
        title="Court opens trial of reporter",
        slug="court-opens-trial",
        lead_image=image,
        authors=[anna, pavel],
        tags=["courts", "press-freedom"],
    )
    return {"home": home, "news": news, "culture": culture, "anna": anna, "pavel": pavel,
            "image": image, "lead": lead}  # fmt: skip


@pytest.fixture(scope="module")
def module_data_newsroom(
    module_transaction: bool, django_db_blocker: DjangoDbBlocker
) -> dict[str, Any] | None:
    return build_once(module_transaction, django_db_blocker, _build_newsroom)


def fresh(objects: dict[str, Any]) -> dict[str, Any]:
    """The same rows, read again: what a test changes in its objects stays with that test."""
    return {name: type(obj).objects.get(pk=obj.pk) for name, obj in objects.items()}


@pytest.fixture
def newsroom(site_tree: Any, module_data_newsroom: dict[str, Any] | None) -> dict[str, Any]:
    """A small published newsroom: two sections, two authors, a few tagged articles. Built
    once per module (where no test commits), each test getting its objects fresh from the
    database."""
    if module_data_newsroom is None:
        return _build_newsroom()
    return fresh(module_data_newsroom)


# How many requests the property tests sent to each endpoint, and what came back: printed at
# the end of the session (collected from every xdist worker).
_CASES_KEY = "samizdat_property_cases"


def _property_cases() -> dict[str, dict[str, int]]:
    from tests.properties.tally import CASES

    found: dict[str, dict[str, int]] = {}
    for (endpoint, status), count in CASES.items():
        found.setdefault(endpoint, {})[str(status)] = count
    return found


def _merge(into: dict[str, dict[str, int]], cases: dict[str, dict[str, int]]) -> None:
    for endpoint, statuses in cases.items():
        for status, count in statuses.items():
            mine = into.setdefault(endpoint, {})
            mine[status] = mine.get(status, 0) + count


_cases_stash = pytest.StashKey[dict[str, dict[str, int]]]()
_started_stash = pytest.StashKey[float]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_cases_stash] = {}
    config.stash[_started_stash] = time.time()


def pytest_sessionfinish(session: pytest.Session) -> None:
    cases = _property_cases()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand them to the controller
        workeroutput[_CASES_KEY] = json.dumps(cases)
    else:
        _merge(session.config.stash[_cases_stash], cases)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    cases = json.loads(getattr(node, "workeroutput", {}).get(_CASES_KEY, "{}"))
    _merge(node.config.stash[_cases_stash], cases)


def _report_screenshots(terminalreporter: Any, config: pytest.Config) -> None:
    """Where the browser tests (tests/browser/test_screens.py) put this run's screenshots."""
    from tests.browser.screenshots import screenshots_dir, taken_since

    taken = taken_since(config.stash.get(_started_stash, time.time()))
    if taken:
        terminalreporter.section("screenshots")
        terminalreporter.write_line(f"{len(taken)} screenshots of the site in {screenshots_dir()}")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    _report_screenshots(terminalreporter, config)
    cases = config.stash.get(_cases_stash, {})
    if not cases:
        return
    terminalreporter.section("property cases per endpoint")
    total = 0
    for endpoint in sorted(cases):
        statuses = cases[endpoint]
        count = sum(statuses.values())
        total += count
        answers = ", ".join(f"{status}×{n}" for status, n in sorted(statuses.items()))
        terminalreporter.write_line(f"{count:6d}  {endpoint}  ({answers})")
    terminalreporter.write_line(f"{total:6d}  in all")
