"""The service worker as the app and the bundle serve it, and the signed mirror list."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client

from samizdat.mirrors import bundle, manifest
from samizdat.mirrors.models import Mirror
from samizdat.mirrors.nginx import nginx_conf

pytestmark = pytest.mark.django_db

ONION = "http://lanternxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqr.onion"


def key_file(path: Path) -> tuple[Path, bytes]:
    private, public = manifest.generate_key()
    path.write_bytes(private)
    return path, public


def raw(public_pem: bytes) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(public_pem)
    assert isinstance(key, Ed25519PublicKey)
    data = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(data).decode()


def worker_config(script: bytes) -> dict[str, Any]:
    first = script.decode().split("\n", 1)[0]
    assert first.startswith("const CONFIG = ") and first.endswith(";")
    return dict(json.loads(first.removeprefix("const CONFIG = ").removesuffix(";")))


@pytest.fixture
def signed(settings: Any, tmp_path: Path, site_tree: Any) -> bytes:
    path, public = key_file(tmp_path / "signing.pem")
    settings.BUNDLE_SIGNING_KEY = str(path)
    settings.ONION_URL = ONION
    Mirror.objects.create(url="https://second.example/copy", sort_order=2)
    Mirror.objects.create(url="https://first.example/", sort_order=1)
    Mirror.objects.create(url="https://hidden.example/", public=False)
    return public


def test_the_worker_carries_the_key_the_mirrors_and_the_wording(
    client: Client, signed: bytes
) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    # Its own policy: the worker reaches the mirrors of any list it adopts.
    assert "connect-src *" in response["Content-Security-Policy"]
    config = worker_config(response.content)
    assert config["key"] == raw(signed)
    assert config["mirrors"] == [
        "https://first.example/",
        "https://second.example/copy/",
        ONION + "/",
    ]
    assert config["onion"] == ONION + "/"
    assert config["onApp"] is True and config["reachCounts"] is True
    assert config["timeout"] == 4000
    assert "mirror" in config["notice"]["en"]["text"]
    assert config["notice"]["ru"]["text"].startswith("Адрес сайта не ответил")
    assert "crypto.subtle.verify" in response.content.decode()


def test_counts_are_off_when_the_newsroom_says_so(
    client: Client, signed: bytes, settings: Any
) -> None:
    settings.REACH_COUNTS = False
    assert worker_config(client.get("/sw.js").content)["reachCounts"] is False


def test_the_mirror_list_is_signed_by_the_key_and_served_to_any_origin(
    client: Client, signed: bytes
) -> None:
    listed = client.get("/mirrors.json")
    signature = client.get("/mirrors.json.sig")
    assert listed["Access-Control-Allow-Origin"] == "*"
    assert signature["Access-Control-Allow-Origin"] == "*"
    document = json.loads(listed.content)
    assert document["key"] == raw(signed)
    assert document["mirrors"][0] == "https://first.example/"
    assert "https://hidden.example/" not in document["mirrors"]
    lines = signature.content.decode().split()
    assert len(lines) == 1
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["key"]))
    key.verify(base64.b64decode(lines[0]), listed.content)
    with pytest.raises(InvalidSignature):
        key.verify(base64.b64decode(lines[0]), listed.content.replace(b"first", b"evil."))


def test_a_new_key_is_signed_by_the_previous_one_too(
    client: Client, signed: bytes, settings: Any, tmp_path: Path
) -> None:
    """Key rotation: the list names the new key and carries the old key's signature, so a
    worker that trusts the old key adopts the new one."""
    settings.BUNDLE_PREVIOUS_SIGNING_KEY = settings.BUNDLE_SIGNING_KEY
    path, new = key_file(tmp_path / "new.pem")
    settings.BUNDLE_SIGNING_KEY = str(path)
    listed = client.get("/mirrors.json").content
    assert json.loads(listed)["key"] == raw(new)
    lines = client.get("/mirrors.json.sig").content.decode().split()
    assert len(lines) == 2
    Ed25519PublicKey.from_public_bytes(base64.b64decode(raw(new))).verify(
        base64.b64decode(lines[0]), listed
    )
    Ed25519PublicKey.from_public_bytes(base64.b64decode(raw(signed))).verify(
        base64.b64decode(lines[1]), listed
    )


def test_without_a_key_there_is_no_signature(client: Client, site_tree: Any) -> None:
    assert client.get("/mirrors.json.sig").status_code == 404
    assert json.loads(client.get("/mirrors.json").content)["key"] == ""
    assert worker_config(client.get("/sw.js").content)["key"] == ""


def test_reader_pages_register_the_worker_and_carry_the_site_header(
    client: Client, newsroom: dict[str, Any]
) -> None:
    response = client.get("/en/news/court-opens-trial/")
    assert response["Samizdat-Site"] == "1"
    assert "worker-src 'self'" in response["Content-Security-Policy"]
    assert b"static/samizdat/failover.js?v=" in response.content
    offline = client.get("/ru/offline/")
    assert offline.status_code == 200
    assert b'<meta name="robots" content="noindex">' in offline.content


def test_the_bundle_holds_the_worker_the_list_and_the_offline_pages(
    signed: bytes, newsroom: dict[str, Any], tmp_path: Path
) -> None:
    root = tmp_path / "bundle"
    bundle.build_bundle(root)
    config = worker_config((root / "sw.js").read_bytes())
    # A copy's server (a bucket) cannot send the site's header, and a copy reports nothing.
    assert config["onApp"] is False and config["reachCounts"] is False
    assert config["key"] == raw(signed)
    listed = (root / "mirrors.json").read_bytes()
    signature = (root / "mirrors.json.sig").read_bytes()
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(raw(signed)))
    key.verify(base64.b64decode(signature.split()[0]), listed)
    for code in ("en", "ru"):
        assert (root / code / "offline" / "index.html").is_file()
    assert manifest.verify(root, public_key_pem=signed) == []
    listed_files = {f["path"] for f in json.loads((root / "manifest.json").read_bytes())["files"]}
    assert {"sw.js", "mirrors.json", "mirrors.json.sig"} <= listed_files


def test_nginx_serves_the_worker_with_its_own_policy(signed: bytes, tmp_path: Path) -> None:
    conf = nginx_conf(server_name="lantern.example", bundle_dir=tmp_path, app=None)
    block = conf.split("location = /sw.js {", 1)[1].split("}", 1)[0]
    assert 'Cache-Control "no-cache"' in block
    assert "connect-src *" in block and "script-src" not in block
    assert 'Access-Control-Allow-Origin "*"' in block
    assert 'add_header Samizdat-Site "1" always;' in conf
