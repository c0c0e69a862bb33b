"""Ghost's editor formats rendered as the HTML Ghost itself makes, for exports without it."""

from __future__ import annotations

import json

import pytest

from samizdat.importer.bodies import convert_body, plain_text
from samizdat.importer.ghost_formats import lexical_to_html, mobiledoc_to_html
from samizdat.importer.media import Resolver
from tests.importer.fixtures import fixture

MOBILEDOC = {
    "version": "0.3.1",
    "atoms": [["soft-return", "", {}]],
    "cards": [
        ["hr", {}],
        ["image", {"src": "/content/images/a.jpg", "alt": "A", "caption": "Cap <b>bold</b>"}],
        [
            "bookmark",
            {
                "url": "https://example.org/r",
                "metadata": {"title": "Report", "description": "Desc"},
            },
        ],
        [
            "callout",
            {"calloutEmoji": "⚠️", "calloutText": "Careful", "backgroundColor": "rgba(0, 0, 0, 0)"},
        ],
        ["paywall", {}],
        ["button", {"buttonText": "Join", "buttonUrl": "https://example.org/join"}],
    ],
    "markups": [["strong"], ["a", ["href", "https://example.org/?a=1&b=2"]], ["em"]],
    "sections": [
        [1, "h2", [[0, [], 0, "A <heading>"]]],
        [1, "p", [[0, [0], 0, "bold "], [0, [1], 2, "link"], [1, [], 0, 0], [0, [2], 1, "after"]]],
        [3, "ul", [[[0, [], 0, "one"]], [[0, [], 0, "two"]]]],
        [10, 0],
        [10, 1],
        [10, 2],
        [10, 3],
        [10, 4],
        [10, 5],
        [1, "blockquote", [[0, [], 0, "Quoted"]]],
    ],
}


def test_mobiledoc_sections_markers_atoms_and_cards() -> None:
    html = mobiledoc_to_html(json.dumps(MOBILEDOC))
    assert html.startswith(
        "<h2>A &lt;heading&gt;</h2>"
        '<p><strong>bold <a href="https://example.org/?a=1&amp;b=2">link</a></strong><br><em>after</em></p>'
        "<ul><li>one</li><li>two</li></ul><hr>"
    )
    assert (
        '<figure class="kg-card kg-image-card kg-card-hascaption"><img src="/content/images/a.jpg" class="kg-image" alt="A"'
        in html
    )
    assert '<a class="kg-bookmark-container" href="https://example.org/r">' in html
    assert 'class="kg-card kg-callout-card kg-callout-card-white"' in html
    assert "ghost card paywall left out" in html
    assert html.endswith("<blockquote>Quoted</blockquote>")


LEXICAL = {
    "root": {
        "type": "root",
        "children": [
            {
                "type": "heading",
                "tag": "h3",
                "children": [{"type": "text", "text": "Title", "format": 0}],
            },
            {
                "type": "paragraph",
                "children": [
                    {"type": "text", "text": "bold italic", "format": 3},
                    {"type": "linebreak"},
                    {
                        "type": "link",
                        "url": "https://example.org/",
                        "children": [{"type": "text", "text": "a link"}],
                    },
                    {"type": "text", "text": " <x>", "format": 0},
                ],
            },
            {
                "type": "list",
                "listType": "number",
                "children": [
                    {"type": "listitem", "children": [{"type": "text", "text": "first"}]},
                    {
                        "type": "listitem",
                        "children": [
                            {
                                "type": "list",
                                "listType": "bullet",
                                "children": [
                                    {
                                        "type": "listitem",
                                        "children": [{"type": "text", "text": "inner"}],
                                    }
                                ],
                            }
                        ],
                    },
                ],
            },
            {"type": "extended-quote", "children": [{"type": "text", "text": "Said"}]},
            {"type": "aside", "children": [{"type": "text", "text": "Aside"}]},
            {"type": "horizontalrule"},
            {
                "type": "embed",
                "url": "https://www.youtube.com/watch?v=x",
                "html": '<iframe src="https://www.youtube.com/embed/x"></iframe>',
                "caption": "Clip",
            },
            {"type": "toggle", "heading": "<span>Why</span>", "content": "<p>Because</p>"},
            {"type": "markdown", "markdown": "Some *text*\n\n<p>raw</p>"},
            {"type": "signup", "header": "Subscribe"},
        ],
    }
}


