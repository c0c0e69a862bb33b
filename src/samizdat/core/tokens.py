"""Random tokens for links that act for a person, kept only as a digest.

The link carries the token; the database keeps its SHA-256, so a copy of the database (a
backup, a seized server) opens no link. Tokens travel in the query string, never in a path:
access logs record paths only.
"""

from __future__ import annotations

import hashlib
import secrets


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """(token for the link, digest to store)."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)
