"""``python -m bench donations [--events N] [--connections C] [--duration S]``: the donations
app under gunicorn.

1. Webhooks: on a fresh site (production settings, Stripe configured), N distinct signed Stripe
   ``checkout.session.completed`` events for one-off gifts, each delivered twice and shuffled
   (2 × N POSTs), sent by C client threads to ``/webhooks/stripe/``. The baseline, in the same
   run on the same server: as many POSTs of the same events with a wrong signature, which the
   site reads and verifies, then refuses with a 400, storing nothing. Afterwards the database is
   counted: one paid Donation and one ProviderEvent per distinct event, the amounts' sums, the
   receipts queued (as database tasks; no worker runs, so none is sent).
2. Pages: the donate page as the appeal's "Continue" opens it and an article page with the
   appeal, loaded with wrk (as ``bench.load`` does), next to ``robots.txt`` from the same server
   and a bare Django view of the same size (the site serves no static files in production).

With ``--database-url`` (or SAMIZDAT_BENCH_DATABASE_URL) the webhooks run again on a throwaway
PostgreSQL database. The figures are for reading; nothing passes or fails.
Results: bench/results/donations-N.json.

Run as ``python -m bench.donations`` in a site's environment, this module prints that site's
donation tallies as JSON: what the benchmark reads after each burst.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import load, pages
from bench.newsletter import Database
from bench.pages import BIN, RESULTS, ROOT, log

HOST = load.HOST
WEBHOOK_PATH = "/webhooks/stripe/"
DONATE_PATH = "/donate/?language=en&frequency=monthly&currency=USD&amount=5"
SITE_URL = "https://newsroom.example"
WEBHOOK_SECRET = "whsec_" + secrets.token_urlsafe(24)  # one per run, like SECRET_KEY
WRONG_SECRET = "whsec_" + secrets.token_urlsafe(24)
API_VERSION = "2025-03-31.basil"
CURRENCIES = ("usd", "eur", "gbp")
AMOUNTS = (500, 1000, 1500, 2500, 5000, 10000, 1234, 700)  # minor units
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SOURCES = ("providers/stripe.py", "actions.py", "gateway.py", "views.py", "models.py")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench donations", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--events", type=int, default=5000, help="distinct events, each sent twice (5000)"
    )
    parser.add_argument(
        "--connections", type=int, default=8, help="client threads posting webhooks (8)"
    )
    parser.add_argument("--duration", type=int, default=4, help="seconds per page load run (4)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SAMIZDAT_BENCH_DATABASE_URL") or None,
        help="also run the webhooks on PostgreSQL, e.g. postgres://postgres@127.0.0.1/x; a "
        "throwaway database is created (and dropped) next to the named one "
        "(default: $SAMIZDAT_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--no-pages", action="store_true", help="skip the page load runs")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args(argv)
    if args.events < 1 or args.connections < 1 or not 1 <= args.duration <= 300:
        parser.error("need --events ≥ 1, --connections ≥ 1, 1 ≤ --duration ≤ 300")
    if args.database_url and urlsplit(args.database_url).scheme not in {"postgres", "postgresql"}:
        parser.error("--database-url must be a postgres:// URL")
    return args


# Stripe's side ----------------------------------------------------------------------------


def stripe_id(prefix: str, rng: random.Random, length: int = 24) -> str:
    return prefix + "".join(rng.choice(BASE62) for _ in range(length))


def sign(body: bytes, secret: str) -> str:
    """Stripe's ``Stripe-Signature`` header: HMAC-SHA256 of ``{t}.{body}``, made at delivery."""
    timestamp = int(time.time())
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def checkout_completed(number: int, rng: random.Random, created: int) -> dict[str, Any]:
    """A ``checkout.session.completed`` event for a paid one-off gift, in Stripe's shape."""
    language = "ru" if number % 3 == 0 else "en"
    currency = rng.choice(CURRENCIES)
    amount = rng.choice(AMOUNTS)
    reference = "SZ-" + "".join(rng.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))
    email = f"reader{number}@example.net"
    metadata = {"reference": reference, "frequency": "once", "language": language}
    if number % 2:
        metadata["name"] = f"Reader {number}"  # the others give anonymously
    session: dict[str, Any] = {
        "id": stripe_id("cs_test_a1", rng, 56),
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": f"{SITE_URL}/donate/?language={language}&frequency=once"
        f"&currency={currency.upper()}&custom_amount={amount // 100}&cancelled=1",
        "client_reference_id": reference,
        "client_secret": None,
        "collected_information": {"shipping_details": None},
        "consent": None,
        "consent_collection": None,
        "created": created - 90,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": {
            "address": {
                "city": None,
                "country": rng.choice(("DE", "LV", "GE", "US", "GB")),
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": email,
            "name": f"Card Holder {number}",
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "customer_email": None,
        "discounts": [],
        "expires_at": created + 86_310,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": language,
        "metadata": metadata,
        "mode": "payment",
        "origin_context": None,
        "payment_intent": stripe_id("pi_3", rng),
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "payment_status": "paid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "complete",
        "submit_type": "donate",
        "subscription": None,
        "success_url": f"{SITE_URL}/donate/thanks/?language={language}",
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": None,
        "wallet_options": None,
    }
    return {
        "id": stripe_id("evt_1", rng),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": session},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "checkout.session.completed",
    }


def deliveries(events: int, seed: int = 2025) -> tuple[list[bytes], dict[str, int]]:
    """Each event's body twice (a redelivery carries the same body), shuffled; and the amounts
    the distinct events add up to, by currency."""
    rng = random.Random(seed)
    created = int(time.time()) - 3600  # paid over the last hour
    bodies, expected = [], Counter[str]()
    for number in range(events):
        event = checkout_completed(number, rng, created + number * 3000 // events)
        session = event["data"]["object"]
        expected[session["currency"].upper()] += session["amount_total"]
        bodies.append(json.dumps(event, indent=2).encode())  # Stripe sends it indented too
    sent = bodies * 2
    rng.shuffle(sent)
    return sent, dict(sorted(expected.items()))


def post_all(
    base: str, master: int, bodies: list[bytes], secret: str, connections: int
) -> dict[str, Any]:
    """POST every body to the webhook from ``connections`` threads, each reconnecting when the
    server closes (gunicorn's sync workers close after every answer); every body is signed as
    it goes out, so none is stale however long the burst lasts."""
    port = urlsplit(base).port
    start = threading.Barrier(connections + 1)
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    answers: Counter[str] = Counter()
    socket_errors = [0]

    def worker(share: list[bytes]) -> None:
        mine: list[float] = []
        codes: Counter[int] = Counter()
        said: Counter[str] = Counter()
        errors = 0
        conn: http.client.HTTPConnection | None = None
        start.wait()
        for body in share:
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(body, secret),
            }
            if conn is None:
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
            begun = time.perf_counter()
            try:
                conn.request("POST", WEBHOOK_PATH, body, headers)
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = None
                continue
            mine.append((time.perf_counter() - begun) * 1000)
            codes[response.status] += 1
            if response.status == 200:
                said["duplicate" if answer == b"duplicate" else "recorded"] += 1
            if response.will_close:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)
            answers.update(said)
            socket_errors[0] += errors

    threads = [
        threading.Thread(target=worker, args=(bodies[n::connections],)) for n in range(connections)
    ]
    for thread in threads:
        thread.start()
    cpu_before, client_before = load.workers_cpu_seconds(master), time.process_time()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu_after, client_cpu = load.workers_cpu_seconds(master), time.process_time() - client_before
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []
    answered = len(latencies)
    return {
        "posts": len(bodies),
        "answered": answered,
        "seconds": elapsed,
        "requests_per_s": answered / elapsed,
        "latency_ms": {f"p{cut}": cuts[cut - 1] for cut in (50, 90, 99)} if cuts else {},
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "answers": dict(answers),
        "socket_errors": socket_errors[0],
        "server_cpu_ms_per_request": (cpu_after - cpu_before) * 1000 / answered
        if cpu_before is not None and cpu_after is not None and answered
        else None,
        "client_cpu_ms_per_request": client_cpu * 1000 / max(answered, 1),
    }


