"""Staff sign-in throttled by account and by client address.

After ``LOGIN_FAILURES_PER_ACCOUNT`` failed attempts on one account name within
``LOGIN_LOCKOUT_MINUTES``, signing in to that account is refused for ``LOGIN_LOCKOUT_MINUTES``,
even with the right password; after ``LOGIN_FAILURES_PER_CLIENT`` failures from one client
address (on any names), signing in from that address is. The counters are the
installation's rate limits (``core.public_forms``): the address is only ever a keyed digest in
them, and only for the window. Attempts refused while locked count nothing more and are not
written to the audit log; the lockout itself is.

The lock is checked three ways: the admin's login form (a clear message, and no password
hashed), the authentication backend (every other way of signing in) and the failure signal
(which counts).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import ngettext
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from samizdat.core.public_forms import allow, client_ip, peek, reset
from samizdat.staff import audit

ACCOUNT_FAILURES = "staff.login.account"
ACCOUNT_LOCKED = "staff.login.account.locked"
CLIENT_FAILURES = "staff.login.client"
CLIENT_LOCKED = "staff.login.client.locked"


def _account(username: str) -> str:
    # "Admin" and "admin " are the same name to the counter, whatever the database thinks.
    return username.strip().casefold()


def _window() -> int:
    return int(settings.LOGIN_LOCKOUT_MINUTES * 60)


def client_of(request: HttpRequest | None) -> str:
    """The client address of a sign-in ("" when it came from no request, e.g. a command)."""
    return client_ip(request) if request is not None else ""


def locked(*, username: str, client: str) -> bool:
    """Whether signing in as ``username`` from ``client`` is refused for now."""
    if username and peek(ACCOUNT_LOCKED, _account(username)):
        return True
    return bool(client and peek(CLIENT_LOCKED, client))


def _lock(failures: str, lock: str, key: str, *, limit: int) -> bool:
    """Count a failure for ``key``; at the limit, lock it for the window. Whether it locked."""
    if allow(failures, key, limit=limit - 1, window=_window()):
        return False
    allow(lock, key, limit=0, window=_window())
    reset(failures, key)  # after the lock, a fresh count
    return True


def record_failure(*, username: str, client: str) -> bool:
    """A failed sign-in as ``username`` from ``client``: counted, and written to the audit log
    with a lockout it causes. Whether signing in as ``username`` from ``client`` is now
    refused."""
    if locked(username=username, client=client):
        return True
    User = get_user_model()
    with transaction.atomic():
        account: AbstractBaseUser | None
        try:
            account = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            account = None
        audit.record(audit.FAILED, account=account)
        minutes = settings.LOGIN_LOCKOUT_MINUTES
        if username:
            limit = settings.LOGIN_FAILURES_PER_ACCOUNT
            if _lock(ACCOUNT_FAILURES, ACCOUNT_LOCKED, _account(username), limit=limit):
                data = {"scope": audit.ACCOUNT, "failures": limit, "minutes": minutes}
                audit.record(audit.LOCKED_OUT, account=account, data=data)
        if client:
            limit = settings.LOGIN_FAILURES_PER_CLIENT
            if _lock(CLIENT_FAILURES, CLIENT_LOCKED, client, limit=limit):
                data = {"scope": audit.CLIENT, "failures": limit, "minutes": minutes}
                audit.record(audit.LOCKED_OUT, account=account, data=data)
    return locked(username=username, client=client)


def record_success(*, user: AbstractBaseUser) -> None:
    """A sign-in: written to the audit log; the account's failures start again from none.
    (A client's do not: one good account must not buy an address more guesses at others.)"""
    with transaction.atomic():
        audit.record(audit.SIGNED_IN, account=user)
    reset(ACCOUNT_FAILURES, _account(user.get_username()))


def locked_message() -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return ngettext(
        "Too many failed sign-in attempts. Signing in to this account, or from your "
        "address, is paused for %(minutes)d minute, even with the right password. Try "
        "again later, or ask an administrator.",
        "Too many failed sign-in attempts. Signing in to this account, or from your "
        "address, is paused for %(minutes)d minutes, even with the right password. Try "
        "again later, or ask an administrator.",
        minutes,
    ) % {"minutes": minutes}


class LoginForm(WagtailLoginForm):
    """Wagtail's login form (``WAGTAILADMIN_USER_LOGIN_FORM``) that says so when signing in is
    paused, instead of "didn't match", and then checks no password at all."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        client = client_of(self.request)
        if locked(username=username, client=client):
            raise forms.ValidationError(locked_message(), code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            if locked(username=username, client=client):  # this attempt was one too many
                raise forms.ValidationError(locked_message(), code="locked") from None
            raise


class ThrottledBackend(ModelBackend):
    """Django's username and password backend, refusing while signing in is paused: no other
    way of signing in gets round the limits."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        name = username or kwargs.get(get_user_model().USERNAME_FIELD) or ""
        if locked(username=name, client=client_of(request)):
            raise PermissionDenied  # ends authentication; no later backend is asked either
        return super().authenticate(request, username=username, password=password, **kwargs)

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)
