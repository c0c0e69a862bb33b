"""Files as sources' phones and laptops make them: a photo with its GPS position, camera and
serial number, a PDF and Office files with their author. ``SECRETS`` are the values none of
them may keep once stored."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pikepdf
from PIL import Image

import samizdat.publishing.demo

AUTHOR = "Oksana Informantova"
SERIAL = "SN-4711-0815"
MAKE = "Kamerawerk"
MODEL = "Spotter R5"
SOFTWARE = "PhotoFixer 3.1"
COMPANY = "Ministry of Harbours"
XMP_LATITUDE = "50,27.025N"
COMMENT = "taken from the ministry roof"
SECRETS = (AUTHOR, SERIAL, MAKE, MODEL, SOFTWARE, COMPANY, XMP_LATITUDE, COMMENT)

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
BODY_SERIAL = 0xA431
ORIENTATION = 0x0112

XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    f'exif:GPSLatitude="{XMP_LATITUDE}" tiff:Make="{MAKE}" exif:BodySerialNumber="{SERIAL}"/>'
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MAKE
    exif[0x0110] = MODEL
    exif[0x0131] = SOFTWARE
    exif[0x013B] = AUTHOR  # Artist
    exif[0x0132] = "2026:03:14 06:12:00"
    exif[ORIENTATION] = orientation
    exif.get_ifd(EXIF_IFD)[BODY_SERIAL] = SERIAL
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (50.0, 27.0, 1.5), 3: "E", 4: (30.0, 31.0, 2.5), 6: 178.0}
    )
    return exif


def two_halves(width: int = 600, height: int = 400) -> Image.Image:
    """Red on the left, blue on the right: where each half ends up shows the orientation."""
    image = Image.new("RGB", (width, height), (220, 30, 30))
    image.paste((30, 30, 220), (width // 2, 0, width, height))
    return image


def phone_photo(orientation: int = 1, kind: str = "JPEG") -> bytes:
    """A photo with GPS EXIF, camera, serial, software, author, an XMP packet and a comment;
    ``orientation`` 6 is a phone held upright (turn 90° clockwise to show)."""
    out = io.BytesIO()
    options: dict[str, object] = {"exif": camera_exif(orientation)}
    if kind == "JPEG":
        options |= {"xmp": XMP.encode(), "comment": COMMENT.encode(), "quality": 92}
    elif kind == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP)
        info.add_text("Comment", COMMENT)
        options["pnginfo"] = info
    elif kind == "WEBP":
        options["xmp"] = XMP.encode()
    elif kind == "GIF":
        options = {"comment": COMMENT.encode()}
    elif kind == "AVIF":
        options["xmp"] = XMP.encode()
    two_halves().save(out, kind, **options)
    return out.getvalue()


def authored_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = AUTHOR
    pdf.docinfo["/Creator"] = SOFTWARE
    pdf.docinfo["/Producer"] = f"{COMPANY} PDF"
    pdf.docinfo["/Title"] = f"Notes of {AUTHOR}"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [AUTHOR]
        meta["xmp:CreatorTool"] = SOFTWARE
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _package(parts: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def authored_docx() -> bytes:
    """A Word document written by ``AUTHOR`` at ``COMPANY``, with a tracked change of hers."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    return _package(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                '<Override PartName="/docProps/core.xml" ContentType="application/vnd.'
                'openxmlformats-package.core-properties+xml"/>'
                '<Override PartName="/docProps/app.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.extended-properties+xml"/></Types>'
            ),
            "_rels/.rels": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org'
                '/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
                'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
                '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/extended-properties" Target="docProps/app.xml"/>'
                "</Relationships>"
            ),
            "word/document.xml": (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{w}">'
                "<w:body><w:p><w:r><w:t>The harbour contract was signed twice.</w:t></w:r>"
                f'<w:ins w:id="1" w:author="{AUTHOR}" w:date="2026-03-14T06:12:00Z"><w:r>'
                "<w:t> Both copies are attached.</w:t></w:r></w:ins></w:p></w:body></w:document>"
            ),
            "docProps/core.xml": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties '
                'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-'
                'properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<dc:creator>{AUTHOR}</dc:creator><cp:lastModifiedBy>{AUTHOR}"
                "</cp:lastModifiedBy></cp:coreProperties>"
            ),
            "docProps/app.xml": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http:'
                '//schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                f"<Company>{COMPANY}</Company><Application>{SOFTWARE}</Application></Properties>"
            ),
        }
    )


