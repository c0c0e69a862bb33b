"""Reading WordPress exports: WordPress's own theme test data, small hand-written files, bad files."""

from __future__ import annotations

import gzip
import re
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.wxr import write_synthetic_wxr
from samizdat.importer import records
from samizdat.importer.wordpress import WordPressExport, read_wordpress
from tests.importer.fixtures import fixture

THEME_TEST_DATA = "wordpress/themeunittestdata.wordpress.xml"
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Ежедневные новости</title>
<link>https://news.example.org/blog</link>
<language>ru-RU</language>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://news.example.org/blog</wp:base_site_url>
<wp:base_blog_url>https://news.example.org/blog</wp:base_blog_url>
"""
TAIL = "</channel>\n</rss>\n"


def item(
    post_id: int,
    *,
    title: str = "A post",
    post_type: str = "post",
    status: str = "publish",
    date: str = "2024-03-01 10:00:00",
    date_gmt: str = "2024-03-01 07:00:00",
    creator: str = "editor",
    body: str = "<p>Text</p>",
    extra: str = "",
) -> str:
    """One ``<item>`` as WordPress writes it."""
    return f"""<item>
<title>{title}</title>
<link>https://news.example.org/blog/{post_id}-post/</link>
<dc:creator><![CDATA[{creator}]]></dc:creator>
<content:encoded><![CDATA[{body}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id>
<wp:post_date><![CDATA[{date}]]></wp:post_date>
<wp:post_date_gmt><![CDATA[{date_gmt}]]></wp:post_date_gmt>
<wp:post_name><![CDATA[post-{post_id}]]></wp:post_name>
<wp:status><![CDATA[{status}]]></wp:status>
<wp:post_type><![CDATA[{post_type}]]></wp:post_type>
<wp:post_password><![CDATA[]]></wp:post_password>
{extra}
</item>
"""


def export(tmp_path: Path, *items: str, head: str = HEAD) -> WordPressExport:
    path = tmp_path / "export.xml"
    path.write_text(head + "".join(items) + TAIL, encoding="utf-8")
    return read_wordpress(path)


def expected_items(path: Path) -> dict[str, tuple[str, str]]:
    """post id → (kind, status) of each post and page, read from the raw text with no XML parser."""
    statuses = {
        "publish": "published",
        "draft": "draft",
        "pending": "draft",
        "future": "scheduled",
        "private": "private",
        "trash": "trash",
    }

    def value(block: str, name: str) -> str:
        found = re.search(rf"<wp:{name}>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</wp:{name}>", block)
        return found.group(1) if found else ""

    result = {}
    for block in re.findall(r"<item>(.*?)</item>", path.read_text(encoding="utf-8"), re.S):
        kind = value(block, "post_type")
        if kind not in {"post", "page"}:
            continue
        status = statuses[value(block, "status")]
        if value(block, "post_password") and status == "published":
            status = "private"
        result[value(block, "post_id")] = (kind, status)
    return result


# WordPress's theme unit test data ---------------------------------------------------------


@pytest.fixture(scope="module")
def theme_data() -> tuple[WordPressExport, list[records.Post]]:
    wxr = read_wordpress(fixture(THEME_TEST_DATA))
    return wxr, list(wxr.posts())


def test_every_post_and_page_is_read_with_its_status(
    theme_data: tuple[WordPressExport, list[records.Post]],
) -> None:
    expected = expected_items(fixture(THEME_TEST_DATA))
    raw = fixture(THEME_TEST_DATA).read_text(encoding="utf-8")
    # The raw counts, to be sure the expectation is the file's (19 + 39 posts, 3 + 18 pages).
    assert (
        len(re.findall(r"<wp:post_type>(?:<!\[CDATA\[)?post(?:\]\]>)?</wp:post_type>", raw)) == 58
    )
    assert (
        len(re.findall(r"<wp:post_type>(?:<!\[CDATA\[)?page(?:\]\]>)?</wp:post_type>", raw)) == 21
    )
    _wxr, posts = theme_data
    assert {post.source_id: (post.kind, post.status) for post in posts} == expected
    assert len(posts) == 79
    assert Counter(post.status for post in posts) == Counter(
        {"published": 76, "scheduled": 1, "draft": 1, "private": 1}
    )


def test_the_site_and_its_authors(theme_data: tuple[WordPressExport, list[records.Post]]) -> None:
    wxr, posts = theme_data
    assert wxr.source == records.Source(
        system="wordpress",
        site_url="https://wpthemetestdata.wordpress.com",
        title="Theme Unit Test Data",
        language="en",
    )
    authors = {author.source_id: author for author in wxr.authors()}
    # The file also has "themereviewteam>" and ">themereviewteam" as post creators: the same one.
    assert set(authors) == {"themedemos", "themereviewteam"}
    assert authors["themereviewteam"].name == "Theme Reviewer"
    assert authors["themedemos"].old_paths == ["/author/themedemos/"]
    assert {author for post in posts for author in post.author_ids} == set(authors)
    assert all(author.bio == "" for author in authors.values())


def test_categories_keep_their_parents_and_tags_their_descriptions(
    theme_data: tuple[WordPressExport, list[records.Post]],
) -> None:
    wxr, _posts = theme_data
    terms = wxr.terms()
    categories = [term for term in terms if term.kind == "category"]
    tags = {term.slug: term for term in terms if term.kind == "tag"}
    by_slug = {term.slug: term for term in categories}
    assert len(by_slug) == len(categories)
    assert by_slug["child-2"].parent_slug == "child-1"
    assert by_slug["child-1"].parent_slug == "parent"
    assert by_slug["parent"].parent_slug == ""
    assert by_slug["child-2"].old_paths == ["/category/parent/child-1/child-2/", "/?cat=1043329"]
    order = [term.slug for term in categories]
    assert order.index("parent") < order.index("child-1") < order.index("child-2")
    assert by_slug["6-1"].name == "6.1"  # listed twice in the file, as a category and a term
    assert tags["8bit"].name == "8BIT"
    assert tags["8bit"].description == "Tags posts about 8BIT."
    assert tags["8bit"].old_paths == ["/tag/8bit/", "/?tag=8bit"]
    raw = fixture(THEME_TEST_DATA).read_text(encoding="utf-8")
    for slug in re.findall(r"<wp:tag_slug>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</wp:tag_slug>", raw):
        assert slug in tags
    for slug in re.findall(r"<wp:category_nicename>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?<", raw):
        assert slug in by_slug


def test_posts_carry_their_terms_featured_image_and_old_addresses(
    theme_data: tuple[WordPressExport, list[records.Post]],
) -> None:
    _wxr, posts = theme_data
    by_id = {post.source_id: post for post in posts}
    horizontal = next(p for p in posts if p.title == "Template: Featured Image (Horizontal)")
    assert horizontal.featured_image == records.ImageRef(
        url="https://wpthemetestdata.files.wordpress.com/2013/03/featured-image-horizontal.jpg",
        alt="Horizontal Featured Image",
    )
    wind_farm = next(p for p in posts if p.title == "WP 6.1 Theme block category")
    assert wind_farm.featured_image is not None
    assert wind_farm.featured_image.alt == "Wind Farm"
    assert (
        wind_farm.featured_image.caption == "Albany wind-farm against the sunset, Western Australia"
    )
    assert sum(post.featured_image is not None for post in posts) == 6

    protected = by_id["1168"]
    assert protected.status == "private"  # password protected there: not public here
    assert protected.old_paths == ["/2012/01/04/template-password-protected/", "/?p=1168"]
    assert protected.published_at == datetime(2012, 1, 4, 16, 38, 5, tzinfo=UTC)  # GMT, not local
    assert protected.category_slugs == ["classic", "template-2", "uncategorized"]
    assert protected.tag_slugs == ["password-2", "template"]
    assert protected.author_ids == ["themedemos"]

    scheduled = by_id["1153"]
    assert (scheduled.status, scheduled.published_at) == (
        "scheduled",
        datetime(2030, 1, 1, 19, 0, 18, tzinfo=UTC),
    )
    assert by_id["1164"].status == "draft"
    assert by_id["1164"].old_paths == ["/?p=1164"]
    assert "<!-- wp:paragraph -->" in by_id["163"].body_html  # the block markup, untouched


def test_pages_with_parents_and_non_ascii_titles(
    theme_data: tuple[WordPressExport, list[records.Post]],
) -> None:
    _wxr, posts = theme_data
    by_id = {post.source_id: post for post in posts}
    assert by_id["172"].kind == "page"
    assert by_id["172"].old_paths == ["/level-1/level-2/level-3/", "/?page_id=172"]
    greek = by_id["1813"]
    assert greek.title == "Επίπεδο 3"
    assert greek.slug == "επίπεδο-3"
    assert greek.old_paths[0] == (
        "/greek/%ce%b5%cf%80%ce%af%cf%80%ce%b5%ce%b4%ce%bf-2/%ce%b5%cf%80%ce%af%cf%80%ce%b5%ce%b4%ce%bf-3/"
    )
    # Its parent's link has a slash too many in the file; the address is the one WordPress served.
    assert by_id["1811"].old_paths[0] == "/greek/%ce%b5%cf%80%ce%af%cf%80%ce%b5%ce%b4%ce%bf-2/"
    assert all(path.startswith("/") and "//" not in path for p in posts for path in p.old_paths)


def test_what_is_not_imported_is_listed_and_attachments_are_not(
    theme_data: tuple[WordPressExport, list[records.Post]],
) -> None:
    wxr, _posts = theme_data
    raw = fixture(THEME_TEST_DATA).read_text(encoding="utf-8")
    menu_items = len(re.findall(r"<wp:post_type>(?:<!\[CDATA\[)?nav_menu_item", raw))
    assert menu_items == 70
    reasons = Counter(reason for _what, reason in wxr.skipped)
    assert reasons["menus are not imported"] == menu_items + 6  # the items and the 6 menus
    assert ("nav_menu_item 1659", "menus are not imported") in wxr.skipped
    assert not any(what.startswith("attachment") for what, _reason in wxr.skipped)
    assert (f"{raw.count('<wp:comment>')} comments", "comments are not imported") in wxr.skipped
    assert list(wxr.members()) == []


def test_the_posts_can_be_read_again(
    theme_data: tuple[WordPressExport, list[records.Post]],
) -> None:
    wxr, posts = theme_data
    skipped = list(wxr.skipped)
    assert list(wxr.posts()) == posts
    assert wxr.skipped == skipped


def test_a_gzipped_export_reads_the_same(
    tmp_path: Path, theme_data: tuple[WordPressExport, list[records.Post]]
) -> None:
    packed = tmp_path / "export.xml.gz"
    packed.write_bytes(gzip.compress(fixture(THEME_TEST_DATA).read_bytes()))
    _wxr, posts = theme_data
    assert list(read_wordpress(packed).posts()) == posts


# Hand-written exports --------------------------------------------------------------------------


POLYLANG_TERMS = """<wp:author><wp:author_id>3</wp:author_id><wp:author_login><![CDATA[editor]]></wp:author_login>
<wp:author_email><![CDATA[editor@news.example.org]]></wp:author_email>
<wp:author_display_name><![CDATA[Мария Иванова]]></wp:author_display_name></wp:author>
<wp:category><wp:term_id>5</wp:term_id><wp:category_nicename><![CDATA[novosti]]></wp:category_nicename>
<wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[Новости]]></wp:cat_name></wp:category>
<wp:category><wp:term_id>6</wp:term_id><wp:category_nicename><![CDATA[news]]></wp:category_nicename>
<wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[News &amp; Views]]></wp:cat_name></wp:category>
<wp:term><wp:term_id>2</wp:term_id><wp:term_taxonomy><![CDATA[language]]></wp:term_taxonomy><wp:term_slug><![CDATA[ru]]></wp:term_slug>
<wp:term_name><![CDATA[Русский]]></wp:term_name><wp:term_description><![CDATA[a:3:{s:6:"locale";s:5:"ru_RU";s:3:"rtl";i:0;s:9:"flag_code";s:2:"ru";}]]></wp:term_description></wp:term>
<wp:term><wp:term_id>3</wp:term_id><wp:term_taxonomy><![CDATA[language]]></wp:term_taxonomy><wp:term_slug><![CDATA[en]]></wp:term_slug>
<wp:term_name><![CDATA[English]]></wp:term_name><wp:term_description><![CDATA[a:3:{s:6:"locale";s:5:"en_GB";s:3:"rtl";i:0;s:9:"flag_code";s:2:"gb";}]]></wp:term_description></wp:term>
<wp:term><wp:term_id>9</wp:term_id><wp:term_taxonomy><![CDATA[term_translations]]></wp:term_taxonomy><wp:term_slug><![CDATA[pll_61a1]]></wp:term_slug>
<wp:term_name><![CDATA[pll_61a1]]></wp:term_name><wp:term_description><![CDATA[a:2:{s:2:"ru";i:5;s:2:"en";i:6;}]]></wp:term_description></wp:term>
<wp:term><wp:term_id>10</wp:term_id><wp:term_taxonomy><![CDATA[post_translations]]></wp:term_taxonomy><wp:term_slug><![CDATA[pll_61a2]]></wp:term_slug>
<wp:term_name><![CDATA[pll_61a2]]></wp:term_name><wp:term_description><![CDATA[a:2:{s:2:"en";i:21;s:2:"ru";i:20;}]]></wp:term_description></wp:term>
"""


def polylang(language: str, group: str = "") -> str:
    terms = f'<category domain="language" nicename="{language}"><![CDATA[{language}]]></category>'
    if group:
        terms += f'<category domain="post_translations" nicename="{group}"><![CDATA[{group}]]></category>'
    return terms


def test_polylang_languages_and_translation_groups(tmp_path: Path) -> None:
    wxr = export(
        tmp_path,
        item(19, title="Old", status="trash", extra=polylang("de", "pll_61a2")),
        item(20, title="Выборы", extra=polylang("ru", "pll_61a2")),
        item(21, title="Elections", extra=polylang("en", "pll_61a2")),
        item(22, title="Только по-русски", extra=polylang("ru")),
        item(23, title="Без языка"),
        head=HEAD + POLYLANG_TERMS,
    )
    posts = {post.source_id: post for post in wxr.posts()}
    assert wxr.source.language == "ru"  # ru-RU
    assert wxr.source.title == "Ежедневные новости"
    assert (posts["19"].language, posts["19"].translation_of) == ("de", "20")
    assert (posts["20"].language, posts["20"].translation_of) == ("ru", "")
    assert (posts["21"].language, posts["21"].translation_of) == ("en", "20")
    assert (posts["22"].language, posts["22"].translation_of) == ("ru", "")
    assert (posts["23"].language, posts["23"].translation_of) == ("", "")
    terms = {term.slug: term for term in wxr.terms()}
    assert set(terms) == {"novosti", "news"}  # Polylang's own taxonomies are not terms here
    assert (terms["novosti"].language, terms["news"].language) == ("ru", "en")
    assert terms["news"].name == "News & Views"
    assert wxr.skipped == []


def test_wpml_languages_from_post_meta(tmp_path: Path) -> None:
    def meta(key: str, value: str) -> str:
        return (
            f"<wp:postmeta><wp:meta_key><![CDATA[{key}]]></wp:meta_key>"
            f"<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:postmeta>"
        )

    wxr = export(
        tmp_path,
        item(
            30,
            extra=meta("_wpml_import_language_code", "de")
            + meta("_wpml_import_translation_group", "7"),
        ),
        item(
            31,
            extra=meta("_wpml_import_language_code", "fr")
            + meta("_wpml_import_translation_group", "7"),
        ),
        item(32, extra=meta("_wpml_language", "pt-br")),
        item(33, extra=meta("wpml_language", "uk") + meta("_icl_lang_duplicate_of", "30")),
    )
    posts = {post.source_id: (post.language, post.translation_of) for post in wxr.posts()}
    assert posts == {"30": ("de", ""), "31": ("fr", "30"), "32": ("pt", ""), "33": ("uk", "30")}


def test_dates_statuses_and_other_post_types(tmp_path: Path) -> None:
    wxr = export(
        tmp_path,
        item(40, status="draft", date="2024-05-06 09:30:00", date_gmt="0000-00-00 00:00:00"),
        item(41, status="pending"),
        item(42, status="trash"),
        item(43, status="auto-draft", title="Auto Draft"),
        item(44, status="inherit", post_type="revision"),
        item(45, status="inherit", title="Revision of 42"),
        item(46, post_type="product", title="Mug"),
        item(47, post_type="wp_block", title="Donate box", body="<!-- wp:paragraph --><p>Give</p>"),
        item(48, post_type="page", status="private", title="Staff only"),
        item(49, post_type="feedback", title="Jane Roe - jane.roe@mail.example - Contact"),
    )
    posts = {post.source_id: post for post in wxr.posts()}
    assert {key: post.status for key, post in posts.items()} == {
        "40": "draft",
        "41": "draft",
        "42": "trash",
        "48": "private",
    }
    assert posts["40"].published_at == datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
    assert posts["41"].published_at == datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
    assert posts["48"].kind == "page"
    assert posts["48"].old_paths == ["/blog/48-post/", "/blog/?page_id=48"]
    assert posts["41"].old_paths == ["/blog/41-post/", "/blog/?p=41"]
    assert wxr.reusable_blocks == {"47": "<!-- wp:paragraph --><p>Give</p>"}
    assert [what for what, _reason in wxr.skipped] == [
        "post 43 (Auto Draft)",
        "revision 44 (A post)",
        "post 45 (Revision of 42)",
        "product 46 (Mug)",
        "wp_block 47 (Donate box)",
        "feedback 49 (Jane Roe - … - Contact)",
    ]
    assert "posts of the type product are not imported" in dict(wxr.skipped).values()


def test_the_front_page_does_not_take_the_home_address(tmp_path: Path) -> None:
    front = item(90, post_type="page", title="Welcome").replace(
        "<link>https://news.example.org/blog/90-post/</link>",
        "<link>https://news.example.org/blog/</link>",
    )
    (page,) = export(tmp_path, front).posts()
    assert page.old_paths == ["/blog/?page_id=90"]


def test_logins_that_are_email_addresses_stay_out_of_ids_and_addresses(tmp_path: Path) -> None:
    author = """<wp:author><wp:author_id>8</wp:author_id>