# The site ---------------------------------------------------------------------------------


def site_env(data_dir: Path, database: Database) -> dict[str, str]:
    """``bench.pages``' production settings, with Stripe configured (never reached: only its
    webhooks are exercised)."""
    env = {
        **pages.site_env(data_dir),
        "SAMIZDAT_STRIPE_SECRET_KEY": "sk_test_" + secrets.token_urlsafe(24),
        "SAMIZDAT_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SAMIZDAT_STRIPE_API_BASE": f"http://{HOST}:9",  # the discard port: never Stripe itself
        "PYTHONPATH": str(ROOT),
    }
    if database.url:
        env["SAMIZDAT_DATABASE_URL"] = database.url
    return env


def run_logged(argv: list[str], env: dict[str, str], log_file: Path) -> None:
    with log_file.open("ab") as output:
        done = subprocess.run(argv, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv[1:3])} failed; see {log_file}")


def prepare(env: dict[str, str], data_dir: Path, articles: int) -> float:
    """Migrate (and seed ``articles`` articles); the seconds it took."""
    started = time.monotonic()
    samizdat, log_file = str(BIN / "samizdat"), data_dir / "setup.log"
    log(f"samizdat migrate ({data_dir})")
    run_logged([samizdat, "migrate", "--verbosity", "0"], env, log_file)
    if articles:
        log(f"samizdat seed --articles {articles}")
        run_logged(
            [samizdat, "seed", "--articles", str(articles), "--no-search-index"], env, log_file
        )
    return time.monotonic() - started


