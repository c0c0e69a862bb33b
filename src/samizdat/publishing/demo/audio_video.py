"""The demo's audio and video stories: a podcast episode in News, a short film with English
and Russian subtitles in Culture, each translated into Russian.

The media files beside this module were made by ``make_media.py`` (see there); the subtitles
are written here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Locale
from wagtail.rich_text import RichText
from wagtailmedia.models import get_media_model

from samizdat.core.languages import codes
from samizdat.publishing.models import ArticlePage, ArticlePageAuthor, AuthorPage, SectionPage

HERE = Path(__file__).resolve().parent

SUBTITLES = {
    "en": """WEBVTT

00:00:00.500 --> 00:00:03.500
Every evening the old market of Kalvar lights its lanterns.

00:00:03.800 --> 00:00:07.000
The stalls were closed by decree. The lanterns went up anyway.

00:00:07.300 --> 00:00:11.500
Neighbours say each light is for someone who had to leave.
""",
    "ru": """WEBVTT

00:00:00.500 --> 00:00:03.500
Каждый вечер старый рынок Калвара зажигает фонари.

00:00:03.800 --> 00:00:07.000
Прилавки закрыли по указу. Фонари всё равно зажглись.

00:00:07.300 --> 00:00:11.500
Соседи говорят: каждый огонёк — за того, кому пришлось уехать.
""",
}

PODCAST = {
    "section": "news",
    "slug": "lantern-weekly-trailer",
    "author": "anna-berg",
    "days_ago": 1,
    "en": {
        "headline": "The Lantern Weekly: our podcast starts on Friday",
        "standfirst": "Half an hour every week with the reporters behind our stories, made "
        "in exile and free to download. Here is the signature tune.",
        "caption": "The Lantern Weekly, trailer",
        "credit": "The Lantern",
        "transcript": "[The signature tune of The Lantern Weekly: a plucked melody over a low "
        "drone, thirty seconds, no words.]",
        "paragraphs": [
            "From Friday our reporters talk through the week's stories: how a court ruling "
            "was obtained, what a price rise means at the market, who is still writing in "
            "Kalvar. Every episode comes with a full transcript.",
            "Subscribe in any podcast app with the address of our News podcast feed; it "
            "needs no account and tells us nothing about who listens.",
        ],
    },
    "ru": {
        "slug": "lantern-weekly-trejler",
        "headline": "«Фонарь. Неделя»: наш подкаст выходит по пятницам",
        "standfirst": "Полчаса каждую неделю с журналистами, которые стоят за нашими "
        "материалами: в эмиграции и бесплатно. Вот его позывные.",
        "caption": "«Фонарь. Неделя», трейлер",
        "credit": "«Фонарь»",
        "transcript": "[Позывные подкаста «Фонарь. Неделя»: щипковая мелодия на фоне низкого "
        "гула, тридцать секунд, без слов.]",
        "paragraphs": [
            "По пятницам наши корреспонденты разбирают истории недели: как удалось получить "
            "решение суда, что значит рост цен для рынка, кто всё ещё пишет из Калвара. К "
            "каждому выпуску — полная расшифровка.",
            "Подпишитесь в любом приложении для подкастов по адресу ленты подкаста раздела "
            "«Новости»: аккаунт не нужен, и мы ничего не узнаём о слушателях.",
        ],
    },
}

FILM = {
    "section": "culture",
    "slug": "lanterns-over-the-night-market",
    "author": "ilya-sarin",
    "days_ago": 2,
    "en": {
        "headline": "Lanterns over the night market: a short film",
        "standfirst": "The authorities closed Kalvar's old market. Its neighbours keep "
        "lighting the lanterns. Twelve seconds, with subtitles in English and Russian.",
        "caption": "Lanterns over the night market",
        "credit": "Ilya Sarin for The Lantern",
        "transcript": "Every evening the old market of Kalvar lights its lanterns. The "
        "stalls were closed by decree. The lanterns went up anyway. Neighbours say each "
        "light is for someone who had to leave.",
        "paragraphs": [
            "The market has been closed since spring. Nobody has claimed the lanterns, and "
            "nobody has taken them down.",
        ],
    },
    "ru": {
        "slug": "fonari-nad-nochnym-rynkom",
        "headline": "Фонари над ночным рынком: короткий фильм",
        "standfirst": "Власти закрыли старый рынок Калвара. Соседи продолжают зажигать "
        "фонари. Двенадцать секунд, с субтитрами на русском и английском.",
        "caption": "Фонари над ночным рынком",
        "credit": "Илья Сарин для «Фонаря»",
        "transcript": "Каждый вечер старый рынок Калвара зажигает фонари. Прилавки закрыли "
        "по указу. Фонари всё равно зажглись. Соседи говорят: каждый огонёк — за того, "
        "кому пришлось уехать.",
        "paragraphs": [
            "Рынок закрыт с весны. Никто не признался, что повесил фонари, и никто их не снял.",
        ],
    },
}


def demo_media(title: str, name: str, kind: str, **fields: Any) -> Any:
    """The demo's audio or video file ``name``, stored once (tags removed on saving)."""
    Media = get_media_model()
    existing = Media.objects.filter(title=title).first()
    if existing is not None:
        return existing
    media = Media(title=title, type=kind, **fields)
    media.file = ContentFile((HERE / name).read_bytes(), name=name)
    media.save()
    return media