def authored_odt() -> bytes:
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "meta.xml",
            f'<office:document-meta xmlns:office="{office}" xmlns:meta="urn:oasis:names:tc:'
            'opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'office:version="1.3"><office:meta><meta:initial-creator>{AUTHOR}'
            f"</meta:initial-creator><dc:creator>{AUTHOR}</dc:creator><meta:generator>"
            f"{SOFTWARE}</meta:generator></office:meta></office:document-meta>",
            zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            "content.xml",
            f'<office:document-content xmlns:office="{office}" xmlns:dc="http://purl.org/dc/'
            'elements/1.1/" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
            "<office:body><office:text><text:p>The harbour contract was signed twice."
            f"<office:annotation><dc:creator>{AUTHOR}</dc:creator><text:p>check</text:p>"
            "</office:annotation></text:p></office:text></office:body></office:document-content>",
            zipfile.ZIP_DEFLATED,
        )
    return out.getvalue()


def authored_rtf() -> bytes:
    return (
        rb"{\rtf1\ansi{\fonttbl{\f0 Times;}}{\info{\author " + AUTHOR.encode() + rb"}"
        rb"{\company " + COMPANY.encode() + rb"}{\operator " + AUTHOR.encode() + rb"}}"
        rb"{\*\generator " + SOFTWARE.encode() + rb";}\f0 The harbour contract \{signed\}.\par}"
    )


def leaks(data: bytes) -> list[str]:
    """The secrets ``data`` still holds (as bytes, UTF-8 or UTF-16, as PDFs write them)."""
    found = []
    for secret in SECRETS:
        forms = (secret.encode(), secret.encode("utf-16-be"), secret.encode("utf-16-le"))
        if any(form in data for form in forms):
            found.append(secret)
    return found


def readable(data: bytes) -> bytes:
    """What a reader of ``data`` can find in it: a zip's members unpacked, a PDF's streams
    decoded, else the bytes."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return b"\n".join(archive.read(name) for name in archive.namelist())
    if data.startswith(b"%PDF"):
        parts = [data]
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream):
                    try:
                        parts.append(obj.read_bytes())
                    except pikepdf.PdfError:  # a picture (DCT): as it is stored
                        parts.append(obj.read_raw_bytes())
        return b"\n".join(parts)
    return data


DEMO_DIR = Path(samizdat.publishing.demo.__file__).resolve().parent


def demo_mp3() -> bytes:
    """32 seconds of the demo's own MP3 (no tags)."""
    return (DEMO_DIR / "podcast-episode.mp3").read_bytes()


def demo_webm() -> bytes:
    """12 seconds of the demo's own WebM video (VP9 and Opus)."""
    return (DEMO_DIR / "night-market.webm").read_bytes()


def tagged_mp3() -> bytes:
    """An MP3 as a recorder or an editing program leaves it: ID3 tags naming the author, the
    program and a comment."""
    from mutagen.id3 import COMM, ID3, TENC, TPE1

    buffer = io.BytesIO(demo_mp3())
    tags = ID3()
    tags.add(TPE1(encoding=3, text=[AUTHOR]))
    tags.add(TENC(encoding=3, text=[SOFTWARE]))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=[COMMENT]))
    tags.save(buffer)
    return buffer.getvalue()


WEBVTT = "WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nThe lanterns go up at dusk.\n"
