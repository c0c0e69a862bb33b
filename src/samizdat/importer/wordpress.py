"""Stand-in until the real WXR reader lands: reads a small export whole (not streamed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree

from samizdat.importer import records

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}encoded"
CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
STATUSES = {"publish": "published", "draft": "draft", "future": "scheduled", "private": "private"}


class WordPressExport:
    def __init__(self, path: Path) -> None:
        try:
            self.channel = ElementTree.parse(path).getroot().find("channel")
        except (ParseError, OSError) as error:
            raise records.ExportError(f"{path} is not a WordPress export (WXR): {error}") from error
        if self.channel is None:
            raise records.ExportError(f"{path} is not a WordPress export (WXR): no <channel>")
        link = (self.channel.findtext("link") or "").rstrip("/")
        language = (self.channel.findtext("language") or "").split("-")[0]
        self.source = records.Source(
            system="wordpress",
            site_url=link,
            title=self.channel.findtext("title") or "",
            language=language,
        )
        self.skipped: list[tuple[str, str]] = []

    def authors(self) -> list[records.Author]:
        return [
            records.Author(
                source_id=author.findtext(f"{WP}author_login") or "",
                slug=author.findtext(f"{WP}author_login") or "",
                name=author.findtext(f"{WP}author_display_name") or "",
                old_paths=[f"/author/{author.findtext(f'{WP}author_login')}/"],
            )
            for author in self.channel.iter(f"{WP}author")
        ]

    def terms(self) -> list[records.Term]:
        found = []
        for category in self.channel.iter(f"{WP}category"):
            slug = category.findtext(f"{WP}category_nicename") or ""
            found.append(
                records.Term(
                    kind="category",
                    source_id=category.findtext(f"{WP}term_id") or slug,
                    slug=slug,
                    name=category.findtext(f"{WP}cat_name") or slug,
                    old_paths=[f"/category/{slug}/"],
                )
            )
        for tag in self.channel.iter(f"{WP}tag"):
            slug = tag.findtext(f"{WP}tag_slug") or ""
            found.append(
                records.Term(
                    kind="tag",
                    source_id=tag.findtext(f"{WP}term_id") or slug,
                    slug=slug,
                    name=tag.findtext(f"{WP}tag_name") or slug,
                    old_paths=[f"/tag/{slug}/"],
                )
            )
        return found

    def posts(self) -> Iterator[records.Post]:
        for item in self.channel.iter("item"):
            kind = item.findtext(f"{WP}post_type") or ""
            number = item.findtext(f"{WP}post_id") or ""
            if kind not in ("post", "page"):
                if kind != "attachment":
                    self.skipped.append((f"{kind} {number}", f"{kind} items are not imported"))
                continue
            gmt = item.findtext(f"{WP}post_date_gmt") or ""
            published = (
                datetime.fromisoformat(gmt).replace(tzinfo=UTC)
                if gmt and not gmt.startswith("0000")
                else None
            )
            status = item.findtext(f"{WP}status") or "draft"
            query = "p" if kind == "post" else "page_id"
            yield records.Post(
                kind="post" if kind == "post" else "page",
                source_id=number,
                slug=item.findtext(f"{WP}post_name") or "",
                title=item.findtext("title") or "",
                status=STATUSES.get(status, "trash"),  # type: ignore[arg-type]
                body_html=item.findtext(CONTENT) or "",
                published_at=published,
                excerpt=item.findtext(EXCERPT) or "",
                author_ids=[item.findtext(CREATOR) or ""],
                category_slugs=[
                    c.get("nicename", "")
                    for c in item.findall("category")
                    if c.get("domain") == "category"
                ],
                tag_slugs=[
                    c.get("nicename", "")
                    for c in item.findall("category")
                    if c.get("domain") == "post_tag"
                ],
                old_paths=[
                    urlsplit(item.findtext("link") or "").path or "/",
                    f"/?{query}={number}",
                ],
            )

    def members(self) -> Iterator[records.Member]:
        return iter(())


def read_wordpress(path: Path) -> WordPressExport:
    return WordPressExport(path)