def demo_subtitles(language: str) -> Any:
    Document = get_document_model()
    title = f"Subtitles ({language}): Lanterns over the night market"
    existing = Document.objects.filter(title=title).first()
    if existing is not None:
        return existing
    document = Document(title=title)
    document.file = ContentFile(SUBTITLES[language].encode(), name=f"night-market.{language}.vtt")
    document.save()
    return document


def story_body(text: dict[str, Any], block: tuple[str, dict[str, Any]]) -> list[Any]:
    kind, value = block
    value = {
        **value,
        "caption": text["caption"],
        "credit": text["credit"],
        "transcript": text["transcript"],
    }
    paragraphs = [("paragraph", RichText(f"<p>{p}</p>")) for p in text["paragraphs"]]
    return [paragraphs[0], (kind, value), *paragraphs[1:]]


def add_story(spec: dict[str, Any], block: tuple[str, dict[str, Any]], now: Any) -> int:
    """The story of ``spec`` and its Russian translation; how many pages were created."""
    from samizdat.publishing.demo import backdate, demo_image  # the package imports this module

    section = SectionPage.objects.filter(slug=spec["section"], locale__language_code="en").first()
    if section is None or ArticlePage.objects.child_of(section).filter(slug=spec["slug"]).exists():
        return 0
    author = AuthorPage.objects.filter(slug=spec["author"], locale_id=section.locale_id).first()
    text = spec["en"]
    article = ArticlePage(
        title=text["headline"],
        slug=spec["slug"],
        standfirst=text["standfirst"],
        lead_image=demo_image(text["caption"], spec["slug"]),
        lead_caption=text["caption"],
        lead_credit=text["credit"],
        body=story_body(text, block),
        locale_id=section.locale_id,
    )
    if author is not None:
        article.article_authors.add(ArticlePageAuthor(author=author, sort_order=0))
    article.tags.add("video" if block[0] == "video" else "podcast")
    section.add_child(instance=article)
    article.save_revision().publish()
    published = now - timedelta(days=spec["days_ago"])
    backdate(article, published, updated=published, now=now)
    ru = Locale.objects.filter(language_code="ru").first() if "ru" in codes() else None
    if ru is None:
        return 1
    text = spec["ru"]
    translated = article.copy_for_translation(ru, copy_parents=False, alias=False)
    translated.slug = text["slug"]
    translated.title = text["headline"]
    translated.standfirst = text["standfirst"]
    translated.lead_caption = text["caption"]
    translated.lead_credit = text["credit"]
    translated.body = story_body(text, block)
    translated.tags.set([tag.name for tag in article.tags.all()])
    translated.save()
    translated.save_revision().publish()
    backdate(
        translated, published + timedelta(hours=3), updated=published + timedelta(hours=3), now=now
    )
    return 2


def seed_audio_video(now: Any) -> int:
    """A podcast episode and a subtitled film, in English and Russian; pages created."""
    from samizdat.publishing.demo import demo_image  # the package imports this module

    episode = demo_media("The Lantern Weekly: trailer", "podcast-episode.mp3", "audio")
    film = demo_media(
        "Lanterns over the night market",
        "night-market.webm",
        "video",
        duration=12.0,
        width=320,
        height=180,
    )
    tracks = [
        {"file": demo_subtitles(language), "language": language, "kind": "subtitles"}
        for language in ("en", "ru")
        if language in codes()
    ]
    poster = demo_image("Lanterns over the night market (poster)", "night-market-poster")
    created = add_story(PODCAST, ("audio", {"media": episode, "subtitles": []}), now)
    created += add_story(
        FILM, ("video", {"media": film, "poster_image": poster, "subtitles": tracks}), now
    )
    return created
