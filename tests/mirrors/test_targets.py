"""Mirror targets: after each build the bundle's changed files reach every enabled directory,
bucket or command, manifest last; a failing target is retried, reported and sent everything
next time, without holding up the others; only superusers manage targets."""

from __future__ import annotations

import json
import logging
import os
import shlex
import socket
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from samizdat.mirrors import manifest
from samizdat.mirrors.manifest import MANIFEST, MARKER, SIGNATURE
from samizdat.mirrors.models import MirrorTarget
from samizdat.mirrors.targets import sync_targets
from tests.logins import log_in
from tests.mirrors.s3_server import KEY_ID, REGION, SECRET, S3Server, s3_server

FAST = (0.01, 0.01)  # retry delays: three attempts without waiting

FILES = {
    "en/index.html": b"<!doctype html><title>The Lantern</title>",
    "en/news/index.html": b"<!doctype html><title>News</title>",
    "en/news/court-opens-trial/index.html": b"<!doctype html><title>Court opens trial</title>",
    "en/news/court-opens-trial/index.html.gz": b"\x1f\x8b gzip bytes",
    "en/news/court-opens-trial/index.html.br": b"brotli bytes",
    "en/feed/rss/index.xml": b"<?xml version='1.0'?><rss/>",
    "en/feed/atom/index.xml": b"<?xml version='1.0'?><feed/>",
    "sitemap.xml": b"<?xml version='1.0'?><urlset/>",
    "robots.txt": b"User-agent: *\n",
    "static/samizdat/site.css": b"body{margin:0}",
    "static/samizdat/appeal.js": b"/* appeal */",
    "static/samizdat/favicon.svg": b"<svg/>",
    "media/images/court.width-800.webp": b"RIFF....WEBP",
    "media/documents/ruling.pdf": b"%PDF-1.7 the ruling",
}


@pytest.fixture
def key() -> tuple[bytes, bytes]:
    return manifest.generate_key()


@pytest.fixture
def bundle(tmp_path: Path, settings: Any, key: tuple[bytes, bytes]) -> Path:
    root = tmp_path / "bundle"
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    manifest.write_manifest(root, private_key_pem=key[0])
    settings.BUNDLE_DIR = root
    return root


def rebuild(root: Path, key: tuple[bytes, bytes], *, write: dict[str, bytes],
            delete: list[str]) -> tuple[list[str], list[str]]:  # fmt: skip
    """Change the bundle as a build would; (changed, removed) as the builder reports them."""
    old = manifest.read_manifest((root / MANIFEST).read_bytes())[0]
    for rel, data in write.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    for rel in delete:
        (root / rel).unlink()
    new = manifest.write_manifest(root, private_key_pem=key[0])
    changed, removed = manifest.changed_files(old, new)
    return [MANIFEST, SIGNATURE, *changed], removed


