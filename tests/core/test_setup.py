"""``samizdat setup`` as an operator runs it on a fresh machine (an environment without any
SAMIZDAT_* setting), into a temporary root: the settings file it writes loads into a working
installation (`samizdat check --deploy` is clean), nginx accepts the site, systemd the units,
the keys are real and survive a second run, and bad input is refused before anything is
written."""

from __future__ import annotations

import base64
import datetime
import os
import shutil
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_django import DjangoDbBlocker

from samizdat.core import setup
from samizdat.core.keys import secret_key_problem
from samizdat.mirrors import nginx
from tests.databases import copy_sqlite, create_postgres, drop_postgres
from tests.test_docs import DEPLOY, samizdat_invocations, shell_command, shell_commands

SAMIZDAT = str(Path(sys.executable).with_name("samizdat"))
SITE = "https://news.example.org"


def fresh_environment(home: Path) -> dict[str, str]:
    """What a root shell on a new machine has: no settings at all."""
    return {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}


def run_setup(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAMIZDAT, "setup", *args],
        env=fresh_environment(home),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=home,
        check=False,
    )


def self_signed(directory: Path, host: str) -> tuple[Path, Path]:
    """A certificate and key for ``host``, as an ACME client would leave them."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True)
    chain, private = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, private


@pytest.fixture
def machine(
    tmp_path: Path, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[dict[str, str]]:
    """A machine's root, data directory and database (PostgreSQL when the tests have one: a
    copy of the migrated test database, so that setup's `migrate` is quick)."""
    data_dir = tmp_path / "srv" / "samizdat" / "data"
    data_dir.mkdir(parents=True)
    chain, key = self_signed(tmp_path / "letsencrypt", "news.example.org")
    found = {
        "root": str(tmp_path / "root"),
        "home": str(tmp_path),
        "data_dir": str(data_dir),
        "certificate": str(chain),
        "certificate_key": str(key),
        "database_url": "",
    }
    admin_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
    name = f"{urlsplit(admin_url).path.lstrip('/')}_setup_{uuid.uuid4().hex[:8]}"
    if admin_url:
        found["database_url"] = create_postgres(admin_url, name, django_db_blocker)
    else:
        copy_sqlite(data_dir / "samizdat.sqlite3", django_db_blocker)
    try:
        yield found
    finally:
        if admin_url:
            drop_postgres(admin_url, name)


def documented_setup(containing: str) -> list[str]:
    """The arguments of a `samizdat setup` command of docs/DEPLOY.md."""
    (arguments,) = samizdat_invocations(shell_command(containing))
    assert arguments[0] == "setup"
    return arguments[1:]


def setup_arguments(
    machine: dict[str, str], *extra: str, documented: str = "setup --site-url"
) -> list[str]:
    """DEPLOY.md's command for one machine, for this test machine: its root, data directory,
    certificate and database (the last of repeated options wins)."""
    arguments = [
        *documented_setup(documented),
        "--root", machine["root"],
        "--data-dir", machine["data_dir"],
        "--certificate", machine["certificate"],
        "--certificate-key", machine["certificate_key"],
    ]  # fmt: skip
    if machine["database_url"]:
        arguments += ["--database-url", machine["database_url"]]
    else:  # SQLite in the data directory
        index = arguments.index("--database-url")
        del arguments[index : index + 2]
    return [*arguments, *extra]


def loaded(env_file: Path, home: str, *command: str) -> subprocess.CompletedProcess[str]:
    """``command`` run with the environment file loaded as DEPLOY.md says, by a shell."""
    script = f'set -a && . "{env_file}" && set +a && exec "$@"'
    return subprocess.run(
        ["sh", "-c", script, "sh", *command],
        env=fresh_environment(Path(home)),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=home,
        check=False,
    )


