"""What makes a ``SECRET_KEY`` unfit for production (read by the settings at start and by
``samizdat check --deploy``). The key signs sessions, password-reset, confirmation,
unsubscribe and manage-your-gift links and keys the digests of client addresses: a key
someone can guess lets them forge all of those."""

from __future__ import annotations

MINIMUM_LENGTH = 50
MINIMUM_DIFFERENT = 5
# Parts of keys that are placeholders or published examples, not secrets (Django's
# `startproject` writes "django-insecure-…").
PLACEHOLDERS = ("insecure", "changeme", "change-me", "change_me", "replace-me", "replaceme",
                "your-secret", "samizdat-demo")  # fmt: skip


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is no secret, or None if it may be one."""
    if len(key) < MINIMUM_LENGTH:
        return f"is {len(key)} characters long; it needs at least {MINIMUM_LENGTH}"
    if len(set(key)) < MINIMUM_DIFFERENT:
        return f"has fewer than {MINIMUM_DIFFERENT} different characters"
    lowered = key.lower()
    for word in PLACEHOLDERS:
        if word in lowered:
            return f"contains {word!r}: it is a placeholder or a published example"
    return None


HOW_TO_MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
