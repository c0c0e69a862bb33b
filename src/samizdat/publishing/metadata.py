"""Uploads that do not betray their sources: identifying metadata removed before storing.

A phone photo carries where it was taken (GPS), the camera's make, model and serial number,
the editing software and dates; a PDF or an Office file its author, its company and who last
saved it. Wagtail stores uploads as they come, so ``clean_image`` and ``clean_document`` run
on every image and document before it is stored (``signals.py``; the admin's forms in
``forms.py`` show an editor why a file is refused). What they keep and drop:

- JPEG: every APPn segment but the colour profile (ICC) and Adobe's colour transform, and
  comments, are dropped without decoding the picture, as are a JFIF thumbnail and anything
  after the end of the image (other pictures, a phone's motion video). A photo with an
  orientation tag is turned upright and encoded again with its own quantisation tables.
- PNG: only the chunks that draw the picture (and its colour, transparency, density and
  animation) are kept: no text, XMP, EXIF or time chunk. WebP: no EXIF or XMP chunk. GIF: no
  comments, no application extensions but the animation loop. AVIF is encoded again
  (Pillow cannot drop its metadata in place). Each result is opened again and checked.
- PDF (pikepdf): the Info dictionary, every XMP stream, the document ID, the private data of
  the programs that made it (PieceInfo), the authors of comments, and the metadata inside its
  JPEG pictures.
- Office Open XML (docx, xlsx, pptx): the core, extended and custom properties emptied; the
  names on comments and tracked changes blanked. ODF (odt): meta.xml emptied, the names on
  comments and tracked changes blanked. Pictures in either lose their metadata as images do
  (a JPEG keeps its orientation tag alone). RTF: the info group (author, operator, company)
  and the revision table of authors. Every zip member gets the same date.
- Anything else (csv, txt, zip) is stored as it came: ``cleans()`` says which names are.

The text of a document is its content and is not touched.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import PurePosixPath

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

ORIENTATION = 0x0112
# Pillow's ``info`` keys for metadata that must not survive.
METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop")


class MetadataError(Exception):
    """A file whose metadata cannot be removed; the message is for the editor."""


class CleanedUpload(SimpleUploadedFile):
    """A file whose metadata is already removed (the models' ``pre_save`` leaves it)."""

    metadata_removed = True


# Images


def clean_image(data: bytes) -> bytes:
    """``data`` without identifying metadata, upright; the same bytes when it has none."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            orientation = image.getexif().get(ORIENTATION, 1)
            frames = 1 if kind in ("JPEG", "MPO") else getattr(image, "n_frames", 1)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise MetadataError(_("This file is not an image that can be read.")) from error
    strip = _STRIPPERS.get(kind or "")
    try:
        if orientation in range(2, 9) and frames == 1:
            data = _upright(data)
        elif strip is None and _metadata_left(data):
            data = _reencode(data)
        if strip is not None:
            data = strip(data)
        _check_image(data)
    except (OSError, ValueError, IndexError, SyntaxError, KeyError) as error:
        raise MetadataError(
            _("The hidden details of this image (place, camera) could not be removed.")
        ) from error
    return data


def _upright(data: bytes) -> bytes:
    """The picture turned as its orientation tag says, encoded again without metadata."""
    with Image.open(io.BytesIO(data)) as image:
        options: dict[str, object] = {}
        kind = "JPEG" if image.format == "MPO" else image.format
        if isinstance(image, JpegImagePlugin.JpegImageFile):
            # Its own tables: the same quality as the camera chose, no second guess.
            options["qtables"] = image.quantization
            sampling = JpegImagePlugin.get_sampling(image)
            if sampling != -1:
                options["subsampling"] = sampling
        elif image.format == "WEBP":
            options = {"lossless": b"VP8L" in _webp_chunk_kinds(data), "quality": 92}
        elif image.format == "AVIF":
            options = {"quality": 90, "xmp": b""}
        icc = image.info.get("icc_profile")
        turned = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        turned.save(out, kind, icc_profile=icc, exif=b"", **options)
        return out.getvalue()


def _reencode(data: bytes) -> bytes:
    """The picture encoded again in its own format without metadata (AVIF)."""
    with Image.open(io.BytesIO(data)) as image:
        kind = image.format
        frames = getattr(image, "n_frames", 1)
        out = io.BytesIO()
        image.save(
            out,
            kind,
            save_all=frames > 1,
            quality=90,
            icc_profile=image.info.get("icc_profile"),
            exif=b"",
            xmp=b"",
        )
        return out.getvalue()


def _metadata_left(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(
            len(image.getexif())
            or any(image.info.get(key) for key in METADATA_KEYS)
            or (image.format == "PNG" and getattr(image, "text", None))
        )


def _check_image(data: bytes) -> None:
    """Raise ValueError unless ``data`` opens, decodes and has no metadata left."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
    if _metadata_left(data):
        raise ValueError("metadata left")


# JPEG segments kept: the colour profile and Adobe's colour transform (needed to decode).
_JPEG_KEEP = {0xE2: b"ICC_PROFILE\0", 0xEE: b"Adobe"}


def strip_jpeg(data: bytes, *, orientation: int = 1) -> bytes:
    """A JPEG without metadata segments, its coded picture copied byte for byte; with an
    ``orientation`` other than 1, an EXIF segment holding only that."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out = bytearray(b"\xff\xd8")
    if orientation != 1:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        segment = b"Exif\0\0" + exif.tobytes()
        out += b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment
    pos, size = 2, len(data)
    while True:
        if pos >= size or data[pos] != 0xFF:
            raise ValueError("no marker where one must be")
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # end of image: whatever follows is dropped
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            out += bytes((0xFF, marker))
            continue
        length = int.from_bytes(data[pos : pos + 2], "big")
        end = pos + length
        if length < 2 or end > size:
            raise ValueError("truncated segment")
        body = data[pos + 2 : end]
        if marker == 0xE0 and body.startswith(b"JFIF\0") and len(body) >= 14:
            jfif = body[:12] + b"\0\0"  # the density, no thumbnail
            out += b"\xff\xe0" + (len(jfif) + 2).to_bytes(2, "big") + jfif
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:
            keep = _JPEG_KEEP.get(marker)
            if keep is not None and body.startswith(keep):
                out += data[pos - 2 : end]
        else:
            out += data[pos - 2 : end]
        pos = end
        if marker == 0xDA:  # start of scan: coded data up to the next real marker
            scan = pos
            while True:
                found = data.find(b"\xff", scan)
                if found < 0 or found + 1 >= size:
                    raise ValueError("scan without end")
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    scan = found + 2
                    continue
                out += data[pos:found]
                pos = found
                break


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that draw the picture; text, iTXt (XMP), eXIf, tIME and private chunks are dropped.
_PNG_KEEP = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"IDAT",
        b"IEND",
        b"tRNS",
        b"gAMA",
        b"cHRM",
        b"sRGB",
        b"iCCP",
        b"cICP",
        b"mDCV",
        b"cLLI",
        b"sBIT",
        b"bKGD",
        b"hIST",
        b"pHYs",
        b"acTL",
        b"fcTL",
        b"fdAT",
    }
)


def strip_png(data: bytes) -> bytes:
    """A PNG (or APNG) with only the chunks that draw it."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG")
    out = bytearray(_PNG_SIGNATURE)
    pos = len(_PNG_SIGNATURE)
    while True:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if len(kind) != 4 or end > len(data):
            raise ValueError("truncated chunk")
        if kind in _PNG_KEEP:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            return bytes(out)


