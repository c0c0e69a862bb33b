"""Old posts' bodies as samizdat blocks: WordPress block markup and classic posts, Ghost's
cards, and the real exports of both; every result is checked by the real block classes and
rendered, and every loss is named in a note."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from wagtail.images import get_image_model

from samizdat.importer.bodies import Converted, PageType, convert_body, plain_text
from samizdat.importer.ghost_formats import mobiledoc_to_html
from samizdat.importer.media import Resolver
from samizdat.publishing.blocks import ArticleBodyBlock, InfoBodyBlock
from tests import factories
from tests.importer.fixtures import fixture
from tests.importer.old_site import OldSite, old_site
from tests.publishing.media_files import authored_pdf, demo_mp3, demo_webm

pytestmark = pytest.mark.django_db

OLD = "https://old.example"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
WP = "{https://wordpress.org/export/1.2/}"


def png(width: int = 60, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def site() -> Iterator[OldSite]:
    files = {
        "/wp-content/uploads/ruling.pdf": authored_pdf(),
        "/wp-content/uploads/ep.mp3": demo_mp3(),
    }
    with old_site(files, fallback=png()) as served:
        yield served


def resolver_for(site: OldSite, *origins: str) -> Resolver:
    return Resolver(
        source="wordpress:old.example", fetch_from=dict.fromkeys((OLD, *origins), site.url)
    )


def rendered(converted: Converted, page_type: str = "article") -> str:
    """The blocks as the real block classes take, check and render them."""
    stream = ArticleBodyBlock() if page_type == "article" else InfoBodyBlock()
    value = stream.to_python(converted.blocks)
    if converted.blocks:  # an empty body is the page's to allow or refuse
        try:
            stream.clean(value)
        except ValidationError as error:
            pytest.fail(f"{converted.blocks}: {error!r} {getattr(error, 'block_errors', '')}")
    html = str(stream.render(value, context={}))
    assert "<script" not in html and "<iframe" not in html
    assert not re.search(r"\son\w+\s*=", html)
    assert not re.search(r"""src=["']?(?:https?:)?//""", html), "a file loaded from elsewhere"
    return html


def kinds(converted: Converted) -> list[str]:
    return [block["type"] for block in converted.blocks]


WORDPRESS = """
<!-- wp:paragraph --><p>The <strong>council</strong> met on <em>Monday</em>, <a href="https://example.org/x" onclick="steal()">minutes</a>, <span style="color:red">red</span>.</p><!-- /wp:paragraph -->
<!-- wp:heading {"level":3} --><h3>What was decided</h3><!-- /wp:heading -->
<!-- wp:image {"id":12} --><figure class="wp-block-image"><a href="https://elsewhere.example/page"><img src="https://old.example/wp-content/uploads/2020/01/hall-300x200.jpg" alt="The town hall"/></a><figcaption>The town hall in winter</figcaption></figure><!-- /wp:image -->
<!-- wp:gallery {"ids":[1,2]} --><figure class="wp-block-gallery"><ul class="blocks-gallery-grid"><li class="blocks-gallery-item"><figure><img src="https://old.example/wp-content/uploads/a.jpg" alt="A"/><figcaption>First</figcaption></figure></li><li class="blocks-gallery-item"><figure><img src="https://old.example/wp-content/uploads/b.jpg" alt="B"/></figure></li></ul></figure><!-- /wp:gallery -->
<!-- wp:quote --><blockquote class="wp-block-quote"><p>We will not close the market.</p><cite>— Mayor Selma Arkova</cite></blockquote><!-- /wp:quote -->
<!-- wp:quote --><blockquote class="wp-block-quote"><p>Nobody asked us.</p></blockquote><!-- /wp:quote -->
<!-- wp:list --><ul><li>Bread</li><li>Fish<ul><li>Carp</li></ul></li></ul><!-- /wp:list -->
<!-- wp:embed {"url":"https://www.youtube.com/watch?v=abc","type":"video","providerNameSlug":"youtube"} --><figure class="wp-block-embed is-provider-youtube"><div class="wp-block-embed__wrapper">https://www.youtube.com/watch?v=abc</div><figcaption>The session</figcaption></figure><!-- /wp:embed -->
<!-- wp:file --><div class="wp-block-file"><a href="https://old.example/wp-content/uploads/ruling.pdf">The ruling</a><a href="https://old.example/wp-content/uploads/ruling.pdf" class="wp-block-file__button" download>Download</a></div><!-- /wp:file -->
<!-- wp:audio --><figure class="wp-block-audio"><audio controls src="https://old.example/wp-content/uploads/ep.mp3"></audio><figcaption>Episode one</figcaption></figure><!-- /wp:audio -->
<!-- wp:html --><div onmouseover="x()"><script>alert(1)</script><iframe src="https://player.vimeo.com/video/42"></iframe><p>Raw words</p></div><!-- /wp:html -->
<!-- wp:separator --><hr class="wp-block-separator"/><!-- /wp:separator -->
<!-- wp:block {"ref":77} /-->
<!-- wp:latest-posts {"postsToShow":3} /-->
<!-- wp:columns --><div class="wp-block-columns"><!-- wp:column --><div class="wp-block-column"><!-- wp:paragraph --><p>Left</p><!-- /wp:paragraph --></div><!-- /wp:column --></div><!-- /wp:columns -->
"""


