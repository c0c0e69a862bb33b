"""The one settings module: every value comes from a ``SAMIZDAT_*`` environment variable."""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"SAMIZDAT_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = env_bool("DEBUG")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        sys.exit("samizdat: set SAMIZDAT_SECRET_KEY (or SAMIZDAT_DEBUG=1 for a local demo).")
    # A local demo keeps a generated key in its data directory so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()


def generated_key(name: str) -> str:
    """A key kept in the data directory of a local demo (never in production: a key beside
    the data it protects protects nothing)."""
    key_file = DATA_DIR / name
    if not key_file.exists():
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return key_file.read_text().strip()


# Encryption at rest of readers' and donors' addresses and names (core/crypto.py): the key
# that encrypts, older keys still read until `samizdat keys rotate` has rewritten everything,
# and the key of the digests that look-ups compare. Each is 32 bytes in URL-safe base64
# (`samizdat keys generate`).
DATA_KEY = env("DATA_KEY")
DATA_KEYS_OLD = env_list("DATA_KEYS_OLD")
LOOKUP_KEY = env("LOOKUP_KEY")
DATA_KEYS_GENERATED = not (DATA_KEY and LOOKUP_KEY)
if DATA_KEYS_GENERATED:
    if not DEBUG:
        sys.exit(
            "samizdat: set SAMIZDAT_DATA_KEY and SAMIZDAT_LOOKUP_KEY (`samizdat keys generate` "
            "prints a key; keep them apart from the backups), or SAMIZDAT_DEBUG=1 for a local demo."
        )
    DATA_KEY = DATA_KEY or generated_key("data_key")
    LOOKUP_KEY = LOOKUP_KEY or generated_key("lookup_key")
for _name, _key in [("DATA_KEY", DATA_KEY), ("LOOKUP_KEY", LOOKUP_KEY)] + [
    ("DATA_KEYS_OLD", old) for old in DATA_KEYS_OLD
]:
    try:
        _valid = len(base64.urlsafe_b64decode(_key.encode())) == 32
    except ValueError:
        _valid = False
    if not _valid:
        sys.exit(
            f"samizdat: SAMIZDAT_{_name} is not a key: it must be 32 random bytes in URL-safe "
            "base64 (`samizdat keys generate` prints one)."
        )

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "The Lantern")
_site_host = urlsplit(SITE_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or (
    ["127.0.0.1", "localhost", "[::1]", _site_host] if DEBUG else [_site_host]
)
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "samizdat.core",
    "samizdat.publishing",
    "samizdat.newsletter",
    "samizdat.donations",
    "samizdat.editions",
    "samizdat.mirrors",
    "samizdat.reach",
    "samizdat.importer",
    "anymail",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtailmedia",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "samizdat.core.middleware.cached_site",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "samizdat.core.middleware.security_headers",
    "samizdat.core.links.noreferrer_links",
    "samizdat.core.middleware.explained_refusals",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "samizdat.importer.middleware.old_query_addresses",
]

ROOT_URLCONF = "samizdat.urls"
WSGI_APPLICATION = "samizdat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "samizdat.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'samizdat.sqlite3'}"),
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Process memory: right for one process (the demo). Several web workers need a shared
    # cache (SAMIZDAT_REDIS_URL) so that one sees what another invalidated; `samizdat serve`
    # warns, and the values cached by the apps expire within minutes regardless.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CACHES["renditions"] = {
    **CACHES["default"],
    "TIMEOUT": 7 * 24 * 3600,
    "KEY_PREFIX": "rend",
}