_WEBP_KEEP = frozenset({b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_WEBP_EXIF_XMP_FLAGS = 0x08 | 0x04


def _webp_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """A WebP's chunks: (kind, the whole chunk with its header and padding)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    end = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    pos = 12
    while pos + 8 <= end:
        kind = data[pos : pos + 4]
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if pos + 8 + length > end:
            raise ValueError("truncated chunk")
        stop = pos + 8 + length + (length & 1)
        yield kind, data[pos:stop]
        pos = stop


def _webp_chunk_kinds(data: bytes) -> set[bytes]:
    return {kind for kind, _chunk in _webp_chunks(data)}


def strip_webp(data: bytes) -> bytes:
    """A WebP without EXIF, XMP or unknown chunks, its VP8X flags saying so."""
    body = bytearray(b"WEBP")
    for kind, chunk in _webp_chunks(data):
        if kind == b"VP8X":
            flags = chunk[8] & ~_WEBP_EXIF_XMP_FLAGS & 0xFF
            chunk = chunk[:8] + bytes((flags,)) + chunk[9:]
        if kind in _WEBP_KEEP:
            body += chunk
    return b"RIFF" + len(body).to_bytes(4, "little") + bytes(body)


_GIF_LOOP = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def strip_gif(data: bytes) -> bytes:
    """A GIF without comments and application extensions (but the animation loop)."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    pos = 13
    if data[10] & 0x80:
        pos += 3 * (2 << (data[10] & 7))
    out = bytearray(data[:pos])
    while True:
        start, intro = pos, data[pos]
        if intro == 0x3B:  # trailer: whatever follows is dropped
            out.append(0x3B)
            return bytes(out)
        if intro == 0x2C:  # an image: descriptor, local colours, LZW data
            flags = data[pos + 9]
            pos += 10 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0) + 1
            pos = _gif_blocks_end(data, pos)
            out += data[start:pos]
        elif intro == 0x21:
            label = data[pos + 1]
            first = data[pos + 3 : pos + 3 + data[pos + 2]]
            pos = _gif_blocks_end(data, pos + 2)
            if label == 0xFE or (label == 0xFF and first[:11] not in _GIF_LOOP):
                continue
            out += data[start:pos]
        else:
            raise ValueError("unknown GIF block")


def _gif_blocks_end(data: bytes, pos: int) -> int:
    while data[pos] != 0:
        pos += data[pos] + 1
    return pos + 1


_STRIPPERS: dict[str, Callable[[bytes], bytes]] = {
    "JPEG": strip_jpeg,
    "MPO": strip_jpeg,  # a JPEG with more pictures after its end, which go
    "PNG": strip_png,
    "WEBP": strip_webp,
    "GIF": strip_gif,
}


# Documents

_OOXML_PROPERTIES = {
    "core-properties": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        b'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        b'xmlns:dcterms="http://purl.org/dc/terms/"/>'
    ),
    "extended-properties": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'extended-properties"/>'
    ),
    "custom-properties": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'custom-properties"/>'
    ),
}
_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'(\w+)="([^"]*)"')
# Names people leave on comments and tracked changes, and who they are in the program.
_OOXML_NAMES = (
    re.compile(rb'\b((?:w|w15|w16cid):(?:author|initials|userId|providerId))="[^"]*"'),
    re.compile(rb"(<(?:\w+:)?author)>[^<]*(</(?:\w+:)?author>)"),
)
_OOXML_NAME_PARTS = re.compile(
    r"(word/.*|xl/comments\d*|xl/persons/.*|ppt/commentAuthors|ppt/authors)\.xml"
)
_OOXML_PERSON_ATTRIBUTES = re.compile(rb'\b(displayName|userId|providerId|name|initials)="[^"]*"')
_ODF_META = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    b'office:version="%s"><office:meta/></office:document-meta>'
)
_ODF_VERSION = re.compile(rb'office:version="([0-9.]{1,8})"')
_ODF_NAMES = re.compile(rb"(<dc:creator>)[^<]*(</dc:creator>)")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def clean_document(data: bytes, name: str) -> bytes:
    """The document ``name`` without its author and similar fields (see the module's doc)."""
    cleaner = _DOCUMENT_CLEANERS.get(PurePosixPath(name).suffix.lower().lstrip("."))
    if cleaner is None:
        return data
    try:
        return cleaner(data)
    except MetadataError:
        raise
    except Exception as error:  # a damaged file: every library has its own errors
        raise MetadataError(
            _("This file could not be read to remove its author and other hidden details.")
        ) from error