def test_wordpress_blocks_become_samizdat_blocks(site: OldSite) -> None:
    converted = convert_body(
        WORDPRESS,
        resolver=resolver_for(site),
        reusable={"77": "<!-- wp:paragraph --><p>Shared footer</p><!-- /wp:paragraph -->"},
    )
    html = rendered(converted)
    assert kinds(converted) == [
        "paragraph", "subheading", "image", "gallery", "quote", "paragraph", "paragraph",
        "link", "document", "audio", "link", "paragraph", "paragraph", "paragraph",
    ]  # fmt: skip
    blocks = converted.blocks
    assert blocks[0]["value"] == (
        '<p>The <b>council</b> met on <i>Monday</i>, <a href="https://example.org/x">minutes</a>, red.</p>'
    )
    assert blocks[1]["value"] == "What was decided"
    assert blocks[2]["value"]["caption"] == "The town hall in winter"
    image = get_image_model().objects.get(pk=blocks[2]["value"]["image"])
    assert image.description == "The town hall"
    gallery = blocks[3]["value"]["images"]
    assert [item["value"]["caption"] for item in gallery] == ["First", ""]
    assert [item["value"]["alt"] for item in gallery] == ["A", "B"]
    assert blocks[4]["value"] == {
        "text": "We will not close the market.",
        "speaker": "Mayor Selma Arkova",
        "source": "",
    }
    assert blocks[5]["value"] == "<p><i>Nobody asked us.</i></p>"
    assert blocks[6]["value"] == "<ul><li>Bread</li><li>Fish<ul><li>Carp</li></ul></li></ul>"
    assert blocks[7]["value"] == {
        "url": "https://www.youtube.com/watch?v=abc",
        "title": "Video on YouTube",
        "description": "The session",
    }
    assert blocks[8]["value"]["title"] == "The ruling"
    assert blocks[9]["value"]["caption"] == "Episode one"
    assert blocks[10]["value"]["url"] == "https://vimeo.com/42"
    assert blocks[11]["value"] == "<p>Raw words</p>"
    assert blocks[12]["value"] == "<p>Shared footer</p>"
    assert blocks[13]["value"] == "<p>Left</p>"
    assert "The town hall in winter" in html and "Mayor Selma Arkova" in html
    notes = "\n".join(converted.notes)
    for expected in (
        "the link of an image was dropped",
        "quote without a speaker became an italic paragraph",
        "embed of www.youtube.com became a link card",
        "a script dropped",
        "wp:separator dropped",
        "wp:latest-posts dropped",
        "wp:columns",
    ):
        assert expected in notes


def test_a_reusable_block_not_in_the_export_is_reported(site: OldSite) -> None:
    converted = convert_body('<!-- wp:block {"ref":5} /-->', resolver=resolver_for(site))
    assert converted.blocks == []
    assert converted.notes == ["reusable block wp:block 5 dropped: it is not in the export"]


def test_reusable_blocks_that_hold_each_other_twice_stop_growing(site: OldSite) -> None:
    # Thirty blocks, each holding the next twice: 2**30 paragraphs if followed to the end.
    nested = {
        str(n): f'<!-- wp:block {{"ref":{n + 1}}} /--><!-- wp:block {{"ref":{n + 1}}} /-->'
        for n in range(30)
    }
    nested["30"] = "<!-- wp:paragraph --><p>Deep</p><!-- /wp:paragraph -->"
    converted = convert_body(
        '<!-- wp:block {"ref":0} /-->', resolver=resolver_for(site), reusable=nested
    )
    assert len(converted.blocks) < 50
    assert any("more than 50 in one post" in note for note in converted.notes)