# Background work runs from the database queue (django-tasks-db), on separate queues so that
# work never waits on unrelated work: `samizdat worker` runs each queue in a thread of its own.
TASK_QUEUES = {
    "mail": "mail a reader waits for: signup confirmations, receipts, manage links",
    "newsletter": "sending newsletter editions (a batch of letters a task, minutes an edition)",
    "default": "publishing: search indexing, image renditions, anything not named elsewhere",
    "bundle": "the static bundle: re-rendering what a change touched, and full builds",
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": list(TASK_QUEUES)}}
# A worker proves it is alive every few seconds (core/leases.py); a task RUNNING on a worker
# silent for TASK_LEASE seconds is run again, up to TASK_MAX_ATTEMPTS times in all.
TASK_LEASE = float(env("TASK_LEASE", "60"))
TASK_MAX_ATTEMPTS = int(env("TASK_MAX_ATTEMPTS", "3"))
# Finished tasks (their arguments are ids, their results counts) are deleted after this long.
TASK_RETENTION_HOURS = float(env("TASK_RETENTION_HOURS", "24"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


def languages(codes: list[str]) -> list[tuple[str, str]]:
    """(code, the language's own name) for each code of ``SAMIZDAT_LANGUAGES``."""
    from django.conf.locale import LANG_INFO

    result = []
    for code in dict.fromkeys(code.lower() for code in codes):
        info = LANG_INFO.get(code)
        if info is None or "name_local" not in info:
            sys.exit(
                f"samizdat: SAMIZDAT_LANGUAGES has {code!r}, which is not a language code "
                "Django knows (e.g. en, ru, uk, be, kk)."
            )
        name = str(info["name_local"])
        result.append((code, name[:1].upper() + name[1:]))
    return result


# The languages the newsroom publishes in, the first the default: pages, feeds, newsletter
# lists and the appeal exist in each; a catalogue in locale/<code>/ translates the interface.
LANGUAGES = languages(env_list("LANGUAGES", "en,ru"))
if not LANGUAGES:
    sys.exit("samizdat: SAMIZDAT_LANGUAGES names no language.")
LANGUAGE_CODE = LANGUAGES[0][0]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The installation's S3-compatible object store (empty endpoint: AWS itself), shared by the
# media bucket and the bundle bucket.
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL") or None
S3_REGION = env("S3_REGION") or None
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID") or None
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY") or None
# Uploads and renditions in a bucket (several machines): every node reads and writes the same
# files; a node's MEDIA_ROOT is then unused. The bucket stays private: the app (and nginx,
# `mirror nginx-conf`) serve /media/ from it, unless MEDIA_PUBLIC_URL names the address
# (a CDN or the bucket's own) where readers fetch `<that URL>/<name>` themselves.
MEDIA_BUCKET = env("MEDIA_BUCKET")
MEDIA_PREFIX = env("MEDIA_PREFIX").strip("/")
MEDIA_PUBLIC_URL = env("MEDIA_PUBLIC_URL").rstrip("/")


def media_bucket_storage(
    bucket: str,
    prefix: str,
    *,
    endpoint_url: str | None,
    region: str | None,
    access_key: str | None,
    secret_key: str | None,
) -> dict[str, Any]:
    """``STORAGES["default"]`` for uploads in ``bucket`` under ``prefix``: a file never
    overwrites another, no ACL is set (the bucket's policy rules) and URLs carry no
    signature (they are the site's own, see ``core.storage.MediaStorage``)."""
    return {
        "BACKEND": "samizdat.core.storage.MediaStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": prefix,
            "endpoint_url": endpoint_url,
            "region_name": region,
            "access_key": access_key,
            "secret_key": secret_key,
            "addressing_style": "path" if endpoint_url else None,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": False,
            # Files larger than this spool to a temporary file, not to memory.
            "max_memory_size": 4 * 1024 * 1024,
        },
    }


if MEDIA_BUCKET:
    STORAGES["default"] = media_bucket_storage(
        MEDIA_BUCKET,
        MEDIA_PREFIX,
        endpoint_url=S3_ENDPOINT_URL,
        region=S3_REGION,
        access_key=S3_ACCESS_KEY_ID,
        secret_key=S3_SECRET_ACCESS_KEY,
    )


def email_settings(url: str) -> dict[str, Any]:
    """Django email settings from ``SAMIZDAT_EMAIL_URL``.

    ``smtp://user:password@host:587`` (STARTTLS when the server offers it is not assumed:
    add ``?tls=1``), ``smtps://…:465`` (implicit TLS), ``esp://postmark`` (any django-anymail
    service; its keys come from ``SAMIZDAT_ANYMAIL_*``), ``console://``; empty: the local
    outbox ``DATA_DIR/outbox``, one ``.eml`` file per message, readable in the admin.
    """
    if not url:
        return {"EMAIL_BACKEND": "samizdat.newsletter.outbox.OutboxBackend"}
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "esp":
        return {"EMAIL_BACKEND": f"anymail.backends.{parts.hostname}.EmailBackend"}
    if scheme not in {"smtp", "smtps", "submission"}:
        sys.exit(f"samizdat: SAMIZDAT_EMAIL_URL has an unknown scheme {scheme!r}.")
    implicit_tls = scheme == "smtps"
    default_port = 465 if implicit_tls else 587 if scheme == "submission" else 25
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or default_port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": implicit_tls,
        "EMAIL_USE_TLS": not implicit_tls
        and (scheme == "submission" or query.get("tls", "") in {"1", "true", "yes"}),
        "EMAIL_TIMEOUT": float(query.get("timeout", "30")),
    }


EMAIL_URL = env("EMAIL_URL")
globals().update(email_settings(EMAIL_URL))
EMAIL_OUTBOX_DIR = DATA_DIR / "outbox"
ANYMAIL = {
    key.removeprefix("SAMIZDAT_ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("SAMIZDAT_ANYMAIL_")
}
_site_domain = (
    _site_host if "." in _site_host and not _site_host.replace(".", "").isdigit() else "localhost"
)
DEFAULT_FROM_EMAIL = env("FROM_EMAIL", f"{SITE_NAME} <newsletter@{_site_domain}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Production defaults pass `samizdat check --deploy`; a TLS-terminating proxy
# (nginx) is expected in front and sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 0 if DEBUG else int(env("HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD")
# Only the origin, also to other sites: a reader form on a mirror posts to the app, and under
# "same-origin" the browser would send "Origin: null", which reader forms refuse. Links to other
# sites on public pages carry rel="noreferrer" (core/links.py), so they learn nothing.
SECURE_REFERRER_POLICY = "strict-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# No log line holds an email address or a link's token: the code does not log them, and every
# handler redacts what looks like one anyway (core/logs.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "samizdat.core.logs.RedactPersonalData"},
        "refused_host": {"()": "samizdat.core.logs.RefusedHost"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # A request for a host we do not serve: one short line, no traceback, no address.
        "django.security.DisallowedHost": {"filters": ["refused_host"]},
        # SQL with its parameters (Django logs it at DEBUG when DEBUG is on) holds addresses.
        "django.db.backends": {"level": "INFO"},
    },
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Wagtail
WAGTAIL_SITE_NAME = SITE_NAME
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True
# Stories are indexed with the stems of their words in their own language (publishing/search.py):
# PostgreSQL only splits and lower-cases them, as SQLite's FTS5 does.
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "wagtail.search.backends.database", "SEARCH_CONFIG": "simple"}
}
WAGTAILIMAGES_FORMAT_CONVERSIONS = {"png": "webp", "jpeg": "webp", "gif": "webp"}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "rtf", "txt", "xlsx", "zip"]
# Subtitles and captions of audio and video (WebVTT, checked by publishing/forms.py).
WAGTAILDOCS_EXTENSIONS.append("vtt")
# Uploads lose their identifying metadata (publishing/metadata.py): only formats it cleans.
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_IMAGE_FORM_BASE = "samizdat.publishing.forms.ImageForm"
WAGTAILDOCS_DOCUMENT_FORM_BASE = "samizdat.publishing.forms.DocumentForm"
# Documents only through Wagtail's view (privacy rules apply); never /media/documents/, but
# for the subtitles public stories play (publishing/views.py media_file).
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Audio and video (wagtailmedia): only what browsers play with their own controls; the form
# checks the content too and strips tags (publishing/forms.py, publishing/audio_video.py).
WAGTAILMEDIA = {
    "MEDIA_FORM_BASE": "samizdat.publishing.forms.MediaForm",
    "AUDIO_EXTENSIONS": ["m4a", "mp3", "oga", "ogg", "opus"],
    "VIDEO_EXTENSIONS": ["m4v", "mp4", "webm"],
}
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILADMIN_COMMENTS_ENABLED = True

