"""The benchmark's site: a seeded data directory, a sample of articles, in-process renders."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def clean_env() -> dict[str, str]:
    """This process's environment without any SAMIZDAT_* or Django settings variable."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SAMIZDAT_") and key != "DJANGO_SETTINGS_MODULE"
    }


# Production settings encrypt personal data: fixed keys, since the synthetic data they protect
# is kept between runs (32 bytes each, URL-safe base64).
DATA_KEYS = {
    "SAMIZDAT_DATA_KEY": "YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDE=",
    "SAMIZDAT_LOOKUP_KEY": "YmVuY2gtbG9va3VwLWtleS1iZW5jaC1sb29rdXAta2U=",
}


def site_env(data_dir: Path) -> dict[str, str]:
    """Production settings (no SAMIZDAT_DEBUG) on SQLite in ``data_dir``, served on 127.0.0.1."""
    return {
        **clean_env(),
        "DJANGO_SETTINGS_MODULE": "samizdat.settings",
        "SAMIZDAT_DATA_DIR": str(data_dir),
        "SAMIZDAT_SECRET_KEY": secrets.token_urlsafe(60),
        **DATA_KEYS,
        "SAMIZDAT_ALLOWED_HOSTS": "127.0.0.1",
        "SAMIZDAT_SSL_REDIRECT": "0",
        "SAMIZDAT_LOG_LEVEL": "WARNING",
    }


def database(data_dir: Path) -> Path:
    return data_dir / "samizdat.sqlite3"


def article_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT COUNT(*) FROM publishing_articlepage").fetchone()[0]
    except sqlite3.Error:
        return 0


def samizdat(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "samizdat"), *args], env=env, cwd=ROOT, check=True)


def prepare(data_dir: Path, articles: int, env: dict[str, str]) -> dict[str, Any]:
    """Migrate and seed ``data_dir`` (kept when it already holds ``articles``), then ANALYZE."""
    db = database(data_dir)
    reused = article_count(db) == articles
    if not reused:
        if data_dir.exists():
            log(f"{data_dir} does not hold {articles} articles: starting it afresh")
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
    log(f"samizdat migrate ({data_dir})")
    samizdat(env, "migrate", "--verbosity", "0")
    seed_seconds = None
    if not reused:
        log(f"samizdat seed --articles {articles}")
        started = time.monotonic()
        samizdat(env, "seed", "--articles", str(articles))
        seed_seconds = time.monotonic() - started
    else:
        log(f"reusing {data_dir} ({articles} articles)")
    # Production SQLite needs ANALYZE: without statistics the planner may pick poor indexes.
    started = time.monotonic()
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("ANALYZE")
        conn.commit()
    return {
        "data_dir": str(data_dir),
        "reused": reused,
        "seed_seconds": seed_seconds,
        "analyze_seconds": time.monotonic() - started,
        "db_bytes": db.stat().st_size,
    }


def sample_paths(db: Path, size: int) -> list[str]:
    """About ``size`` English article paths, evenly spread over the archive by publication date.

    A page's public path is its ``url_path`` with the language root (the English home page's
    ``url_path``, "/home/") replaced by "/en/" (see samizdat.core.paths.public_path).
    """
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (root,) = conn.execute(
            """
            SELECT p.url_path FROM wagtailcore_page p
            JOIN wagtailcore_locale l ON l.id = p.locale_id
            JOIN django_content_type ct ON ct.id = p.content_type_id
            WHERE ct.app_label = 'publishing' AND ct.model = 'homepage' AND l.language_code = 'en'
            """
        ).fetchone()
        rows = conn.execute(
            """
            SELECT p.url_path FROM wagtailcore_page p
            JOIN publishing_articlepage a ON a.page_ptr_id = p.id
            WHERE p.live ORDER BY p.first_published_at, p.id
            """
        ).fetchall()
    paths = [url_path for (url_path,) in rows if url_path.startswith(root)]
    if not paths:
        raise SystemExit(f"bench: no live English articles in {db}")
    step = len(paths) / min(size, len(paths))
    picked = [paths[int(number * step)] for number in range(min(size, len(paths)))]
    return ["/en/" + url_path[len(root) :] for url_path in picked]


def render_figures(env: dict[str, str], pages: dict[str, list[str]], requests: int) -> Any:
    """Figures from ``bench.render`` run in a Django process with the site's environment."""
    spec = json.dumps({"pages": pages, "requests": requests})
    done = subprocess.run(
        [sys.executable, "-m", "bench.render"],
        input=spec,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench: in-process rendering failed (exit code {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])
