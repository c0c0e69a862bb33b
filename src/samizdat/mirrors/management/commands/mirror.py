"""``samizdat mirror``: tools for copies of the public site.

``keygen`` makes the newsroom's Ed25519 signing key; ``manifest DIR`` writes (and with
``--sign-key`` signs) the manifest of a bundle directory; ``verify DIR`` checks a copy against
its manifest (and with ``--public-key`` its signature): what anyone holding a mirror can run.
``check [URL ...]`` compares mirrors with the newsroom's bundle: every stored Mirror (saving
the result on its row), or just the URLs given (saving nothing).
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

from samizdat.mirrors import check as mirror_check
from samizdat.mirrors import manifest
from samizdat.mirrors.models import Mirror


class Command(BaseCommand):
    help = "Sign and verify copies of the public site (manifest.json with SHA-256 and Ed25519)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
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

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "keygen":
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
        else:
            self.verify(options["directory"], options["public_key"])

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
