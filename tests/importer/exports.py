"""An export built by hand, in the shape the WordPress and Ghost readers hand over."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from samizdat.importer import records

SOURCE = records.Source(
    system="wordpress", site_url="https://old.example.org", title="The Old Gazette", language="en"
)


@dataclass
class Export:
    source: records.Source = field(default_factory=lambda: replace(SOURCE))
    author_list: list[records.Author] = field(default_factory=list)
    term_list: list[records.Term] = field(default_factory=list)
    post_list: list[records.Post] = field(default_factory=list)
    member_list: list[records.Member] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def authors(self) -> list[records.Author]:
        return list(self.author_list)

    def terms(self) -> list[records.Term]:
        return list(self.term_list)

    def posts(self) -> Iterator[records.Post]:
        yield from self.post_list

    def members(self) -> Iterator[records.Member]:
        yield from self.member_list


def post(number: int, **changes: object) -> records.Post:
    """A published post of the old site, with a body of two paragraphs."""
    published = datetime(2021, 3, 1, 9, 0, tzinfo=UTC) + timedelta(hours=number)
    made = records.Post(
        kind="post",
        source_id=str(number),
        slug=f"story-{number}",
        title=f"Story number {number}",
        status="published",
        body_html=f"<p>First paragraph of story {number}.</p><p>Second paragraph.</p>",
        published_at=published,
        modified_at=published + timedelta(days=1),
        author_ids=["1"],
        category_slugs=["city"],
        tag_slugs=["harbour"],
        old_paths=[f"/2021/03/story-{number}/", f"/?p={number}"],
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def newsroom_export(posts: int = 3) -> Export:
    """One author, a category, a tag and ``posts`` published posts."""
    return Export(
        author_list=[
            records.Author(
                source_id="1",
                slug="mara",
                name="Mara Quill",
                bio="<p>Covers the <b>harbour</b>.</p>",
                old_paths=["/author/mara/"],
            )
        ],
        term_list=[
            records.Term(
                kind="category",
                source_id="10",
                slug="city",
                name="City",
                old_paths=["/category/city/"],
            ),
            records.Term(
                kind="tag",
                source_id="20",
                slug="harbour",
                name="Harbour",
                old_paths=["/tag/harbour/"],
            ),
        ],
        post_list=[post(number) for number in range(1, posts + 1)],
    )
