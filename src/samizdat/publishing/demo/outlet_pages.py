"""The demo newsroom's own pages: About, Contact, Corrections policy, Imprint, How to reach us
securely and Jobs, in English and Russian, with the secure contacts in Settings.

The Signal number is from the range kept free for fiction, the onion address is made up and
the PGP key is generated here and belongs to no one (``demo_key.py``).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from wagtail.models import Locale, Page
from wagtail.rich_text import RichText

from samizdat.publishing.demo.demo_key import demo_public_key
from samizdat.publishing.models import InfoPage, SecureContactSettings

DEMO_SIGNAL = "+44 7700 900417"  # a number reserved for drama: it reaches no one
DEMO_EMAIL = "tips@lantern.example"

SECURE_NOTE_EN = (
    "Use a device that is not your work's, and a network that is not your office's. Tor "
    "Browser hides from your provider that you visit SecureDrop. Signal messages can be set to "
    "disappear."
)
SECURE_NOTE_RU = (
    "Пользуйтесь устройством, которое не принадлежит работодателю, и сетью не из офиса. Tor "
    "Browser скрывает от провайдера, что вы заходите на SecureDrop. В Signal можно включить "
    "исчезающие сообщения."
)

# slug: (header, footer, {language: (title, intro, blocks)})
PAGES: list[dict[str, Any]] = [
    {
        "slug": "about",
        "menu": True,
        "footer": True,
        "en": (
            "About us",
            "The Lantern is an independent newsroom for Verenia, published from abroad since "
            "the capital's papers were closed.",
            [
                ("paragraph", "We are eleven journalists, two editors and a lawyer. Most of us "
                 "worked for Verenian papers that no longer exist; some of us still live in "
                 "Verenia and write under names that are not theirs."),
                ("subheading", "What we do"),
                ("paragraph", "We report what happens in Verenia's courts, towns and markets, "
                 "and check it twice before it is published. We write in English and Russian "
                 "so that readers inside the country and those who left can read the same "
                 "story."),
                ("subheading", "Who pays for it"),
                ("paragraph", "Readers do. We take no money from governments or parties, and "
                 "no advertising that follows you from page to page."),
            ],
        ),
        "ru": (
            "О нас",
            "«Фонарь» — независимое издание о Верении. Мы работаем из-за границы с тех пор, "
            "как в столице закрыли газеты.",
            [
                ("paragraph", "Нас одиннадцать журналистов, два редактора и юрист. Большинство "
                 "из нас работали в веренийских газетах, которых больше нет; некоторые до сих "
                 "пор живут в Верении и пишут под чужими именами."),
                ("subheading", "Чем мы занимаемся"),
                ("paragraph", "Мы пишем о том, что происходит в судах, городах и на рынках "
                 "Верении, и проверяем всё дважды перед публикацией. Мы пишем по-английски и "
                 "по-русски, чтобы одну и ту же историю могли прочитать и те, кто остался, и "
                 "те, кто уехал."),
                ("subheading", "Кто за это платит"),
                ("paragraph", "Читатели. Мы не берём денег у правительств и партий и не "
                 "показываем рекламу, которая следит за вами со страницы на страницу."),
            ],
        ),
    },
    {
        "slug": "contact",
        "menu": False,
        "footer": True,
        "en": (
            "Contact",
            "Write to the desk that can answer you.",
            [
                ("paragraph", "Editors: editors@lantern.example. Corrections: "
                 "corrections@lantern.example. Readers' questions about donations: "
                 "support@lantern.example."),
                ("paragraph", "We read every message, and answer most within two working "
                 "days. We have no office that receives visitors."),
                ("subheading", "If you have a story for us"),
                ("secure_contact", None),
            ],
        ),
        "ru": (
            "Контакты",
            "Напишите в отдел, который сможет ответить.",
            [
                ("paragraph", "Редакция: editors@lantern.example. Исправления: "
                 "corrections@lantern.example. Вопросы о пожертвованиях: "
                 "support@lantern.example."),
                ("paragraph", "Мы читаем все письма и на большинство отвечаем в течение двух "
                 "рабочих дней. Офиса, куда можно прийти, у нас нет."),
                ("subheading", "Если у вас есть история для нас"),
                ("secure_contact", None),
            ],
        ),
    },
    {
        "slug": "secure",
        "menu": False,
        "footer": True,
        "en": (
            "How to reach us securely",
            "If you have documents or a story that could put you at risk, contact us in one "
            "of these ways. We never name a source without their consent.",
            [
                ("secure_contact", None),
                ("subheading", "Before you write"),
                ("paragraph", SECURE_NOTE_EN),
                ("paragraph", "Check the fingerprint of our key against the one printed here "
                 "and on our mirrors: if they differ, do not use the key."),
            ],
        ),
        "ru": (
            "Как связаться с нами безопасно",
            "Если у вас есть документы или история, которая может вам навредить, свяжитесь "
            "с нами одним из этих способов. Мы никогда не называем источники без их согласия.",
            [
                ("secure_contact", None),
                ("subheading", "Прежде чем написать"),
                ("paragraph", SECURE_NOTE_RU),
                ("paragraph", "Сверьте отпечаток нашего ключа с тем, что напечатан здесь и на "
                 "наших зеркалах: если они не совпадают, не пользуйтесь ключом."),
            ],
        ),
    },
    {
        "slug": "corrections-policy",
        "menu": False,
        "footer": True,
        "en": (
            "Corrections policy",
            "When we get something wrong, we say so on the story itself.",
            [
                ("paragraph", "A factual error is corrected as soon as we have checked it. The "
                 "story carries a dated note that says what was wrong; we do not change a "
                 "story silently."),
                ("paragraph", "Spelling and style are fixed without a note. A story we can no "
                 "longer stand by is withdrawn with an explanation in its place."),
                ("paragraph", "Tell us about an error at corrections@lantern.example."),
            ],
        ),
        "ru": (
            "Как мы исправляем ошибки",
            "Если мы ошиблись, мы говорим об этом в самом материале.",
            [
                ("paragraph", "Фактическую ошибку мы исправляем, как только проверим её. В "
                 "материале появляется датированная заметка о том, что было не так; молча "
                 "мы тексты не меняем."),
                ("paragraph", "Опечатки и стиль правим без заметки. Материал, за который мы "
                 "больше не можем ручаться, снимаем и объясняем почему."),
                ("paragraph", "Сообщить об ошибке: corrections@lantern.example."),
            ],
        ),
    },
    {
        "slug": "imprint",
        "menu": False,
        "footer": True,
        "en": (
            "Imprint",
            "Who is responsible for this site.",
            [
                ("paragraph", "The Lantern is published by Lantern Media Foundation, a "
                 "non-profit foundation registered in the demo register under number "
                 "DEMO-0042."),
                ("paragraph", "Editor-in-chief, responsible for the content: Anna Berg."),
                ("paragraph", "Postal address on request: editors@lantern.example."),
            ],
        ),
        "ru": (
            "Выходные данные",
            "Кто отвечает за этот сайт.",
            [
                ("paragraph", "«Фонарь» издаёт некоммерческий фонд Lantern Media Foundation, "
                 "зарегистрированный в демонстрационном реестре под номером DEMO-0042."),
                ("paragraph", "Главный редактор, ответственный за содержание: Анна Берг."),
                ("paragraph", "Почтовый адрес — по запросу: editors@lantern.example."),
            ],
        ),
    },
    {
        "slug": "jobs",
        "menu": False,
        "footer": True,
        "en": (
            "Jobs",
            "We are looking for a regional reporter and a night editor.",
            [
                ("subheading", "Regional reporter"),
                ("paragraph", "You know a Verenian region outside the capital and people who "
                 "live there. You can work from anywhere, and you will be paid in the currency "
                 "you choose."),
                ("subheading", "Night editor"),
                ("paragraph", "Four nights a week, from abroad. You edit in English or Russian "
                 "and read the other."),
                ("paragraph", "Write to jobs@lantern.example. Tell us what you would report on "
                 "first; no CV is needed at this stage."),
            ],
        ),
        "ru": (
            "Вакансии",
            "Мы ищем регионального корреспондента и ночного редактора.",
            [
                ("subheading", "Региональный корреспондент"),
                ("paragraph", "Вы знаете один из регионов Верении за пределами столицы и "
                 "людей, которые там живут. Работать можно откуда угодно, оплата — в валюте "
                 "по вашему выбору."),
                ("subheading", "Ночной редактор"),
                ("paragraph", "Четыре ночи в неделю, из-за границы. Вы редактируете "
                 "по-английски или по-русски и читаете на другом языке."),
                ("paragraph", "Пишите на jobs@lantern.example. Расскажите, о чём вы написали "
                 "бы первым делом; резюме на этом этапе не нужно."),
            ],
        ),
    },
]  # fmt: skip


def info_blocks(blocks: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Demo blocks in the form ``StreamField`` accepts."""
    return [
        (kind, RichText(f"<p>{value}</p>") if kind == "paragraph" else value)
        for kind, value in blocks
    ]


