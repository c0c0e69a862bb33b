"""Demo stories in two formats: a photo gallery, and a story with the court's order attached
as a PDF. The photos are drawn and the PDF is written here, at seed time."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pikepdf
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.documents.models import AbstractDocument
from wagtail.models import Locale

from samizdat.core.languages import codes
from samizdat.publishing.models import ArticlePage, ArticlePageAuthor, AuthorPage, SectionPage

GALLERY_PHOTOS = [
    (
        "Traders set up their stalls under the railway bridge before six in the morning.",
        "Перед шестью утра торговцы раскладывают прилавки под железнодорожным мостом.",
    ),
    (
        "Nadia Orlik has sold apples from the same corner for twenty-two years.",
        "Надя Орлик продаёт яблоки на одном и том же углу двадцать два года.",
    ),
    (
        "The fish hall, the oldest part of the market, was built in 1911.",
        "Рыбный павильон, самая старая часть рынка, построен в 1911 году.",
    ),
    (
        "A notice on the gate announces the closure “for reconstruction”.",
        "Объявление на воротах сообщает о закрытии «на реконструкцию».",
    ),
    (
        "By noon the last buyers are gone and the stalls are folded away.",
        "К полудню уходят последние покупатели, прилавки складывают.",
    ),
]
GALLERY_CREDIT = ("Photo: Irena Vask for The Lantern", "Фото: Ирена Васк для The Lantern")

GALLERY: dict[str, Any] = {
    "slug": "ruzhno-river-market-last-summer-in-pictures",
    "section": "culture",
    "authors": ["marta-kessel"],
    "tags": ["photography"],
    "hours_ago": 30,
    "en": {
        "headline": "The last summer of Ruzhno’s river market, in pictures",
        "standfirst": "The city plans to close the market by the river, where traders have sold fish, apples and gossip for more than a century. Our photographer spent its last mornings there.",
        "intro": "The river market opens before dawn and is quiet again by noon. The city administration says it will close in the autumn to make way for a car park; the traders say nobody asked them. These are its last summer mornings.",
        "title": "Mornings at the river market",
        "after": "The administration has not said where the traders may go. A petition to keep the market open has gathered more than four thousand signatures, most of them on paper, collected at the stalls.",
    },
    "ru": {
        "slug": "poslednee-leto-rechnogo-rynka-ruzhno",
        "headline": "Последнее лето речного рынка в Ружно — в фотографиях",
        "standfirst": "Власти города собираются закрыть рынок у реки, где больше века торгуют рыбой, яблоками и новостями. Наш фотограф провела там его последние утра.",
        "intro": "Речной рынок открывается до рассвета и затихает к полудню. Городская администрация обещает закрыть его осенью и построить на его месте парковку; торговцы говорят, что их никто не спрашивал. Это его последние летние утра.",
        "title": "Утро на речном рынке",
        "after": "Куда переедут торговцы, администрация не сообщила. Петицию за сохранение рынка подписали больше четырёх тысяч человек, в основном на бумаге, прямо у прилавков.",
    },
}

DOCUMENT_TITLE = "Ruzhno Regional Court: order closing the Varna trial to the public"
DOCUMENT_LINES = [
    "RUZHNO REGIONAL COURT",
    "",
    "ORDER",
    "on holding the hearings in private",
    "",
    "Case of Oleg Varna (criminal article on false information)",
    "Presiding judge: Selma Arkova",
    "",
    "Having heard the motion of the prosecution, the court finds that the case file",
    "contains information of a sensitive nature concerning the activities of state",
    "bodies of the region, and that its disclosure in open court could harm them.",
    "",
    "The court therefore ORDERS:",
    "1. The hearings in the case shall be held in private.",
    "2. Only the parties, their counsel and one relative of the defendant may attend.",
    "3. The defence motion to compare the disputed passages with the public",
    "   procurement records shall be decided at the next hearing.",
    "",
    "The order may be appealed together with the judgment.",
    "",
    "English translation by The Lantern. Names of court staff removed.",
]

DOCUMENT: dict[str, Any] = {
    "slug": "read-the-order-closing-the-varna-trial",
    "section": "news",
    "authors": ["anna-berg"],
    "tags": ["courts", "press freedom"],
    "hours_ago": 3,
    "en": {
        "headline": "Read the court’s order closing Oleg Varna’s trial to the public",
        "standfirst": "The Lantern has obtained the order by which Judge Selma Arkova barred the public from the reporter’s trial. We publish it in full, in our translation.",
        "before": "The order is a single page. It gives one reason for closing the hearings: that the case file holds ‘information of a sensitive nature’ about the regional administration. It does not say which information, and the defence says the figures at the heart of the case come from the administration’s own public procurement portal.",
        "title": "The court’s order on closed hearings",
        "description": "One page, in The Lantern’s English translation. The names of court staff have been removed.",
        "after": "We publish court documents when they show how a decision was reached and when publishing them endangers no one. Readers who have documents of public interest can reach us securely; see our contact page.",
    },
    "ru": {
        "slug": "postanovlenie-o-zakrytom-processe-nad-varnoj",
        "headline": "Постановление суда о закрытом процессе над Олегом Варной — полный текст",
        "standfirst": "В распоряжении The Lantern оказалось постановление, которым судья Сельма Аркова закрыла процесс над репортёром для публики. Публикуем его полностью в переводе редакции.",
        "before": "Постановление занимает одну страницу. Закрытие заседаний в нём объясняется одним доводом: в деле есть «сведения чувствительного характера» о деятельности областной администрации. Какие именно, не сказано, а защита настаивает, что цифры, на которых построено обвинение, взяты с открытого портала госзакупок самой администрации.",
        "title": "Постановление суда о закрытых заседаниях",
        "description": "Одна страница, перевод редакции на английский язык. Имена сотрудников суда удалены.",
        "after": "Мы публикуем судебные документы, когда они показывают, как было принято решение, и когда их публикация никому не угрожает. Если у вас есть документы, важные для общества, с нами можно связаться безопасно — подробности на странице контактов.",
    },
}


def court_order_pdf() -> bytes:
    """A one-page PDF of the order's text, written with pikepdf in a standard font."""
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    text = ["BT /F1 11 Tf 15 TL 72 770 Td"]
    for line in DOCUMENT_LINES:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) Tj T*")
    text.append("ET")
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 595, 842],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream("\n".join(text).encode("latin-1")),
    )
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def demo_document() -> AbstractDocument:
    """The court's order as a stored document, created once."""
    Document = get_document_model()
    existing = Document.objects.filter(title=DOCUMENT_TITLE).first()
    if existing is not None:
        return existing
    document = Document(title=DOCUMENT_TITLE)
    document.file = ContentFile(court_order_pdf(), name="ruzhno-court-order-varna.pdf")
    document.save()
    return document


