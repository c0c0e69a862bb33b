"""``samizdat mirror``: tools for copies of the public site.

``keygen`` makes the newsroom's Ed25519 signing key; ``manifest DIR`` writes (and with
``--sign-key`` signs) the manifest of a bundle directory; ``verify DIR`` checks a copy against
its manifest (and with ``--public-key`` its signature): what anyone holding a mirror can run.
``check [URL ...]`` compares mirrors with the newsroom's bundle: every stored Mirror (saving
the result on its row), or just the URLs given (saving nothing).
``nginx-conf`` prints the nginx server block that serves the bundle to readers.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from samizdat.mirrors import bundle, manifest, nginx, state, targets
from samizdat.mirrors import check as mirror_check
from samizdat.mirrors.models import Mirror, MirrorTarget


class Command(BaseCommand):
    help = "Sign and verify copies of the public site (manifest.json with SHA-256 and Ed25519)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        build = commands.add_parser(
            "build",
            help="Render the whole public site into OUTDIR as static files, write its manifest "
            "and send the changes to the mirror targets.",
        )
        build.add_argument("outdir", type=Path, nargs="?", help="default: SAMIZDAT_BUNDLE_DIR")
        sync = commands.add_parser(
            "sync", help="Send the bundle to the mirror targets that missed changes (or all)."
        )
        sync.add_argument("--full", action="store_true", help="every file to every target")
        keygen = commands.add_parser("keygen", help="Make the newsroom's signing key pair.")
        keygen.add_argument("private_key", type=Path, help="where the private key goes (0600)")
        keygen.add_argument("public_key", type=Path, help="where the public key goes (publish it)")
        write = commands.add_parser("manifest", help="Write DIR/manifest.json (and sign it).")
        write.add_argument("directory", type=Path)
        write.add_argument("--sign-key", type=Path, help="the private key (PEM) to sign with")
        check = commands.add_parser("verify", help="Check DIR against its manifest.")
        check.add_argument("directory", type=Path)
        check.add_argument("--public-key", type=Path, help="the newsroom's public key (PEM)")
        compare = commands.add_parser(
            "check",
            help="Compare mirrors with the bundle: every stored mirror (results saved), "
            "or only the URLs given (nothing saved).",
        )
        compare.add_argument("urls", nargs="*", metavar="URL", help="a mirror's front page")
        compare.add_argument(
            "--bundle", type=Path, help="the bundle directory (default: SAMIZDAT_BUNDLE_DIR)"
        )
        compare.add_argument(
            "--sample",
            type=int,
            help="how many files of each mirror to compare (default: SAMIZDAT_MIRROR_CHECK_SAMPLE)",
        )
        conf = commands.add_parser(
            "nginx-conf",
            help="Print an nginx server block serving the bundle, proxying only the dynamic "
            "paths to the app (for sites-enabled).",
        )
        conf.add_argument("--server-name", help="default: the host of SAMIZDAT_SITE_URL")
        conf.add_argument("--bundle", type=Path, help="default: SAMIZDAT_BUNDLE_DIR")
        conf.add_argument(
            "--app", default="127.0.0.1:8000", help="gunicorn: host:port or unix:/path"
        )
        conf.add_argument("--no-app", action="store_true", help="a mirror: no path goes to an app")
        conf.add_argument("--listen", default="80", help="nginx's listen value, e.g. '443 ssl'")
        conf.add_argument("--no-brotli", action="store_true", help="without the brotli module")
        conf.add_argument(
            "--app-log",
            type=Path,
            help="log what is proxied to the app to this file, by path only (no query string, "
            "no client address); default: no access log at all",
        )
        conf.add_argument(
            "--reach-log",
            type=Path,
            help="log readers' requests for the bundle's pages to this file for `samizdat "
            "reach fold` (SAMIZDAT_REACH_LOGS): day, host, path, status and server block only, "
            "no client address, user agent or query string; default: not logged",
        )
        conf.add_argument(
            "--onion",
            action="store_true",
            help="the block for SAMIZDAT_ONION_URL: links and forms stay on the onion",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "build":
            self.build(options["outdir"] or Path(settings.BUNDLE_DIR), options["verbosity"])
        elif action == "sync":
            self.sync(full=options["full"])
        elif action == "keygen":
            self.keygen(options["private_key"], options["public_key"])
        elif action == "manifest":
            self.write(options["directory"], options["sign_key"])
        elif action == "check":
            self.check_mirrors(
                options["urls"],
                bundle=options["bundle"] or Path(settings.BUNDLE_DIR),
                sample=settings.MIRROR_CHECK_SAMPLE
                if options["sample"] is None
                else options["sample"],
                verbosity=options["verbosity"],
            )
        elif action == "nginx-conf":
            try:
                conf = nginx.site_conf(
                    server_name=options["server_name"],
                    bundle_dir=options["bundle"],
                    app=None if options["no_app"] else options["app"],
                    listen=options["listen"],
                    brotli=not options["no_brotli"],
                    onion=options["onion"],
                    app_log=options["app_log"],
                    reach_log=options["reach_log"],
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(conf, ending="")
        else:
            self.verify(options["directory"], options["public_key"])

    def build(self, outdir: Path, verbosity: int) -> None:
        if outdir.exists() and not outdir.is_dir():
            raise CommandError(f"{outdir} is not a directory.")
        progress = ProgressBar(self.stderr) if verbosity else None
        try:
            report = bundle.build_bundle(outdir, progress=progress)
        except (OSError, bundle.BundleError, state.BundleBusy) as error:
            raise CommandError(f"The bundle could not be built: {error}") from None
        if progress is not None:
            progress.finish()
        self.stdout.write(
            f"{report.pages} pages rendered in {report.seconds:.1f} s "
            f"({report.pages / max(report.seconds, 0.001):.0f} pages/s) into {outdir}: "
            f"{len(report.written)} files written, {len(report.removed)} removed."
        )
        if report.helped:
            self.stdout.write(
                f"{report.helped} chunks rendered by other workers ({report.received} files "
                f"sent); {report.processes} processes rendered pages."
            )
        for problem in report.problems:
            self.stderr.write(f"left out: {problem}")
        if report.status != "ok":
            raise CommandError(f"The build is {report.summary()}")

    def sync(self, *, full: bool) -> None:
        root = Path(settings.BUNDLE_DIR)
        if not (root / manifest.MANIFEST).is_file():
            raise CommandError(f"No bundle in {root} yet: run `samizdat mirror build` first.")
        if full:
            MirrorTarget.objects.update(needs_full_sync=True)
        results = targets.sync_targets(root, changed=[], removed=[])
        if not results:
            self.stdout.write("No mirror targets are enabled (Settings → Mirror targets).")
        for result in results:
            state = "deferred" if result.deferred else "ok" if result.ok else "FAILED"
            self.stdout.write(f"{result.name}: {state}: {result.report}")
        if any(not result.ok for result in results):
            raise CommandError("Some mirror targets failed; they get every file next time.")

    def keygen(self, private_path: Path, public_path: Path) -> None:
        for path in (private_path, public_path):
            if path.exists():
                raise CommandError(f"{path} exists; not overwriting a key.")
        private_pem, public_pem = manifest.generate_key()
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private_pem)
        public_path.write_bytes(public_pem)
        self.stdout.write(f"Private key: {private_path} (keep it secret, off the mirrors)")
        self.stdout.write(f"Public key:  {public_path} (publish it for mirror operators)")

    def write(self, directory: Path, sign_key: Path | None) -> None:
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        key = _read(sign_key) if sign_key else None
        try:
            written = manifest.write_manifest(directory, private_key_pem=key)
        except ValueError as error:
            raise CommandError(str(error)) from None
        signed = " and signed it" if key else ""
        self.stdout.write(
            f"Wrote {directory / manifest.MANIFEST}{signed}: {len(written['files'])} files."
        )

    def verify(self, directory: Path, public_key: Path | None) -> None:
        problems = manifest.verify(
            directory, public_key_pem=_read(public_key) if public_key else None
        )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{directory}: {len(problems)} problem(s); do not serve this copy.")
        signed = "signature and " if public_key else ""
        self.stdout.write(f"{directory}: {signed}every file matches the manifest.")

    def check_mirrors(self, urls: list[str], *, bundle: Path, sample: int, verbosity: int) -> None:
        if sample < 0:
            raise CommandError("--sample must be 0 or more.")
        addresses = [_mirror_url(url) for url in urls]
        try:
            if addresses:
                local = mirror_check.load_bundle_manifest(bundle)
                rng = random.SystemRandom()
                with mirror_check.new_session() as session:
                    results = [
                        (url, mirror_check.check_mirror(
                            url, local=local, sample=sample, session=session, rng=rng
                        ))
                        for url in addresses
                    ]  # fmt: skip
            else:
                checked = mirror_check.check_all(
                    now=timezone.now(), bundle_dir=bundle, sample=sample
                )
                results = [(mirror.url, result) for mirror, result in checked]
        except mirror_check.BundleUnavailable as error:
            raise CommandError(str(error)) from None
        if not results:
            self.stdout.write("No mirrors to check: add them in the admin, or give their URLs.")
            return
        for url, result in results:
            style = self.style.SUCCESS if result.ok else self.style.ERROR
            self.stdout.write(f"{style(result.status.ljust(11))} {url}  {result.summary}")
            if verbosity > 1:
                for line in result.details:
                    self.stdout.write(f"    {line}")
        failing = sum(not result.ok for _url, result in results)
        if failing:
            raise CommandError(
                f"{failing} of {len(results)} mirror(s) not up to date or not working."
            )


def _mirror_url(url: str) -> str:
    """``url`` as a Mirror stores it (ending in "/"); CommandError when it is no mirror address."""
    mirror = Mirror(url=url)
    try:
        mirror.clean()
    except ValidationError as error:
        raise CommandError(f"{url}: {' '.join(error.messages)}") from None
    return mirror.url


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from None


class ProgressBar:
    """``[#####-----] 1200/12000 pages`` on a terminal; a line every 10% elsewhere."""

    WIDTH = 30

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if self.tty:
            filled = done * self.WIDTH // max(total, 1)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {done}/{total} pages", ending="")
            self.stream.flush()
        elif tenth != self.shown:
            self.shown = tenth
            self.stream.write(f"{done}/{total} pages")

    def finish(self) -> None:
        if self.tty:
            self.stream.write("")
