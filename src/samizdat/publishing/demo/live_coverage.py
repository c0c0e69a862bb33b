"""The demo's live story (a day of updates from the Tessel harbour strike) and a correction on
one of its earlier stories, in English and Russian. Every text was written for this project."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from wagtail.models import Locale
from wagtail.rich_text import RichText

from samizdat.publishing.models import ArticlePage, ArticlePageAuthor, AuthorPage, SectionPage

LIVE_SLUG = "live-tessel-harbour-strike"
LIVE_SLUG_RU = "onlain-zabastovka-v-portu-tesselya"
CORRECTED_SLUG = "vpn-use-surges-as-inspectorate-blocks-more-sites"

LIVE_STORY = {
    "en": {
        "headline": "Live: dockers walk out and Tessel harbour falls silent",
        "standfirst": "Crane drivers and dockers stopped work at dawn over unpaid wages. We are following the strike as it happens, from the gates and by phone.",
        "caption": "Cranes stand idle over the container terminal in Tessel on the first morning of the strike.",
        "credit": "Photo: Ilya Sarin for The Lantern",
        "summary": "Around 1,400 workers at the Tessel port authority stopped work at 5 a.m., the union says, demanding three months of wages the port owes them. The port says the figure is lower and calls the strike unlawful. This page is updated as we learn more; the newest update comes first.",
    },
    "ru": {
        "headline": "Онлайн: докеры бастуют, порт Тесселя остановился",
        "standfirst": "Крановщики и докеры на рассвете прекратили работу из-за невыплаченных зарплат. Мы следим за забастовкой в реальном времени — у ворот порта и по телефону.",
        "caption": "Краны над контейнерным терминалом Тесселя в первое утро забастовки.",
        "credit": "Фото: Илья Сарин для The Lantern",
        "summary": "Около 1400 работников портового управления Тесселя прекратили работу в 5 утра, сообщает профсоюз: они требуют выплатить зарплату за три месяца. Порт называет меньшую сумму долга и считает забастовку незаконной. Страница обновляется по мере поступления новостей, новые сообщения — сверху.",
    },
}

# (hours before now, headline, text, with a photo) in English, then Russian.
UPDATES: list[dict[str, Any]] = [
    {
        "hours": 20,
        "photo": False,
        "en": (
            "Gates closed at dawn",
            "<p>The night shift left at five and the morning shift did not go in. Pickets stand at all three gates of the container terminal.</p>",
        ),
        "ru": (
            "Ворота закрыты с рассвета",
            "<p>Ночная смена ушла в пять утра, утренняя так и не вышла. У всех трёх ворот контейнерного терминала стоят пикеты.</p>",
        ),
    },
    {
        "hours": 17,
        "photo": False,
        "en": (
            "What the strikers say",
            "<blockquote>We have loaded every ship since spring and been paid for January. We are not asking for a raise, we are asking for our money.</blockquote><p>— Ida Marr, crane driver, at the north gate</p>",
        ),
        "ru": (
            "Что говорят бастующие",
            "<blockquote>С весны мы загрузили все суда, а заплатили нам за январь. Мы не просим прибавки, мы просим свои деньги.</blockquote><p>— Ида Марр, крановщица, у северных ворот</p>",
        ),
    },
    {
        "hours": 16,
        "photo": True,
        "en": (
            "Ships wait at anchor",
            "<p>Seven cargo ships are waiting in the roads outside the harbour, according to public vessel-tracking data.</p>",
        ),
        "ru": (
            "Суда ждут на рейде",
            "<p>По открытым данным о движении судов, на рейде у входа в порт ждут семь грузовых судов.</p>",
        ),
    },
    {
        "hours": 14,
        "photo": False,
        "en": (
            "The port's answer",
            "<p>The port authority says it owes two months of wages, not three, and that the strike is unlawful because the union gave no ten days' notice. It has asked the regional court to order workers back.</p>",
        ),
        "ru": (
            "Ответ порта",
            "<p>Портовое управление заявляет, что задолжало зарплату за два месяца, а не за три, и что забастовка незаконна: профсоюз не предупредил о ней за десять дней. Управление обратилось в областной суд с требованием вернуть работников на места.</p>",
        ),
    },
    {
        "hours": 10,
        "photo": True,
        "en": (
            "Families bring lunch",
            "<p>Relatives of the strikers arrived at midday with soup and bread. A few shop owners from the port district brought tea.</p>",
        ),
        "ru": (
            "Семьи привезли обед",
            "<p>В полдень к бастующим приехали родственники с супом и хлебом. Несколько владельцев магазинов из портового района привезли чай.</p>",
        ),
    },
    {
        "hours": 8,
        "photo": False,
        "en": (
            "Court hearing set for tomorrow",
            "<p>The regional court will hear the port's request at 10 a.m. tomorrow. The union's lawyer says the wages owed are a matter of the port's own accounts, which it has asked the court to examine.</p>",
        ),
        "ru": (
            "Суд назначен на завтра",
            "<p>Областной суд рассмотрит заявление порта завтра в 10 утра. Юрист профсоюза говорит, что долг по зарплате следует из собственной бухгалтерии порта, и просит суд её изучить.</p>",
        ),
    },
    {
        "hours": 6,
        "photo": False,
        "en": (
            "",
            "<blockquote>If the money is there for the lawyers, it is there for the wages.</blockquote><p>— a docker who asked not to be named, at the south gate</p>",
        ),
        "ru": (
            "",
            "<blockquote>Если на юристов деньги есть, то и на зарплаты найдутся.</blockquote><p>— докер, попросивший не называть его имени, у южных ворот</p>",
        ),
    },
    {
        "hours": 0.5,
        "photo": False,
        "en": (
            "",
            "<p>We will resume live coverage at 8 a.m. with the court hearing. Readers in Tessel can reach our reporters securely; see the newsroom's contact page.</p>",
        ),
        "ru": (
            "",
            "<p>Мы продолжим онлайн-трансляцию в 8 утра, к началу заседания суда. Читатели в Тесселе могут безопасно связаться с нашими корреспондентами — см. страницу контактов редакции.</p>",
        ),
    },
]

CORRECTION = {
    "en": "An earlier version of this story said that the regulator added 473 addresses to the blocklist in October. The register shows 437.",
    "ru": "В первой версии материала говорилось, что в октябре регулятор внёс в реестр блокировок 473 адреса. Согласно реестру, их 437.",
}


def seed_live_coverage(now: datetime) -> int:
    """The live story (with its Russian translation) and a correction on an earlier story;
    returns how many pages it created. What exists is left alone."""
    from samizdat.publishing.demo import backdate, demo_image

    created = 0
    news = SectionPage.objects.filter(slug="news", locale__language_code="en").first()
    if news is None:
        return 0
    ru = Locale.objects.filter(language_code="ru").first()
    story = ArticlePage.objects.child_of(news).filter(slug=LIVE_SLUG).first()
    if story is None:
        start = now - timedelta(hours=20, minutes=10)
        text = LIVE_STORY["en"]
        story = ArticlePage(
            title=text["headline"],
            slug=LIVE_SLUG,
            standfirst=text["standfirst"],
            lead_image=demo_image(text["caption"][:250], LIVE_SLUG),
            lead_caption=text["caption"],
            lead_credit=text["credit"],
            body=[("paragraph", RichText(f"<p>{text['summary']}</p>"))],
            live_updates=_updates("en", now),
            locale_id=news.locale_id,
        )
        for order, slug in enumerate(("marta-kessel", "ilya-sarin")):
            author = AuthorPage.objects.filter(slug=slug, locale_id=news.locale_id).first()
            if author is not None:
                story.article_authors.add(ArticlePageAuthor(author=author, sort_order=order))
        story.tags.add("labour", "tessel")
        news.add_child(instance=story)
        story.save_revision().publish()
        backdate(story, start, updated=now - timedelta(minutes=30), now=now)
        created += 1
        if ru is not None and story.get_translation_or_none(ru) is None:
            text = LIVE_STORY["ru"]
            translated = story.copy_for_translation(ru, copy_parents=False, alias=False)
            translated.slug = LIVE_SLUG_RU
            translated.title = text["headline"]
            translated.standfirst = text["standfirst"]
            translated.lead_caption = text["caption"]
            translated.lead_credit = text["credit"]
            translated.body = [("paragraph", RichText(f"<p>{text['summary']}</p>"))]
            translated.live_updates = _updates("ru", now)
            translated.tags.set(["labour", "tessel"])
            translated.save()
            translated.save_revision().publish()
            backdate(translated, start, updated=now - timedelta(minutes=25), now=now)
            created += 1
    _correct(CORRECTED_SLUG, "en", now)
    if ru is not None:
        original = ArticlePage.objects.filter(slug=CORRECTED_SLUG, locale__language_code="en")
        translation = original.first().get_translation_or_none(ru) if original.exists() else None
        if translation is not None:
            _correct(translation.slug, "ru", now)
    return created


def _updates(language: str, now: datetime) -> list[tuple[str, Any]]:
    from samizdat.publishing.demo import demo_image

    blocks = []
    for index, spec in enumerate(UPDATES):
        headline, text = spec[language]
        english_headline = UPDATES[index]["en"][0] or f"update {index}"
        blocks.append(
            (
                "update",
                {
                    "time": (now - timedelta(hours=spec["hours"])).replace(second=0, microsecond=0),
                    "headline": headline,
                    "text": RichText(text),
                    "image": demo_image(
                        f"Tessel strike: {english_headline}", f"{LIVE_SLUG}-{index}"
                    )
                    if spec["photo"]
                    else None,
                    "caption": headline if spec["photo"] else "",
                },
            )
        )
    return blocks


def _correct(slug: str, language: str, now: datetime) -> None:
    """Add the demo correction to the story ``slug`` unless it has notes already."""
    from samizdat.publishing.demo import backdate

    story = ArticlePage.objects.filter(slug=slug, locale__language_code=language).first()
    if story is None or story.has_notes:
        return
    published = story.first_published_at or now
    story.notes.append(
        (
            "note",
            {"kind": "correction", "date": timezone.localdate(now), "text": CORRECTION[language]},
        )
    )
    story.save_revision().publish()
    backdate(story, published, updated=now - timedelta(minutes=40), now=now)
