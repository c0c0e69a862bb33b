from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from wagtail.models import PageLogEntry

from samizdat.publishing.models import ArticlePage
from tests.logins import log_in

pytestmark = pytest.mark.django_db


def staff(username: str, group: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def draft(section: Any, title: str = "Draft story") -> ArticlePage:
    page = ArticlePage(title=title, slug="draft-story", standfirst="Not yet.", live=False)
    section.add_child(instance=page)
    page.save_revision()
    return page


def test_reporter_can_edit_and_submit_but_not_publish(
    client: Client, newsroom: dict[str, Any]
) -> None:
    reporter = staff("reporter", "Reporters")
    page = draft(newsroom["news"])
    permissions = page.permissions_for_user(reporter)
    assert permissions.can_edit() and not permissions.can_publish()

    log_in(client, reporter)
    html = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert 'name="action-submit"' in html
    assert 'name="action-publish"' not in html


def test_editor_approves_a_submitted_story_and_it_goes_live(
    client: Client, newsroom: dict[str, Any]
) -> None:
    reporter, editor = staff("reporter", "Reporters"), staff("editor", "Editors")
    page = draft(newsroom["news"])
    workflow = page.get_workflow()
    assert workflow is not None and workflow.name == "Editor approval"
    state = workflow.start(page, reporter)
    task_state = state.current_task_state
    task = task_state.task.specific
    assert "approve" in {action[0] for action in task.get_actions(page, editor)}
    assert task.get_actions(page, reporter) == []
    task.on_action(task_state, editor, "approve")

    page.refresh_from_db()
    assert page.live
    assert client.get("/en/news/draft-story/").status_code == 200
    assert PageLogEntry.objects.filter(page=page, action="wagtail.publish").exists()


def test_editor_can_publish_directly(newsroom: dict[str, Any]) -> None:
    editor = staff("editor", "Editors")
    page = draft(newsroom["news"])
    assert page.permissions_for_user(editor).can_publish()


def test_scheduled_story_goes_live_when_due(client: Client, newsroom: dict[str, Any]) -> None:
    page = draft(newsroom["news"])
    page.go_live_at = timezone.now() + timedelta(minutes=5)
    page.save_revision().publish()
    page.refresh_from_db()
    assert not page.live and client.get("/en/news/draft-story/").status_code == 404

    call_command("publish_scheduled", verbosity=0)
    page.refresh_from_db()
    assert not page.live  # not due yet

    # Five minutes pass: move the scheduled time into the past instead of waiting.
    past = timezone.now() - timedelta(minutes=1)
    revision = page.latest_revision
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    call_command("publish_scheduled", verbosity=0)  # what `samizdat worker` runs every minute
    page.refresh_from_db()
    assert page.live
    assert client.get("/en/news/draft-story/").status_code == 200


def test_audit_log_records_edits_and_publishing(newsroom: dict[str, Any]) -> None:
    article = newsroom["lead"]
    article.title = "Court opens trial of reporter, day two"
    article.save_revision().publish()
    actions = list(
        PageLogEntry.objects.filter(page=article)
        .order_by("timestamp")
        .values_list("action", flat=True)
    )
    assert actions[0] == "wagtail.create"
    assert actions.count("wagtail.publish") == 2
