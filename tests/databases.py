"""Installations of their own for tests that drive samizdat as separate processes, made from
this test process's migrated database: a copy takes a fraction of a second where migrating
from nothing takes fifteen. The processes then run ``migrate`` as an operator would, which
finds nothing left to apply."""

from __future__ import annotations

import gc
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connections
from pytest_django import DjangoDbBlocker


def as_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections opened from now on begin transactions as ``settings.py`` has SQLite do
    (IMMEDIATE, waiting up to 20 s for the write lock) rather than as the test database does
    (a reader that turns writer while another one writes fails at once). For tests that
    commit, with threads of their own: the others hold a transaction for the whole test."""
    connection = connections["default"]
    if connection.vendor == "sqlite":
        options = {"transaction_mode": "IMMEDIATE", "timeout": 20}
        monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)


def copy_sqlite(target: Path, blocker: DjangoDbBlocker) -> None:
    """Write the migrated SQLite test database to ``target``."""
    with blocker.unblock():
        connection = connections["default"]
        assert connection.vendor == "sqlite", "copy_sqlite needs the SQLite test database"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()


def create_postgres(
    admin_url: str, name: str, blocker: DjangoDbBlocker, template: str | None = None
) -> str:
    """Create the PostgreSQL database ``name`` as a copy of ``template``, by default of the
    migrated test database (a template may have no other session: this process's own is
    closed first); its URL."""
    if template is None:
        with blocker.unblock():
            template = connections["default"].settings_dict["NAME"]
            connections.close_all()
    gc.collect()  # a finished thread's connection closes once its objects are collected
    for attempt in range(50):
        try:
            _admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            break
        except psycopg.errors.ObjectInUse:
            # A session an earlier test left behind (a thread's connection kept for reuse,
            # a process still closing): wait a little, then end the ones that stay.
            if attempt == 20:
                _admin(
                    admin_url,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [template],
                )
            time.sleep(0.1)
    else:
        raise RuntimeError(f"the template database {template} stays in use")
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def drop_postgres(admin_url: str, name: str) -> None:
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(admin_url: str, sql: str, params: list[str] | None = None) -> None:
    maintenance = urlunsplit(urlsplit(admin_url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(sql, params)