<wp:author_login><![CDATA[maria.ivanova@news.example.org]]></wp:author_login>
<wp:author_email><![CDATA[maria.ivanova@news.example.org]]></wp:author_email>
<wp:author_display_name><![CDATA[maria.ivanova@news.example.org]]></wp:author_display_name>
<wp:author_first_name><![CDATA[Maria]]></wp:author_first_name>
<wp:author_last_name><![CDATA[Ivanova]]></wp:author_last_name></wp:author>
"""
    wxr = export(tmp_path, item(50, creator="maria.ivanova@news.example.org"), head=HEAD + author)
    (author_record,) = wxr.authors()
    assert author_record == records.Author(
        source_id="maria-ivanovanews-example-org",
        slug="maria-ivanovanews-example-org",
        name="Maria Ivanova",
        old_paths=["/blog/author/maria-ivanovanews-example-org/", "/blog/?author=8"],
    )
    (post,) = wxr.posts()
    assert post.author_ids == ["maria-ivanovanews-example-org"]


def test_co_authors_plus_bylines_and_guest_authors(tmp_path: Path) -> None:
    def byline(login: str) -> str:
        return f'<category domain="author" nicename="cap-{login}"><![CDATA[{login}]]></category>'

    def meta(key: str, value: str) -> str:
        return (
            f"<wp:postmeta><wp:meta_key><![CDATA[{key}]]></wp:meta_key>"
            f"<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:postmeta>"
        )

    author = """<wp:author><wp:author_login><![CDATA[editor]]></wp:author_login>
