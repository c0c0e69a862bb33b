"""System checks: the payment providers load, and none is half-configured.

A provider half-configured would take money it cannot record.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from samizdat.donations.providers import registry


@register()
def providers_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = [
        Error(problem, id="samizdat.donations.E001") for problem in registry.problems()
    ]
    for provider in registry.registered().values():
        messages += provider.checks()
    return messages