def demo_onion() -> str:
    """A made-up address of the onion form (56 characters of base32 before ``.onion``)."""
    digest = hashlib.sha256(b"The Lantern demo SecureDrop").digest()
    name = base64.b32encode(digest + digest[:3]).decode().lower()
    return f"http://{name[:56]}.onion/"


def seed_secure_contact() -> None:
    """Fill Settings → Secure contact once, with demo values."""
    contact = SecureContactSettings.load()
    if contact.signal or contact.pgp_public_key:
        return
    contact.signal = DEMO_SIGNAL
    contact.securedrop_address = demo_onion()
    contact.tips_email = DEMO_EMAIL
    contact.pgp_public_key = demo_public_key()
    contact.save()


def seed_outlet_pages(home: Page, ru: Locale | None) -> int:
    """The demo's information pages (and their Russian translations); how many were created."""
    from samizdat.publishing.demo import ensure_child, ensure_translation

    seed_secure_contact()
    before = InfoPage.objects.count()
    for spec in PAGES:
        title, intro, blocks = spec["en"]
        placement = {"show_in_menus": spec["menu"], "show_in_footer": spec["footer"]}
        page = ensure_child(
            home,
            InfoPage,
            spec["slug"],
            title=title,
            intro=intro,
            body=info_blocks(blocks),
            **placement,
        )
        if ru is not None:
            title_ru, intro_ru, blocks_ru = spec["ru"]
            ensure_translation(
                page, ru, title=title_ru, intro=intro_ru, body=info_blocks(blocks_ru), **placement
            )
    return InfoPage.objects.count() - before
