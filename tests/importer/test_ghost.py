"""Ghost exports (Ghost 0.x to 6) read into posts, pages, authors, tags and members."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from samizdat.importer.ghost import read_ghost
from samizdat.importer.records import ExportError
from samizdat.importer.subscribers import MemberStream
from tests.importer.fixtures import fixture

LEXICAL = json.dumps(
    {
        "root": {
            "children": [
                {
                    "children": [
                        {
                            "detail": 0,
                            "format": 0,
                            "mode": "normal",
                            "style": "",
                            "text": "Written in the Lexical editor",
                            "type": "text",
                            "version": 1,
                        }
                    ],
                    "direction": "ltr",
                    "format": "",
                    "indent": 0,
                    "type": "paragraph",
                    "version": 1,
                }
            ],
            "direction": "ltr",
            "format": "",
            "indent": 0,
            "type": "root",
            "version": 1,
        }
    }
)
MOBILEDOC = json.dumps(
    {
        "version": "0.3.1",
        "atoms": [],
        "cards": [],
        "markups": [],
        "sections": [[1, "p", [[0, [], 0, "Written in the Mobiledoc editor"]]]],
    }
)


def write(tmp_path: Path, document: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def ghost5(**changes: Any) -> dict[str, Any]:
    """A small Ghost 5 export as Ghost writes it: posts with html and lexical, posts_meta,
    tags with an internal one, newsletters, members and members_newsletters."""
    data: dict[str, Any] = {
        "posts": [
            {
                "id": "p1",
                "uuid": "u1",
                "title": "Court hearing postponed",
                "slug": "court-hearing",
                "lexical": LEXICAL,
                "html": '<p>See <a href="__GHOST_URL__/about/">about</a>.</p>'
                '<img src="__GHOST_URL__/content/images/2024/01/court.jpg">',
                "feature_image": "__GHOST_URL__/content/images/2024/01/court.jpg",
                "type": "post",
                "status": "published",
                "locale": None,
                "visibility": "public",
                "created_at": "2024-01-10T08:00:00.000Z",
                "updated_at": "2024-01-11T09:30:00.000Z",
                "published_at": "2024-01-10T10:00:00.000Z",
                "custom_excerpt": "The judge was ill.",
            },
            {
                "id": "p2",
                "title": "Суд отложен",
                "slug": "sud-otlozhen",
                "html": "<p>Судья заболел.</p>",
                "type": "post",
                "status": "scheduled",
                "published_at": "2030-02-01T06:00:00.000Z",
                "updated_at": "2024-01-11T09:30:00.000Z",
                "custom_excerpt": None,
            },
            {
                "id": "p3",
                "title": "Unfinished",
                "slug": "unfinished",
                "html": "<p>Draft.</p>",
                "type": "post",
                "status": "draft",
                "published_at": None,
                "updated_at": "2024-01-12T09:30:00.000Z",
            },
            {
                "id": "p4",
                "title": "About us",
                "slug": "about",
                "html": "<p>We are a newsroom.</p>",
                "type": "page",
                "status": "published",
                "published_at": "2023-05-01T00:00:00.000Z",
                "updated_at": "2023-05-01T00:00:00.000Z",
            },
        ],
        "posts_meta": [
            {
                "id": "m1",
                "post_id": "p1",
                "feature_image_alt": "The court building",
                "feature_image_caption": 'Photo: <a href="https://example.net/">Anna</a>',
            }
        ],
        "tags": [
            {"id": "t1", "name": "Courts", "slug": "courts", "visibility": "public"},
            {"id": "t2", "name": "#ru", "slug": "hash-ru", "visibility": "internal"},
            {"id": "t3", "name": "#featured", "slug": "hash-featured", "visibility": "internal"},
        ],
        "posts_tags": [
            {"id": "pt1", "post_id": "p1", "tag_id": "t1", "sort_order": 0},
            {"id": "pt2", "post_id": "p1", "tag_id": "t3", "sort_order": 1},
            {"id": "pt3", "post_id": "p2", "tag_id": "t2", "sort_order": 0},
            {"id": "pt4", "post_id": "p2", "tag_id": "t1", "sort_order": 1},
        ],
        "users": [
            {
                "id": "a1",
                "name": "Anna Reporter",
                "slug": "anna",
                "email": "anna@staff.example",
                "bio": "Covers the courts.",
                "profile_image": "__GHOST_URL__/content/images/anna.jpg",
            },
            {"id": "a2", "name": "Boris Editor", "slug": "boris", "email": "boris@staff.example"},
        ],
        "posts_authors": [
            {"id": "pa1", "post_id": "p1", "author_id": "a2", "sort_order": 1},
            {"id": "pa2", "post_id": "p1", "author_id": "a1", "sort_order": 0},
            {"id": "pa3", "post_id": "p2", "author_id": "a1", "sort_order": 0},
        ],
        "settings": [
            {"key": "title", "value": "Old Courier"},
            {"key": "locale", "value": "en"},
            {"key": "url", "value": "https://courier.example"},
        ],
        "newsletters": [
            {"id": "n1", "name": "Weekly", "status": "active"},
            {"id": "n2", "name": "Old digest", "status": "archived"},
        ],
        "members": [
            {
                "id": "mem1",
                "email": "reader.one@mail.example",
                "name": "Reader One",
                "status": "free",
                "email_disabled": False,
                "created_at": "2022-03-04T05:06:07.000Z",
            },
            {
                "id": "mem2",
                "email": "paying@mail.example",
                "name": "",
                "status": "paid",
                "email_disabled": False,
                "created_at": "2023-01-02T03:04:05.000Z",
            },
            {
                "id": "mem3",
                "email": "no.letters@mail.example",
                "status": "free",
                "email_disabled": False,
                "created_at": "2023-01-02T03:04:05.000Z",
            },
            {
                "id": "mem4",
                "email": "only.archived@mail.example",
                "status": "comped",
                "email_disabled": False,
                "created_at": "2023-01-02T03:04:05.000Z",
            },
            {
                "id": "mem5",
                "email": "bounced@mail.example",
                "status": "free",
                "email_disabled": True,
                "created_at": "2023-01-02T03:04:05.000Z",
            },
        ],
        "members_newsletters": [
            {"id": "mn1", "member_id": "mem1", "newsletter_id": "n1"},
            {"id": "mn2", "member_id": "mem2", "newsletter_id": "n1"},
            {"id": "mn3", "member_id": "mem4", "newsletter_id": "n2"},
            {"id": "mn4", "member_id": "mem5", "newsletter_id": "n1"},
        ],
        "members_labels": [],
    }
    data.update(changes)
    return {"db": [{"meta": {"exported_on": 1705000000000, "version": "5.75.0"}, "data": data}]}


# The real Ghost 4 export ---------------------------------------------------------------


def v4() -> tuple[Path, dict[str, Any]]:
    path = fixture("ghost/v4_export.json")
    return path, json.loads(path.read_text())["db"][0]["data"]


def test_every_post_and_page_of_the_real_export_is_read_with_its_status() -> None:
    path, data = v4()
    export = read_ghost(path)
    posts = list(export.posts())

    assert export.post_count == len(data["posts"])
    # A post for paying readers only ("sell") is not made public here.
    expected = {
        (row["slug"], row["type"], "private" if row["visibility"] == "paid" else row["status"])
        for row in data["posts"]
    }
    assert {(post.slug, post.kind, post.status) for post in posts} == expected
    assert len([p for p in posts if p.kind == "post"]) == len(
        [row for row in data["posts"] if row["type"] == "post"]
    )
    assert len([p for p in posts if p.kind == "page"]) == len(
        [row for row in data["posts"] if row["type"] == "page"]
    )
    assert export.source.system == "ghost"
    assert export.source.title == "Testing Export Fixtures"
    assert export.source.language == "en"
    welcome = next(post for post in posts if post.slug == "welcome")
    assert welcome.published_at == datetime(2021, 3, 24, 4, 34, 15, tzinfo=UTC)
    assert welcome.excerpt.startswith("We've crammed the most important information")
    assert welcome.body_html.startswith("<p><strong>Hey there</strong>")
    assert "/welcome/" in welcome.old_paths
    sell = next(post for post in posts if post.slug == "sell")
    assert sell.excerpt == ""  # no custom excerpt: none is made up


def test_authors_tags_and_feature_images_of_the_real_export() -> None:
    path, data = v4()
    export = read_ghost(path)

    authors = {author.slug: author for author in export.authors()}
    assert set(authors) == {row["slug"] for row in data["users"]}
    ghost = authors["ghost"]
    assert ghost.name == "Ghost"
    assert ghost.bio == "You can delete this user to remove all the welcome posts"
    assert ghost.photo is not None
    assert ghost.photo.url == "https://static.ghost.org/v4.0.0/images/ghost-user.png"
    assert ghost.old_paths == ["/author/ghost/"]
    # Staff addresses never leave the reader.
    assert "ghost-author@example.com" not in repr(export.authors())

    assert [(t.kind, t.slug, t.name, t.old_paths) for t in export.terms()] == [
        ("tag", "getting-started", "Getting Started", ["/tag/getting-started/"])
    ]
    posts = {post.slug: post for post in export.posts()}
    assert all(post.author_ids == ["5951f5fca366002ebd5dbef7"] for post in posts.values())
    tagged = {row["post_id"] for row in data["posts_tags"]}
    assert {p.source_id for p in posts.values() if p.tag_slugs == ["getting-started"]} == tagged
    image = posts["integrations"].featured_image
    assert image is not None
    assert image.url == "https://static.ghost.org/v4.0.0/images/app-integrations.png"
    assert posts["about"].featured_image is None


def test_ghost_url_placeholders_become_the_site_address() -> None:
    path, data = v4()
    placeholder = {row["slug"] for row in data["posts"] if "__GHOST_URL__" in (row["html"] or "")}
    assert "design" in placeholder

    export = read_ghost(path, site_url="https://blog.example.org/")
    posts = {post.slug: post for post in export.posts()}
    assert all("__GHOST_URL__" not in post.body_html for post in posts.values())
    assert '<a href="https://blog.example.org/welcome/">introduction</a>' in (
        posts["design"].body_html
    )
    assert export.source.site_url == "https://blog.example.org"
    assert export.skipped == []

    relative = read_ghost(path)
    design = next(post for post in relative.posts() if post.slug == "design")
    assert '<a href="/welcome/">introduction</a>' in design.body_html
    assert [what for what, _reason in relative.skipped] == ["site address"]
    assert "relative" in relative.skipped[0][1]


# Hand-written exports after Ghost's format ---------------------------------------------


def test_a_ghost_5_export(tmp_path: Path) -> None:
    export = read_ghost(write(tmp_path, ghost5()))
    posts = {post.slug: post for post in export.posts()}

    assert export.source.site_url == "https://courier.example"  # the url setting
    assert (export.source.title, export.source.language) == ("Old Courier", "en")
    court = posts["court-hearing"]
    assert court.body_html.startswith(
        '<p>See <a href="https://courier.example/about/">about</a>.</p>'
    )
    assert court.excerpt == "The judge was ill."
    assert court.author_ids == ["a1", "a2"]  # posts_authors' sort_order
    assert court.tag_slugs == ["courts"]  # #featured is internal, not a tag
    assert court.featured_image is not None
    assert court.featured_image.url == "https://courier.example/content/images/2024/01/court.jpg"
    assert court.featured_image.alt == "The court building"
    assert court.featured_image.caption == "Photo: Anna"
    assert court.modified_at == datetime(2024, 1, 11, 9, 30, tzinfo=UTC)
    assert court.old_paths == ["/court-hearing/"]

    scheduled = posts["sud-otlozhen"]
    assert scheduled.status == "scheduled"
    assert scheduled.published_at == datetime(2030, 2, 1, 6, 0, tzinfo=UTC)
    assert scheduled.language == ""  # internal tags are read as languages only when asked
    assert posts["unfinished"].status == "draft"
    assert posts["unfinished"].old_paths == []  # a draft had no address
    assert posts["about"].kind == "page"
    assert [tag.slug for tag in export.terms()] == ["courts"]
    anna = next(author for author in export.authors() if author.slug == "anna")
    assert (
        anna.photo is not None
        and anna.photo.url == "https://courier.example/content/images/anna.jpg"
    )


def test_internal_language_tags_set_the_language_when_asked(tmp_path: Path) -> None:
    export = read_ghost(write(tmp_path, ghost5()), language_from_tags=True)
    languages = {post.slug: post.language for post in export.posts()}
    assert languages["sud-otlozhen"] == "ru"
    assert languages["court-hearing"] == ""  # #featured names no language
    assert [tag.slug for tag in export.terms()] == ["courts"]
    assert ("tag #ru", "an internal tag: read as the posts' language") in export.skipped


def test_ghost_5_members_only_those_who_wanted_a_newsletter(tmp_path: Path) -> None:
    export = read_ghost(write(tmp_path, ghost5()))
    stream = export.members()
    members = list(stream)

    assert [(m.email, m.name, m.origin) for m in members] == [
        ("reader.one@mail.example", "Reader One", "member 1"),
        ("paying@mail.example", "", "member 2"),
    ]
    assert members[0].consented_at == datetime(2022, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert members[0].consent_source == (
        "Ghost member signup at courier.example (newsletters: Weekly)"
    )
    assert isinstance(stream, MemberStream)
    assert dict(stream.left_out) == {
        "not subscribed to any newsletter there": 2,  # none, or only an archived one
        "mail to them was disabled there (bounced or marked as spam)": 1,
    }


def test_a_ghost_5_post_with_only_lexical_is_rendered(tmp_path: Path) -> None:
    pytest.importorskip("samizdat.importer.ghost_formats")
    data = ghost5()
    del data["db"][0]["data"]["posts"][0]["html"]
    posts = list(read_ghost(write(tmp_path, data)).posts())
    assert "Written in the Lexical editor" in posts[0].body_html


def test_a_ghost_6_export(tmp_path: Path) -> None:
    data = ghost5()["db"][0]["data"]
    data["settings"] = [
        {"key": "title", "value": "Courier"},
        {"key": "locale", "value": "pt-BR"},
    ]
    data["posts"][0]["locale"] = "ru"
    document = {"db": [{"meta": {"exported_on": 1760000000000, "version": "6.3.0"}, "data": data}]}
    export = read_ghost(write(tmp_path, document), site_url="https://new-courier.example")

    assert export.version == "6.3.0"
    assert export.source.language == "pt-br"
    assert export.source.site_url == "https://new-courier.example"  # given beats the setting
    posts = {post.slug: post for post in export.posts()}
    assert posts["court-hearing"].language == "ru"  # the post's own locale
    assert "https://new-courier.example/about/" in posts["court-hearing"].body_html
    assert [m.email for m in export.members()] == [
        "reader.one@mail.example",
        "paying@mail.example",
    ]


def test_a_ghost_3_export_with_mobiledoc_and_subscribed_members(tmp_path: Path) -> None:
    document = {
        "db": [
            {
                "meta": {"exported_on": 1580000000000, "version": "3.40.5"},
                "data": {
                    "posts": [
                        {
                            "id": "5e1",
                            "title": "Old story",
                            "slug": "old-story",
                            "mobiledoc": MOBILEDOC,
                            "html": "<p>Written in the Mobiledoc editor</p>",
                            "feature_image": "__GHOST_URL__/content/images/old.png",
                            "type": "post",
                            "status": "published",
                            "published_at": "2020-01-20 10:00:00",
                            "updated_at": "2020-01-21 10:00:00",
                            "author_id": "1",
                        }
                    ],
                    "users": [{"id": "1", "name": "Editor", "slug": "editor", "bio": None}],
                    "tags": [],
                    "posts_tags": [],
                    "members": [
                        {
                            "id": "m1",
                            "email": "yes@mail.example",
                            "name": "Yes",
                            "subscribed": True,
                            "created_at": "2019-12-01 12:00:00",
                        },
                        {
                            "id": "m2",
                            "email": "no@mail.example",
                            "subscribed": False,
                            "created_at": "2019-12-01 12:00:00",
                        },
                    ],
                },
            }
        ]
    }
    export = read_ghost(write(tmp_path, document))
    (post,) = export.posts()
    assert post.author_ids == ["1"]  # no posts_authors before Ghost 1.22: the author_id
    assert post.published_at == datetime(2020, 1, 20, 10, 0, tzinfo=UTC)
    assert post.old_paths == ["/old-story/"]
    assert post.featured_image is not None
    assert post.featured_image.url == "/content/images/old.png"
    assert [what for what, _reason in export.skipped] == ["site address"]
    stream = export.members()
    members = list(stream)
    assert [(m.email, m.consented_at) for m in members] == [
        ("yes@mail.example", datetime(2019, 12, 1, 12, 0, tzinfo=UTC))
    ]
    assert members[0].consent_source == "Ghost member signup (export export.json)"
    assert isinstance(stream, MemberStream)
    assert sum(stream.left_out.values()) == 1


def test_a_ghost_3_post_with_only_mobiledoc_is_rendered(tmp_path: Path) -> None:
    pytest.importorskip("samizdat.importer.ghost_formats")
    document = {
        "meta": {"version": "3.0.0"},
        "data": {
            "posts": [
                {
                    "id": "1",
                    "title": "Old",
                    "slug": "old",
                    "mobiledoc": MOBILEDOC,
                    "html": None,
                    "type": "post",
                    "status": "published",
                    "published_at": "2020-01-20T10:00:00.000Z",
                }
            ]
        },
    }
    (post,) = read_ghost(write(tmp_path, document)).posts()
    assert "Written in the Mobiledoc editor" in post.body_html


def test_the_oldest_form_bare_with_page_flags_and_millisecond_dates(tmp_path: Path) -> None:
    document = {
        "meta": {"exported_on": 1420000000000, "version": "003"},
        "data": {
            "posts": [
                {
                    "id": 1,
                    "title": "Hello",
                    "slug": "hello",
                    "html": "<p>Hi</p>",
                    "image": "/content/images/hello.jpg",
                    "page": 0,
                    "status": "published",
                    "language": "ru_RU",
                    "published_at": 1420070400000,
                    "author_id": 1,
                },
                {
                    "id": 2,
                    "title": "About",
                    "slug": "about",
                    "html": "<p>Us</p>",
                    "page": 1,
                    "status": "published",
                    "published_at": 1420070400000,
                    "author_id": 1,
                },
            ],
            "users": [{"id": 1, "name": "Old", "slug": "old", "image": "/content/images/me.jpg"}],
        },
    }
    export = read_ghost(write(tmp_path, document))
    hello, about = export.posts()
    assert (hello.kind, about.kind) == ("post", "page")
    assert hello.published_at == datetime(2015, 1, 1, tzinfo=UTC)
    assert hello.language == "ru-ru"
    assert hello.author_ids == ["1"]
    assert hello.featured_image is not None and hello.featured_image.url.endswith("hello.jpg")
    (author,) = export.authors()
    assert author.photo is not None and author.photo.url == "/content/images/me.jpg"


def test_a_broken_post_is_listed_and_the_others_are_read(tmp_path: Path) -> None:
    data = ghost5()
    posts = data["db"][0]["data"]["posts"]
    posts[0]["published_at"] = "last Tuesday"
    posts[2]["status"] = "limbo"
    posts[3]["updated_at"] = 10**30
    export = read_ghost(write(tmp_path, data))
    assert [post.slug for post in export.posts()] == ["sud-otlozhen"]
    assert export.skipped == [
        ("post p1", "its publication date “last Tuesday” is not a date"),
        ("post p3", "its status “limbo” is unknown"),
        ("page p4", f"its update date “{10**30}” is not a date"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "it is not JSON (line 1, column 1"),
        (b'{"db": [{"meta": {}, "data": {"posts": [}]}', "it is not JSON (line 1, column 41"),
        (b"  <?xml version='1.0'?><rss></rss>", "is XML, not a Ghost export"),
        (b"PK\x03\x04\x14\x00", "is a zip archive: unpack it"),
        (b"\xff\xfe\x00", "is not text (UTF-8)"),
        (b'{"posts": []}', "JSON but not a Ghost export"),
        (b"[]", "JSON but not a Ghost export"),
        (b'{"db": []}', "JSON but not a Ghost export"),
        (b'{"db": [{"data": {"posts": {"a": 1}}}]}', "the table “posts” is not a list"),
    ],
)
def test_files_that_are_not_ghost_exports(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "upload.json"
    path.write_bytes(content)
    with pytest.raises(ExportError) as raised:
        read_ghost(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_a_missing_file_and_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="there is no such file"):
        read_ghost(tmp_path / "nowhere.json")
    with pytest.raises(ExportError, match="is a folder"):
        read_ghost(tmp_path)
    with pytest.raises(ExportError, match="not a site address"):
        read_ghost(write(tmp_path, ghost5()), site_url="courier.example")


def test_posts_for_members_or_paying_readers_only_are_not_made_public(tmp_path: Path) -> None:
    document = json.loads(fixture("ghost/v4_export.json").read_text())
    rows = [row for row in document["db"][0]["data"]["posts"] if row["type"] == "post"]
    rows[0]["visibility"], rows[1]["visibility"] = "members", "paid"
    posts = {post.source_id: post for post in read_ghost(write(tmp_path, document)).posts()}
    assert posts[rows[0]["id"]].status == posts[rows[1]["id"]].status == "private"
    assert rows[2]["visibility"] == "paid"  # as the real export has it
    assert posts[rows[2]["id"]].status == "private"
    assert posts[rows[3]["id"]].status == "published"
