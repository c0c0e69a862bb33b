from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

SAMIZDAT = str(Path(sys.executable).with_name("samizdat"))


def run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SAMIZDAT_DATA_DIR": str(tmp_path)}
    # The data keys of the tests, which production settings need ("" in ``env``: unset).
    clean |= {name: os.environ[name] for name in ("SAMIZDAT_DATA_KEY", "SAMIZDAT_LOOKUP_KEY")}
    return subprocess.run(
        args,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )


def production_env() -> dict[str, str]:
    return {
        "SAMIZDAT_SECRET_KEY": secrets.token_urlsafe(50),
        "SAMIZDAT_ALLOWED_HOSTS": "news.example.org",
        "SAMIZDAT_SITE_URL": "https://news.example.org",
        "SAMIZDAT_EMAIL_URL": "submission://newsroom:secret@smtp.example.org",
        "SAMIZDAT_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "SAMIZDAT_LOOKUP_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def settings_value(expression: str, env: dict[str, str], tmp_path: Path) -> str:
    code = f"import samizdat.settings as s; print({expression})"
    result = run([sys.executable, "-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_configuration_passes_deploy_checks(tmp_path: Path) -> None:
    result = run(
        [SAMIZDAT, "check", "--deploy", "--fail-level", "WARNING"], production_env(), tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "identified no issues" in result.stdout


def test_deploy_check_warns_when_mail_would_only_reach_the_outbox(tmp_path: Path) -> None:
    env = {k: v for k, v in production_env().items() if k != "SAMIZDAT_EMAIL_URL"}
    result = run([SAMIZDAT, "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 1
    assert "samizdat.W001" in result.stdout + result.stderr
    assert "SAMIZDAT_EMAIL_URL" in result.stdout + result.stderr


def test_email_url_forms(tmp_path: Path) -> None:
    from samizdat.settings import email_settings

    smtp = email_settings("submission://news%40room:p%2Fw@smtp.example.org")
    assert smtp["EMAIL_HOST"] == "smtp.example.org" and smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_USE_TLS"] and not smtp["EMAIL_USE_SSL"]
    assert (smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"]) == ("news@room", "p/w")
    tls = email_settings("smtps://mail.example.org?timeout=5")
    assert tls["EMAIL_PORT"] == 465 and tls["EMAIL_USE_SSL"] and tls["EMAIL_TIMEOUT"] == 5
    assert email_settings("esp://postmark")["EMAIL_BACKEND"] == (
        "anymail.backends.postmark.EmailBackend"
    )
    assert email_settings("")["EMAIL_BACKEND"].endswith("OutboxBackend")


def test_missing_secret_key_in_production_stops_with_one_line(tmp_path: Path) -> None:
    result = run([SAMIZDAT, "check"], {}, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "SAMIZDAT_SECRET_KEY" in result.stderr


def test_demo_mode_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    first = settings_value("s.SECRET_KEY", {"SAMIZDAT_DEBUG": "1"}, tmp_path)
    second = settings_value("s.SECRET_KEY", {"SAMIZDAT_DEBUG": "1"}, tmp_path)
    assert len(first) >= 50 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_defaults_are_sqlite_in_the_data_dir_locmem_cache_and_database_tasks(
    tmp_path: Path,
) -> None:
    env = {"SAMIZDAT_DEBUG": "1"}
    assert (
        settings_value("s.DATABASES['default']['ENGINE']", env, tmp_path)
        == "django.db.backends.sqlite3"
    )
    assert settings_value("s.DATABASES['default']['NAME']", env, tmp_path) == str(
        tmp_path.resolve() / "samizdat.sqlite3"
    )
    assert settings_value("s.CACHES['default']['BACKEND']", env, tmp_path).endswith("LocMemCache")
    assert (
        settings_value("s.TASKS['default']['BACKEND']", env, tmp_path)
        == "django_tasks_db.DatabaseBackend"
    )


def test_database_and_redis_urls_switch_engines(tmp_path: Path) -> None:
    env = {
        "SAMIZDAT_DEBUG": "1",
        "SAMIZDAT_DATABASE_URL": "postgres://news:pw@db.internal:5432/newsroom",
        "SAMIZDAT_REDIS_URL": "redis://cache.internal:6379/2",
    }
    assert settings_value("s.DATABASES['default']['ENGINE']", env, tmp_path) == (
        "django.db.backends.postgresql"
    )
    assert settings_value("s.DATABASES['default']['NAME']", env, tmp_path) == "newsroom"
    assert settings_value("s.CACHES['default']['BACKEND']", env, tmp_path).endswith("RedisCache")


def test_redis_cache_round_trip(tmp_path: Path) -> None:
    url = os.environ.get("SAMIZDAT_TEST_REDIS_URL")
    if not url:
        pytest.skip("SAMIZDAT_TEST_REDIS_URL is not set (.ci/run sets it to the local Redis)")
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        "cache.set('samizdat-probe', 'ok', 30); print(cache.get('samizdat-probe'))"
    )
    env = {
        "SAMIZDAT_DEBUG": "1",
        "SAMIZDAT_REDIS_URL": url,
        "DJANGO_SETTINGS_MODULE": "samizdat.settings",
    }
    result = run([sys.executable, "-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_deploy_check_warns_when_a_mail_service_has_no_webhook_secret(tmp_path: Path) -> None:
    env = {**production_env(), "SAMIZDAT_EMAIL_URL": "esp://postmark"}
    result = run([SAMIZDAT, "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 1
    assert "samizdat.W002" in result.stdout + result.stderr
    env["SAMIZDAT_ANYMAIL_WEBHOOK_SECRET"] = "hook:secret"
    result = run([SAMIZDAT, "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
