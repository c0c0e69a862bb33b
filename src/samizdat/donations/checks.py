"""System checks: the payment providers load, and none is half-configured.

A provider half-configured would take money it cannot record.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from samizdat.donations.providers import registry


@register()
def providers_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        providers = registry.registered()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="samizdat.donations.E001")]
    return [message for provider in providers.values() for message in provider.checks()]