def cleans(name: str) -> bool:
    """Whether documents called ``name`` lose their metadata (the others are kept whole)."""
    return PurePosixPath(name).suffix.lower().lstrip(".") in _DOCUMENT_CLEANERS


def clean_pdf(data: bytes) -> bytes:
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as error:
        raise MetadataError(
            _("This PDF is protected by a password: save it without one, then upload it.")
        ) from error
    with pdf:
        for key in ("/Info", "/ID"):
            if key in pdf.trailer:
                del pdf.trailer[key]
        for obj in pdf.objects:
            if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                continue
            for key in ("/Metadata", "/PieceInfo"):
                if key in obj:
                    del obj[key]
            if obj.get("/Subtype") in _PDF_MARKUP and "/T" in obj:
                obj.T = pikepdf.String("")  # a comment's author (a form field's /T is its name)
            if isinstance(obj, pikepdf.Stream) and _is_jpeg(obj.get("/Filter")):
                raw = obj.read_raw_bytes()
                with suppress(ValueError, IndexError):  # a damaged picture stays as it is
                    # PDF readers ignore EXIF orientation: the page places the picture.
                    stripped = strip_jpeg(raw)
                    if stripped != raw:
                        obj.write(stripped, filter=pikepdf.Name.DCTDecode)
        out = io.BytesIO()
        # Only what the pages reach is written: older revisions of the Info dictionary go.
        pdf.save(out, deterministic_id=True, fix_metadata_version=False, encryption=False)
    return out.getvalue()


