"""A real Ghost 4 site, imported whole: every post and page arrives with its old addresses, and
the pages pass the checks of the demo newsroom's."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from samizdat.importer import media
from samizdat.importer.actions import import_export, source_name
from samizdat.importer.ghost import read_ghost
from samizdat.publishing.actions import ensure_site_tree
from tests.importer.checks import (
    assert_passes_the_demo_checks,
    local,
    pages_of,
    photo,
)
from tests.importer.fixtures import fixture
from tests.importer.old_site import old_site

pytestmark = pytest.mark.django_db

GHOST = "ghost/v4_export.json"


def test_a_ghost_4_site_arrives_whole_with_its_old_addresses(
    client: Client, no_internet: None
) -> None:
    ensure_site_tree()
    data = json.loads(fixture(GHOST).read_text())["db"][0]["data"]
    with old_site(fallback=photo()) as site:
        export = read_ghost(fixture(GHOST), site_url="https://ghost.example")
        resolver = media.Resolver(
            source=source_name(export.source), fetch_from={"https://ghost.example": site.url}
        )
        report = import_export(export, resolver=resolver)
    source = source_name(export.source)

    for kind in ("post", "page"):
        expected = {post["id"]: post for post in data["posts"] if post["type"] == kind}
        arrived = pages_of(source, kind)
        assert set(arrived) == set(expected), kind
        for source_id, post in expected.items():
            page = arrived[source_id]
            assert page.title == post["title"]
            public = post["status"] == "published" and post["visibility"] == "public"
            assert page.live == public  # a post for paying readers there is not public here
            if page.live:
                assert_passes_the_demo_checks(client, page.url)
                response = client.get(f"/{post['slug']}/")
                assert response.status_code == 301, post["slug"]
                assert local(response["Location"]) == page.url
    for tag in data["tags"]:
        if tag["visibility"] == "public" and any(
            j["tag_id"] == tag["id"] for j in data["posts_tags"]
        ):
            assert client.get(f"/tag/{tag['slug']}/").status_code == 301, tag["slug"]
    for user in data["users"]:
        if any(j["author_id"] == user["id"] for j in data["posts_authors"]):
            assert client.get(f"/author/{user['slug']}/").status_code == 301, user["slug"]
    assert client.get("/rss/").status_code == 301
    assert report.total("failed") == 0, report.render()


def test_ghost_posts_can_be_filed_under_sections_named_after_their_primary_tags(
    no_internet: None,
) -> None:
    ensure_site_tree()
    data = json.loads(fixture(GHOST).read_text())["db"][0]["data"]
    tag = next(tag for tag in data["tags"] if tag["slug"] == "getting-started")
    export = read_ghost(fixture(GHOST), site_url="https://ghost.example", sections_from_tags=True)
    resolver = media.Resolver(source=source_name(export.source), download=False)

    import_export(export, resolver=resolver)

    posts = pages_of(source_name(export.source), "post")
    assert len(posts) == sum(post["type"] == "post" for post in data["posts"])
    sections = {page.get_parent().specific for page in posts.values()}
    assert [(section.slug, section.title) for section in sections] == [
        ("getting-started", tag["name"])
    ]
