"""The newsletter's real SMTP server, for the letters that link or carry an edition."""

from __future__ import annotations

from tests.newsletter.conftest import smtp_server  # noqa: F401 - a fixture
