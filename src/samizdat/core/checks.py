"""Deployment checks of the keys that encrypt personal data (``core/crypto.py``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def data_keys_are_configured(app_configs: Any, **kwargs: Any) -> list[Error]:
    if getattr(settings, "DATA_KEYS_GENERATED", False):
        return [
            Error(
                "Readers' and donors' data is encrypted with keys generated into the data "
                f"directory ({settings.DATA_DIR}): a backup of that directory carries the key "
                "with the data.",
                hint="Set SAMIZDAT_DATA_KEY and SAMIZDAT_LOOKUP_KEY (`samizdat keys generate`) "
                "in the server's environment and keep them out of every backup.",
                id="samizdat.E010",
            )
        ]
    if settings.DATA_KEY.strip() == settings.LOOKUP_KEY.strip():
        return [
            Error(
                "SAMIZDAT_DATA_KEY and SAMIZDAT_LOOKUP_KEY are the same key.",
                hint="Generate a key for each (`samizdat keys generate`).",
                id="samizdat.E011",
            )
        ]
    return []
