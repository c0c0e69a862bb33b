"""A synthetic WordPress export (WXR 1.2) of any size, for the import benchmark.

Several authors, nested categories, tags, posts in Gutenberg block markup (paragraphs,
headings, lists, quotes) with the addresses WordPress gives them, a few pages, drafts and
scheduled posts; no images (their copying is measured apart). Written item by item, so a
file of 100,000 posts needs no more memory than one of ten.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

SITE = "https://old.lantern.example"
AUTHORS = [
    ("anna", "Anna Berg"),
    ("pavel", "Pavel Drozd"),
    ("lena", "Lena Sokolova"),
    ("omar", "Omar Haddad"),
    ("ines", "Inês Carvalho"),
]
CATEGORIES = [  # slug, name, parent slug
    ("news", "News", ""),
    ("world", "World", "news"),
    ("europe", "Europe", "world"),
    ("politics", "Politics", "news"),
    ("business", "Business", ""),
    ("culture", "Culture", ""),
    ("opinion", "Opinion", ""),
    ("investigations", "Investigations", ""),
]
WORDS = tuple(
    [
        "court",
        "reporter",
        "hearing",
        "minister",
        "budget",
        "election",
        "council",
        "water",
        "river",
        "energy",
        "price",
        "school",
        "hospital",
        "strike",
        "union",
        "border",
        "police",
        "archive",
        "document",
        "witness",
        "lawyer",
        "city",
        "village",
        "harvest",
        "factory",
        "contract",
        "tender",
        "audit",
        "journalist",
        "source",
        "statement",
        "protest",
        "parliament",
        "vote",
        "mayor",
        "transport",
        "bridge",
        "forest",
        "fire",
        "flood",
        "ministry",
        "report",
        "data",
    ]
)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    text = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
    return f"<!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph -->"


def _body(rng: random.Random) -> str:
    blocks = [_paragraph(rng) for _ in range(rng.randint(3, 6))]
    blocks.insert(
        2,
        '<!-- wp:heading -->\n<h2 class="wp-block-heading">'
        f"{_sentence(rng)[:-1]}</h2>\n<!-- /wp:heading -->",
    )
    if rng.random() < 0.5:
        items = "".join(f"<li>{_sentence(rng)}</li>" for _ in range(3))
        blocks.append(f"<!-- wp:list -->\n<ul>{items}</ul>\n<!-- /wp:list -->")
    if rng.random() < 0.3:
        blocks.append(
            '<!-- wp:quote -->\n<blockquote class="wp-block-quote"><p>'
            f"{_sentence(rng)}</p><cite>{rng.choice(AUTHORS)[1]}</cite></blockquote>\n"
            "<!-- /wp:quote -->"
        )
    return "\n\n".join(blocks)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def write_synthetic_wxr(path: Path, *, posts: int, seed: int = 1) -> None:
    """Write a WXR file of ``posts`` posts (plus a page for every 500) to ``path``."""
    rng = random.Random(seed)
    tags = [f"topic-{n}" for n in range(60)]
    start = datetime(2012, 1, 1, 8, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            f"<title>The Old Lantern</title>\n<link>{SITE}</link>\n"
            "<description>News from the valley</description>\n<language>en-US</language>\n"
            f"<wp:wxr_version>1.2</wp:wxr_version>\n<wp:base_site_url>{SITE}</wp:base_site_url>\n"
            f"<wp:base_blog_url>{SITE}</wp:base_blog_url>\n"
        )
        for number, (login, name) in enumerate(AUTHORS, start=1):
            out.write(
                f"<wp:author><wp:author_id>{number}</wp:author_id>"
                f"<wp:author_login>{_cdata(login)}</wp:author_login>"
                f"<wp:author_email>{_cdata(login + '@old.lantern.example')}</wp:author_email>"
                f"<wp:author_display_name>{_cdata(name)}</wp:author_display_name>"
                "</wp:author>\n"
            )
        for number, (slug, name, parent) in enumerate(CATEGORIES, start=1):
            out.write(
                f"<wp:category><wp:term_id>{number}</wp:term_id>"
                f"<wp:category_nicename>{_cdata(slug)}</wp:category_nicename>"
                f"<wp:category_parent>{_cdata(parent)}</wp:category_parent>"
                f"<wp:cat_name>{_cdata(name)}</wp:cat_name></wp:category>\n"
            )
        for number, slug in enumerate(tags, start=100):
            out.write(
                f"<wp:tag><wp:term_id>{number}</wp:term_id><wp:tag_slug>{_cdata(slug)}"
                f"</wp:tag_slug><wp:tag_name>{_cdata(slug.replace('-', ' '))}</wp:tag_name>"
                "</wp:tag>\n"
            )
        total = posts + posts // 500
        for number in range(1, total + 1):
            item_id = 1000 + number
            is_page = number % 501 == 0
            when = start + timedelta(hours=number * 3 + rng.randint(0, 2))
            title = _sentence(rng)[:-1][:70]
            slug = f"story-{item_id}" if not is_page else f"page-{item_id}"
            status = "publish"
            if not is_page and number % 97 == 0:
                status = "draft"
            elif not is_page and number % 211 == 0:
                status = "future"
            link = f"{SITE}/{slug}/" if is_page else f"{SITE}/{when:%Y/%m/%d}/{slug}/"
            login = rng.choice(AUTHORS)[0]
            terms = ""
            if not is_page:
                category = rng.choice(CATEGORIES)
                terms += (
                    f'<category domain="category" nicename="{category[0]}">'
                    f"{_cdata(category[1])}</category>"
                )
                for tag in rng.sample(tags, rng.randint(1, 4)):
                    terms += (
                        f'<category domain="post_tag" nicename="{tag}">{_cdata(tag)}</category>'
                    )
            stamp = f"{when:%Y-%m-%d %H:%M:%S}"
            out.write(
                "<item>\n"
                f"<title>{escape(title)}</title>\n<link>{link}</link>\n"
                f"<pubDate>{when:%a, %d %b %Y %H:%M:%S} +0000</pubDate>\n"
                f"<dc:creator>{_cdata(login)}</dc:creator>\n"
                f'<guid isPermaLink="false">{SITE}/?{"page_id" if is_page else "p"}={item_id}'
                "</guid>\n<description></description>\n"
                f"<content:encoded>{_cdata(_body(rng))}</content:encoded>\n"
                f"<excerpt:encoded>{_cdata(_sentence(rng) if rng.random() < 0.4 else '')}"
                "</excerpt:encoded>\n"
                f"<wp:post_id>{item_id}</wp:post_id>\n"
                f"<wp:post_date>{_cdata(stamp)}</wp:post_date>\n"
                f"<wp:post_date_gmt>{_cdata(stamp)}</wp:post_date_gmt>\n"
                f"<wp:post_modified>{_cdata(stamp)}</wp:post_modified>\n"
                f"<wp:post_modified_gmt>{_cdata(stamp)}</wp:post_modified_gmt>\n"
                "<wp:comment_status>open</wp:comment_status><wp:ping_status>open</wp:ping_status>\n"
                f"<wp:post_name>{_cdata(slug)}</wp:post_name>\n"
                f"<wp:status>{_cdata(status)}</wp:status>\n"
                "<wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order>\n"
                f"<wp:post_type>{_cdata('page' if is_page else 'post')}</wp:post_type>\n"
                "<wp:post_password></wp:post_password><wp:is_sticky>0</wp:is_sticky>\n"
                f"{terms}\n</item>\n"
            )
        out.write("</channel>\n</rss>\n")