# Staff sign-in, the admin, and what production refuses (samizdat.staff, core/keys.py,
# core/checks.py, the admin's Content-Security-Policy in core/middleware.py).
if not DEBUG:
    from samizdat.core.keys import HOW_TO_MAKE_ONE, secret_key_problem

    if _key_problem := secret_key_problem(SECRET_KEY):
        sys.exit(f"samizdat: SAMIZDAT_SECRET_KEY {_key_problem}. Make one with: {HOW_TO_MAKE_ONE}")
AUTHENTICATION_BACKENDS = ["samizdat.staff.login.ThrottledBackend"]
WAGTAILADMIN_USER_LOGIN_FORM = "samizdat.staff.login.LoginForm"
# After this many failed sign-ins on one account name, or from one client address, within
# LOGIN_LOCKOUT_MINUTES, signing in to it (from it) is refused for LOGIN_LOCKOUT_MINUTES.
LOGIN_FAILURES_PER_ACCOUNT = int(env("LOGIN_FAILURES_PER_ACCOUNT", "5"))
LOGIN_FAILURES_PER_CLIENT = int(env("LOGIN_FAILURES_PER_CLIENT", "20"))
LOGIN_LOCKOUT_MINUTES = int(env("LOGIN_LOCKOUT_MINUTES", "15"))
# Staff pictures are uploaded ones or Wagtail's default: never gravatar.com, which would learn
# a digest of each address from every admin screen.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# samizdat
ARTICLES_PER_PAGE = int(env("ARTICLES_PER_PAGE", "20"))
# Podcast feeds (each section's audio stories, ``<section>/feed/podcast/``): the show's cover
# (a static file: a square PNG or JPEG of 1400 to 3000 px), its Apple Podcasts category and
# whether its episodes are explicit.
PODCAST_COVER = env("PODCAST_COVER", "samizdat/podcast-cover.png")
PODCAST_CATEGORY = env("PODCAST_CATEGORY", "News")
PODCAST_EXPLICIT = env("PODCAST_EXPLICIT", "false").strip().lower() in ("1", "true", "yes")

