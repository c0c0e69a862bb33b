"""The week's edition opened from a phone's storage: from file://, with no request anywhere,
every photo showing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from samizdat.editions import actions, build
from tests.browser.conftest import record_requests
from tests.editions.helpers import this_week, week_stories

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_the_html_edition_opens_from_disk_with_its_photos_and_no_request(
    browser: Browser, site_tree: Any, tmp_path: Path
) -> None:
    stories = week_stories(3)
    week = actions.build_week(language="en", year=this_week().year, week=this_week().week)
    path = tmp_path / week.file_name("html")
    path.write_bytes(build.files(week).html)
    with browser.new_context() as context:
        page = context.new_page()
        requests = record_requests(page)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        expect(page.locator("h1")).to_contain_text("week")
        for story in stories:
            expect(page.get_by_role("heading", name=story.title)).to_be_visible()
        images = page.locator("img")
        expect(images).to_have_count(6)
        for index in range(6):
            image = images.nth(index)
            image.scroll_into_view_if_needed()
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        # The contents lead to each story inside the file.
        page.get_by_role("link", name=stories[0].title).first.click()
        expect(page).to_have_url(path.as_uri() + "#story-3")
    fetched = [request.url for request in requests if not request.url.startswith("data:")]
    assert fetched == [path.as_uri()], fetched
