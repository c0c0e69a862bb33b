"""An app plugs in through hooks alone: what it registers is offered by ``samizdat seed``,
shows in pages' regions and the static bundle, and counts for the CSP and reader forms, with
no edit to core or to another app. A "fifth app" registers here (its periodic jobs: in
``test_worker.py``; its demo content: ``tests/publishing/test_demo.py`` seeds through the
same hook)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.template import Context
from django.test import Client
from pytest_django.fixtures import Settings
from wagtail import hooks

from samizdat.core.hooks import (
    FORM_ACTION_ORIGINS,
    FORM_ORIGINS,
    PUBLIC_PATHS,
    SEEDERS,
    Seeder,
    region,
)
from samizdat.mirrors import bundle
from samizdat.newsletter.actions import ensure_newsletter_pages
from samizdat.newsletter.models import Subscriber
from tests.core.test_app_origins import sign_up as sign_up_from

pytestmark = pytest.mark.django_db


def test_seed_offers_every_registered_seeder(site_tree: Any) -> None:
    added: list[tuple[int, str]] = []

    def add_quizzes(
        count: int, options: Mapping[str, Any], progress: Callable[[int, int], None]
    ) -> int:
        added.append((count, options["difficulty"]))
        progress(count, count)
        return count

    def quizzes() -> Seeder:
        return Seeder(
            option="quizzes",
            noun="quizzes",
            help="How many quizzes to add.",
            add=add_quizzes,
            arguments=((("--difficulty",), {"default": "easy"}),),
        )

    out = StringIO()
    with hooks.register_temporarily(SEEDERS, quizzes):
        call_command("seed", "--quizzes", "3", "--difficulty", "hard", stdout=out, stderr=out)
    assert added == [(3, "hard")]
    assert "Added 3 quizzes" in out.getvalue()
    with pytest.raises(Exception, match="--quizzes"), hooks.register_temporarily(SEEDERS, quizzes):
        call_command("seed")


def test_a_registered_block_shows_in_its_region_after_the_others(
    newsroom: dict[str, Any], client: Client
) -> None:
    def quiz(context: Context) -> str:
        return f'<section class="quiz">Quiz for {context["page"].title}</section>'

    with hooks.register_temporarily(region("after_article"), quiz, order=30):
        page = client.get("/en/news/court-opens-trial/").content.decode()
    assert "Quiz for Court opens trial of reporter" in page
    # After the apps already there: the appeal, then the newsletter signup.
    assert page.index('class="appeal"') < page.index('class="signup"') < page.index("quiz")
    assert "quiz" not in client.get("/en/news/court-opens-trial/").content.decode()


def test_a_registered_public_path_is_baked_into_the_bundle(
    newsroom: dict[str, Any], tmp_path: Path
) -> None:
    def quiz_paths() -> list[str]:
        return ["/en/search/"]  # a page of the app the bundle does not otherwise hold

    with hooks.register_temporarily(PUBLIC_PATHS, quiz_paths):
        report = bundle.build_bundle(tmp_path / "bundle")
    assert report.problems == []
    assert (tmp_path / "bundle/en/search/index.html").is_file()
    assert (tmp_path / "bundle/en/news/court-opens-trial/index.html").is_file()


def test_registered_origins_count_for_the_csp_and_reader_forms(
    newsroom: dict[str, Any], settings: Settings
) -> None:
    settings.APP_ORIGINS = ["http://testserver"]
    ensure_newsletter_pages()

    def quiz_service() -> list[str]:
        return ["https://quiz.example.net"]

    def quiz_mirror() -> list[str]:
        return ["https://quiz-copy.example.org/lantern/"]

    def sign_up(email: str) -> int:
        return sign_up_from("https://quiz-copy.example.org", email)

    assert sign_up("before@example.org") == 403
    with hooks.register_temporarily(
        [(FORM_ACTION_ORIGINS, quiz_service), (FORM_ORIGINS, quiz_mirror)]
    ):
        policy = Client().get("/en/").headers["Content-Security-Policy"]
        assert sign_up("during@example.org") == 200
    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert "https://quiz.example.net" in form_action.split()
    assert Subscriber.objects.filter(email="during@example.org").exists()
    assert not Subscriber.objects.filter(email="before@example.org").exists()
