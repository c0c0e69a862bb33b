"""nginx serving the static bundle as the public site, with only the dynamic paths proxied.

``nginx_conf`` returns one ``server`` block (what goes into ``sites-enabled``); it relies on
the ``http`` block of Debian's ``/etc/nginx/nginx.conf`` for ``mime.types`` and on
``/etc/nginx/modules-enabled``, where ``libnginx-mod-http-brotli-static`` loads itself.
``standalone_conf`` wraps such a block into a whole configuration that runs without root,
every file in one directory (tests, benchmarks, trying a bundle out).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.encoding import iri_to_uri

from samizdat.core import hooks
from samizdat.core.middleware import SITE_HEADER, content_security_policy
from samizdat.mirrors.failover import WORKER, WORKER_CONTENT_SECURITY_POLICY

# Paths only the app can answer, under every language or none. Everything else is a file of
# the bundle (reader pages, feeds, sitemaps, robots.txt, assets, renditions), or, when it is
# not, the app's answer (a restricted page) or a 404.
DYNAMIC_PREFIXES = (
    "/admin/",  # Wagtail admin: staff, sessions, CSRF
    "/documents/",  # Wagtail documents, served with their privacy rules
    "/newsletter/",  # signup, ALTCHA challenge, confirm, unsubscribe (not /<lang>/newsletter/)
    "/donate/",  # the donate page, checkout, thanks, managing a gift
    "/webhooks/",  # payment providers and mail services
    "/_util/",  # Wagtail's password-protected page form
    "/reach/",  # failovers readers' browsers report (counts only)
)
HTML_CACHE = "public, max-age=300"
ASSET_CACHE = "public, max-age=31536000, immutable"
# Renditions: every one may be served (never an original; documents below).
PUBLIC_MEDIA = "/media/images/"
# Documents the public pages link, copied into the bundle (publishing/documents.py), and audio,
# video and subtitles: only the bundle's copy is served, and briefly cached: a takedown removes it.
PUBLIC_DOCUMENTS = "/media/documents/"
BUNDLE_ONLY_MEDIA = ("/media/media/", PUBLIC_DOCUMENTS)
# Files the bundle does not hold (the admin's assets, renditions not on any public page).
COLLECTED_CACHE = "public, max-age=86400"
# What the object store answers that readers need not see: its cookies, caching (ours is
# added), and what says which store and which request it was.
STORE_HEADERS = (
    "Set-Cookie",
    "Cache-Control",
    "Expires",
    "Server",
    "x-amz-request-id",
    "x-amz-id-2",
    "x-amzn-requestid",
    "x-amz-version-id",
    "x-amz-server-side-encryption",
    "x-amz-storage-class",
    "x-amz-expiration",
    "x-amz-replication-status",
    "x-amz-content-sha256",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc64nvme",
)
# What core.middleware.security_headers adds besides the CSP.
PERMISSIONS_POLICY = "interest-cohort=(), browsing-topics=()"
BROTLI_STATIC_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
MIME_TYPES = Path("/etc/nginx/mime.types")

_WORDS = re.compile(r"[\w.*~:=\[\]-]+( [\w.*~:=\[\]-]+)*")
_APP = re.compile(r"(unix:/[\w./-]+|[\w.-]+:\d+|\[[0-9a-fA-F:]+\]:\d+)")
_UNSAFE = re.compile(r'["\\$;{}\s]')
_ORIGIN = re.compile(r"https?://[\w.-]+(?::\d+)?")


def nginx_conf(
    *,
    server_name: str,
    bundle_dir: Path,
    app: str | None = "127.0.0.1:8000",
    listen: str = "80",
    brotli: bool = True,
    static_root: Path | None = None,
    media_root: Path | None = None,
    rewrite: tuple[str, str] | None = None,
    app_log: Path | None = None,
    media_store: str | None = None,
    reach_log: Path | None = None,
    redirects: Sequence[tuple[str, str]] = (),
) -> str:
    """The ``server`` block serving ``bundle_dir`` and proxying the dynamic paths to ``app``.

    ``redirects`` (old path, new URL) answer 301 without the app: the front page's query
    addresses (``/?p=12``) before anything else, paths where the bundle has no file (as the
    app answers its redirects only where a page is missing). See ``redirect_maps``.

    ``app_log`` logs what is proxied to the app there, in a format of its own (the
    ``log_format`` before the block): time, method, path, status, size and duration; no query
    string (links carry their tokens there) and no client address. Readers' requests for the
    bundle's files are never logged.

    ``reach_log`` logs readers' requests for the bundle's files there, in ``REACH_LOG_FORMAT``
    (see there): what decides where a read came from, and nothing about who read.

    ``rewrite`` (site origin, onion origin) makes the block serve the onion address: pages
    leave their absolute links and forms (to the site) on the onion, also without JavaScript.

    ``app`` is gunicorn's address (``host:port`` or ``unix:/path``); None serves the bundle
    alone (a mirror: its forms post to the app's own address). ``static_root`` and
    ``media_root`` (collectstatic's output and the uploads) answer for ``/static/`` files and
    ``/media/images/`` renditions the bundle does not have, such as the admin's assets; documents
    (``/media/documents/``) are served from the bundle alone, which holds those the public pages
    link; every other ``/media/`` address (originals) is a 404. ValueError when an
    argument would not make a valid, single configuration value.
    """
    if not _WORDS.fullmatch(server_name):
        raise ValueError(f"{server_name!r} is not a server name (or names separated by spaces).")
    if not _WORDS.fullmatch(listen):
        raise ValueError(f"{listen!r} is not a listen address, e.g. 80 or '443 ssl'.")
    if app is not None and not _APP.fullmatch(app):
        raise ValueError(f"{app!r} is not an app address: host:port or unix:/path.")
    bundle = _path(bundle_dir)
    headers = [*_security_headers(tls="ssl" in listen.split()), *CORS_HEADER]
    worker_headers = [
        *(line for line in headers if "Content-Security-Policy" not in line),
        f'        add_header Content-Security-Policy "{WORKER_CONTENT_SECURITY_POLICY}" always;',
    ]
    proxy: list[str] = []
    preamble: list[str] = []
    if app is not None:
        upstream = f"http://{app}:" if app.startswith("unix:") else f"http://{app}"
        if app_log is not None:
            # log_format belongs to the http block; a name of this server's own, since the
            # main site's and the onion's blocks may both be included.
            log_format = _suffixed("samizdat_app", server_name)
            preamble = [
                "# What reaches the app is logged by path only: no query string (where links",
                "# carry their tokens), no client address.",
                f'log_format {log_format} \'$time_iso8601 "$request_method $uri" $status '
                "$body_bytes_sent $request_time';",
            ]
            proxy.append(f"        access_log {_path(app_log)} {log_format};")
        proxy += [
            f"        proxy_pass {upstream};",
            "        proxy_set_header Host $host;",
            "        proxy_set_header X-Forwarded-Proto $scheme;",
            "        proxy_set_header X-Forwarded-For $remote_addr;",
        ]
        if rewrite is not None:
            proxy.append('        proxy_set_header Accept-Encoding "";  # for sub_filter')
    reach: list[str] = []
    if reach_log is not None:
        preamble += reach_log_format(server_name, onion=rewrite is not None)
        reach = [
            f"        access_log {_path(reach_log)} {_suffixed('samizdat_reach', server_name)};"
        ]
    moved: list[str] = []
    old_path: list[str] = []
    if redirects:
        maps, query_moved, path_moved = redirect_maps(redirects, server_name, sizes=rewrite is None)
        preamble += maps
        moved = [
            "    # Old addresses with a query (/?p=12) lead on before anything else is looked at.",
            f"    if ({query_moved}) {{ return 301 {query_moved}; }}",
            "",
        ]
        old_path = [f"        if ({path_moved}) {{ return 301 {path_moved}; }}  # an old address"]
    compression = [
        "    # The bundle holds x.gz (and x.br) next to every text file: sent as they are.",
        "    gzip_static on;",
        *(["    brotli_static on;"] if brotli else []),
        "    gzip_vary on;",
    ]
    if rewrite is not None:
        site, onion = rewrite
        if not (_ORIGIN.fullmatch(site) and _ORIGIN.fullmatch(onion)):
            raise ValueError(f"{site!r} or {onion!r} is not an origin like http://host.")
        compression = [
            "    # An onion's name (62 characters) beside the site's may need, in the http block:",
            "    #     server_names_hash_bucket_size 128;",
            "    # The onion: links and forms to the site lead to the onion instead, also",
            "    # without JavaScript. Rewritten pages are compressed as they are sent.",
            f"    sub_filter '{site}/' '{onion}/';",
            "    sub_filter_once off;",
            "    gzip on;",
            "    gzip_types text/css application/javascript application/rss+xml",
            "               application/atom+xml application/xml image/svg+xml;",
            "    gzip_vary on;",
        ]
    feed_missing: list[str] = []
    if old_path:  # an old site's feed at the same address as a feed here (/feed/rss/)
        fallback = "@app" if app is not None else "@moved"
        feed_missing = [f"            try_files ${{uri}}index.xml $uri {fallback};"]
    if app is not None:
        missing = [
            "        # /en/news to /en/news/. What is no file goes to the app: pages behind a",
            "        # password or a login, pages not baked yet, and its own 404 page.",
            "        try_files ${uri}index.html $uri $uri/ @app;",
        ]
    else:
        missing = [
            "        # /en/news to /en/news/.",
            f"        try_files ${{uri}}index.html $uri $uri/ {'@moved' if old_path else '=404'};",
        ]
    lines = [
        "# samizdat: readers get the static bundle"
        + ("; the dynamic paths and what is no file reach the app." if app is not None else "."),
        "# Made by `samizdat mirror nginx-conf`: make it again when the site's settings change",
        "# (payment providers, app origins and the onion address are in the headers below).",
        "# A server block for sites-enabled: Debian's nginx.conf provides mime.types and loads",
        "# the brotli module from modules-enabled.",
        *preamble,
        "server {",
        f"    listen {listen};",
        f"    server_name {server_name};",
        "",
        f"    root {bundle};",
        "    index index.html index.xml;",
        "    error_page 404 /404.html;",
        "    absolute_redirect off;  # /en/news -> /en/news/ works behind TLS proxies and onions",
        "    server_tokens off;",
        "    charset utf-8;",
        "    charset_types text/css text/plain text/xml application/javascript application/json",
        "                  application/rss+xml application/atom+xml application/xml image/svg+xml;",
        "    access_log off;  # readers' addresses are not kept",
        "    log_not_found off;  # nor in the error log, for every missing file",
        "",
        *moved,
        *compression,
        "    etag on;  # the default: a file's mtime and size; If-None-Match gets 304",
        "",
        "    location / {",
        "        # A page is a directory's index.html: tried first, it is served without the",
        "        # index module's internal redirect (as fast as any file); $uri/ redirects",
        *missing,
        *reach,
        f'        add_header Cache-Control "{HTML_CACHE}";',
        *headers,
        "        # Feeds are index.xml files; these locations keep the headers above.",
        "        location ~ /feed/rss/(?:index\\.xml)?$ {",
        "            types { application/rss+xml xml; }",
        *feed_missing,
        "        }",
        "        location ~ /feed/atom/(?:index\\.xml)?$ {",
        "            types { application/atom+xml xml; }",
        *feed_missing,
        "        }",
        "        location ~ ^/(?:news-)?sitemap(?:-[\\w-]+)?\\.xml$ {",
        "            types { application/xml xml; }",
        "        }",
        "    }",
        "",
        "    # The service worker: browsers look for a new one at every visit; its own policy",
        "    # lets it read the mirrors of the signed list it adopts.",
        f"    location = /{WORKER} {{",
        '        add_header Cache-Control "no-cache";',
        *worker_headers,
        "    }",
        "",
        "    # Content-named or ?v=<hash> links: a new version is a new address.",
    ]
    collected = {"static": static_root, "media": media_root} if app is not None else {}
    store = _media_store(media_store) if media_store is not None else None
    if store is not None:
        collected["media"] = None
    # Of the uploads only renditions are public: never an original (what the camera wrote)
    # or a document file (the app serves documents, with their privacy rules).
    for name, prefix in (("static", "/static/"), ("media", PUBLIC_MEDIA)):
        # try_files' last argument is a URI (an internal redirect), the others files.
        fallback = "/_collected$uri" if collected.get(name) is not None else "=404"
        if name == "media" and store is not None:
            fallback = "@media_store"
        lines += [
            f"    location ^~ {prefix} {{",
            f"        try_files $uri {fallback};",
            f'        add_header Cache-Control "{ASSET_CACHE}";',
            *headers,
            "    }",
        ]
    # Audio, video and subtitles: the files the bundle holds (those public stories link), with
    # the byte ranges players seek with. The app answers for other audio and video (to staff
    # previewing a draft); no document file ever reaches it here.
    for prefix in BUNDLE_ONLY_MEDIA:
        to_app = app is not None and prefix == "/media/media/"
        lines += [
            f"    location ^~ {prefix} {{",
            f"        try_files $uri {'@app' if to_app else '=404'};",
            f'        add_header Cache-Control "{HTML_CACHE}";',
            *headers,
            "    }",
        ]
    lines.append("    location ^~ /media/ { return 404; }")
    if store is not None:
        origin, path = store
        lines += [
            "    # Renditions the bundle lacks, from the uploads' bucket: only images/, none of",
            "    # the reader's headers (cookies, addresses) sent, nothing of the store's kept.",
            "    location @media_store {",
            f"        rewrite ^{PUBLIC_MEDIA}(.*)$ {path}/images/$1 break;",
            f"        proxy_pass {origin};",
            "        proxy_pass_request_headers off;",
            "        proxy_pass_request_body off;",
            f"        proxy_set_header Host {urlsplit(origin).netloc};",
            '        proxy_set_header Cookie "";',
            '        proxy_set_header Authorization "";',
            *(["        proxy_ssl_server_name on;"] if origin.startswith("https:") else []),
            "        proxy_method GET;",
            "        proxy_intercept_errors on;",
            "        error_page 403 404 =404 /404.html;",
            *(f"        proxy_hide_header {header};" for header in STORE_HEADERS),
            "        proxy_ignore_headers Set-Cookie Cache-Control Expires;",
            f'        add_header Cache-Control "{COLLECTED_CACHE}";',
            *headers,
            "    }",
        ]
    if any(root is not None for root in collected.values()):
        lines += [
            "    # What the bundle lacks: the admin's assets, renditions on no public page.",
            "    location ^~ /_collected/ {",
            "        internal;",
            f'        add_header Cache-Control "{COLLECTED_CACHE}";',
            *headers,
        ]
        for name, root in collected.items():
            if root is not None:
                lines += [
                    f"        location ^~ /_collected/{name}/ {{",
                    f"            alias {_path(root)}/;",
                    "        }",
                ]
        lines.append("    }")
    if app is not None:
        languages = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
        lines += [
            "",
            "    # The app sends its own headers (the admin's own CSP): nothing is added here.",
            f"    location ~ ^/(?:{languages})/search(?:/|$) {{",
            *proxy,
            "    }",
        ]
        for prefix in DYNAMIC_PREFIXES:
            body = [*proxy, "        client_max_body_size 64m;"] if prefix == "/admin/" else proxy
            lines += [f"    location ^~ {prefix} {{", *body, "    }"]
        lines.append("    location = /admin { return 301 /admin/; }  # what staff type")
        lines += [
            "    location @app {  # what location / has no file for",
            *old_path,
            *proxy,
            "    }",
        ]
    elif old_path:
        lines += ["    location @moved {  # what location / has no file for", *old_path]
        lines += ["        return 404;", "    }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def redirect_maps(
    redirects: Sequence[tuple[str, str]], server_name: str, *, sizes: bool
) -> tuple[list[str], str, str]:
    """The ``map`` lines (http block) of the old addresses, and the two variables they set:
    where a query address of the front page leads (``/?p=12``, ``/index.php?p=12``), and where
    a path leads (both "" for any other).

    Old paths are as Wagtail stores them (no trailing slash, decoded); nginx compares them
    with the address a browser asks for (``$request_uri``), percent-encoded, ignoring case,
    a path without its trailing slashes or query. A query address of another path is left to
    the app (where that path is a 404, as Wagtail's own). ``sizes`` adds the
    http block's hash sizes for that many entries (once per http block: the onion's block,
    beside the site's, leaves them to it). Entries that cannot be written safely are left out
    (the app still answers them).
    """
    request = "$" + _suffixed("samizdat_request", server_name)
    request_path = "$" + _suffixed("samizdat_request_path", server_name)
    query_moved = "$" + _suffixed("samizdat_moved_query", server_name)
    path_moved = "$" + _suffixed("samizdat_moved", server_name)
    by_query: dict[str, str] = {}
    by_path: dict[str, str] = {}
    for old, new in redirects:
        key, location = _request_key(old), _location(new)
        if key is None or location is None:
            continue
        if "?" in key and not key.startswith("/?"):
            continue  # a query on another path: the app answers it, where it is a 404
        (by_query if "?" in key else by_path).setdefault(key.lower(), location)
    longest = max((len(key) for key in (*by_query, *by_path)), default=0)
    lines = [
        "# Addresses of the old site (Settings → Redirects): 301 to where they are now.",
        "# Made by `samizdat mirror nginx-conf`: make it again after an import.",
    ]
    if sizes:
        # An entry takes its key's length (8-byte aligned) and a pointer in a bucket.
        entry = 8 + (longest + 2 + 7) // 8 * 8
        bucket = max(128, (entry + 8 + 63) // 64 * 64)
        hashed = max(2048, 1 << (2 * (len(by_query) + len(by_path))).bit_length())
        lines += [f"map_hash_max_size {hashed};", f"map_hash_bucket_size {bucket};"]
    else:
        lines.append(
            "# The site's block, beside this one, sets map_hash_max_size and _bucket_size."
        )
    lines += [
        f"map $request_uri {request} {{  # the front page's query addresses",
        '    "~^/(?:index\\.php)?(\\?.+)$" /$1;',
        '    default "";',
        "}",
        f"map $request_uri {request_path} {{  # without query or trailing slash",
        '    "~^(/[^?]*?)/*(?:\\?.*)?$" $1;',
        '    default "";',
        "}",
        f"map {request} {query_moved} {{",
        '    default "";',
        *(f'    "{key}" "{location}";' for key, location in by_query.items()),
        "}",
        f"map {request_path} {path_moved} {{",
        '    default "";',
        *(f'    "{key}" "{location}";' for key, location in by_path.items()),
        "}",
    ]
    return lines, query_moved, path_moved


_NOT_IN_QUOTES = re.compile(r'["\\\s\x00-\x1f\x7f]')


def _request_key(old_path: str) -> str | None:
    """``old_path`` as a browser asks for it (percent-encoded), or None when it cannot be a
    key of the map."""
    path, _mark, query = old_path.partition("?")
    key = iri_to_uri(path.rstrip("/") or "/") + (f"?{iri_to_uri(query)}" if query else "")
    if not key.startswith("/") or _NOT_IN_QUOTES.search(key) or "$" in key:
        return None
    return key


def _location(new: str) -> str | None:
    """``new`` as a Location nginx may send (a value of the map: no variables)."""
    location = iri_to_uri(new).replace("$", "%24")
    if not location.startswith(("/", "https://", "http://")) or _NOT_IN_QUOTES.search(location):
        return None
    return location


# Readers' requests, as samizdat.reach counts them: one line each, its fields separated by
# tabs, the path last (nginx writes bytes outside printable ASCII, tabs among them, as \xHH).
# No client address, port, user agent, referrer, query string, cookie or time of day: the
# day (the server's local day: run nginx with TZ=UTC), which server block answered ("onion"
# or "web"), the host asked for (the site's or a mirror's), the method, the status, the
# marker a newsletter's links carry (?via=newsletter, the same for every reader; any other
# value is written as "-") and the path.
REACH_LOG_VERSION = "samizdat-reach-1"
REACH_MARKERS = ("newsletter",)


def _suffixed(name: str, server_name: str) -> str:
    """A name of this server block's own: the main site's and the onion's blocks may both be
    included in one http block, where log formats and map variables live."""
    return name + "_" + re.sub(r"\W", "_", server_name.split()[0])


def reach_log_format(server_name: str, *, onion: bool) -> list[str]:
    """The ``map`` and ``log_format`` lines (http block) of the readers' log of a block."""
    day = "$" + _suffixed("samizdat_day", server_name)
    via = "$" + _suffixed("samizdat_via", server_name)
    markers = " ".join(f"{marker} {marker};" for marker in REACH_MARKERS)
    fields = [
        REACH_LOG_VERSION,
        day,
        "onion" if onion else "web",
        "$host",
        "$request_method",
        "$status",
        via,
        "$uri",
    ]
    tab = "\\t"  # in a quoted string nginx reads a backslash and t as a tab
    return [
        "# Readers' requests are counted by where they came from, never by who made them: the",
        "# day without its time, the host, the path and status, a newsletter's marker; no",
        "# client address, user agent, referrer or query string.",
        f'map $time_iso8601 {day} {{ "~^(\\d{{4}}-\\d\\d-\\d\\d)" $1; default -; }}',
        f"map $arg_via {via} {{ default -; {markers} }}",
        f"log_format {_suffixed('samizdat_reach', server_name)} '{tab.join(fields)}';",
    ]


def site_conf(
    *,
    server_name: str | None,
    bundle_dir: Path | None,
    app: str | None,
    listen: str,
    brotli: bool,
    onion: bool = False,
    app_log: Path | None = None,
    reach_log: Path | None = None,
) -> str:
    """``nginx_conf`` for this installation: its host, bundle, collected static files and
    uploads; with ``onion``, the block for ``SAMIZDAT_ONION_URL``."""
    rewrite = None
    if onion:
        if not settings.ONION_URL:
            raise ValueError("Set SAMIZDAT_ONION_URL first: the block serves that address.")
        rewrite = (settings.SITE_URL, settings.ONION_URL)
        server_name = server_name or urlsplit(settings.ONION_URL).hostname
    return nginx_conf(
        rewrite=rewrite,
        server_name=server_name or urlsplit(settings.SITE_URL).hostname or "_",
        bundle_dir=bundle_dir or Path(settings.BUNDLE_DIR),
        app=app,
        listen=listen,
        brotli=brotli,
        static_root=Path(settings.STATIC_ROOT),
        media_root=None if settings.MEDIA_BUCKET else Path(settings.MEDIA_ROOT),
        app_log=app_log,
        reach_log=reach_log,
        media_store=media_store_url(),
        redirects=[pair for found in hooks.registered(hooks.NGINX_REDIRECTS) for pair in found()],
    )


def media_store_url() -> str | None:
    """The uploads' bucket as nginx reaches it (path-style, with ``SAMIZDAT_MEDIA_PREFIX``):
    ``SAMIZDAT_S3_ENDPOINT_URL/<bucket>[/<prefix>]``, AWS's regional endpoint when that is
    empty; None when the uploads are on the disk."""
    if not settings.MEDIA_BUCKET:
        return None
    endpoint = settings.S3_ENDPOINT_URL or (
        f"https://s3.{settings.S3_REGION or 'us-east-1'}.amazonaws.com"
    )
    parts = [endpoint.rstrip("/"), settings.MEDIA_BUCKET, settings.MEDIA_PREFIX.strip("/")]
    return "/".join(part for part in parts if part)


def media_bucket_policy(bucket: str, prefix: str = "") -> str:
    """The uploads' bucket policy for nginx (JSON): anyone may read the renditions, nothing
    else; originals, documents, audio and video stay private (the app reads them with its
    keys). Add a ``Condition`` on ``aws:SourceIp`` to let only the nginx nodes read."""
    folder = f"{prefix.strip('/')}/images/*" if prefix.strip("/") else "images/*"
    statement = {
        "Sid": "RenditionsAreReadByTheWebServers",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/{folder}",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


def _media_store(url: str) -> tuple[str, str]:
    """(origin, path) of the bucket's address, each safe to write into the configuration."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if not _ORIGIN.fullmatch(origin) or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not an object store address like http://host/bucket.")
    if not path or not re.fullmatch(r"(/[\w.~-]+)+", path) or "/../" in path + "/":
        raise ValueError(f"{url!r} names no bucket (path-style: http://host/bucket/prefix).")
    return origin, path


def standalone_conf(
    *,
    server_conf: Path,
    workdir: Path,
    modules: Sequence[Path] = (),
    mime_types: Path = MIME_TYPES,
    workers: int | str = "auto",
) -> str:
    """A whole nginx.conf including ``server_conf``, with its pid, logs and temp files in
    ``workdir``: for ``nginx -p WORKDIR -c FILE -g 'daemon off;'`` as any user."""
    work = _path(workdir)
    lines = [f"load_module {_path(module)};" for module in modules]
    if os.geteuid() == 0:
        # Workers would otherwise run as nobody and could not read a private bundle directory.
        lines.append("user root root;")
    lines += [
        f"worker_processes {workers};",
        f"pid {work}/nginx.pid;",
        f"error_log {work}/error.log;",
        "events { worker_connections 1024; }",
        "http {",
        f"    include {_path(mime_types)};",
        "    default_type application/octet-stream;",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    access_log off;",
        "    server_names_hash_bucket_size 128;  # an onion's name (62 characters) beside others",
        *(
            f"    {kind}_temp_path {work}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        f"    include {_path(server_conf)};",
        "}",
    ]
    return "\n".join(lines) + "\n"


def nginx_binary() -> str | None:
    """The nginx program, also where /usr/sbin is not on the PATH."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def brotli_module() -> Path | None:
    """Debian's brotli_static module, when installed (libnginx-mod-http-brotli-static)."""
    return BROTLI_STATIC_MODULE if BROTLI_STATIC_MODULE.exists() else None


# The bundle's files are public: a reader's browser that opened the site elsewhere (its
# service worker failing over from a blocked address) may read them from here. No credentials.
CORS_HEADER = ['        add_header Access-Control-Allow-Origin "*" always;']


def _security_headers(*, tls: bool) -> list[str]:
    """The headers the app adds to reader pages, on every answer (``always``: 404s too).

    add_header in a location replaces every inherited one, so each location lists them all.
    """
    values = [
        ("Content-Security-Policy", content_security_policy()),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        SITE_HEADER,
    ]
    if tls and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        hsts += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
        hsts += "; preload" if settings.SECURE_HSTS_PRELOAD else ""
        values.append(("Strict-Transport-Security", hsts))
    lines = []
    for name, value in values:
        if value:
            lines.append(f'        add_header {name} "{_value(value)}" always;')
    if settings.ONION_URL:
        lines.append(
            f'        add_header Onion-Location "{_value(settings.ONION_URL)}$request_uri" always;'
        )
    return lines


def _value(value: str) -> str:
    if re.search(r'["\\$\n\r]', value):
        raise ValueError(f"{value!r} cannot be written as an nginx header value.")
    return value


def _path(path: Path) -> str:
    absolute = str(Path(path).absolute())
    if _UNSAFE.search(absolute):
        raise ValueError(f"{absolute!r}: nginx paths here may not hold spaces, quotes, $ ; {{ }}.")
    return absolute