# Newsletter
NEWSLETTER_WEEKDAY = env("NEWSLETTER_WEEKDAY", "friday").strip().lower()
NEWSLETTER_TIME = env("NEWSLETTER_TIME", "09:00")
NEWSLETTER_CONNECTIONS = int(env("NEWSLETTER_CONNECTIONS", "2"))
NEWSLETTER_TASKS = int(env("NEWSLETTER_TASKS", "2"))
NEWSLETTER_BOUNCE_ADDRESS = env("NEWSLETTER_BOUNCE_ADDRESS")
NEWSLETTER_UNSUBSCRIBE_MAILTO = env("NEWSLETTER_UNSUBSCRIBE_MAILTO")
# A mailbox the mail server pipes to `samizdat newsletter receive`: readers who cannot reach the
# site subscribe by writing "subscribe" there, and confirm by replying. Unset: not offered.
NEWSLETTER_SUBSCRIBE_ADDRESS = env("NEWSLETTER_SUBSCRIBE_ADDRESS")
NEWSLETTER_CONFIRM_DAYS = int(env("NEWSLETTER_CONFIRM_DAYS", "7"))
NEWSLETTER_CLAIM_LEASE = float(env("NEWSLETTER_CLAIM_LEASE", "120"))
NEWSLETTER_RECORD_BATCH = int(env("NEWSLETTER_RECORD_BATCH", "50"))
NEWSLETTER_CLAIM_SIZE = int(env("NEWSLETTER_CLAIM_SIZE", "500"))
NEWSLETTER_FREEZE_SLICE = int(env("NEWSLETTER_FREEZE_SLICE", "20000"))
NEWSLETTER_RETRY_DELAYS = [float(x) for x in env_list("NEWSLETTER_RETRY_DELAYS", "2,10,60,300")]
NEWSLETTER_SIGNUPS_PER_HOUR = int(env("NEWSLETTER_SIGNUPS_PER_HOUR", "20"))
NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW = int(env("NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW", "5"))
NEWSLETTER_POW_MAX_NUMBER = int(env("NEWSLETTER_POW_MAX_NUMBER", "50000"))
# Public forms: origins allowed to post them besides SITE_URL (mirrors, onion), and how many
# reverse proxies in front of the app set X-Forwarded-For (0: use the socket address).
FORM_ORIGINS = [SITE_URL, *env_list("FORM_ORIGINS")]
TRUSTED_PROXIES = int(env("TRUSTED_PROXIES", "0"))