<wp:author_display_name><![CDATA[Maria Ivanova]]></wp:author_display_name></wp:author>
<wp:term><wp:term_id>70</wp:term_id><wp:term_taxonomy><![CDATA[author]]></wp:term_taxonomy>
<wp:term_slug><![CDATA[cap-oleg]]></wp:term_slug><wp:term_name><![CDATA[oleg]]></wp:term_name>
<wp:term_description><![CDATA[Oleg Petrov Oleg Petrov oleg 0 oleg@mail.example]]></wp:term_description></wp:term>
"""
    photo = item(
        72,
        post_type="attachment",
        status="inherit",
        extra="<wp:attachment_url>https://news.example.org/blog/wp-content/uploads/oleg.jpg"
        "</wp:attachment_url>",
    )
    guest = item(
        71,
        post_type="guest-author",
        title="Oleg Petrov",
        extra=meta("cap-user_login", "oleg")
        + meta("cap-display_name", "Олег Петров")
        + meta("cap-description", "Covers the courts.")
        + meta("cap-user_email", "oleg@mail.example")
        + meta("_thumbnail_id", "72"),
    )
    wxr = export(
        tmp_path,
        item(70, creator="editor", extra=byline("oleg") + byline("editor")),
        item(73, creator="editor"),
        guest,
        photo,
        head=HEAD + author,
    )
    posts = {post.source_id: post.author_ids for post in wxr.posts()}
    assert posts == {"70": ["oleg", "editor"], "73": ["editor"]}
    authors = {author.source_id: author for author in wxr.authors()}
    assert authors["oleg"] == records.Author(
        source_id="oleg",
        slug="oleg",
        name="Олег Петров",
        bio="Covers the courts.",
        photo=records.ImageRef(
            url="https://news.example.org/blog/wp-content/uploads/oleg.jpg", alt="Олег Петров"
        ),
        old_paths=["/blog/author/oleg/"],
    )
    assert wxr.skipped == []  # guest authors and their photos are used, not left out


def test_stray_control_characters_and_a_leading_blank_line_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    body = "<p>Pasted from a word processor\x0b\x1f</p>"
    path.write_text("\n\n" + HEAD + item(60, body=body) + TAIL, encoding="utf-8")
    (post,) = read_wordpress(path).posts()
    assert post.body_html == "<p>Pasted from a word processor</p>"


# Bad files ------------------------------------------------------------------------------------


def test_a_truncated_export_is_refused_before_any_post_is_read(tmp_path: Path) -> None:
    raw = fixture(THEME_TEST_DATA).read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(records.ExportError) as refused:
        read_wordpress(path)
    lines = raw[: len(raw) // 2].count(b"\n") + 1
    assert str(refused.value) == (
        f"{path} ends before the export does (line {lines}): the file is cut short. "
        "Download or make the export again."
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"db": [{"meta": {"version": "5.0"}}]}',
            "{path} is not an XML file (line 1, column 1: not well-formed (invalid token)). "
            "Expected a WordPress export (WXR), made under Tools → Export.",
        ),
        (
            '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Blog</title>\n'
            "<item><title>Hello</title><link>https://blog.example.org/hello/</link></item>\n"
            "</channel></rss>",
            "{path} is not a WordPress export (line 3): it is an RSS feed, not a WordPress "
            "export: it lacks WordPress's wp: elements. Make the export in WordPress under "
            "Tools → Export.",
        ),
        (
            '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>B</title></feed>',
            "{path} is not a WordPress export (line 2): its root element is "
            "<{{http://www.w3.org/2005/Atom}}feed>, where a WordPress export has <rss>",
        ),
        (
            HEAD + "<item><title>Fish & Chips</title></item>" + TAIL,
            "{path} is damaged: not well-formed (invalid token) at line 13, column 20. "
            "Make the export again.",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY lol "lol">]>\n<rss><channel/></rss>',
            "{path} is not a WordPress export (line 2): it declares entities, which a "
            "WordPress export never does",
        ),
        ("  \n", "{path} is empty"),
        (
            '<?xml version="1.0"?>\n<rss version="2.0"/>',
            "{path} is not a WordPress export: it has no <channel>",
        ),
    ],
    ids=["json", "rss-feed", "atom", "bad-ampersand", "entities", "empty", "no-channel"],
)
def test_files_that_are_not_exports_are_refused_with_a_clear_message(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "upload.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(records.ExportError) as refused:
        read_wordpress(path)
    assert str(refused.value) == message.format(path=path)


def test_a_zip_archive_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "wordpress.com-export.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(records.ExportError, match=r"is a zip archive: unpack it"):
        read_wordpress(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(records.ExportError, match=r"cannot be read"):
        read_wordpress(tmp_path / "nowhere.xml")


# Streaming ----------------------------------------------------------------------------------


def test_memory_stays_flat_as_the_export_grows(tmp_path: Path) -> None:
    """Reading four times as many posts takes about as much memory: the file is streamed."""
    peaks = {}
    for posts in (500, 2000):
        path = tmp_path / f"{posts}.xml"
        write_synthetic_wxr(path, posts=posts)
        tracemalloc.start()
        try:
            wxr = read_wordpress(path)
            read = sum(1 for _post in wxr.posts())
            peaks[posts] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert read == posts + posts // 100
    assert (tmp_path / "2000.xml").stat().st_size > 3.5 * (tmp_path / "500.xml").stat().st_size
    assert peaks[2000] < 1.5 * peaks[500]