# Annotations whose /T is the name of who wrote them (PDF 32000-1, 12.5.6.2).
_PDF_MARKUP = frozenset(
    "/" + kind
    for kind in [
        "Text",
        "FreeText",
        "Line",
        "Square",
        "Circle",
        "Polygon",
        "PolyLine",
        "Highlight",
        "Underline",
        "Squiggly",
        "StrikeOut",
        "Stamp",
        "Caret",
        "Ink",
        "FileAttachment",
        "Sound",
        "Redact",
    ]
)


def _is_jpeg(filters: object) -> bool:
    """Whether a stream's /Filter is DCTDecode alone (a JPEG file as it is)."""
    import pikepdf

    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    return bool(filters == pikepdf.Name.DCTDecode)


def clean_ooxml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        properties = _ooxml_property_parts(archive)

        def rewrite(name: str, content: bytes) -> bytes:
            if name in properties:
                return _OOXML_PROPERTIES[properties[name]]
            if _OOXML_NAME_PARTS.fullmatch(name):
                content = _OOXML_NAMES[0].sub(rb'\1=""', content)
                content = _OOXML_NAMES[1].sub(rb"\1>\2", content)
                if name.startswith(("xl/persons/", "ppt/")) or name == "word/people.xml":
                    content = _OOXML_PERSON_ATTRIBUTES.sub(rb'\1=""', content)
            return content

        return _rezip(archive, rewrite)


def _ooxml_property_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """The package's property parts (``docProps/core.xml``…) by the kind of properties."""
    parts = {
        "docProps/core.xml": "core-properties",
        "docProps/app.xml": "extended-properties",
        "docProps/custom.xml": "custom-properties",
    }
    try:
        rels = archive.read("_rels/.rels")
    except KeyError:
        return parts
    for tag in _RELATIONSHIP.findall(rels):
        attributes = {key.decode(): value.decode() for key, value in _ATTRIBUTE.findall(tag)}
        kind = attributes.get("Type", "").rsplit("/", 1)[-1]
        if kind in _OOXML_PROPERTIES and attributes.get("Target"):
            parts[attributes["Target"].lstrip("/")] = kind
    return parts