CLASSIC = """First paragraph, with a line
break inside.

[caption id="attachment_9" align="alignright" width="300"]<img src="https://old.example/wp-content/uploads/dog.jpg" alt="A dog" /> The dog, asleep[/caption]

https://twitter.com/someone/status/123

Some text with an inline <img src="https://old.example/wp-content/uploads/cat.png" alt="cat"> picture.
[gallery ids="3,4"]
[contact-form id="1" title="Write to us"]
[embed]https://vimeo.com/99[/embed]
<script>track()</script>
Use [sic] as written.<!--more-->"""


def test_a_classic_post_is_read_as_wordpress_shows_it(site: OldSite) -> None:
    converted = convert_body(
        CLASSIC,
        resolver=resolver_for(site),
        attachments={
            "3": f"{OLD}/wp-content/uploads/three.jpg",
            "4": f"{OLD}/wp-content/uploads/four.jpg",
        },
    )
    rendered(converted)
    assert kinds(converted) == [
        "paragraph",
        "image",
        "link",
        "paragraph",
        "image",
        "paragraph",
        "gallery",
        "link",
        "paragraph",
    ]
    blocks = converted.blocks
    assert blocks[0]["value"] == "<p>First paragraph, with a line<br/>break inside.</p>"
    assert blocks[1]["value"]["caption"] == "The dog, asleep"
    assert blocks[2]["value"]["title"] == "Post on Twitter"
    assert blocks[3]["value"] == "<p>Some text with an inline</p>"
    assert blocks[5]["value"] == "<p>picture.</p>"
    assert len(blocks[6]["value"]["images"]) == 2
    assert blocks[7]["value"]["url"] == "https://vimeo.com/99"
    assert blocks[8]["value"] == "<p>Use [sic] as written.</p>"
    notes = "\n".join(converted.notes)
    assert "shortcode [contact-form] dropped" in notes
    assert "a script dropped" in notes
    assert "<!--more--> break was dropped" in notes


def test_a_gallery_shortcode_without_known_attachments_is_reported(site: OldSite) -> None:
    converted = convert_body('[gallery ids="1,2"]', resolver=resolver_for(site))
    assert converted.blocks == []
    assert "[gallery] shortcode: 2 of its photos" in converted.notes[0]


GHOST = """<p>Intro with <code>code</code> and <s>struck</s> text.</p>
<figure class="kg-card kg-image-card kg-card-hascaption"><img src="https://old.example/content/images/2021/05/port.jpg" class="kg-image" alt="Port" loading="lazy"><figcaption>The port, by <a href="https://unsplash.com">Unsplash</a></figcaption></figure>
<figure class="kg-card kg-bookmark-card"><a class="kg-bookmark-container" href="https://example.org/report"><div class="kg-bookmark-content"><div class="kg-bookmark-title">The report</div><div class="kg-bookmark-description">All of it.</div><div class="kg-bookmark-metadata"><img class="kg-bookmark-icon" src="https://example.org/icon.png"></div></div></a></figure>
<div class="kg-card kg-callout-card kg-callout-card-grey"><div class="kg-callout-emoji">💡</div><div class="kg-callout-text">Read <b>this</b> first.</div></div>
<div class="kg-card kg-toggle-card"><div class="kg-toggle-heading"><h4 class="kg-toggle-heading-text">Why?</h4><button class="kg-toggle-card-icon"><svg></svg></button></div><div class="kg-toggle-content"><p>Because.</p></div></div>
<div class="kg-card kg-button-card kg-align-center"><a href="https://example.org/give" class="kg-btn kg-btn-accent">Give</a></div>
<div class="kg-card kg-file-card"><a class="kg-file-card-container" href="https://old.example/content/files/missing.pdf" download><div class="kg-file-card-contents"><div class="kg-file-card-title">Budget</div><div class="kg-file-card-caption">2024</div></div></a></div>
<blockquote class="kg-blockquote-alt">An aside.</blockquote>
<!--kg-card-begin: html--><p>Raw <em>card</em></p><!--kg-card-end: html-->
<hr>"""