def every_file(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def copied(copy: Path) -> dict[str, bytes]:
    """The files of a directory target, which must hold samizdat's marker besides them."""
    files = every_file(copy)
    assert MARKER in files, f"{copy} has no {MARKER}"
    del files[MARKER]
    return files


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def directory_target(path: Path, **fields: Any) -> MirrorTarget:
    return MirrorTarget.objects.create(
        name=f"dir {path.name}", kind=MirrorTarget.Kind.DIRECTORY, path=str(path), **fields
    )


def bucket_target(server: S3Server | None, bucket: str = "lantern", **fields: Any) -> MirrorTarget:
    return MirrorTarget.objects.create(
        name=f"bucket {bucket}",
        kind=MirrorTarget.Kind.S3,
        bucket=bucket,
        endpoint_url=server.url if server else f"http://127.0.0.1:{closed_port()}",
        region=REGION,
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        **fields,
    )


@pytest.fixture
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        server.client().create_bucket(Bucket="lantern")
        yield server


# S3 -------------------------------------------------------------------------------------


def test_a_new_bucket_gets_every_file_with_its_type_and_cache_time_manifest_last(
    db: Any, bundle: Path, s3: S3Server
) -> None:
    client = s3.client()
    client.put_object(Bucket="lantern", Key="mirror/old/gone.html", Body=b"stale")
    client.put_object(Bucket="lantern", Key="other-site/index.html", Body=b"not ours")
    target = bucket_target(s3, prefix="/mirror/")  # slashes are tidied away
    s3.requests.clear()

    [result] = sync_targets(bundle, changed=["en/index.html"], removed=[], retry_delays=FAST)

    assert result.ok and result.full and result.attempts == 1
    expected = [*sorted(FILES), MANIFEST, SIGNATURE]
    assert s3.puts("lantern") == [f"mirror/{rel}" for rel in expected]
    assert s3.keys("lantern") == {f"mirror/{rel}" for rel in expected} | {"other-site/index.html"}
    for rel in expected:
        body = client.get_object(Bucket="lantern", Key=f"mirror/{rel}")["Body"].read()
        assert body == (bundle / rel).read_bytes()

    def head(rel: str) -> tuple[str, str]:
        answer = client.head_object(Bucket="lantern", Key=f"mirror/{rel}")
        return answer["ContentType"], answer["CacheControl"]

    five_minutes, year = "public, max-age=300", "public, max-age=31536000, immutable"
    assert head("en/index.html") == ("text/html; charset=utf-8", five_minutes)
    assert head("en/feed/rss/index.xml") == ("application/rss+xml; charset=utf-8", five_minutes)
    assert head("en/feed/atom/index.xml") == ("application/atom+xml; charset=utf-8", five_minutes)
    assert head("sitemap.xml") == ("application/xml", five_minutes)
    assert head("robots.txt") == ("text/plain; charset=utf-8", five_minutes)
    assert head(MANIFEST) == ("application/json", five_minutes)
    assert head("en/news/court-opens-trial/index.html.gz") == ("application/gzip", five_minutes)
    assert head("en/news/court-opens-trial/index.html.br")[0] == "application/x-brotli"
    assert head("static/samizdat/site.css") == ("text/css; charset=utf-8", year)
    assert head("static/samizdat/appeal.js") == ("text/javascript; charset=utf-8", year)
    assert head("static/samizdat/favicon.svg") == ("image/svg+xml", year)
    assert head("media/images/court.width-800.webp") == ("image/webp", year)
    # A document may be taken down or replaced under its name: kept no longer than a page.
    assert head("media/documents/ruling.pdf") == ("application/pdf", five_minutes)

    target.refresh_from_db()
    assert target.last_status == MirrorTarget.Status.OK
    assert not target.needs_full_sync
    assert target.last_synced_at is not None
    assert target.last_report == f"full sync: {len(expected)} file(s) sent, 1 removed"
    # Readers' browsers may read the copy from the site's pages (a service worker failing over).
    [rule] = client.get_bucket_cors(Bucket="lantern")["CORSRules"]
    assert rule["AllowedOrigins"] == ["*"] and set(rule["AllowedMethods"]) == {"GET", "HEAD"}


def test_after_a_build_the_bucket_gets_only_what_changed_and_loses_what_was_removed(
    db: Any, bundle: Path, s3: S3Server, key: tuple[bytes, bytes]
) -> None:
    target = bucket_target(s3)
    assert sync_targets(bundle, changed=[], removed=[], retry_delays=FAST)[0].full
    story = "en/news/court-opens-trial/index.html"
    changed, removed = rebuild(
        bundle,
        key,
        write={"en/index.html": b"<!doctype html><title>New front</title>",
               "en/news/verdict/index.html": b"<!doctype html><title>Verdict</title>"},
        delete=[story, f"{story}.gz", f"{story}.br"],
    )  # fmt: skip
    s3.requests.clear()

    [result] = sync_targets(bundle, changed=changed, removed=removed, retry_delays=FAST)

    assert result.ok and not result.full
    assert (result.sent, result.removed) == (4, 3)
    assert s3.puts("lantern") == [
        "en/index.html",
        "en/news/verdict/index.html",
        MANIFEST,
        SIGNATURE,
    ]
    assert s3.deletions() == 1  # one DeleteObjects request, after the content
    order = [f"{method} {path}" for method, path in s3.requests]
    deletion = order.index("POST /lantern?delete")
    assert deletion > order.index("PUT /lantern/en/news/verdict/index.html")
    # The manifest goes up last, once a listing shows the bucket holds exactly its files.
    assert order[deletion + 1].startswith("GET /lantern?list-type=2")
    assert order[-2:] == [f"PUT /lantern/{MANIFEST}", f"PUT /lantern/{SIGNATURE}"]
    keys = s3.keys("lantern")
    assert story not in keys and f"{story}.gz" not in keys
    assert keys == {entry["path"] for entry in manifest.build_manifest(bundle)["files"]} | {
        MANIFEST,
        SIGNATURE,
    }
    front = s3.client().get_object(Bucket="lantern", Key="en/index.html")["Body"].read()
    assert front == b"<!doctype html><title>New front</title>"
    target.refresh_from_db()
    assert target.last_report == "sync: 4 file(s) sent, 3 removed"


def test_a_bucket_that_refuses_is_reported_with_the_reason(
    db: Any, bundle: Path, s3: S3Server
) -> None:
    target = bucket_target(s3, bucket="no-such-bucket")

    [result] = sync_targets(bundle, changed=[], removed=[], retry_delays=FAST)

    assert not result.ok and result.attempts == 3
    target.refresh_from_db()
    assert target.last_status == MirrorTarget.Status.FAILED
    assert "NoSuchBucket: The specified bucket does not exist" in target.last_report


# A directory ----------------------------------------------------------------------------


def test_a_directory_gets_an_exact_copy_and_loses_stray_files(
    db: Any, bundle: Path, tmp_path: Path, key: tuple[bytes, bytes]
) -> None:
    copy = tmp_path / "copy"
    (copy / "old" / "deeper").mkdir(parents=True)
    (copy / MARKER).write_text("")  # synced before
    (copy / "old" / "deeper" / "gone.html").write_text("stale")
    (copy / "en").mkdir()
    (copy / "en" / "index.html").write_text("stale front page")
    (copy / "empty").mkdir()
    target = directory_target(copy)

    [result] = sync_targets(bundle, changed=[], removed=[])

    assert result.ok and result.full
    assert manifest.verify(copy, public_key_pem=key[1]) == []  # nothing missing or extra
    assert copied(copy) == every_file(bundle)
    assert not (copy / "old").exists() and not (copy / "empty").exists()
    mode = stat.S_IMODE((copy / "en" / "index.html").stat().st_mode)
    assert mode == 0o644  # the web server serving the copy can read it
    target.refresh_from_db()
    assert target.last_status == MirrorTarget.Status.OK and not target.needs_full_sync


def test_a_directory_is_updated_atomically_and_tidied_of_stray_files(
    db: Any, bundle: Path, tmp_path: Path, key: tuple[bytes, bytes]
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    directory_target(copy)
    sync_targets(bundle, changed=[], removed=[])
    story = "en/news/court-opens-trial/index.html"
    changed, removed = rebuild(
        bundle,
        key,
        write={"en/index.html": b"<!doctype html><title>New front</title>"},
        delete=[story, f"{story}.gz", f"{story}.br"],
    )
    (copy / "stray.html").write_text("put there by hand: not in the bundle")

    with (copy / "en" / "index.html").open("rb") as reader:  # a reader in the middle of a file
        [result] = sync_targets(bundle, changed=changed, removed=removed)
        assert reader.read() == FILES["en/index.html"]  # never a mixture of old and new

    assert result.ok and not result.full and (result.sent, result.removed) == (3, 4)
    assert (copy / "en" / "index.html").read_bytes() == b"<!doctype html><title>New front</title>"
    assert not (copy / "en" / "news" / "court-opens-trial").exists()  # emptied, so pruned
    assert (copy / "en" / "news" / "index.html").exists()
    assert not [p for p in copy.rglob("*") if p.name.endswith(".tmp")]
    assert not (copy / "stray.html").exists()
    assert manifest.verify(copy, public_key_pem=key[1]) == []


def test_paths_leading_outside_a_directory_are_never_followed(
    db: Any, bundle: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / MARKER).write_text("")
    (copy / "en").symlink_to(outside, target_is_directory=True)
    target = directory_target(copy, needs_full_sync=False)

    [result] = sync_targets(
        bundle,
        changed=["../outside/evil.html", "en/index.html"],
        removed=["../bundle/robots.txt"],
        retry_delays=(),
    )

    assert not result.ok
    assert list(outside.iterdir()) == []
    assert (bundle / "robots.txt").exists()
    target.refresh_from_db()
    # The copy has no manifest of its own: every file is sent, and the first leads outside.
    assert "en/feed/atom/index.xml: leads outside the target directory" in target.last_report
    assert target.needs_full_sync


def test_a_directory_samizdat_did_not_make_is_left_alone(
    db: Any, bundle: Path, tmp_path: Path, key: tuple[bytes, bytes]
) -> None:
    # A mistyped path: a directory with files of its own, which a full sync would delete.
    home = tmp_path / "home" / "app"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAA newsroom")
    (home / "notes.txt").write_text("do not lose")
    before = every_file(home)
    target = directory_target(home)

    [result] = sync_targets(bundle, changed=[], removed=[], retry_delays=FAST)

    assert not result.ok and result.attempts == 1  # trying again cannot help
    assert every_file(home) == before  # nothing deleted, nothing written
    target.refresh_from_db()
    assert target.last_status == MirrorTarget.Status.FAILED and target.needs_full_sync
    assert (
        f"{home} is not empty and was not made by samizdat: empty it or add {MARKER}"
        in target.last_report
    )

    # Marked by hand as samizdat's: the next sync makes it an exact copy.
    (home / MARKER).touch()
    [result] = sync_targets(bundle, changed=[], removed=[], retry_delays=FAST)
    assert result.ok and result.full
    assert copied(home) == every_file(bundle)


def test_an_empty_directory_is_marked_and_the_marker_outlives_full_syncs(
    db: Any, bundle: Path, tmp_path: Path, key: tuple[bytes, bytes]
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    target = directory_target(copy)

    assert sync_targets(bundle, changed=[], removed=[])[0].ok
    assert (copy / MARKER).is_file()
    (copy / "stray.html").write_text("not in the bundle")
    MirrorTarget.objects.filter(pk=target.pk).update(needs_full_sync=True)
    [result] = sync_targets(bundle, changed=[], removed=[])

    assert result.ok and result.full and result.removed == 1
    assert copied(copy) == every_file(bundle)  # the stray file is gone, the marker is not
    # The marker is no file of the copy: a check of it finds nothing extra.
    assert manifest.verify(copy, public_key_pem=key[1]) == []
    assert MARKER not in {entry["path"] for entry in manifest.build_manifest(copy)["files"]}


# A command ------------------------------------------------------------------------------

COPY_SCRIPT = """
import os, shutil, sys
from pathlib import Path
dest = Path(sys.argv[1])
bundle = Path(os.environ["SAMIZDAT_BUNDLE_DIR"])
assert Path.cwd() == bundle
changed = Path(os.environ["SAMIZDAT_CHANGED_FILES"]).read_text().splitlines()
removed = Path(os.environ["SAMIZDAT_REMOVED_FILES"]).read_text().splitlines()
for rel in changed:
    (dest / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(rel, dest / rel)
for rel in removed:
    (dest / rel).unlink()
with open(dest.parent / "calls.log", "a") as log:
    log.write(os.environ["SAMIZDAT_FULL_SYNC"] + " " + ",".join(changed) + "\\n")
"""


def test_a_command_gets_the_lists_of_files_and_runs_in_the_bundle(
    db: Any, bundle: Path, tmp_path: Path, key: tuple[bytes, bytes]
) -> None:
    script = tmp_path / "copy.py"
    script.write_text(COPY_SCRIPT)
    dest = tmp_path / "remote" / "copy"
    dest.mkdir(parents=True)
    command = shlex.join([sys.executable, str(script), str(dest)])
    MirrorTarget.objects.create(name="rsync-like", kind=MirrorTarget.Kind.COMMAND, command=command)

    [first] = sync_targets(bundle, changed=[], removed=[])
    changed, removed = rebuild(
        bundle, key, write={"robots.txt": b"User-agent: *\nDisallow:\n"}, delete=["sitemap.xml"]
    )
    [second] = sync_targets(bundle, changed=changed, removed=removed)

    assert first.ok and first.full and second.ok and not second.full
    assert manifest.verify(dest, public_key_pem=key[1]) == []
    calls = (tmp_path / "remote" / "calls.log").read_text().splitlines()
    assert calls[0].startswith("1 ") and calls[0].endswith(f",{MANIFEST},{SIGNATURE}")
    assert calls[1] == f"0 robots.txt,{MANIFEST},{SIGNATURE}"


def test_a_command_never_sees_the_servers_secrets(
    db: Any, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAMIZDAT_SECRET_KEY", "django-secret-never-shared")
    monkeypatch.setenv("SAMIZDAT_STRIPE_SECRET_KEY", "sk_live_never_shared")
    monkeypatch.setenv("SAMIZDAT_DATABASE_URL", "postgres://samizdat:pw@db/samizdat")
    monkeypatch.setenv("RCLONE_CONFIG", "/etc/samizdat/rclone.conf")
    monkeypatch.setenv("AWS_PROFILE", "mirror")
    monkeypatch.setenv("SSH_AUTH_SOCK", "/run/user/1000/ssh-agent.sock")
    dump = tmp_path / "env.json"
    script = f"import json, os; open({str(dump)!r}, 'w').write(json.dumps(dict(os.environ)))"
    MirrorTarget.objects.create(
        name="env", kind=MirrorTarget.Kind.COMMAND,
        command=shlex.join([sys.executable, "-c", script]),
    )  # fmt: skip

    [result] = sync_targets(bundle, changed=[], removed=[])

    assert result.ok
    seen = json.loads(dump.read_text())
    text = dump.read_text()
    assert "never_shared" not in text and "never-shared" not in text and "postgres:" not in text
    assert "SAMIZDAT_SECRET_KEY" not in seen and "SAMIZDAT_STRIPE_SECRET_KEY" not in seen
    # What rsync, ssh and rclone need is passed on, with the lists of files.
    assert seen["RCLONE_CONFIG"] == "/etc/samizdat/rclone.conf"
    assert seen["AWS_PROFILE"] == "mirror"
    assert seen["SSH_AUTH_SOCK"] == "/run/user/1000/ssh-agent.sock"
    assert seen["PATH"] == os.environ["PATH"]
    assert seen["SAMIZDAT_BUNDLE_DIR"] == str(bundle)
    assert seen["SAMIZDAT_FULL_SYNC"] == "1"
    assert {"SAMIZDAT_CHANGED_FILES", "SAMIZDAT_REMOVED_FILES"} <= set(seen)


def test_a_failing_or_hanging_command_is_reported_and_the_other_targets_still_get_their_files(
    db: Any, bundle: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    failing = "import sys; sys.stderr.write('rsync: connection refused by mirror.example.net\\n'); sys.exit(12)"  # fmt: skip
    MirrorTarget.objects.create(
        name="broken", kind=MirrorTarget.Kind.COMMAND,
        command=shlex.join([sys.executable, "-c", failing]),
    )  # fmt: skip
    MirrorTarget.objects.create(
        name="hanging", kind=MirrorTarget.Kind.COMMAND, timeout=1,
        command=shlex.join([sys.executable, "-c", "import time; time.sleep(60)"]),
    )  # fmt: skip
    copy = tmp_path / "copy"
    copy.mkdir()
    directory_target(copy)
    caplog.set_level(logging.WARNING, logger="samizdat.mirrors.targets")

    started = time.monotonic()
    results = {r.name: r for r in sync_targets(bundle, changed=[], removed=[], retry_delays=FAST)}

    assert time.monotonic() - started < 15  # three attempts of one second, not a minute
    assert results["dir copy"].ok and copied(copy) == every_file(bundle)
    broken = MirrorTarget.objects.get(name="broken")
    assert not results["broken"].ok and results["broken"].attempts == 3
    assert broken.last_status == MirrorTarget.Status.FAILED and broken.needs_full_sync
    assert "exited with status 12" in broken.last_report
    assert "rsync: connection refused by mirror.example.net" in broken.last_report
    hanging = MirrorTarget.objects.get(name="hanging")
    assert hanging.last_status == MirrorTarget.Status.FAILED
    assert "timed out after 1 s" in hanging.last_report
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "broken" in logged and "hanging" in logged


# One failing, one working -----------------------------------------------------------------


def test_an_unreachable_bucket_is_retried_marked_failed_and_sent_everything_next_time(
    db: Any, bundle: Path, tmp_path: Path, key: tuple[bytes, bytes], s3: S3Server
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    directory_target(copy)
    bucket = bucket_target(None)  # nothing listens on its port
    MirrorTarget.objects.create(
        name="switched off", kind=MirrorTarget.Kind.DIRECTORY, path=str(tmp_path / "off"),
        enabled=False,
    )  # fmt: skip

    results = {r.name: r for r in sync_targets(bundle, changed=[], removed=[], retry_delays=FAST)}

    assert set(results) == {"dir copy", "bucket lantern"}
    assert results["dir copy"].ok
    assert not results["bucket lantern"].ok and results["bucket lantern"].attempts == 3
    bucket.refresh_from_db()
    assert bucket.last_status == MirrorTarget.Status.FAILED and bucket.needs_full_sync
    assert bucket.last_report.startswith("failed after 3 attempt(s)")
    assert "attempt 3: Could not connect to the endpoint URL" in bucket.last_report

    # The next build changes one page; the bucket, now reachable, gets the whole bundle.
    MirrorTarget.objects.filter(pk=bucket.pk).update(endpoint_url=s3.url)
    changed, removed = rebuild(bundle, key, write={"en/index.html": b"new front"}, delete=[])
    results = {r.name: r for r in sync_targets(bundle, changed=changed, removed=removed)}

    assert results["dir copy"].ok and results["dir copy"].sent == 3
    assert results["bucket lantern"].ok and results["bucket lantern"].full
    assert s3.keys("lantern") == set(every_file(bundle))
    assert s3.puts("lantern")[-2:] == [MANIFEST, SIGNATURE]
    bucket.refresh_from_db()
    assert bucket.last_status == MirrorTarget.Status.OK and not bucket.needs_full_sync


def test_without_enabled_targets_nothing_happens(db: Any, bundle: Path) -> None:
    assert sync_targets(bundle, changed=["en/index.html"], removed=[]) == []


def test_a_bundle_without_a_manifest_fails_a_full_sync_with_a_clear_report(
    db: Any, bundle: Path, tmp_path: Path
) -> None:
    (bundle / MANIFEST).unlink()
    copy = tmp_path / "copy"
    copy.mkdir()
    target = directory_target(copy)

    [result] = sync_targets(bundle, changed=[], removed=[], retry_delays=())

    assert not result.ok
    target.refresh_from_db()
    assert "manifest.json: cannot be read from the bundle" in target.last_report
    assert list(copy.iterdir()) == []


# The admin ------------------------------------------------------------------------------


def editor_client() -> Client:
    user = User.objects.create_user("editor", "editor@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    log_in(client, user)
    return client


S3_FORM = {
    "name": "Backup bucket",
    "kind": "s3",
    "enabled": "on",
    "path": "",
    "bucket": "lantern-mirror",
    "prefix": "site",
    "endpoint_url": "https://s3.example.net",
    "region": "eu-central-1",
    "access_key_id": "AKIAEXAMPLE",
    "secret_access_key": "very-secret-key",
    "command": "",
    "timeout": "600",
    "needs_full_sync": "on",
}


def test_a_superuser_adds_a_bucket_and_never_sees_its_secret_again(
    admin_client: Client, site_tree: Any
) -> None:
    assert "/admin/mirror-targets/" in admin_client.get("/admin/").content.decode()

    form = admin_client.get("/admin/mirror-targets/new/").content.decode()
    assert "S3 bucket" in form and "Directory on this server" in form and "Command" in form
    response = admin_client.post("/admin/mirror-targets/new/", S3_FORM)

    assert response.status_code == 302
    target = MirrorTarget.objects.get()
    assert (target.bucket, target.secret_access_key) == ("lantern-mirror", "very-secret-key")
    assert target.last_status == MirrorTarget.Status.NEVER and target.needs_full_sync
    listing = admin_client.get("/admin/mirror-targets/").content.decode()
    assert "Backup bucket" in listing and "not synced yet" in listing
    edit = admin_client.get(f"/admin/mirror-targets/edit/{target.pk}/").content.decode()
    assert "AKIAEXAMPLE" in edit and "very-secret-key" not in edit
    inspect = admin_client.get(f"/admin/mirror-targets/inspect/{target.pk}/").content.decode()
    assert "very-secret-key" not in inspect

    # Saved again with the secret left empty: the key stays; a new bucket gets everything.
    MirrorTarget.objects.filter(pk=target.pk).update(needs_full_sync=False)
    again = admin_client.post(
        f"/admin/mirror-targets/edit/{target.pk}/",
        {**S3_FORM, "secret_access_key": "", "bucket": "lantern-mirror-2", "needs_full_sync": ""},
    )
    assert again.status_code == 302
    target.refresh_from_db()
    assert target.secret_access_key == "very-secret-key"
    assert target.bucket == "lantern-mirror-2" and target.needs_full_sync


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"bucket": ""}, "An S3 target needs a bucket."),
        ({"bucket": "Lantern_Mirror"}, "Enter a bucket name"),
        ({"secret_access_key": ""}, "Give both the access key ID and the secret access key"),
        ({"kind": "directory", "path": "srv/mirror"}, "Enter an absolute path"),
        ({"kind": "directory", "path": "/srv/../etc"}, "Enter an absolute path"),
        ({"kind": "directory", "path": "/"}, "cannot be the root directory"),
        ({"kind": "command", "command": "rsync 'unclosed"}, "The command cannot be read"),
        ({"kind": "command", "command": ""}, "A command target needs a command."),
    ],
)
def test_a_target_that_cannot_work_is_refused_with_the_reason(
    admin_client: Client, site_tree: Any, fields: dict[str, str], error: str
) -> None:
    response = admin_client.post("/admin/mirror-targets/new/", {**S3_FORM, **fields})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not MirrorTarget.objects.exists()


def test_a_directory_in_or_around_the_bundle_or_the_data_is_refused(
    admin_client: Client, site_tree: Any, bundle: Path, settings: Any
) -> None:
    for path, error in [
        (bundle / "en", "lie inside the bundle or the data directory"),
        (settings.DATA_DIR / "media", "lie inside the bundle or the data directory"),
        (bundle.parent, "cannot contain the bundle or the data directory"),
        (settings.DATA_DIR.parent, "cannot contain the bundle or the data directory"),
    ]:
        form = {**S3_FORM, "kind": "directory", "path": str(path)}
        response = admin_client.post("/admin/mirror-targets/new/", form)
        assert error in response.content.decode()
    good = {**S3_FORM, "kind": "directory", "path": str(bundle.parent / "copy")}
    assert admin_client.post("/admin/mirror-targets/new/", good).status_code == 302


def test_an_editor_can_neither_see_nor_add_targets(
    admin_client: Client, site_tree: Any, tmp_path: Path
) -> None:
    directory_target(tmp_path / "copy")
    editor = editor_client()

    assert "/admin/mirror-targets/" not in editor.get("/admin/").content.decode()
    response = editor.get("/admin/mirror-targets/")
    assert response.status_code in {302, 403}
    assert "dir copy" not in response.content.decode()
    form = {**S3_FORM, "kind": "command", "command": "touch /tmp/owned"}
    assert editor.post("/admin/mirror-targets/new/", form).status_code in {302, 403}
    assert MirrorTarget.objects.count() == 1
    # Nor can a superuser hand the right to a group: the group form does not offer it.
    group = Group.objects.get(name="Editors")
    group_form = admin_client.get(f"/admin/groups/edit/{group.pk}/").content.decode().lower()
    assert "can change mirror<" in group_form and "can change mirror target" not in group_form
