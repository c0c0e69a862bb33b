"""Identifying metadata leaves every kind of upload, and nothing else changes."""

from __future__ import annotations

import io
import zipfile

import pikepdf
import pytest
from PIL import Image, ImageCms

from samizdat.publishing.metadata import MetadataError, clean_document, clean_image, cleans
from tests.publishing.media_files import (
    AUTHOR,
    authored_docx,
    authored_odt,
    authored_pdf,
    authored_rtf,
    camera_exif,
    leaks,
    phone_photo,
    readable,
    two_halves,
)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "GIF", "AVIF"])
def test_a_photo_keeps_no_place_camera_or_author(kind: str) -> None:
    original = phone_photo(kind=kind)
    assert leaks(original)
    assert len(opened(original).getexif()) or kind == "GIF"  # a GIF has only its comment
    clean = clean_image(original)
    assert leaks(clean) == []
    image = opened(clean)
    assert image.format == kind
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "comment", "XML:com.adobe.xmp"} & set(image.info)
    assert image.size == (600, 400)
    assert clean_image(clean) == clean  # a clean file is kept as it is


def test_a_jpeg_without_orientation_keeps_its_picture_bit_for_bit() -> None:
    original = phone_photo()
    clean = clean_image(original)
    assert opened(clean).tobytes() == opened(original).tobytes()
    assert len(clean) < len(original)


def test_a_png_keeps_its_pixels_and_colour_profile() -> None:
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    two_halves().save(out, "PNG", icc_profile=icc, exif=camera_exif())
    clean = clean_image(out.getvalue())
    assert opened(clean).info.get("icc_profile") == icc
    assert opened(clean).tobytes() == two_halves().tobytes()


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_a_photo_taken_upright_is_stored_upright(kind: str) -> None:
    # Orientation 6: the sensor's picture is turned 90° clockwise to be shown.
    clean = opened(clean_image(phone_photo(orientation=6, kind=kind))).convert("RGB")
    assert clean.size == (400, 600)
    assert len(clean.getexif()) == 0
    red, blue = clean.getpixel((200, 100)), clean.getpixel((200, 500))
    assert isinstance(red, tuple) and isinstance(blue, tuple)
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]  # left half on top


def test_pictures_after_a_jpegs_end_go() -> None:
    # A phone's "motion photo": a video (or more pictures, with their own EXIF) after the end.
    original = phone_photo() + b"ftypmp42 video of the street " + phone_photo()
    clean = clean_image(original)
    assert clean.endswith(b"\xff\xd9") and b"video" not in clean
    assert leaks(clean) == []


def test_an_image_that_cannot_be_read_is_refused() -> None:
    with pytest.raises(MetadataError, match="not an image"):
        clean_image(b"GIF89a but nothing else")
    broken = phone_photo()[:600]
    with pytest.raises(MetadataError):
        clean_image(broken)


def test_a_pdf_keeps_its_pages_but_not_its_author() -> None:
    original = authored_pdf()
    assert leaks(readable(original))
    clean = clean_document(original, "notes.pdf")
    assert leaks(readable(clean)) == []
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert len(pdf.pages) == 1
        assert dict(pdf.docinfo) == {}
        assert "/Metadata" not in pdf.Root
    assert clean_document(clean, "notes.pdf") == clean


def test_a_comment_in_a_pdf_loses_its_author_and_a_form_field_keeps_its_name() -> None:
    with pikepdf.open(io.BytesIO(authored_pdf())) as pdf:
        note = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Text,
                Rect=[10, 10, 30, 30],
                T=pikepdf.String(AUTHOR),
                Contents=pikepdf.String("check the second signature"),
            )
        )
        field = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                Rect=[40, 10, 90, 30],
                FT=pikepdf.Name.Tx,
                T=pikepdf.String("case_number"),
            )
        )
        pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([note, field]))
        pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(Fields=[field]))
        out = io.BytesIO()
        pdf.save(out)
    clean = clean_document(out.getvalue(), "annotated.pdf")
    assert leaks(readable(clean)) == []
    with pikepdf.open(io.BytesIO(clean)) as cleaned:
        kept_note, kept_field = cleaned.pages[0].Annots
        assert str(kept_note.Contents) == "check the second signature"
        assert str(kept_field.T) == "case_number"