def test_ghost_cards_become_samizdat_blocks(site: OldSite) -> None:
    converted = convert_body(GHOST, resolver=resolver_for(site))
    rendered(converted)
    assert kinds(converted) == [
        "paragraph",
        "image",
        "link",
        "paragraph",
        "subheading",
        "paragraph",
        "paragraph",
        "link",
        "paragraph",
        "paragraph",
    ]
    blocks = converted.blocks
    assert blocks[0]["value"] == "<p>Intro with code and struck text.</p>"
    assert blocks[1]["value"]["caption"] == "The port, by Unsplash"
    assert blocks[2]["value"] == {
        "url": "https://example.org/report",
        "title": "The report",
        "description": "All of it.",
    }
    assert blocks[3]["value"] == "<p>💡 Read <b>this</b> first.</p>"
    assert blocks[5]["value"] == "<p>Because.</p>"
    assert blocks[6]["value"] == '<p><a href="https://example.org/give">Give</a></p>'
    assert blocks[7]["value"]["title"] == "Budget"  # the file could not be had: a link card
    assert blocks[8]["value"] == "<p><i>An aside.</i></p>"
    assert blocks[9]["value"] == "<p>Raw <i>card</i></p>"
    notes = "\n".join(converted.notes)
    for expected in (
        "struck-through",
        "links in an image caption",
        "bookmark card's pictures",
        "callout",
        "toggle",
        "file https://old.example/content/files/missing.pdf could not be copied in",
        "dividing line",
    ):
        assert expected in notes


def test_an_information_page_gets_only_its_own_kinds_of_block(site: OldSite) -> None:
    body = WORDPRESS.split("<!-- wp:quote -->")[0]
    converted = convert_body(
        body + '<!-- wp:embed {"url":"https://example.org/a"} /-->',
        resolver=resolver_for(site),
        page_type="info",
    )
    rendered(converted, "info")
    assert kinds(converted) == ["paragraph", "subheading", "image", "image", "image", "paragraph"]
    assert (
        converted.blocks[-1]["value"]
        == '<p><a href="https://example.org/a">Page on example.org</a></p>'
    )
    assert any("information page has no galleries" in note for note in converted.notes)


def test_a_dry_run_converts_without_storing_anything(site: OldSite) -> None:
    images = get_image_model().objects.count()
    resolver = Resolver(source="wordpress:old.example", fetch_from={OLD: site.url}, dry_run=True)
    converted = convert_body(WORDPRESS, resolver=resolver)
    assert "image" not in kinds(converted)
    assert site.requests == []
    assert get_image_model().objects.count() == images


def test_plain_text_keeps_paragraphs_and_drops_markup() -> None:
    html = '<!-- wp:paragraph --><p>One &amp; <b>two</b></p><!-- /wp:paragraph --><script>x()</script><p>Three<br>four</p>[caption]<img src="a.jpg"> Cap[/caption]'
    assert plain_text(html) == "One & two\n\nThree\nfour\n\nCap"


# The real exports


def wordpress_items() -> list[tuple[str, str]]:
    tree = ET.parse(fixture("wordpress/themeunittestdata.wordpress.xml"))
    items = []
    for item in tree.getroot().iter("item"):
        body = item.findtext(CONTENT) or ""
        if body.strip():
            items.append((item.findtext("title") or "", body))
    return items


def origins(bodies: list[str]) -> set[str]:
    return set(re.findall(r"https?://[A-Za-z0-9.-]+", "\n".join(bodies)))


def block_occurrences(body: str) -> Iterator[tuple[str, str]]:
    """Each block of the markup on its own (name, markup), found without the code under test."""
    pattern = re.compile(r"<!--\s+(/)?wp:([a-z][a-z0-9_/-]*)\s+(?:\{.*?\}\s+)?(/)?-->", re.DOTALL)
    stack: list[tuple[str, int]] = []
    for match in pattern.finditer(body):
        closer, name, void = match.group(1), match.group(2), match.group(3)
        if void:
            yield name, match.group(0)
        elif not closer:
            stack.append((name, match.start()))
        elif stack and stack[-1][0] == name:
            _name, start = stack.pop()
            yield name, body[start : match.end()]