def tally(env: dict[str, str]) -> dict[str, Any]:
    """This module run in the site's environment: what the database holds."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.donations"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"bench: counting the donations failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def count_in_django() -> dict[str, Any]:
    import django

    django.setup()
    from django.db.models import Count, Sum
    from django_tasks_db.models import DBTaskResult

    from samizdat.donations.models import Donation, ProviderEvent

    paid = Donation.objects.filter(status=Donation.Status.PAID)
    return {
        "donations": Donation.objects.count(),
        "donations_by_status": dict(
            Donation.objects.values_list("status").annotate(n=Count("id")).order_by("status")
        ),
        "paid_amounts": dict(
            paid.values_list("currency").annotate(total=Sum("amount")).order_by("currency")
        ),
        "distinct_payments": Donation.objects.values("provider", "provider_payment_id")
        .distinct()
        .count(),
        "provider_events": ProviderEvent.objects.count(),
        "receipts_queued": DBTaskResult.objects.filter(task_path__endswith=".send_receipt").count(),
        "receipts_sent": Donation.objects.filter(receipt_sent_at__isnull=False).count(),
    }


def get(base: str, path: str) -> tuple[int, bytes]:
    """One GET with its query string (``load.fetch`` sends the path alone)."""
    conn = http.client.HTTPConnection(HOST, urlsplit(base).port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def webhooks(
    args: argparse.Namespace,
    database: Database,
    data_dir: Path,
    bodies: list[bytes],
    expected: dict[str, int],
    *,
    articles: int = 0,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The webhook bursts on a fresh site; then, on the same server, the page loads if the site
    was seeded with ``articles``."""
    data_dir.mkdir(parents=True)
    env = site_env(data_dir, database)
    setup_seconds = prepare(env, data_dir, articles)
    server = load.gunicorn(
        "samizdat.wsgi:application", env, data_dir / "gunicorn.log", data_dir.parent
    )
    page_figures = None
    with server as (base, master):
        warm = bodies[: 4 * load.WORKERS]
        post_all(base, master, warm, WRONG_SECRET, load.WORKERS)
        log(f"{database.describe()}: {len(bodies):,} webhooks with a wrong signature (baseline)")
        refused = post_all(base, master, bodies, WRONG_SECRET, args.connections)
        log(f"{database.describe()}: {len(bodies):,} genuine webhooks, half of them duplicates")
        genuine = post_all(base, master, bodies, WEBHOOK_SECRET, args.connections)
        if articles:
            page_figures = page_loads(args, base, master, data_dir)
    counted = tally(env)
    result = {
        "database": database.describe(),
        "setup_seconds": setup_seconds,
        "distinct_events": len(bodies) // 2,
        "expected_amounts": expected,
        "bad_signature": refused,
        "genuine": genuine,
        "tally": counted,
        "double_counted": max(counted["donations"] - len(bodies) // 2, 0),
        "missing": max(len(bodies) // 2 - counted["donations_by_status"].get("paid", 0), 0),
        "amounts_match": {k: int(v) for k, v in counted["paid_amounts"].items()} == expected,
        "db_bytes": sum(p.stat().st_size for p in data_dir.glob("samizdat.sqlite3*")) or None,
    }
    return result, page_figures


def page_loads(args: argparse.Namespace, base: str, master: int, data_dir: Path) -> dict[str, Any]:
    """The donate page, an article with the appeal and robots.txt, loaded one after another."""
    if not load.has_wrk():
        log("wrk not found (apt-get install wrk): using a small Python load generator instead")
    (article,) = pages.sample_paths(pages.database(data_dir), 1)
    figures: dict[str, Any] = {}
    for name, path, marker in (
        ("donate", DONATE_PATH, b'name="frequency"'),
        ("article", article, b'class="appeal"'),
        ("robots", "/robots.txt", b"Sitemap:"),
    ):
        status, body = get(base, path)
        if status != 200 or marker not in body:
            raise SystemExit(f"bench: GET {path} answered {status} without {marker.decode()}")
        log(f"loading {path} for {args.duration} s")
        figures[name] = {**load.load(base + path, args.duration, master), "path": path}
        figures[name]["bytes"] = len(body)
    return figures


def bare_loads(args: argparse.Namespace, workdir: Path, sizes: dict[str, int]) -> dict[str, Any]:
    """``bench.load``'s bare Django view, once per page size."""
    figures = {}
    for name, size in sizes.items():
        module = f"bare_{name}"
        (workdir / f"{module}.py").write_text(
            load.BARE_APP.format(secret=secrets.token_urlsafe(50), size=size)
        )
        server = load.gunicorn(
            f"{module}:application", pages.clean_env(), workdir / f"gunicorn-{module}.log", workdir
        )
        with server as (base, master):
            log(f"loading a bare Django view ({size:,} bytes) for {args.duration} s")
            figures[name] = {**load.load(base + "/", args.duration, master), "bytes": size}
    return figures


# The report -------------------------------------------------------------------------------


def source_fingerprint() -> dict[str, str]:
    """What donations code ran: it is changing, and figures go with the code."""
    base = ROOT / "src" / "samizdat" / "donations"
    return {
        name: hashlib.sha256((base / name).read_bytes()).hexdigest()[:12]
        + datetime.fromtimestamp((base / name).stat().st_mtime, UTC).strftime(
            " (%Y-%m-%d %H:%M UTC)"
        )
        for name in SOURCES
        if (base / name).exists()
    }


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def latency(figures: dict[str, Any]) -> str:
    cuts = figures["latency_ms"]
    return f"{ms(cuts.get('p50'))} / {ms(cuts.get('p99'))}"


def webhook_rows(run: dict[str, Any]) -> list[tuple[str, str]]:
    genuine, refused, counted = run["genuine"], run["bad_signature"], run["tally"]
    events = run["distinct_events"]
    expected = run["expected_amounts"]
    paid = counted["donations_by_status"].get("paid", 0)
    amounts = [
        (f"  {code} paid / expected", f"{int(counted['paid_amounts'].get(code, 0)) / 100:,.2f} "
         f"/ {total / 100:,.2f}")
        for code, total in expected.items()
    ]  # fmt: skip
    return [
        ("genuine webhooks/s", f"{genuine['requests_per_s']:,.0f}"),
        ("  p50 / p99 latency", latency(genuine)),
        ("  server CPU per webhook", ms(genuine["server_cpu_ms_per_request"])),
        ("  client CPU per webhook", ms(genuine["client_cpu_ms_per_request"])),
        ("bad-signature webhooks/s (baseline)", f"{refused['requests_per_s']:,.0f}"),
        ("  p50 / p99 latency", latency(refused)),
        ("  server CPU per webhook", ms(refused["server_cpu_ms_per_request"])),
        ("genuine / baseline webhooks/s", f"{genuine['requests_per_s'] / refused['requests_per_s']:.0%}"),
        ("genuine answers 200 / POSTs", f"{genuine['statuses'].get('200', 0):,} / {genuine['posts']:,}"),
        ("  answered “duplicate”", f"{genuine['answers'].get('duplicate', 0):,} / {genuine['posts'] - events:,}"),
        ("baseline answers 400 / POSTs", f"{refused['statuses'].get('400', 0):,} / {refused['posts']:,}"),
        ("paid Donations / distinct events", f"{paid:,} / {events:,}"),
        ("ProviderEvents / distinct events", f"{counted['provider_events']:,} / {events:,}"),
        ("sums of paid amounts", "= expected" if run["amounts_match"] else "differ"),
        *amounts,
        ("receipts queued (no worker: none sent)", f"{counted['receipts_queued']:,} / {events:,}"),
        ("double-counted", f"{run['double_counted']:,}"),
        ("missing (distinct events not paid)", f"{run['missing']:,}"),
    ]  # fmt: skip


def page_rows(report: dict[str, Any]) -> list[str]:
    loaded, bare = report["pages"], report["bare_django"]
    lines = [f"{'page':<44} {'req/s':>7} {'p50 / p99':>19} {'CPU/req':>9} {'bytes':>7}  vs bare"]
    for name, label in (
        ("donate", "donate page (Continue from the appeal)"),
        ("article", "article page with the appeal"),
        ("robots", "robots.txt, same server (baseline)"),
    ):
        figures = loaded[name]
        versus = (
            f"{figures['requests_per_s'] / bare[name]['requests_per_s']:.0%}"
            if name in bare
            else ""
        )
        lines.append(
            f"{label:<44} {figures['requests_per_s']:>7,.0f} {latency(figures):>19} "
            f"{ms(figures['server_cpu_ms_per_request']):>9} {figures['bytes']:>7,}  {versus}"
        )
    for name, figures in bare.items():
        lines.append(
            f"{'bare Django view, ' + name + ' size (baseline)':<44} "
            f"{figures['requests_per_s']:>7,.0f} {latency(figures):>19} "
            f"{ms(figures['server_cpu_ms_per_request']):>9} {figures['bytes']:>7,}"
        )
    lines.append(f"  donate page: {loaded['donate']['path']}")
    lines.append(f"  article: {loaded['article']['path']}")
    for name, figures in {**loaded, **{f"bare {k}": v for k, v in bare.items()}}.items():
        if figures["non_2xx_3xx"] or figures["socket_errors"]:
            lines.append(
                f"note: the {name} run had {figures['non_2xx_3xx']} non-2xx/3xx responses "
                f"and {figures['socket_errors']} socket errors"
            )
    return lines


def table(report: dict[str, Any]) -> str:
    config, runs = report["config"], report["runs"]
    events, cpus = config["events"], report["machine"]["cpus"]
    loadavg = report["load_average_1min"]
    lines = [
        f"samizdat donations: {events:,} Stripe checkout.session.completed events (paid one-off "
        f"gifts, ~{report['body_bytes']:,} bytes each), each delivered twice, shuffled: "
        f"{2 * events:,} signed POSTs to {WEBHOOK_PATH}",
        f"production settings, gunicorn -w {load.WORKERS} (sync), {config['connections']} "
        f"client threads (Python http.client, a new connection per POST), {cpus} CPUs shared "
        "by all; baseline: the same POSTs with a wrong signature (verified, refused with 400, "
        "nothing stored), sent first",
        "receipts are queued as database tasks on the first payment of each gift; no worker "
        "runs, so none is sent",
        f"load average (1 min): {loadavg['start']:.2f} at the start, {loadavg['end']:.2f} at the "
        "end; other busy processes slow every rate, the CPU-per-request figures least",
        "",
        f"{'figure':<40} " + " ".join(f"{run['database']:>28}" for run in runs),
    ]
    columns = [webhook_rows(run) for run in runs]
    for number, (figure, _value) in enumerate(columns[0]):
        lines.append(f"{figure:<40} " + " ".join(f"{column[number][1]:>28}" for column in columns))
    for run in runs:
        for name in ("genuine", "bad_signature"):
            figures = run[name]
            others = {k: v for k, v in figures["statuses"].items() if k not in {"200", "400"}}
            if others or figures["socket_errors"]:
                lines.append(
                    f"note: {run['database']} {name}: other answers {others}, "
                    f"{figures['socket_errors']} socket errors"
                )
    if "pages" in report:
        tool = (
            f"wrk -t{load.THREADS} -c{load.CONNECTIONS} -d{config['duration']}s"
            if report["pages"]["donate"]["tool"] == "wrk"
            else f"a Python load generator ({load.CONNECTIONS} connections)"
        )
        lines += [
            "",
            f"pages under load: {tool}, gunicorn -w {load.WORKERS} (sync), SQLite, "
            "production settings; the bare Django view is bench.load's (no middleware, no "
            "database), on its own gunicorn",
            *page_rows(report),
        ]
    if "source_changed_during_run" in report:
        lines.append(
            "note: src/samizdat/donations changed during this run; figures may mix versions"
        )
    return "\n".join(lines)


def stop_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds, so the servers are stopped too


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    source_at_start = source_fingerprint()
    workdir = Path(tempfile.mkdtemp(prefix="donations-", dir=RESULTS))
    bodies, expected = deliveries(args.events)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {k: v for k, v in vars(args).items() if k != "database_url"},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "source": source_at_start,
        "body_bytes": int(statistics.median(len(body) for body in bodies)),
        "runs": [],
    }
    try:
        sqlite, page_figures = webhooks(
            args,
            Database(None, "donations"),
            workdir / "sqlite",
            bodies,
            expected,
            articles=0 if args.no_pages else 20,
        )
        report["runs"].append(sqlite)
        if page_figures is not None:
            report["pages"] = page_figures
            report["bare_django"] = bare_loads(
                args,
                workdir,
                {name: page_figures[name]["bytes"] for name in ("donate", "article")},
            )
        if args.database_url:
            database = Database(args.database_url, "donations")
            try:
                postgres, _ = webhooks(args, database, workdir / "postgres", bodies, expected)
            finally:
                if not args.keep:
                    database.drop()
            report["runs"].append(postgres)
    except BaseException:
        log(f"stopped; logs and data kept in {workdir}")
        raise
    report["load_average_1min"] = {"start": load_before, "end": os.getloadavg()[0]}
    if source_fingerprint() != source_at_start:
        report["source_changed_during_run"] = source_fingerprint()
    if args.keep:
        log(f"data kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    suffix = "-postgres" if args.database_url else ""
    output = RESULTS / f"donations-{args.events}{suffix}.json"
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nfull results: {output.relative_to(ROOT)}")
    sys.stdout.flush()


if __name__ == "__main__":
    print(json.dumps(count_in_django()))
