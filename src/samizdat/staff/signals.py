"""Every sign-in and every failed attempt, whichever view or backend it went through, is
counted and written to the audit log (``login.py``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from samizdat.staff import login


@receiver(user_login_failed, dispatch_uid="samizdat-staff-login-failed")
def _failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username")
    login.record_failure(username=str(username or ""), client=login.client_of(request))


@receiver(user_logged_in, dispatch_uid="samizdat-staff-logged-in")
def _signed_in(
    sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any
) -> None:
    login.record_success(user=user)
