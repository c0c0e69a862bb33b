"""What the importer adds: the old site's addresses as nginx rules."""

from __future__ import annotations

from wagtail import hooks

from samizdat.core.hooks import NGINX_REDIRECTS
from samizdat.importer import addresses

hooks.register(NGINX_REDIRECTS, addresses.nginx_redirects)