def test_lexical_nodes_formats_and_cards() -> None:
    html = lexical_to_html(LEXICAL)
    assert html.startswith(
        "<h3>Title</h3>"
        '<p><em><strong>bold italic</strong></em><br><a href="https://example.org/">a link</a> &lt;x&gt;</p>'
        "<ol><li>first</li><li><ul><li>inner</li></ul></li></ol>"
        '<blockquote>Said</blockquote><blockquote class="kg-blockquote-alt">Aside</blockquote><hr>'
    )
    assert '<figure class="kg-card kg-embed-card kg-card-hascaption"><iframe' in html
    assert '<h4 class="kg-toggle-heading-text"><span>Why</span></h4>' in html
    assert "ghost card signup left out" in html


@pytest.mark.django_db
def test_what_lexical_renders_converts_like_ghosts_own_html() -> None:
    converted = convert_body(
        lexical_to_html(LEXICAL), resolver=Resolver(source="ghost:old.example", download=False)
    )
    assert [block["type"] for block in converted.blocks] == [
        "subheading", "paragraph", "paragraph", "paragraph", "paragraph", "link", "subheading", "paragraph", "paragraph", "paragraph",
    ]  # fmt: skip
    assert (
        converted.blocks[1]["value"]
        == '<p><i><b>bold italic</b></i><br/><a href="https://example.org/">a link</a> &lt;x&gt;</p>'
    )
    assert converted.blocks[5]["value"]["url"] == "https://www.youtube.com/watch?v=x"
    notes = "\n".join(converted.notes)
    assert "Ghost card signup dropped" in notes
    assert "Markdown card was kept as plain text" in notes


def test_the_v4_exports_mobiledoc_renders_the_same_text_as_its_html() -> None:
    data = json.loads(fixture("ghost/v4_export.json").read_text())
    posts = data["db"][0]["data"]["posts"]
    assert len(posts) == 11
    for post in posts:
        assert plain_text(mobiledoc_to_html(post["mobiledoc"])) == plain_text(post["html"]), post[
            "slug"
        ]


def test_a_document_that_is_not_json_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        mobiledoc_to_html("{broken")
    with pytest.raises(ValueError, match="not a JSON object"):
        lexical_to_html("[1, 2]")


@pytest.mark.django_db
def test_header_product_and_gallery_cards_convert_to_their_nearest_blocks() -> None:
    doc = {
        "root": {
            "children": [
                {
                    "type": "header",
                    "header": "<span>Spring</span>",
                    "subheader": "Our appeal",
                    "buttonEnabled": True,
                    "buttonUrl": "https://example.org/give",
                    "buttonText": "Give",
                },
                {
                    "type": "product",
                    "productTitle": "The book",
                    "productDescription": "<p>Our reporting, bound.</p>",
                    "productButtonEnabled": True,
                    "productUrl": "https://example.org/book",
                    "productButton": "Buy",
                },
                {
                    "type": "gallery",
                    "images": [{"src": "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "alt": "x"}],
                    "caption": "One",
                },
            ]
        }
    }
    converted = convert_body(
        lexical_to_html(doc), resolver=Resolver(source="ghost:old.example", download=False)
    )
    assert [block["type"] for block in converted.blocks] == [
        "subheading",
        "subheading",
        "paragraph",
        "subheading",
        "paragraph",
        "paragraph",
    ]
    assert [block["value"] for block in converted.blocks][:3] == [
        "Spring",
        "Our appeal",
        '<p><a href="https://example.org/give">Give</a></p>',
    ]
    notes = "\n".join(converted.notes)
    assert "header card" in notes and "product card" in notes
    assert "image data:… dropped" in notes  # a broken pasted picture: reported, never printed whole