# Donations. The payment providers are packages (dotted paths), offered to readers in this
# order once each is configured; the demo provider only ever with SAMIZDAT_DEBUG on. Amounts,
# currencies and the appeal's words are edited in Settings → Donations.
DONATIONS_PROVIDERS = env_list(
    "DONATIONS_PROVIDERS",
    "samizdat.donations.providers.stripe,samizdat.donations.providers.demo,"
    "samizdat.donations.providers.btcpay,samizdat.donations.providers.bank",
)
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")  # an emulator; empty: Stripe itself
STRIPE_CHECKOUT_ORIGIN = env("STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com")
STRIPE_WEBHOOK_TOLERANCE = int(env("STRIPE_WEBHOOK_TOLERANCE", "300"))
BTCPAY_URL = env("BTCPAY_URL").rstrip("/")
BTCPAY_API_KEY = env("BTCPAY_API_KEY")
BTCPAY_STORE_ID = env("BTCPAY_STORE_ID")
BTCPAY_WEBHOOK_SECRET = env("BTCPAY_WEBHOOK_SECRET")
# Where readers pay, when BTCPay's public address differs from the one the app calls.
BTCPAY_CHECKOUT_ORIGIN = env("BTCPAY_CHECKOUT_ORIGIN")
DONATIONS_BANK_TRANSFER = env_bool("DONATIONS_BANK_TRANSFER", True)
DONATIONS_DEMO = DEBUG and env_bool("DONATIONS_DEMO", True)
DONATIONS_PROVIDER_TIMEOUT = float(env("DONATIONS_PROVIDER_TIMEOUT", "10"))
DONATIONS_EVENT_PAYLOAD_DAYS = int(env("DONATIONS_EVENT_PAYLOAD_DAYS", "30"))
# Pledged gifts (a bank transfer announced) still unpaid after this many days are deleted.
DONATIONS_PLEDGE_DAYS = int(env("DONATIONS_PLEDGE_DAYS", "60"))
DONATIONS_CHECKOUTS_PER_HOUR = int(env("DONATIONS_CHECKOUTS_PER_HOUR", "30"))
DONATIONS_MANAGE_LINK_HOURS = int(env("DONATIONS_MANAGE_LINK_HOURS", "24"))

# Mirrors. The static bundle of the public site lives in BUNDLE_DIR; `samizdat mirror check`
# compares each mirror with its manifest, reaching onion mirrors through TOR_PROXY
# (e.g. socks5h://127.0.0.1:9050). ONION_URL is announced with the Onion-Location header.
BUNDLE_DIR = Path(env("BUNDLE_DIR", str(DATA_DIR / "bundle")))
# The newsroom's Ed25519 private key (PEM file, `samizdat mirror keygen`): signs manifest.json.
BUNDLE_SIGNING_KEY = env("BUNDLE_SIGNING_KEY")
# While the signing key is being replaced: the old key's PEM file. It signs the mirror list
# (mirrors.json.sig) beside the new key, so readers' service workers that trust the old key
# adopt the new one; leave it set until every reader has visited once (weeks), then unset it.
BUNDLE_PREVIOUS_SIGNING_KEY = env("BUNDLE_PREVIOUS_SIGNING_KEY")
# The readers' service worker (sw.js): seconds it waits for this address before reading a
# mirror, and the megabytes of pages and assets it keeps for reading offline (oldest out first).
FAILOVER_TIMEOUT = max(0.5, float(env("FAILOVER_TIMEOUT", "4")))
FAILOVER_CACHE_MB = max(1.0, float(env("FAILOVER_CACHE_MB", "20")))
# Editions as files (editions/): the most stories a week's edition carries when no newsletter
# picked them, and whether every newsletter letter carries the week's file ("epub" or "html";
# empty, the default: letters only link it — the file makes each letter ~1 MB larger).
EDITION_STORIES = int(env("EDITION_STORIES", "20"))
EDITION_ATTACH = env("EDITION_ATTACH", "").strip().lower()
# Whether publishing keeps the bundle current (a background task after every change).
BUNDLE_AUTO_BUILD = env_bool("BUNDLE_AUTO_BUILD", True)
# How often the worker rebuilds the whole bundle (0: only when asked); also once at its start.
BUNDLE_FULL_BUILD_HOURS = float(env("BUNDLE_FULL_BUILD_HOURS", "24"))
# Processes that render a full build (the default: one per CPU core).
BUNDLE_JOBS = int(env("BUNDLE_JOBS", str(os.cpu_count() or 1)))
# One builder at a time for the whole installation (mirrors/state.py): a builder waits this
# many seconds for the one before it, then gives up naming it; on SQLite the builder's lease
# lapses after BUNDLE_LOCK_LEASE seconds without progress (a crashed builder's).
BUNDLE_LOCK_WAIT = max(0.0, float(env("BUNDLE_LOCK_WAIT", "900")))
BUNDLE_LOCK_LEASE = max(1.0, float(env("BUNDLE_LOCK_LEASE", "300")))
# A full build on PostgreSQL spreads over the workers of every node that runs the bundle queue
# (mirrors/spread.py): it asks up to BUNDLE_HELPERS of them to help (0: the building node's
# processes alone; SQLite never asks). A helper holds a chunk for BUNDLE_CHUNK_LEASE seconds
# without news (renewed as it renders; a helper that died loses it then), and gives its
# worker back after BUNDLE_HELP_SECONDS, asking another helper to carry on.
BUNDLE_HELPERS = max(0, int(env("BUNDLE_HELPERS", "4")))
BUNDLE_CHUNK_LEASE = max(1.0, float(env("BUNDLE_CHUNK_LEASE", "60")))
BUNDLE_HELP_SECONDS = max(1.0, float(env("BUNDLE_HELP_SECONDS", "120")))
# Several machines: every build is published to this bucket of the object store (S3_*
# settings, as the media bucket) under BUNDLE_PREFIX; readers' web servers or a CDN serve it,
# and a node whose own copy is behind catches up from it before it changes anything.
BUNDLE_BUCKET = env("BUNDLE_BUCKET")
BUNDLE_PREFIX = env("BUNDLE_PREFIX").strip("/")
ONION_URL = env("ONION_URL").rstrip("/")
TOR_PROXY = env("TOR_PROXY")
MIRROR_CHECK_HOURS = float(env("MIRROR_CHECK_HOURS", "6"))
MIRROR_CHECK_SAMPLE = int(env("MIRROR_CHECK_SAMPLE", "20"))
# Seconds a sync of a mirror target holds its claim without renewing it (it renews it every
# third of that while it runs): after a crash, another process takes the target over then.
MIRROR_SYNC_LEASE = max(1.0, float(env("MIRROR_SYNC_LEASE", "120")))

