"""``samizdat setup``: a production installation on this machine in one command.

``set_up`` writes, under ``root`` (``/`` in production; a test passes a temporary directory):

- ``etc/samizdat/samizdat.env`` (mode 0600): every setting the services need, with a secret
  key and the two data keys generated the first time and never replaced afterwards (a second
  run, or one on another node with the file copied there, keeps them);
- ``etc/samizdat/bundle-signing.pem`` and ``.pub``: the newsroom's key pair that signs the
  bundle's manifest (made once, by ``samizdat mirror keygen``);
- for the ``app`` role, ``etc/systemd/system/samizdat-serve.service`` and the nginx site
  (``samizdat mirror nginx-conf`` behind TLS, plus a block that sends plain http to https);
- for the ``worker`` role, ``etc/systemd/system/samizdat-worker@.service``: one process per
  queue (``samizdat-worker@mail``, ``…@newsletter``, ``…@default``, ``…@bundle``), so that a
  confirmation never waits behind an edition or a build;

then migrates the database and collects the static files. Paths inside the written files are
those of the installed system (``/etc/samizdat/…``); the data directory is used as given.

It needs no settings of its own (the environment of a fresh machine has none): the ``samizdat``
commands it runs (keygen, nginx-conf, migrate, collectstatic) are separate processes with
exactly the environment the file holds. Bad input stops it before anything is written.
"""

from __future__ import annotations

import argparse
import base64
import os
import pwd
import re
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from samizdat.core.keys import secret_key_problem

ENV_FILE = Path("etc/samizdat/samizdat.env")
SIGNING_KEY = Path("etc/samizdat/bundle-signing.pem")
PUBLIC_KEY = Path("etc/samizdat/bundle-signing.pub")
UNIT_DIR = Path("etc/systemd/system")
SERVE_UNIT = "samizdat-serve.service"
WORKER_UNIT = "samizdat-worker@.service"
NGINX_SITE = Path("etc/nginx/sites-available/samizdat")
NGINX_ENABLED = Path("etc/nginx/sites-enabled/samizdat")
ROLES = ("all", "app", "worker")
# The task queues (mail to readers first; publishing and indexing; bundle builds alone): one
# worker process each, so none waits behind another.
QUEUES = ("mail", "newsletter", "default", "bundle")
DEFAULT_DATA_DIR = Path("/srv/samizdat/data")
# Generated once, then kept: replacing one would sign everybody out, break every link mailed
# so far (SECRET_KEY) or make every encrypted address unreadable (DATA_KEY, LOOKUP_KEY).
SECRETS = ("SAMIZDAT_SECRET_KEY", "SAMIZDAT_DATA_KEY", "SAMIZDAT_LOOKUP_KEY")
# Command-line option → the variable it sets (see the shared settings in settings.py).
OPTION_VARIABLES = {
    "site_url": "SAMIZDAT_SITE_URL",
    "email_url": "SAMIZDAT_EMAIL_URL",
    "database_url": "SAMIZDAT_DATABASE_URL",
    "redis_url": "SAMIZDAT_REDIS_URL",
    "data_dir": "SAMIZDAT_DATA_DIR",
    "media_bucket": "SAMIZDAT_MEDIA_BUCKET",
    "media_prefix": "SAMIZDAT_MEDIA_PREFIX",
    "media_public_url": "SAMIZDAT_MEDIA_PUBLIC_URL",
    "bundle_bucket": "SAMIZDAT_BUNDLE_BUCKET",
    "bundle_prefix": "SAMIZDAT_BUNDLE_PREFIX",
    "s3_endpoint_url": "SAMIZDAT_S3_ENDPOINT_URL",
    "s3_region": "SAMIZDAT_S3_REGION",
    "s3_access_key_id": "SAMIZDAT_S3_ACCESS_KEY_ID",
    "s3_secret_access_key": "SAMIZDAT_S3_SECRET_ACCESS_KEY",
}
# Variables of the environment the commands setup runs may inherit (not the caller's SAMIZDAT_*).
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_VARIABLE = re.compile(r"[A-Z_][A-Z0-9_]*")
# systemd's hardening that a web app and its worker live with: they write only the data
# directory (and /tmp, their own).
HARDENING = (
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectSystem=strict",
    "ProtectHome=read-only",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "UMask=0027",
)


class Output(Protocol):
    """Where setup says what it does: a stream, or a command's ``self.stdout``."""

    def write(self, text: str, /) -> Any: ...


