"""Failover in the reader's browser: the service worker ``sw.js`` and the signed mirror list.

``sw.js`` (at the root of the site and of every copy) carries the newsroom's public key and the
public mirrors. When the address it came from fails, it fetches the same file from a mirror
and shows it only once the mirror's ``manifest.json`` is signed by that key and lists the
file's SHA-256 (``mirrors/sw.js``, the worker's code). ``mirrors.json`` lists the mirrors and
the key; ``mirrors.json.sig`` holds one base64 Ed25519 signature of it per line: the signing
key's and, while a key is being replaced, the previous key's, so that a worker that trusts the
old key adopts the new one.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from samizdat.core.middleware import content_security_policy
from samizdat.mirrors.models import Mirror

WORKER = "sw.js"
MIRROR_LIST = "mirrors.json"
MIRROR_LIST_SIGNATURE = "mirrors.json.sig"
FORMAT = 1
WORKER_SOURCE = Path(__file__).with_name("sw.js")
# The worker's own policy: it runs no code but its own and reaches the mirrors of whatever
# signed list it adopts, which may name addresses this policy was never told about.
WORKER_CONTENT_SECURITY_POLICY = "default-src 'none'; connect-src *"


def _private_key(path: str) -> Ed25519PrivateKey | None:
    if not path:
        return None
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def signing_keys() -> list[Ed25519PrivateKey]:
    """The keys that sign the mirror list: the bundle's signing key, then the previous one."""
    found = [
        _private_key(settings.BUNDLE_SIGNING_KEY),
        _private_key(getattr(settings, "BUNDLE_PREVIOUS_SIGNING_KEY", "")),
    ]
    return [key for key in found if key is not None]


def public_key() -> str:
    """The raw 32-byte Ed25519 public key of the signing key, base64; "" without a key."""
    key = _private_key(settings.BUNDLE_SIGNING_KEY)
    if key is None:
        return ""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _root(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
        return None
    return url.split("#", 1)[0].rstrip("/") + "/"


def mirror_roots() -> list[str]:
    """The public mirrors' roots (ending in ``/``), in their order, then the onion's."""
    roots = [root for mirror in Mirror.objects.filter(public=True) if (root := _root(mirror.url))]
    onion = _root(settings.ONION_URL) if settings.ONION_URL else None
    if onion and onion not in roots:
        roots.append(onion)
    return roots


def mirror_list() -> dict[str, Any]:
    """What ``mirrors.json`` says: the mirrors, the onion and the key that signs copies."""
    return {
        "format": FORMAT,
        "key": public_key(),
        "mirrors": mirror_roots(),
        "onion": _root(settings.ONION_URL) or "",
    }


def mirror_list_bytes() -> bytes:
    return (json.dumps(mirror_list(), sort_keys=True, indent=1) + "\n").encode()


def sign(data: bytes) -> bytes:
    """One base64 signature of ``data`` per signing key, a line each (empty without a key)."""
    return b"".join(base64.b64encode(key.sign(data)) + b"\n" for key in signing_keys())


def _notices() -> dict[str, dict[str, str]]:
    """The notice on a page that came from a mirror, in each language of the site."""
    found = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found[code] = {
                "text": gettext(
                    "This site's address did not answer, so this page came from one of its "
                    "mirrors. It was checked against the newsroom's signature."
                ),
                "onion": gettext("In Tor Browser, read us at our onion address:"),
                "offline": gettext("You are offline: this copy was saved when you last read it."),
            }
    return found


def worker_config(*, for_a_copy: bool) -> dict[str, Any]:
    """What the worker is told: key, mirrors, wording, limits; ``for_a_copy`` for the bundle's
    ``sw.js`` (a copy's answers cannot all carry the site's header, and it reports nothing)."""
    listed = mirror_list()
    return {
        "key": listed["key"],
        "mirrors": listed["mirrors"],
        "onion": listed["onion"],
        "languages": [code for code, _name in settings.LANGUAGES],
        "notice": _notices(),
        "timeout": int(settings.FAILOVER_TIMEOUT * 1000),
        "cacheBytes": int(settings.FAILOVER_CACHE_MB * 1024 * 1024),
        "onApp": not for_a_copy,
        "reachCounts": bool(getattr(settings, "REACH_COUNTS", True)) and not for_a_copy,
        "pagePolicy": content_security_policy(),
    }


def worker_script(*, for_a_copy: bool) -> bytes:
    config = json.dumps(worker_config(for_a_copy=for_a_copy), sort_keys=True, ensure_ascii=True)
    return f"const CONFIG = {config};\n{WORKER_SOURCE.read_text()}".encode()
