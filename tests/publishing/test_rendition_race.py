"""Two processes making the same rendition at once (a bundle build's rendering processes):
both must write the address the database keeps, and the losing copy's file goes."""

from __future__ import annotations

from typing import Any

import pytest
from wagtail.images import get_image_model

from samizdat.publishing import renditions
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_rendition_another_process_stored_first_is_the_one_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image: Any = factories.ImageFactory(title="Harbour at dawn")
    spec = "width-400|format-webp"
    rendition_model = get_image_model().get_rendition_model()
    real_bulk_create = rendition_model.objects.bulk_create
    theirs: list[Any] = []
    ours: dict[str, str] = {}

    def another_process_first(objs: list[Any], **kwargs: Any) -> list[Any]:
        # Between Wagtail's look for an existing rendition and its insert, another process
        # stores the same rendition under a file name of its own.
        theirs.append(image.get_rendition(spec))
        ours.update({obj.filter_spec: obj.file.name for obj in objs})
        return real_bulk_create(objs, **kwargs)

    monkeypatch.setattr(rendition_model.objects, "bulk_create", another_process_first)
    found = renditions.stored_renditions(image, [spec, "width-800|format-webp"])
    monkeypatch.undo()

    stored = rendition_model.objects.get(image=image, filter_spec=spec)
    assert theirs and theirs[0].pk == stored.pk
    assert found[spec].pk == stored.pk and found[spec].url == stored.url
    assert ours[spec] != stored.file.name
    # The losing copy's file is gone; the kept ones are there, the new one read back.
    storage = stored.file.storage
    assert not storage.exists(ours[spec]) and storage.exists(stored.file.name)
    wider = found["width-800|format-webp"]
    assert wider.pk is not None and storage.exists(wider.file.name) and wider.width == 800