def clean_odf(data: bytes) -> bytes:
    def rewrite(name: str, content: bytes) -> bytes:
        if name == "meta.xml":
            version = _ODF_VERSION.search(content)
            return _ODF_META % (version.group(1) if version else b"1.2")
        if name in ("content.xml", "styles.xml"):
            return _ODF_NAMES.sub(rb"\1\2", content)
        return content

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return _rezip(archive, rewrite)


# What an Office file may unpack to (what it says; a zip bomb is refused before unpacking).
_MAX_UNPACKED = 1024 * 1024 * 1024
_PICTURE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})


def clean_picture(data: bytes) -> bytes:
    """A picture inside a document without its metadata, not encoded again: the document
    gives its size on the page, so a JPEG keeps its orientation tag (alone) rather than being
    turned. One that cannot be parsed is kept as it is."""
    strip = {
        b"\xff\xd8": strip_jpeg,
        _PNG_SIGNATURE[:2]: strip_png,
        b"GI": strip_gif,
        b"RI": strip_webp,
    }.get(data[:2])
    if strip is None:
        return data
    try:
        if strip is strip_jpeg:
            with Image.open(io.BytesIO(data)) as image:
                orientation = image.getexif().get(ORIENTATION, 1)
            return strip_jpeg(data, orientation=orientation if orientation in range(2, 9) else 1)
        return strip(data)
    except (OSError, ValueError, IndexError, SyntaxError):
        return data


def _rezip(archive: zipfile.ZipFile, rewrite: Callable[[str, bytes], bytes]) -> bytes:
    """The archive with each member rewritten, in its order and compression (ODF's
    ``mimetype`` stays first and stored), its pictures cleaned, every date the same, no
    comments."""
    if sum(member.file_size for member in archive.infolist()) > _MAX_UNPACKED:
        raise ValueError("unpacks to more than it may")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as clean:
        for member in archive.infolist():
            if member.is_dir():
                continue
            info = zipfile.ZipInfo(member.filename, date_time=_ZIP_DATE)
            info.compress_type = member.compress_type
            info.external_attr = 0o644 << 16
            content = rewrite(member.filename, archive.read(member))
            if PurePosixPath(member.filename).suffix.lower() in _PICTURE_SUFFIXES:
                content = clean_picture(content)
            clean.writestr(info, content)
    return out.getvalue()


# RTF groups holding people: {\info …} (author, operator, company…), {\*\revtbl …} (the authors
# of tracked changes) and {\*\generator …}.
_RTF_GROUPS = (rb"{\info", rb"{\*\revtbl", rb"{\*\generator")


def clean_rtf(data: bytes) -> bytes:
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ValueError("not RTF")
    for opening in _RTF_GROUPS:
        while (start := data.find(opening)) >= 0:
            # An empty group in its place still ends a control word before it.
            data = data[:start] + b"{}" + data[_rtf_group_end(data, start) :]
    return data


def _rtf_group_end(data: bytes, start: int) -> int:
    depth, pos = 0, start
    while pos < len(data):
        char = data[pos]
        if char == 0x5C:  # backslash: \{ \} \\ are text
            pos += 2
            continue
        if char == 0x7B:
            depth += 1
        elif char == 0x7D:
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    raise ValueError("unbalanced RTF group")


_DOCUMENT_CLEANERS: dict[str, Callable[[bytes], bytes]] = {
    "pdf": clean_pdf,
    "docx": clean_ooxml,
    "xlsx": clean_ooxml,
    "pptx": clean_ooxml,
    "docm": clean_ooxml,
    "xlsm": clean_ooxml,
    "odt": clean_odf,
    "ods": clean_odf,
    "odp": clean_odf,
    "rtf": clean_rtf,
}