def test_setup_writes_an_installation_that_passes_every_check(machine: dict[str, str]) -> None:
    root = Path(machine["root"])
    done = run_setup(Path(machine["home"]), *setup_arguments(machine))
    assert done.returncode == 0, done.stderr
    env_file = root / setup.ENV_FILE
    assert f"  {env_file}\n" in done.stdout
    # What it says to run next is what DEPLOY.md says.
    enable = shell_command("systemctl enable --now samizdat-serve.service samizdat-worker@mail")
    assert f"  {enable}\n" in done.stdout

    # The settings: only root reads them; the keys are fresh secrets, not a demo's.
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = setup.read_env_file(env_file)
    assert values["SAMIZDAT_SITE_URL"] == SITE
    assert values["SAMIZDAT_ALLOWED_HOSTS"] == "news.example.org"
    assert values["SAMIZDAT_EMAIL_URL"].startswith("submission://newsroom:password@")
    assert secret_key_problem(values["SAMIZDAT_SECRET_KEY"]) is None
    for name in ("SAMIZDAT_DATA_KEY", "SAMIZDAT_LOOKUP_KEY"):
        assert len(base64.urlsafe_b64decode(values[name])) == 32
    assert values["SAMIZDAT_DATA_KEY"] != values["SAMIZDAT_LOOKUP_KEY"]
    assert values["SAMIZDAT_DATA_KEY"] != os.environ["SAMIZDAT_DATA_KEY"]  # not the tests' key
    assert stat.S_IMODE((root / setup.SIGNING_KEY).stat().st_mode) & 0o007 == 0

    # It loads into a working production installation with no warning (the signing key is
    # where the installed system will have it, /etc/samizdat/, once root is /).
    signing = f"SAMIZDAT_BUNDLE_SIGNING_KEY={root / setup.SIGNING_KEY}"
    checked = loaded(
        env_file, machine["home"], "env", signing, SAMIZDAT, "check", "--deploy",
        "--fail-level", "WARNING",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "identified no issues" in checked.stdout
    migrations = loaded(env_file, machine["home"], SAMIZDAT, "migrate", "--check")
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    # DEPLOY.md's looks at the queues, the workers and the periodic jobs work on that database.
    looks = [line for line in shell_commands(DEPLOY) if line.endswith("| samizdat dbshell")]
    assert len(looks) == 2, looks
    for look in looks:
        command = look.replace("| samizdat dbshell", f"| {SAMIZDAT} dbshell")
        watched = loaded(env_file, machine["home"], "sh", "-c", command)
        assert watched.returncode == 0, watched.stderr
        assert "ERROR" not in watched.stderr, watched.stderr

    # DEPLOY.md's backup of the database, made as it says, holds the site.
    backups = Path(machine["home"]) / "backups"
    backups.mkdir()
    if machine["database_url"]:
        backup = shell_command("pg_dump --format=custom samizdat").replace(
            " samizdat >", f" '{machine['database_url']}' >"
        )
        read_back = "pg_restore --list samizdat-*.dump | grep -c 'TABLE DATA'"
    else:
        backup = shell_command("sqlite3 /srv/samizdat/data/samizdat.sqlite3").replace(
            "/srv/samizdat/data", machine["data_dir"]
        )
        read_back = "sqlite3 samizdat-*.sqlite3 'SELECT count(*) FROM wagtailcore_page'"
    made = subprocess.run(
        ["sh", "-ec", f"{backup}\n{read_back}"],  # the line ends with a comment
        cwd=backups,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert int(made.stdout.split()[-1]) > 0

    # nginx accepts the site (with Debian's http block around it).
    nginx_binary = nginx.nginx_binary()
    if nginx_binary is None:
        if os.environ.get("CI") == "true":  # .ci/run installs it
            pytest.fail("nginx is not installed, and CI must check the written site")
        pytest.skip("nginx is not installed: apt-get install nginx libnginx-mod-http-brotli-static")
    site = root / setup.NGINX_SITE
    assert (root / setup.NGINX_ENABLED).resolve() == site.resolve()
    text = site.read_text()
    assert f"ssl_certificate {machine['certificate']};" in text
    assert "return 301 https://$host$request_uri;" in text
    assert f"root {machine['data_dir']}/bundle;" in text
    workdir = Path(machine["home"]) / "nginx"
    workdir.mkdir()
    config = workdir / "nginx.conf"
    module = nginx.brotli_module()
    config.write_text(
        nginx.standalone_conf(server_conf=site, workdir=workdir, modules=[module] if module else [])
    )
    tested = subprocess.run(
        [nginx_binary, "-t", "-p", str(workdir), "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stderr
    assert "test is successful" in tested.stderr


def test_an_app_machine_of_several_gets_the_shared_settings(machine: dict[str, str]) -> None:
    """DEPLOY.md's command for a machine of several: the app's unit and site, no worker, and
    the buckets in the settings every machine shares."""
    if not machine["database_url"]:
        pytest.skip("machines of several share PostgreSQL: set SAMIZDAT_TEST_DATABASE_URL")
    root = Path(machine["root"])
    arguments = setup_arguments(machine, "--no-migrate", documented="--role app")
    done = run_setup(Path(machine["home"]), *arguments)
    assert done.returncode == 0, done.stderr
    assert (root / setup.UNIT_DIR / setup.SERVE_UNIT).exists()
    assert (root / setup.NGINX_SITE).exists()
    assert not (root / setup.UNIT_DIR / setup.WORKER_UNIT).exists()
    assert "systemctl enable --now samizdat-serve.service\n" in done.stdout
    values = setup.read_env_file(root / setup.ENV_FILE)
    assert values["SAMIZDAT_MEDIA_BUCKET"] == "lantern-media"
    assert values["SAMIZDAT_BUNDLE_BUCKET"] == "lantern-bundle"
    assert values["SAMIZDAT_S3_ENDPOINT_URL"] == "https://s3.example.net"
    assert values["SAMIZDAT_REDIS_URL"].startswith("redis://")


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd reads the units as written: every setting known, the program there."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (a system without systemd)")
    data_dir = tmp_path / "data"
    command = setup.program()
    units = tmp_path / "units"
    units.mkdir()
    (units / setup.SERVE_UNIT).write_text(
        setup.serve_unit(
            command=command, user="samizdat", data_dir=data_dir, bind="127.0.0.1:8000", workers=4
        )
    )
    (units / setup.WORKER_UNIT).write_text(
        setup.worker_unit(command=command, user="samizdat", data_dir=data_dir)
    )
    instances = [f"./samizdat-worker@{queue}.service" for queue in setup.QUEUES]
    done = subprocess.run(
        [analyze, "verify", f"./{setup.SERVE_UNIT}", *instances],
        cwd=units,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    worker = (units / setup.WORKER_UNIT).read_text()
    assert f"ExecStart={' '.join(command)} worker --queues %i" in worker
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", f"ReadWritePaths={data_dir}"):
        assert line in worker


def test_a_second_run_keeps_the_keys_and_changes_the_rest(machine: dict[str, str]) -> None:
    home = Path(machine["home"])
    first = run_setup(home, *setup_arguments(machine, "--no-migrate", "--role", "all"))
    assert first.returncode == 0, first.stderr
    env_file = Path(machine["root"]) / setup.ENV_FILE
    before = setup.read_env_file(env_file)
    with env_file.open("a") as handle:  # the operator adds a setting of their own
        handle.write("SAMIZDAT_NEWSLETTER_TASKS='4'\n")
    signing_key = (Path(machine["root"]) / setup.SIGNING_KEY).read_bytes()
    second = run_setup(
        home, *setup_arguments(machine, "--no-migrate", "--site-url", "https://lantern.example.net")
    )
    assert second.returncode == 0, second.stderr
    assert "Kept from the existing file: SAMIZDAT_SECRET_KEY, SAMIZDAT_DATA_KEY" in second.stdout
    after = setup.read_env_file(env_file)
    for name in setup.SECRETS:
        assert after[name] == before[name]
    assert (Path(machine["root"]) / setup.SIGNING_KEY).read_bytes() == signing_key
    assert after["SAMIZDAT_SITE_URL"] == "https://lantern.example.net"
    assert after["SAMIZDAT_ALLOWED_HOSTS"] == "lantern.example.net,news.example.org"
    assert after["SAMIZDAT_NEWSLETTER_TASKS"] == "4"


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--site-url", "http://news.example.org"], "is not an https:// address"),
        (["--site-url", "https://news.example.org/en/"], "without a path"),
        (["--site-url", SITE, "--user", "root"], "never run as root"),
        (["--site-url", SITE, "--role", "worker"], "share one PostgreSQL database"),
        (["--site-url", SITE, "--email-url", "console://"], "is not a smtp or smtps"),
        (["--site-url", SITE, "--s3-access-key-id", "AKIA"], "--s3-secret-access-key"),
        (["--site-url", SITE, "--database-url", "postgres://x@db/x'y"], "must not contain"),
    ],
    ids=["http", "path", "root", "worker-sqlite", "console-mail", "half-keys", "quote"],
)
def test_bad_input_is_refused_and_nothing_written(
    tmp_path: Path, arguments: list[str], reason: str
) -> None:
    root = tmp_path / "root"
    done = run_setup(tmp_path, "--root", str(root), "--data-dir", str(tmp_path / "d"), *arguments)
    assert done.returncode == 1
    assert done.stderr.startswith("samizdat setup: ") and reason in done.stderr
    assert "Traceback" not in done.stderr
    assert not root.exists() and not (tmp_path / "d").exists()
