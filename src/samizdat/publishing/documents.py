"""Documents readers may download: those a live public page links, and no other.

A document block links the file at its place in the uploads (``/media/documents/<name>``),
relative to the page like every link, so the static bundle copies it beside the renditions
and it works on every mirror. The app answers at the same address, and at Wagtail's own
``/documents/<id>/<name>``, only while a live public page's published content links the
document: a leak attached to a draft stays unreachable until the story goes out, and goes
again with a takedown. Staff signed in to the admin (with the second factor) get every document.
"""

from __future__ import annotations

from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from wagtail.documents import get_document_model
from wagtail.documents.models import AbstractDocument
from wagtail.fields import StreamField
from wagtail.models import Page, get_page_models

from samizdat.core import storage

UPLOAD_FOLDER = "documents/"


def _stream_fields(model: type[Page]) -> list[StreamField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, StreamField)]


def linked_by_public_page(document: AbstractDocument) -> bool:
    """Whether the published content of a live page readers may see links ``document``.

    The database narrows the pages to those whose stored stream mentions the document's id
    (stored JSON reads ``"document": <id>`` on SQLite and PostgreSQL alike); each candidate's
    stream then says whether a block really links it. A page's row holds its published
    content, never a draft's.
    """
    needle = f'"document": {document.pk}'
    for model in get_page_models():
        if model._meta.abstract or model._meta.proxy:
            continue
        for field in _stream_fields(model):
            if field.model is not model:
                continue  # inherited from a concrete parent: asked there
            candidates = (
                model.objects.live()
                .public()
                .annotate(stream_text=Cast(field.attname, TextField()))
                .filter(stream_text__contains=needle)
            )
            for page in candidates.only("pk", field.attname).iterator():
                references = field.extract_references(getattr(page, field.attname))
                if any(
                    issubclass(target, AbstractDocument) and str(pk) == str(document.pk)
                    for target, pk, _path, _content_path in references
                ):
                    return True
    return False


def readable(document: AbstractDocument, request: HttpRequest) -> bool:
    """Whether this request may get ``document``: staff always, readers once it is public."""
    user = getattr(request, "user", None)
    # Signed in with the second factor (django-otp's ``is_verified``), like the admin asks.
    verified = getattr(user, "is_verified", lambda: False)
    if user is not None and verified() and user.has_perm("wagtailadmin.access_admin"):
        return True
    if document.collection.get_view_restrictions().exists():
        return False
    return linked_by_public_page(document)


@require_safe
def serve_document(request: HttpRequest, name: str) -> StreamingHttpResponse:
    """A public document's file at its uploads address (what pages and the bundle link)."""
    Document = get_document_model()
    document = Document.objects.filter(file=UPLOAD_FOLDER + name).first()
    if document is None or not readable(document, request):
        raise Http404("No such document")
    return document_response(document)


def document_response(document: AbstractDocument) -> StreamingHttpResponse:
    """The file with its type, shown in the browser when it is safe to (PDF, plain text),
    else downloaded; never sniffed, never running anything. Streamed from the uploads'
    storage (this node's disk or the shared bucket), never read whole into memory."""
    size = storage.size(document.file.name, document.file.storage)
    if size is None:
        raise Http404("No such document")
    response = StreamingHttpResponse(
        storage.stream(document.file.name, storage=document.file.storage),
        content_type=document.content_type,
    )
    response["Content-Length"] = str(size)
    # Wagtail's setting says which types are shown (WAGTAILDOCS_INLINE_CONTENT_TYPES).
    shown = document.content_disposition == "inline"
    disposition = content_disposition_header(not shown, document.filename)
    response["Content-Disposition"] = disposition or ("inline" if shown else "attachment")
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def refuse_unpublished(document: AbstractDocument, request: HttpRequest) -> HttpResponse | None:
    """Wagtail's ``before_serve_document`` hook: its ``/documents/`` view answers readers only
    for documents a live public page links (a 404 otherwise, as for no document at all)."""
    if readable(document, request):
        return None
    raise Http404("No such document")