def test_a_photo_inside_a_pdf_loses_its_exif() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    photo = phone_photo()
    image = pikepdf.Stream(pdf, photo)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = 600, 400, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceRGB, pikepdf.Name.DCTDecode
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    out = io.BytesIO()
    pdf.save(out)
    assert leaks(out.getvalue())
    clean = clean_document(out.getvalue(), "scan.pdf")
    assert leaks(readable(clean)) == []
    with pikepdf.open(io.BytesIO(clean)) as cleaned:
        picture = cleaned.pages[0].Resources.XObject.Im0.read_raw_bytes()
    assert opened(picture).tobytes() == opened(photo).tobytes()


def test_a_pdf_with_a_password_is_refused_with_the_reason() -> None:
    pdf = pikepdf.open(io.BytesIO(authored_pdf()))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user="open sesame", owner="owner"))
    with pytest.raises(MetadataError, match="password"):
        clean_document(out.getvalue(), "locked.pdf")
    with pytest.raises(MetadataError, match="could not be read"):
        clean_document(b"%PDF-1.7 and then nothing", "broken.pdf")


@pytest.mark.parametrize(
    ("name", "make"),
    [("memo.docx", authored_docx), ("memo.odt", authored_odt), ("memo.rtf", authored_rtf)],
)
def test_office_files_keep_their_text_but_not_their_author(name: str, make: object) -> None:
    assert callable(make)
    original = make()
    assert AUTHOR in readable(original).decode()
    clean = clean_document(original, name)
    assert leaks(readable(clean)) == []
    assert b"The harbour contract" in readable(clean)
    assert clean_document(clean, name) == clean
    if name.endswith(("docx", "odt")):
        with (
            zipfile.ZipFile(io.BytesIO(original)) as before,
            zipfile.ZipFile(io.BytesIO(clean)) as after,
        ):
            assert after.namelist() == before.namelist()  # ODF's mimetype stays first
            assert after.infolist()[0].compress_type == before.infolist()[0].compress_type
            assert {info.date_time for info in after.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_an_office_file_that_would_unpack_to_gigabytes_is_refused() -> None:
    # A zip bomb says what it unpacks to (zipfile reads no more than that): 4 GB here.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * 1024)
    data = bytearray(out.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = (0xFFFFFFFE).to_bytes(4, "little")
    with pytest.raises(MetadataError, match="could not be read"):
        clean_document(bytes(data), "bomb.docx")


def test_plain_files_are_kept_as_they_are() -> None:
    assert not cleans("figures.csv") and cleans("Notes.PDF")
    assert clean_document(b"a,b\n1,2\n", "figures.csv") == b"a,b\n1,2\n"


def test_a_photo_pasted_into_a_word_file_loses_its_place_but_not_its_orientation() -> None:
    photo = phone_photo(orientation=6)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(authored_docx())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("word/media/image1.jpeg", photo)
    clean = clean_document(out.getvalue(), "memo.docx")
    with zipfile.ZipFile(io.BytesIO(clean)) as archive:
        picture = archive.read("word/media/image1.jpeg")
    assert leaks(picture) == []
    image = opened(picture)
    assert dict(image.getexif()) == {0x0112: 6}  # Word turns it as before
    assert image.tobytes() == opened(photo).tobytes()


def test_a_lossless_webp_turned_upright_stays_lossless() -> None:
    out = io.BytesIO()
    two_halves().save(out, "WEBP", lossless=True, exif=camera_exif(orientation=3))
    clean = clean_image(out.getvalue())
    assert b"VP8L" in clean
    assert opened(clean).tobytes() == two_halves().rotate(180).tobytes()