# Where readers come from (samizdat.reach): page reads per day, story and channel (the site,
# each mirror, the onion, feeds, the newsletter) folded from nginx's access logs in the
# format `samizdat mirror nginx-conf --reach-log` writes (no address, no user agent, the day
# alone), and failovers the readers' service worker reports. Only counts are kept. Off:
# nothing is read or stored, and failover reports are answered without being kept.
REACH_COUNTS = env_bool("REACH_COUNTS", True)
# Access logs in that format the worker reads on from where it stopped, every minute (each
# node its own; a comma-separated list of paths on this machine).
REACH_LOGS = env_list("REACH_LOGS")
# Counts older than this many days are deleted.
REACH_KEEP_DAYS = max(1, int(env("REACH_KEEP_DAYS", "400")))
# Failover reports accepted per hour from one address (counted by a keyed digest of it, never
# stored) and from everyone together.
REACH_REPORTS_PER_HOUR = int(env("REACH_REPORTS_PER_HOUR", "30"))
REACH_REPORTS_PER_HOUR_ALL = int(env("REACH_REPORTS_PER_HOUR_ALL", "20000"))


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


# Where the dynamic app answers: SITE_URL's origin first, then other addresses of the same app
# (an alternative domain, the onion). Reader forms on any copy of a page post to the first of
# them that answers (static/samizdat/forms.js); CSP allows forms and the script to reach them.
APP_ORIGINS = list(
    dict.fromkeys(
        origin for origin in map(_origin, [SITE_URL, *env_list("APP_ORIGINS"), ONION_URL]) if origin
    )
)

# Staff two-factor authentication (samizdat.staff) — every setting of it is in this block.
# Every account that signs in to the admin needs a second factor: a passkey or security key
# (WebAuthn, which phishing cannot replay) or an authenticator app's code, plus single-use
# recovery codes. The passkeys' relying party (id, name, origin) is SITE_URL's host and
# SITE_NAME, read when a passkey is used (samizdat/staff/passkeys.py).
INSTALLED_APPS[INSTALLED_APPS.index("samizdat.mirrors") + 1 : 0] = [
    "samizdat.staff",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
]
MIDDLEWARE[MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1 : 0] = [
    "django_otp.middleware.OTPMiddleware",
    "samizdat.staff.middleware.require_second_factor",
]
OTP_TOTP_ISSUER = SITE_NAME
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is the second factor, not the only one
OTP_WEBAUTHN_HELPER_CLASS = "samizdat.staff.passkeys.Helper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "samizdat.staff.passkeys.relying_party_id"
OTP_WEBAUTHN_RP_NAME_CALLABLE = "samizdat.staff.passkeys.relying_party_name"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [_origin(SITE_URL)]
if not OTP_WEBAUTHN_ALLOWED_ORIGINS[0].startswith(("https://", "http://localhost")):
    # Browsers offer passkeys only on https:// and http://localhost; elsewhere (the demo on
    # 127.0.0.1, the tests' testserver) staff use an authenticator app, and `check --deploy`
    # says why passkeys are missing (samizdat.staff.W001).
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "otp_webauthn.E031"]