class SetupError(Exception):
    """Input setup refuses, with what to do instead; nothing has been written."""


@dataclass
class Report:
    written: list[Path] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    next_commands: list[str] = field(default_factory=list)


def installed(path: Path) -> str:
    """Where a file written under the root is on the installed system."""
    return "/" + path.as_posix()


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of an environment file as ``write_env_file`` writes it (``NAME=value`` or
    ``NAME='value'``; blank lines and ``#`` comments skipped)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not _VARIABLE.fullmatch(name.strip()):
            raise SetupError(f"{path}, line {number}, is not NAME=value: correct it by hand.")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def env_file_text(values: Mapping[str, str]) -> str:
    """Lines that systemd's ``EnvironmentFile=`` and a shell (``set -a; . FILE``) read alike:
    each value in single quotes, which neither interprets."""
    lines = [
        "# samizdat's production settings, written by `samizdat setup` (run it again to change",
        "# them; the keys are kept). Read by the systemd units; by hand:",
        "#   set -a && . /etc/samizdat/samizdat.env && set +a && samizdat …",
        "# Every node of the installation has the same file.",
    ]
    lines += [f"{name}='{value}'" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def new_data_key() -> str:
    """32 random bytes in URL-safe base64, as ``samizdat keys generate`` prints."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _check_value(name: str, value: str) -> None:
    if "'" in value or "\n" in value or "\r" in value or "\0" in value:
        raise SetupError(f"{name} must not contain a quote (') or a line break.")


def check_site_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise SetupError(
            f"--site-url {url!r} is not an https:// address such as https://news.example.org: "
            "production serves readers and staff over TLS only (nginx holds the certificate)."
        )
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise SetupError(f"--site-url {url!r} must be the site's address alone, without a path.")
    return f"https://{parts.netloc}"


def _check_scheme(option: str, url: str, schemes: Sequence[str], example: str) -> None:
    if urlsplit(url).scheme.lower() not in schemes:
        raise SetupError(f"--{option} {url!r} is not a {' or '.join(schemes)} address ({example}).")


def settings_for(
    *, existing: Mapping[str, str], given: Mapping[str, str | None], role: str
) -> tuple[dict[str, str], list[str]]:
    """The environment file's variables: what it held, updated with what was given, checked;
    and which of the secrets were kept."""
    values = dict(existing)
    for option, variable in OPTION_VARIABLES.items():
        value = given.get(option)
        if value is not None:
            _check_value(f"--{option.replace('_', '-')}", value)
            values[variable] = value.strip()
    if not values.get("SAMIZDAT_SITE_URL"):
        raise SetupError("Give --site-url, the site's https:// address.")
    site_url = check_site_url(values["SAMIZDAT_SITE_URL"])
    values["SAMIZDAT_SITE_URL"] = site_url
    host = urlsplit(site_url).hostname or ""
    hosts = [h.strip() for h in values.get("SAMIZDAT_ALLOWED_HOSTS", "").split(",") if h.strip()]
    if host not in hosts:
        values["SAMIZDAT_ALLOWED_HOSTS"] = ",".join([host, *hosts])
    data_dir = Path(values.setdefault("SAMIZDAT_DATA_DIR", str(DEFAULT_DATA_DIR)))
    if not data_dir.is_absolute():
        raise SetupError(f"--data-dir {str(data_dir)!r} must be an absolute path.")
    if email := values.get("SAMIZDAT_EMAIL_URL"):
        _check_scheme(
            "email-url", email, ("smtp", "smtps", "submission", "esp"),
            "submission://user:password@smtp.example.org:587 or esp://postmark",
        )  # fmt: skip
    if database := values.get("SAMIZDAT_DATABASE_URL", ""):
        _check_scheme(
            "database-url", database, ("postgres", "postgresql", "sqlite"),
            "postgres://samizdat:password@db.example.org:5432/samizdat",
        )  # fmt: skip
    if role != "all" and not database.startswith("postgres"):
        raise SetupError(
            f"--role {role} is one machine of several: they share one PostgreSQL database. "
            "Give --database-url postgres://…"
        )
    if redis := values.get("SAMIZDAT_REDIS_URL"):
        _check_scheme("redis-url", redis, ("redis", "rediss"), "redis://cache.example.org:6379/0")
    key_id = values.get("SAMIZDAT_S3_ACCESS_KEY_ID")
    if bool(key_id) != bool(values.get("SAMIZDAT_S3_SECRET_ACCESS_KEY")):
        raise SetupError(
            "Give both --s3-access-key-id and --s3-secret-access-key, or neither (the server's "
            "own credentials are used then)."
        )
    for url_option in ("SAMIZDAT_S3_ENDPOINT_URL", "SAMIZDAT_MEDIA_PUBLIC_URL"):
        if values.get(url_option):
            option = url_option.removeprefix("SAMIZDAT_").lower().replace("_", "-")
            _check_scheme(option, values[url_option], ("https", "http"), "https://…")
    # Behind nginx: the forms' rate limits see the reader's address, not nginx's.
    values.setdefault("SAMIZDAT_TRUSTED_PROXIES", "1")
    values.setdefault("SAMIZDAT_BUNDLE_SIGNING_KEY", installed(SIGNING_KEY))
    kept = []
    for name in SECRETS:
        if values.get(name):
            kept.append(name)
        else:
            values[name] = secrets.token_urlsafe(50) if name == "SAMIZDAT_SECRET_KEY" else (
                new_data_key()
            )  # fmt: skip
    if problem := secret_key_problem(values["SAMIZDAT_SECRET_KEY"]):
        raise SetupError(
            f"The SAMIZDAT_SECRET_KEY already in the environment file {problem}: setup never "
            "replaces a key; replace it by hand (every session and mailed link ends then)."
        )
    if values["SAMIZDAT_DATA_KEY"] == values["SAMIZDAT_LOOKUP_KEY"]:
        raise SetupError("SAMIZDAT_DATA_KEY and SAMIZDAT_LOOKUP_KEY in the file are the same key.")
    return values, kept


def program() -> list[str]:
    """How to run ``samizdat`` with this installation's Python."""
    script = Path(sys.executable).with_name("samizdat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "samizdat.cli"]


def unit(*, description: str, command: str, user: str, data_dir: Path, after: str) -> str:
    lines = [
        "[Unit]",
        f"Description={description}",
        f"After=network-online.target {after}".rstrip(),
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=exec",
        f"User={user}",
        f"EnvironmentFile={installed(ENV_FILE)}",
        f"WorkingDirectory={data_dir}",
        f"ExecStart={command}",
        "Restart=always",
        "RestartSec=5",
        "KillMode=mixed",
        "TimeoutStopSec=60",
        *HARDENING,
        f"ReadWritePaths={data_dir}",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def serve_unit(
    *, command: Sequence[str], user: str, data_dir: Path, bind: str, workers: int
) -> str:
    return unit(
        description="samizdat web application (gunicorn)",
        command=" ".join([*command, "serve", "--bind", bind, "--workers", str(workers)]),
        user=user,
        data_dir=data_dir,
        after="postgresql.service redis-server.service",
    )


def worker_unit(*, command: Sequence[str], user: str, data_dir: Path) -> str:
    return unit(
        description="samizdat background tasks of the %i queue",
        command=" ".join([*command, "worker", "--queues", "%i"]),
        user=user,
        data_dir=data_dir,
        after="postgresql.service redis-server.service",
    )


def nginx_site(*, block: str, host: str, certificate: Path, certificate_key: Path) -> str:
    """The server block of ``samizdat mirror nginx-conf`` with its certificate, after a block
    that sends plain http to https."""
    lines = block.splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("listen "):
            lines[index + 1 : index + 1] = [
                f"    ssl_certificate {certificate};",
                f"    ssl_certificate_key {certificate_key};",
            ]
            break
    else:
        raise SetupError("`samizdat mirror nginx-conf` printed no listen line.")
    redirect = [
        "# Plain http: straight to https.",
        "server {",
        "    listen 80;",
        f"    server_name {host};",
        "    access_log off;",
        "    return 301 https://$host$request_uri;",
        "}",
        "",
    ]
    return "\n".join(redirect + lines) + "\n"


def write_file(path: Path, text: str, mode: int, report: Report) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, mode)
    os.replace(temporary, path)
    report.written.append(path)


def _run(command: Sequence[str], env: Mapping[str, str], what: str) -> str:
    done = subprocess.run(list(command), env=dict(env), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SetupError(f"{what} failed:\n{(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


def _owner(user: str) -> tuple[int, int] | None:
    """The service account's uid and gid, when it exists and we may give it files."""
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return None
    return account.pw_uid, account.pw_gid


def _chown_tree(path: Path, owner: tuple[int, int]) -> None:
    os.chown(path, *owner)
    for directory, names, files in os.walk(path):
        for name in names + files:
            os.chown(os.path.join(directory, name), *owner, follow_symlinks=False)


def set_up(
    *,
    root: Path,
    role: str,
    given: Mapping[str, str | None],
    user: str,
    bind: str = "127.0.0.1:8000",
    workers: int = 4,
    certificate: Path | None = None,
    certificate_key: Path | None = None,
    migrate: bool = True,
    out: Output = sys.stdout,
) -> Report:
    """Write the installation's settings, units and nginx site under ``root`` and prepare its
    database and data directory; see the module's docstring."""
    if role not in ROLES:
        raise SetupError(f"--role must be one of {', '.join(ROLES)}, not {role!r}.")
    if not _USER.fullmatch(user) or user == "root":
        raise SetupError(
            f"--user {user!r} is no account for a service: give an unprivileged system user "
            "(the services never run as root), e.g. samizdat."
        )
    if workers < 1:
        raise SetupError("--workers must be at least 1.")
    if (certificate is None) != (certificate_key is None):
        raise SetupError("Give both --certificate and --certificate-key, or neither.")
    root = root.resolve()
    env_path = root / ENV_FILE
    values, kept = settings_for(existing=read_env_file(env_path), given=given, role=role)
    report = Report(kept=kept)
    data_dir = Path(values["SAMIZDAT_DATA_DIR"])
    host = urlsplit(values["SAMIZDAT_SITE_URL"]).hostname or ""
    command = program()
    owner = _owner(user)

    write_file(env_path, env_file_text(values), 0o600, report)
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {name: os.environ[name] for name in PASSED_ON if name in os.environ}
    environment |= values
    environment.setdefault("HOME", str(data_dir))

    signing_key = root / SIGNING_KEY
    if values["SAMIZDAT_BUNDLE_SIGNING_KEY"] == installed(SIGNING_KEY) and not signing_key.exists():
        # Made where it is read: the commands below must not see a key that is not there yet.
        _run(
            [*command, "mirror", "keygen", str(signing_key), str(root / PUBLIC_KEY)],
            environment | {"SAMIZDAT_BUNDLE_SIGNING_KEY": ""},
            "Making the bundle's signing key",
        )
        report.written += [signing_key, root / PUBLIC_KEY]
    if signing_key.exists() and owner is not None:
        # The worker signs the bundle as the service's user; nobody else reads the key.
        os.chown(signing_key, 0, owner[1])
        os.chmod(signing_key, 0o640)
    if root != Path("/"):
        # Written for the installed system; the commands below run before it is installed.
        environment["SAMIZDAT_BUNDLE_SIGNING_KEY"] = str(root / SIGNING_KEY)

    units = root / UNIT_DIR
    if role in ("all", "app"):
        write_file(
            units / SERVE_UNIT,
            serve_unit(command=command, user=user, data_dir=data_dir, bind=bind, workers=workers),
            0o644,
            report,
        )
        block = _run(
            [*command, "mirror", "nginx-conf", "--listen", "443 ssl http2", "--app", bind],
            environment,
            "`samizdat mirror nginx-conf`",
        )
        live = Path("/etc/letsencrypt/live") / host
        site = nginx_site(
            block=block,
            host=host,
            certificate=certificate or live / "fullchain.pem",
            certificate_key=certificate_key or live / "privkey.pem",
        )
        write_file(root / NGINX_SITE, site, 0o644, report)
        enabled = root / NGINX_ENABLED
        enabled.parent.mkdir(parents=True, exist_ok=True)
        if not enabled.is_symlink() and not enabled.exists():
            enabled.symlink_to(Path("../sites-available") / NGINX_SITE.name)
    if role in ("all", "worker"):
        write_file(
            units / WORKER_UNIT,
            worker_unit(command=command, user=user, data_dir=data_dir),
            0o644,
            report,
        )

    if migrate:
        out.write("Migrating the database…\n")
        _run([*command, "migrate", "--noinput"], environment, "`samizdat migrate`")
    if role in ("all", "app"):
        out.write("Collecting the static files…\n")
        _run(
            [*command, "collectstatic", "--noinput", "--verbosity", "0"],
            environment,
            "`samizdat collectstatic`",
        )
    if owner is not None:
        _chown_tree(data_dir, owner)

    several = role != "all" or any(
        values.get(name)
        for name in ("SAMIZDAT_REDIS_URL", "SAMIZDAT_MEDIA_BUCKET", "SAMIZDAT_BUNDLE_BUCKET")
    )
    if not values.get("SAMIZDAT_EMAIL_URL"):
        report.warnings.append(
            "No --email-url: letters go to the outbox in "
            f"{data_dir}/outbox, on this machine only"
            + (", while this installation has several machines." if several else ".")
        )
    load = f"set -a && . {installed(ENV_FILE)} && set +a"
    if owner is None:
        report.next_commands.append(
            f"id {user} || useradd --system --home-dir {data_dir} --shell /usr/sbin/nologin {user}"
        )
        report.next_commands.append(f"chown -R {user}: {data_dir}")
        report.next_commands.append(f"chgrp {user} {installed(SIGNING_KEY)}")
        report.next_commands.append(f"chmod 640 {installed(SIGNING_KEY)}")
    services = []
    if role in ("all", "app"):
        services.append(SERVE_UNIT)
        report.next_commands.append(f"{load} && {' '.join(command)} createsuperuser")
    if role in ("all", "worker"):
        services += [f"samizdat-worker@{queue}.service" for queue in QUEUES]
    report.next_commands.append("systemctl daemon-reload")
    report.next_commands.append(f"systemctl enable --now {' '.join(services)}")
    if role in ("all", "app"):
        report.next_commands.append("nginx -t && systemctl reload nginx")
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("/"), help="install under this directory")
    parser.add_argument("--role", choices=ROLES, default="all", help="which services run here")
    parser.add_argument("--site-url", help="the site's https:// address")
    parser.add_argument("--email-url", help="SAMIZDAT_EMAIL_URL (default: the local outbox)")
    parser.add_argument("--database-url", help="postgres://… (default: SQLite in the data dir)")
    parser.add_argument("--redis-url", help="redis://… (needed by several machines)")
    parser.add_argument("--data-dir", help=f"default: {DEFAULT_DATA_DIR}")
    parser.add_argument("--user", default="samizdat", help="the services' system user")
    parser.add_argument("--bind", default="127.0.0.1:8000", help="where gunicorn listens")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn's worker processes")
    parser.add_argument("--certificate", type=Path, help="TLS certificate (full chain) for nginx")
    parser.add_argument("--certificate-key", type=Path, help="its private key")
    parser.add_argument("--media-bucket", help="uploads and renditions in this bucket")
    parser.add_argument("--media-prefix")
    parser.add_argument("--media-public-url", help="a CDN or bucket address serving /media/")
    parser.add_argument("--bundle-bucket", help="the published bundle in this bucket")
    parser.add_argument("--bundle-prefix")
    parser.add_argument("--s3-endpoint-url", help="an S3-compatible service (default: AWS)")
    parser.add_argument("--s3-region")
    parser.add_argument("--s3-access-key-id")
    parser.add_argument("--s3-secret-access-key")
    parser.add_argument(
        "--no-migrate", dest="migrate", action="store_false", help="leave the database as it is"
    )


def _optional_path(value: object) -> Path | None:
    return None if value is None else Path(str(value))


def run(options: Mapping[str, object], out: Output) -> Report:
    """``set_up`` from parsed options; prints what it wrote and what to run next."""
    given = {option: options.get(option) for option in OPTION_VARIABLES}
    report = set_up(
        root=Path(str(options["root"])),
        role=str(options["role"]),
        given={k: None if v is None else str(v) for k, v in given.items()},
        user=str(options["user"]),
        bind=str(options["bind"]),
        workers=int(str(options["workers"])),
        certificate=_optional_path(options.get("certificate")),
        certificate_key=_optional_path(options.get("certificate_key")),
        migrate=bool(options["migrate"]),
        out=out,
    )
    out.write("Wrote:\n" + "".join(f"  {path}\n" for path in report.written))
    if report.kept:
        out.write(f"Kept from the existing file: {', '.join(report.kept)}.\n")
    for warning in report.warnings:
        out.write(f"Warning: {warning}\n")
    out.write("Next:\n" + "".join(f"  {command}\n" for command in report.next_commands))
    return report


def main(argv: Sequence[str]) -> int:
    """``samizdat setup …`` on a machine whose environment holds no settings yet."""
    parser = argparse.ArgumentParser(
        prog="samizdat setup",
        description="Write the production settings, systemd units and nginx site, then "
        "migrate the database.",
    )
    add_arguments(parser)
    options = vars(parser.parse_args(list(argv)))
    try:
        run(options, sys.stdout)
    except SetupError as error:
        print(f"samizdat setup: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"samizdat setup: {error}", file=sys.stderr)
        return 1
    return 0
