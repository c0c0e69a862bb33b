"""What every message says about where it comes from: the site's domain, never the machine's.

Django names the machine (``socket.getfqdn()``) in the ``Message-ID`` of every message it
builds and in the SMTP greeting (EHLO). The hosting name is what a newsroom hides, so both
carry the host of ``SAMIZDAT_SITE_URL`` instead: ``use_site_domain()`` runs at start (and when
tests change the setting).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import utils


def site_domain() -> str:
    """The newsroom's domain for Message-IDs (a made-up one for IP addresses)."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host if "." in host else "localhost.localdomain"
    return "localhost.localdomain"


def use_site_domain(**kwargs: Any) -> None:
    """Make Django's ``make_msgid`` and the SMTP backend's EHLO name use ``site_domain()``:
    ``DNS_NAME`` caches the machine's name in ``_fqdn`` on first use; it is set first."""
    if kwargs.get("setting") not in (None, "SITE_URL"):
        return
    utils.DNS_NAME._fqdn = site_domain()