def _gallery_body(language: str, index: int) -> list[tuple[str, Any]]:
    from samizdat.publishing.demo import demo_image

    words = GALLERY[language]
    photos = [
        {
            "image": demo_image(f"River market: {english[:200]}", f"river-market-{number}"),
            "caption": (english, russian)[index],
            "credit": GALLERY_CREDIT[index],
            "alt": "",
        }
        for number, (english, russian) in enumerate(GALLERY_PHOTOS)
    ]
    return [
        ("paragraph", f"<p>{words['intro']}</p>"),
        ("gallery", {"title": words["title"], "images": photos}),
        ("paragraph", f"<p>{words['after']}</p>"),
    ]


def _document_body(language: str) -> list[tuple[str, Any]]:
    words = DOCUMENT[language]
    return [
        ("paragraph", f"<p>{words['before']}</p>"),
        (
            "document",
            {
                "document": demo_document(),
                "title": words["title"],
                "description": words["description"],
            },
        ),
        ("paragraph", f"<p>{words['after']}</p>"),
    ]


def _publish_story(
    spec: dict[str, Any], body: Any, ru_body: Any, ru: Locale | None, now: Any
) -> dict[str, int]:
    from wagtail.rich_text import RichText

    from samizdat.publishing.demo import backdate, demo_image

    def rich(blocks: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        return [(kind, RichText(v) if kind == "paragraph" else v) for kind, v in blocks]

    section = SectionPage.objects.filter(slug=spec["section"], locale__language_code="en").first()
    if section is None or ArticlePage.objects.child_of(section).filter(slug=spec["slug"]).exists():
        return {}
    words = spec["en"]
    published = now - timedelta(hours=spec["hours_ago"])
    article = ArticlePage(
        title=words["headline"],
        slug=spec["slug"],
        standfirst=words["standfirst"],
        lead_image=demo_image(words["headline"][:250], spec["slug"]),
        body=rich(body),
        locale_id=section.locale_id,
    )
    for order, slug in enumerate(spec["authors"]):
        author = AuthorPage.objects.filter(slug=slug, locale_id=section.locale_id).first()
        if author is not None:
            article.article_authors.add(ArticlePageAuthor(author=author, sort_order=order))
    article.tags.add(*spec["tags"])
    section.add_child(instance=article)
    article.save_revision().publish()
    backdate(article, published, updated=published, now=now)
    created = {"articles": 1}
    if ru is not None:
        ru_words = spec["ru"]
        translated = article.copy_for_translation(ru, copy_parents=False, alias=False)
        translated.slug = ru_words["slug"]
        translated.title = ru_words["headline"]
        translated.standfirst = ru_words["standfirst"]
        translated.body = rich(ru_body)
        translated.tags.set(spec["tags"])
        translated.save()
        translated.save_revision().publish()
        translated_at = published + timedelta(hours=1)
        backdate(translated, translated_at, updated=translated_at, now=now)
        created["translations"] = 1
    return created


def seed_galleries_and_documents(now: Any, created: dict[str, int]) -> None:
    """The gallery story and the story with the court's order, in English and Russian (when
    the newsroom publishes in Russian); counted into ``created``."""
    ru = Locale.objects.filter(language_code="ru").first() if "ru" in codes() else None
    stories = [
        (GALLERY, _gallery_body("en", 0), _gallery_body("ru", 1) if ru else None),
        (DOCUMENT, _document_body("en"), _document_body("ru") if ru else None),
    ]
    for spec, body, ru_body in stories:
        for key, count in _publish_story(spec, body, ru_body, ru, now).items():
            created[key] += count