def wordpress_attachments() -> dict[str, str]:
    tree = ET.parse(fixture("wordpress/themeunittestdata.wordpress.xml"))
    return {
        item.findtext(f"{WP}post_id") or "": item.findtext(f"{WP}attachment_url") or ""
        for item in tree.getroot().iter("item")
        if item.findtext(f"{WP}post_type") == "attachment"
    }


def test_the_wordpress_export_converts_and_every_block_kind_is_accounted_for() -> None:
    items = wordpress_items()
    attachments = wordpress_attachments()
    assert len(attachments) > 10
    with old_site(fallback=png()) as site:
        resolver = resolver_for(
            site, *origins([*(body for _t, body in items), *attachments.values()])
        )
        galleries = 0
        for _title, body in items:
            converted = convert_body(body, resolver=resolver, attachments=attachments)
            rendered(converted)
            galleries += kinds(converted).count("gallery")
        assert galleries >= 5
        accounted: dict[str, bool] = {}
        for _title, body in items:
            for name, markup in block_occurrences(body):
                converted = convert_body(markup, resolver=resolver)
                rendered(converted)
                short = name.removeprefix("core/")
                ok = bool(converted.blocks) or any(
                    f"wp:{short}" in note for note in converted.notes
                )
                accounted[name] = accounted.get(name, True) and ok
    assert len(accounted) > 40
    assert [name for name, ok in accounted.items() if not ok] == []


def test_every_post_of_the_ghost_export_converts_from_html_and_from_mobiledoc() -> None:
    data = json.loads(fixture("ghost/v4_export.json").read_text())
    posts = data["db"][0]["data"]["posts"]
    with old_site(fallback=png()) as site:
        resolver = resolver_for(site, *origins([post.get("html") or "" for post in posts]))
        for post in posts:
            from_html = convert_body(post["html"], resolver=resolver)
            from_mobiledoc = convert_body(mobiledoc_to_html(post["mobiledoc"]), resolver=resolver)
            rendered(from_html)
            rendered(from_mobiledoc)
            assert from_html.blocks, post["slug"]
            assert kinds(from_mobiledoc) == kinds(from_html), post["slug"]


HOSTILE = """<p onclick="x()" style="color:red">Click <a href="javascript:alert(1)">here</a> or <a href="data:text/html,boom">there</a>.</p>
<img src="https://old.example/x.png" onerror="steal()"><img src="https://old.example/private/scan?token=s3cr3t">
<svg onload="x()"><circle r="1"/></svg>
<object data="https://evil.example/flash.swf"></object>
<iframe src="javascript:alert(1)"></iframe>
<form action="https://evil.example/"><input name="q"><button>Go</button></form>
<style>body{display:none}</style>
<p>Smile <img class="wp-smiley emoji" src="https://s.w.org/images/core/emoji/72x72/1f600.png" alt="😀"><img src="https://tracker.example/p.gif" width="1" height="1"></p>
<p><b>very <b>bold</b></b> <a href="https://example.org/a b">spaced</a></p>"""


def test_nothing_active_survives_from_a_hostile_body(site: OldSite) -> None:
    converted = convert_body(HOSTILE, resolver=resolver_for(site, "https://evil.example"))
    html = rendered(converted)
    assert kinds(converted) == ["paragraph", "image", "link", "paragraph", "paragraph"]
    assert converted.blocks[3]["value"] == "<p>Smile 😀</p>"
    assert converted.blocks[0]["value"] == "<p>Click here or there.</p>"
    assert converted.blocks[2]["value"]["url"] == "https://evil.example/flash.swf"
    assert (
        converted.blocks[4]["value"]
        == '<p><b>very bold</b> <a href="https://example.org/a b">spaced</a></p>'
    )
    assert "javascript" not in html and "onerror" not in html and "display:none" not in html
    notes = "\n".join(converted.notes)
    assert "s3cr3t" not in notes
    for expected in (
        "image https://old.example/private/scan dropped: the old site answered 404",
        "javascript: link was removed",
        "data: link was removed",
        "svg element dropped",
        "form element dropped",
        "<iframe> without a web address dropped",
        "a 1×1 tracking picture dropped",
    ):
        assert expected in notes


