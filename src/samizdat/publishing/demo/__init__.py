"""The demo newsroom, "The Lantern": sections, authors, articles and generated photos.

Every text here was written for this project. ``seed_demo`` is idempotent: what exists is
left alone, so running ``samizdat demo`` twice changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage
from wagtail.models import Locale, Page, Revision
from wagtail.rich_text import RichText

from samizdat.core.languages import codes
from samizdat.publishing.actions import ensure_site_tree
from samizdat.publishing.demo import live_coverage
from samizdat.publishing.demo.appearance import seed_appearance
from samizdat.publishing.demo.articles_a import ARTICLES_A
from samizdat.publishing.demo.articles_b import ARTICLES_B
from samizdat.publishing.demo.audio_video import seed_audio_video
from samizdat.publishing.demo.front_page import label_stories_and_choose_front_pages
from samizdat.publishing.demo.galleries_documents import seed_galleries_and_documents
from samizdat.publishing.demo.outlet_pages import seed_outlet_pages
from samizdat.publishing.demo.tag_names import name_demo_tags
from samizdat.publishing.models import (
    ArticlePage,
    ArticlePageAuthor,
    AuthorIndexPage,
    AuthorPage,
    SectionPage,
)

ARTICLES: list[dict[str, Any]] = [*ARTICLES_A, *ARTICLES_B]

SECTIONS: list[dict[str, Any]] = [
    {
        "slug": "news",
        "en": ("News", "What happened in Verenia today, checked twice."),
        "ru": ("Новости", "Что произошло в Верении сегодня — проверено дважды."),
    },
    {
        "slug": "business",
        "en": ("Business", "Money, work and prices: the economy as people live it."),
        "ru": ("Экономика", "Деньги, работа и цены: экономика, какой её видят люди."),
    },
    {
        "slug": "opinion",
        "en": ("Opinion", "Columns and arguments from our writers."),
        "ru": ("Мнения", "Колонки и аргументы наших авторов."),
    },
    {
        "slug": "culture",
        "en": ("Culture", "Books, stages, music and the people who keep them alive."),
        "ru": ("Культура", "Книги, сцена, музыка и люди, которые не дают им исчезнуть."),
    },
]

AUTHORS: list[dict[str, Any]] = [
    {
        "slug": "anna-berg",
        "en": (
            "Anna Berg",
            "Investigations editor",
            "Anna leads our investigations desk. She covered courts in Kalvar for twelve years before the newsroom moved abroad.",
        ),
        "ru": (
            "Анна Берг",
            "Редактор расследований",
            "Анна руководит отделом расследований. Двенадцать лет писала о судах в Калваре, пока редакция не переехала за границу.",
        ),
    },
    {
        "slug": "timur-oskarov",
        "en": (
            "Timur Oskarov",
            "Economics reporter",
            "Timur writes about prices, wages and banks, and reads budget annexes so that readers do not have to.",
        ),
        "ru": (
            "Тимур Оскаров",
            "Экономический обозреватель",
            "Тимур пишет о ценах, зарплатах и банках и читает приложения к бюджету, чтобы читателям не пришлось.",
        ),
    },
    {
        "slug": "lina-vey",
        "en": (
            "Lina Vey",
            "Culture writer",
            "Lina follows theatre, books and music made inside Verenia and in exile.",
        ),
        "ru": (
            "Лина Вей",
            "Обозреватель культуры",
            "Лина следит за театром, книгами и музыкой, которые создаются в Верении и в эмиграции.",
        ),
    },
    {
        "slug": "pavel-drozd",
        "en": (
            "Pavel Drozd",
            "Columnist",
            "Pavel has written a weekly column since the newsroom's first issue.",
        ),
        "ru": (
            "Павел Дрозд",
            "Колумнист",
            "Павел пишет еженедельную колонку с первого выпуска издания.",
        ),
    },
    {
        "slug": "marta-kessel",
        "en": (
            "Marta Kessel",
            "News reporter",
            "Marta reports on regions outside the capital, mostly by phone and encrypted messenger.",
        ),
        "ru": (
            "Марта Кессель",
            "Корреспондент",
            "Марта пишет о регионах за пределами столицы — в основном по телефону и через защищённые мессенджеры.",
        ),
    },
    {
        "slug": "ilya-sarin",
        "en": (
            "Ilya Sarin",
            "Photographer and reporter",
            "Ilya photographs and reports from places where a camera draws attention.",
        ),
        "ru": (
            "Илья Сарин",
            "Фотограф и корреспондент",
            "Илья снимает и пишет репортажи там, где камера привлекает внимание.",
        ),
    },
]

PALETTES = [
    ((28, 53, 87), (214, 162, 76)),
    ((62, 39, 35), (199, 120, 82)),
    ((24, 66, 56), (168, 198, 134)),
    ((52, 45, 84), (226, 190, 125)),
    ((80, 28, 40), (232, 176, 150)),
    ((30, 30, 34), (170, 180, 190)),
]


def generate_photo(seed: str, width: int = 1600, height: int = 900) -> bytes:
    """A deterministic abstract "photo" for a demo article, drawn locally with Pillow."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    dark, light = rng.choice(PALETTES)
    image = PILImage.new("RGB", (width, height), dark)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        colour = tuple(int(d + (lt - d) * t * 0.6) for d, lt in zip(dark, light, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    for _ in range(14):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randrange(40, 320)
        shade = tuple(min(255, c + rng.randrange(-30, 60)) for c in light)
        draw.ellipse(
            [x - radius, y - radius, x + radius, y + radius],
            outline=shade,
            width=rng.randrange(2, 9),
        )
    horizon = int(height * rng.uniform(0.55, 0.75))
    draw.rectangle([0, horizon, width, height], fill=tuple(int(c * 0.7) for c in dark))
    for _ in range(rng.randrange(6, 14)):
        w, h = rng.randrange(40, 160), rng.randrange(60, 320)
        x = rng.randrange(width)
        draw.rectangle([x, horizon - h, x + w, horizon], fill=tuple(int(c * 0.5) for c in dark))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def demo_image(title: str, seed: str) -> AbstractImage:
    """The generated image for ``seed``, created once."""
    from django.core.files.images import ImageFile

    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing is not None:
        return existing
    data = generate_photo(seed)
    image = Image(title=title, description=title[:255])
    image.file = ImageFile(io.BytesIO(data), name=f"{slugify(seed)[:60] or 'photo'}.jpg")
    image.save()
    return image


def stream(
    blocks: list[tuple[str, Any]], seed: str, originals: list[tuple[str, Any]] | None = None
) -> list[tuple[str, Any]]:
    """Demo body blocks in the form ``StreamField`` accepts.

    A translation passes the ``originals`` so that it shows the same photos.
    """
    result: list[tuple[str, Any]] = []
    for index, (kind, value) in enumerate(blocks):
        if kind == "paragraph":
            result.append(("paragraph", RichText(f"<p>{value}</p>")))
        elif kind == "image":
            original = (originals or blocks)[index][1]
            title = (original.get("caption") or f"{seed} {index}")[:250]
            result.append(
                (
                    "image",
                    {
                        "image": demo_image(title, f"{seed}-{index}"),
                        "caption": value["caption"],
                        "credit": value.get("credit", ""),
                    },
                )
            )
        else:
            result.append((kind, value))
    return result


def ensure_child(parent: Page, model: type[Page], slug: str, **fields: Any) -> Page:
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing is not None:
        return existing
    page = parent.add_child(instance=model(slug=slug, locale_id=parent.locale_id, **fields))
    page.save_revision().publish()
    return page


def ensure_translation(page: Page, locale: Locale, **fields: Any) -> Page:
    """The page's translation into ``locale``, created and published with ``fields``."""
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    translated = page.copy_for_translation(locale, copy_parents=False, alias=False)
    for name, value in fields.items():
        setattr(translated, name, value)
    translated.save()
    translated.save_revision().publish()
    return translated


@transaction.atomic
def seed_demo(now: Any = None) -> dict[str, int]:
    """Create the demo newsroom; return how many pages of each kind were created."""
    now = now or timezone.now()
    created = {"sections": 0, "authors": 0, "articles": 0, "translations": 0}
    home = ensure_site_tree()
    # The demo newsroom writes in English, with Russian translations where the newsroom
    # publishes in Russian too (SAMIZDAT_LANGUAGES).
    ru = Locale.objects.filter(language_code="ru").first() if "ru" in codes() else None

    sections: dict[str, tuple[SectionPage, SectionPage | None]] = {}
    for spec in SECTIONS:
        before = SectionPage.objects.count()
        title, intro = spec["en"]
        en_page = ensure_child(
            home, SectionPage, spec["slug"], title=title, intro=intro, show_in_menus=True
        )
        title_ru, intro_ru = spec["ru"]
        ru_page = (
            ensure_translation(en_page, ru, title=title_ru, intro=intro_ru, show_in_menus=True)
            if ru is not None
            else None
        )
        created["sections"] += SectionPage.objects.count() - before
        sections[spec["slug"]] = (en_page.specific, ru_page)

    index_en = AuthorIndexPage.objects.child_of(home).get()
    authors: dict[str, tuple[AuthorPage, AuthorPage | None]] = {}
    for spec in AUTHORS:
        before = AuthorPage.objects.count()
        name, role, bio = spec["en"]
        photo = demo_image(f"Portrait: {name}", f"author-{spec['slug']}")
        en_author = ensure_child(
            index_en, AuthorPage, spec["slug"], title=name, role=role, bio=bio, photo=photo
        )
        name_ru, role_ru, bio_ru = spec["ru"]
        ru_author = (
            ensure_translation(en_author, ru, title=name_ru, role=role_ru, bio=bio_ru)
            if ru is not None
            else None
        )
        created["authors"] += AuthorPage.objects.count() - before
        authors[spec["slug"]] = (en_author.specific, ru_author)

    for spec in ARTICLES:
        section_en, _section_ru = sections[spec["section"]]
        if ArticlePage.objects.child_of(section_en).filter(slug=spec["slug"]).exists():
            continue
        published = now - timedelta(days=spec["days_ago"], hours=(hash_hours(spec["slug"])))
        image = demo_image(spec["caption"][:250], spec["slug"])
        article = ArticlePage(
            title=spec["headline"],
            slug=spec["slug"],
            standfirst=spec["standfirst"],
            lead_image=image,
            lead_caption=spec["caption"],
            lead_credit=spec["credit"],
            body=stream(spec["body"], spec["slug"]),
            locale_id=section_en.locale_id,
        )
        for order, slug in enumerate(spec["authors"]):
            article.article_authors.add(
                ArticlePageAuthor(author=authors[slug][0], sort_order=order)
            )
        article.tags.add(*spec["tags"])
        section_en.add_child(instance=article)
        article.save_revision().publish()
        backdate(
            article,
            published,
            updated=published + timedelta(hours=2 if spec["days_ago"] % 3 == 0 else 0),
            now=now,
        )
        created["articles"] += 1

        ru_spec = spec.get("ru")
        if ru is not None and ru_spec:
            translated = article.copy_for_translation(ru, copy_parents=False, alias=False)
            translated.slug = ru_spec["slug"]
            translated.title = ru_spec["headline"]
            translated.standfirst = ru_spec["standfirst"]
            translated.lead_caption = ru_spec.get("caption", spec["caption"])
            translated.lead_credit = ru_spec.get("credit", spec["credit"])
            translated.body = stream(ru_spec["body"], spec["slug"], originals=spec["body"])
            translated.tags.set(spec["tags"])
            translated.save()
            translated.save_revision().publish()
            translated_at = published + timedelta(hours=5)
            backdate(translated, translated_at, updated=translated_at, now=now)
            created["translations"] += 1
    created["information pages"] = seed_outlet_pages(home, ru)
    label_stories_and_choose_front_pages()
    name_demo_tags()
    seed_galleries_and_documents(now, created)
    created["articles"] += live_coverage.seed_live_coverage(now)
    created["appearance"] = seed_appearance()
    created["audio and video stories"] = seed_audio_video(now)
    return created


def hash_hours(slug: str) -> int:
    return int(hashlib.sha256(slug.encode()).hexdigest(), 16) % 12


def backdate(page: Page, published: Any, updated: Any, now: Any) -> None:
    """Give a demo page the publication times it would have had in a real archive.

    No time is later than ``now``: the newest stories (a correction two hours after, a
    translation five hours after) would otherwise read "Updated" at a time still to come.
    Its revision is dated to the last update, as if written then.
    """
    published, updated = min(published, now), min(updated, now)
    Page.objects.filter(pk=page.pk).update(
        first_published_at=published, last_published_at=updated, latest_revision_created_at=updated
    )
    Revision.objects.filter(pk=page.latest_revision_id).update(created_at=updated)
    page.first_published_at = published
    page.last_published_at = updated
    page.latest_revision_created_at = updated
