"""A synthetic WordPress export (WXR 1.2) of any size, as WordPress's Tools → Export writes it.

Several authors, nested categories, tags, and posts of Gutenberg paragraphs, headings, lists and
quotes (no images), with a few drafts, scheduled and private posts and a page or two; the same
seed gives the same file. Written as it goes, so a large one costs no memory.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

AUTHORS = [
    ("anna", "Anna Petrova"),
    ("boris", "Boris Ivanov"),
    ("chloe", "Chloé Martin"),
    ("dmitri", "Дмитрий Смирнов"),
    ("eve", "Eve Adams"),
]
CATEGORIES = [  # (slug, name, parent slug)
    ("news", "News", ""),
    ("politics", "Politics", "news"),
    ("economy", "Economy", "news"),
    ("investigations", "Investigations", ""),
    ("culture", "Culture", ""),
    ("books", "Books", "culture"),
    ("opinion", "Opinion", ""),
    ("%d0%b3%d0%be%d1%80%d0%be%d0%b4", "Город", ""),
]
WORDS = [
    "the",
    "council",
    "budget",
    "river",
    "court",
    "election",
    "report",
    "minister",
    "village",
    "archive",
    "witness",
    "energy",
    "prices",
    "school",
    "hospital",
    "road",
    "contract",
    "journalist",
    "protest",
    "data",
    "leak",
    "border",
    "harvest",
    "museum",
    "festival",
    "novel",
    "translation",
    "council",
    "vote",
    "mayor",
    "police",
    "union",
    "factory",
    "spring",
    "winter",
]
TAGS = [f"tag-{word}-{number}" for number, word in enumerate(WORDS)]
STATUSES = ["publish"] * 90 + ["draft"] * 5 + ["future"] * 2 + ["private"] * 2 + ["pending"]


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[:1].upper() + text[1:] + "."


def _body(rng: random.Random) -> str:
    blocks: list[str] = []
    for _ in range(rng.randint(4, 12)):
        kind = rng.random()
        if kind < 0.6:
            paragraph = " ".join(_sentence(rng, rng.randint(6, 18)) for _ in range(3))
            blocks.append(f"<!-- wp:paragraph -->\n<p>{paragraph}</p>\n<!-- /wp:paragraph -->")
        elif kind < 0.75:
            heading = _sentence(rng, 4)[:-1]
            blocks.append(
                f'<!-- wp:heading -->\n<h2 class="wp-block-heading">{heading}</h2>\n'
                "<!-- /wp:heading -->"
            )
        elif kind < 0.9:
            items = "".join(
                f"<!-- wp:list-item -->\n<li>{_sentence(rng, 5)}</li>\n<!-- /wp:list-item -->"
                for _ in range(rng.randint(2, 5))
            )
            blocks.append(f"<!-- wp:list -->\n<ul>{items}</ul>\n<!-- /wp:list -->")
        else:
            quote = _sentence(rng, 12)
            blocks.append(
                '<!-- wp:quote -->\n<blockquote class="wp-block-quote"><!-- wp:paragraph -->\n'
                f"<p>{quote}</p>\n<!-- /wp:paragraph --><cite>{rng.choice(AUTHORS)[1]}</cite>"
                "</blockquote>\n<!-- /wp:quote -->"
            )
    return "\n\n".join(blocks)


def write_synthetic_wxr(path: Path, *, posts: int, seed: int = 1) -> None:
    """Write a WXR of ``posts`` posts (and one page per hundred) at ``path``."""
    rng = random.Random(seed)
    site = "https://synthetic.example.org"
    start = datetime(2012, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            f"\t<title>Synthetic Newsroom</title>\n\t<link>{site}</link>\n"
            "\t<description>A newsroom made up for measuring imports</description>\n"
            "\t<language>en-US</language>\n\t<wp:wxr_version>1.2</wp:wxr_version>\n"
            f"\t<wp:base_site_url>{site}</wp:base_site_url>\n"
            f"\t<wp:base_blog_url>{site}</wp:base_blog_url>\n"
        )
        for number, (login, name) in enumerate(AUTHORS, start=1):
            out.write(
                f"\t<wp:author><wp:author_id>{number}</wp:author_id>"
                f"<wp:author_login><![CDATA[{login}]]></wp:author_login>"
                f"<wp:author_email><![CDATA[{login}@synthetic.example.org]]></wp:author_email>"
                f"<wp:author_display_name><![CDATA[{name}]]></wp:author_display_name>"
                "</wp:author>\n"
            )
        for number, (slug, name, parent) in enumerate(CATEGORIES, start=2):
            out.write(
                f"\t<wp:category><wp:term_id>{number}</wp:term_id>"
                f"<wp:category_nicename><![CDATA[{slug}]]></wp:category_nicename>"
                f"<wp:category_parent><![CDATA[{parent}]]></wp:category_parent>"
                f"<wp:cat_name><![CDATA[{name}]]></wp:cat_name></wp:category>\n"
            )
        for number, slug in enumerate(TAGS, start=100):
            out.write(
                f"\t<wp:tag><wp:term_id>{number}</wp:term_id>"
                f"<wp:tag_slug><![CDATA[{slug}]]></wp:tag_slug>"
                f"<wp:tag_name><![CDATA[{slug.split('-')[1]}]]></wp:tag_name></wp:tag>\n"
            )
        for number in range(posts + posts // 100):
            post_id = 1000 + number
            is_page = number >= posts
            kind = "page" if is_page else "post"
            status = "publish" if is_page else rng.choice(STATUSES)
            title = _sentence(rng, rng.randint(3, 9))[:-1]
            slug = "-".join(title.lower().split())[:190] + f"-{post_id}"
            when = start + timedelta(minutes=number * 97 + rng.randint(0, 60))
            stamp = when.strftime("%Y-%m-%d %H:%M:%S")
            gmt = "0000-00-00 00:00:00" if status == "draft" else stamp
            link = (
                f"{site}/{slug}/"
                if is_page
                else f"{site}/?p={post_id}"
                if status in {"draft", "pending"}
                else f"{site}/{when:%Y/%m/%d}/{slug}/"
            )
            login = rng.choice(AUTHORS)[0]
            terms = ""
            if not is_page:
                for slug_, name, _parent in rng.sample(CATEGORIES, rng.randint(1, 2)):
                    terms += (
                        f'\t\t<category domain="category" nicename="{slug_}">'
                        f"<![CDATA[{name}]]></category>\n"
                    )
                for tag in rng.sample(TAGS, rng.randint(0, 4)):
                    terms += (
                        f'\t\t<category domain="post_tag" nicename="{tag}">'
                        f"<![CDATA[{tag.split('-')[1]}]]></category>\n"
                    )
            out.write(
                "\t<item>\n"
                f"\t\t<title>{escape(title)}</title>\n\t\t<link>{link}</link>\n"
                f"\t\t<pubDate>{when:%a, %d %b %Y %H:%M:%S} +0000</pubDate>\n"
                f"\t\t<dc:creator><![CDATA[{login}]]></dc:creator>\n"
                f'\t\t<guid isPermaLink="false">{site}/?p={post_id}</guid>\n'
                "\t\t<description></description>\n"
                f"\t\t<content:encoded><![CDATA[{_body(rng)}]]></content:encoded>\n"
                f"\t\t<excerpt:encoded><![CDATA[{_sentence(rng, 15) if rng.random() < 0.3 else ''}]]>"
                "</excerpt:encoded>\n"
                f"\t\t<wp:post_id>{post_id}</wp:post_id>\n"
                f"\t\t<wp:post_date><![CDATA[{stamp}]]></wp:post_date>\n"
                f"\t\t<wp:post_date_gmt><![CDATA[{gmt}]]></wp:post_date_gmt>\n"
                f"\t\t<wp:post_modified><![CDATA[{stamp}]]></wp:post_modified>\n"
                f"\t\t<wp:post_modified_gmt><![CDATA[{stamp}]]></wp:post_modified_gmt>\n"
                "\t\t<wp:comment_status><![CDATA[open]]></wp:comment_status>\n"
                "\t\t<wp:ping_status><![CDATA[open]]></wp:ping_status>\n"
                f"\t\t<wp:post_name><![CDATA[{'' if status == 'draft' else slug}]]></wp:post_name>\n"
                f"\t\t<wp:status><![CDATA[{status}]]></wp:status>\n"
                "\t\t<wp:post_parent>0</wp:post_parent>\n\t\t<wp:menu_order>0</wp:menu_order>\n"
                f"\t\t<wp:post_type><![CDATA[{kind}]]></wp:post_type>\n"
                "\t\t<wp:post_password><![CDATA[]]></wp:post_password>\n"
                "\t\t<wp:is_sticky>0</wp:is_sticky>\n"
                f"{terms}"
                "\t\t<wp:postmeta><wp:meta_key><![CDATA[_edit_last]]></wp:meta_key>"
                "<wp:meta_value><![CDATA[1]]></wp:meta_value></wp:postmeta>\n"
                "\t</item>\n"
            )
        out.write("</channel>\n</rss>\n")
