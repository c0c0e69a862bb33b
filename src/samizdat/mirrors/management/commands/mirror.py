"""``samizdat mirror``: tools for copies of the public site.

``keygen`` makes the newsroom's Ed25519 signing key; ``manifest DIR`` writes (and with
``--sign-key`` signs) the manifest of a bundle directory; ``verify DIR`` checks a copy against
its manifest (and with ``--public-key`` its signature): what anyone holding a mirror can run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.mirrors import manifest


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

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "keygen":
            self.keygen(options["private_key"], options["public_key"])
        elif action == "manifest":
            self.write(options["directory"], options["sign_key"])
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


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from None