def test_ghost_audio_video_and_file_cards_are_copied_in(site: OldSite) -> None:
    site.files["/content/media/clip.webm"] = demo_webm()
    site.files["/content/files/2024/budget.pdf"] = authored_pdf()
    html = (
        '<div class="kg-card kg-audio-card"><img src="https://old.example/content/images/cover.png" class="kg-audio-thumbnail">'
        '<div class="kg-audio-player-container"><audio src="https://old.example/wp-content/uploads/ep.mp3" preload="metadata"></audio>'
        '<div class="kg-audio-title">Episode 2</div></div></div>'
        '<figure class="kg-card kg-video-card"><div class="kg-video-container"><video src="https://old.example/content/media/clip.webm" '
        'poster="https://img.spacergif.org/v1/320x180/0a/spacer.png" style="background: transparent url(\'https://old.example/content/images/poster.png\') 50% 50% / cover no-repeat;"></video></div>'
        "<figcaption>The clip</figcaption></figure>"
        '<div class="kg-card kg-file-card"><a class="kg-file-card-container" href="https://old.example/content/files/2024/budget.pdf" download>'
        '<div class="kg-file-card-contents"><div class="kg-file-card-title">Budget 2024</div><div class="kg-file-card-caption">As adopted</div></div></a></div>'
    )
    converted = convert_body(html, resolver=resolver_for(site))
    page = rendered(converted)
    assert kinds(converted) == ["audio", "video", "document"]
    audio, video, document = (block["value"] for block in converted.blocks)
    assert audio["caption"] == "Episode 2"
    assert video["caption"] == "The clip" and video["poster_image"] is not None
    assert document["title"] == "Budget 2024" and document["description"] == "As adopted"
    assert "spacergif" not in page and "<video" in page and "<audio" in page
    assert not any(path.startswith("/v1/") for path, _headers in site.requests)


TOKENS = [
    "<p>", "</p>", "<b>", "</b>", "<i>", "<em>", "<a href='https://example.org/'>", "</a>", "<ul>", "<li>", "</ul>",
    "<ol>", "</li>", "<blockquote>", "</blockquote>", "<cite>", "</cite>", "<figure>", "</figure>", "<figcaption>",
    "<img src='/wp-content/uploads/x.png'>", "<iframe src='https://youtube.com/embed/x'>", "</iframe>", "<table><tr><td>",
    "</td></tr></table>", "<pre>", "</pre>", "<h2>", "</h2>", "<script>", "</script>", "<hr>", "<br>", "<div class='kg-card kg-gallery-card'>",
    "</div>", "<!-- wp:paragraph -->", "<!-- /wp:paragraph -->", "<!-- wp:quote -->", "<!-- /wp:quote -->",
    "<!-- wp:columns -->", "<!-- /wp:columns -->", '<!-- wp:block {"ref":1} /-->', "<!-- wp:embed {\"url\":\"x\"} /-->",
    "[caption]", "[/caption]", "[gallery ids='1']", "[embed]", "[/embed]", "[foo bar='1']", "[/foo]",
    "text", " ", "\n", "\n\n", "https://vimeo.com/1", "<", ">", "&amp;", "&", "\"", "'", "]", "[", "<video src='v.mp4'>",
    "<audio>", "<source src='a.mp3'>", "<aside>", "<q>", "<s>", "<sup>", "<code>",
]  # fmt: skip


PAGE_TYPES: list[PageType] = ["article", "info"]


@settings(max_examples=60)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from(PAGE_TYPES))
def test_any_markup_converts_into_valid_blocks_without_an_error(
    tokens: list[str], page_type: PageType
) -> None:
    resolver = Resolver(source="wordpress:old.example", download=False)
    converted = convert_body(
        "".join(tokens), resolver=resolver, page_type=page_type, reusable={"1": "<p>again</p>"}
    )
    rendered(converted, page_type)
    assert all(isinstance(note, str) and note for note in converted.notes)


def test_a_converted_body_is_an_article_readers_can_open(
    site: OldSite, client: Client, newsroom: dict[str, Any]
) -> None:
    converted = convert_body(
        WORDPRESS, resolver=resolver_for(site), reusable={"77": "<p>Shared footer</p>"}
    )
    factories.ArticlePageFactory(parent=newsroom["culture"], slug="moved-in", body=converted.blocks)
    response = client.get("/en/culture/moved-in/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "What was decided",
        "The town hall in winter",
        "Mayor Selma Arkova",
        "Video on YouTube",
        "The ruling",
        "Shared footer",
    ):
        assert text in html
    assert "old.example" not in html and "<iframe" not in html
