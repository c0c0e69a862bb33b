"""The project's documents stand on their own: every document they point to is in the
repository."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from django.core.management import CommandError

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
DOCUMENT_IN_CODE = re.compile(r"`([^`\s]+\.md)`")


def referenced(document: Path) -> list[str]:
    text = document.read_text(encoding="utf-8")
    return MARKDOWN_LINK.findall(text) + DOCUMENT_IN_CODE.findall(text)


def test_documents_point_only_into_the_repository() -> None:
    assert len(DOCUMENTS) >= 3
    outside = []
    for document in DOCUMENTS:
        if "../shared" in document.read_text(encoding="utf-8"):
            outside.append((document.name, "../shared"))
        for target in referenced(document):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a web address or a heading of the same page
            path = (document.parent / target.split("#", 1)[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                outside.append((document.name, target))
    assert outside == []


SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
DEPLOY = ROOT / "docs" / "DEPLOY.md"
# Where one shell command ends and the next begins.
SEPARATORS = {"&&", "||", "|", ";"}
REDIRECTIONS = {">", ">>", "<", "2>"}


def shell_commands(document: Path = DEPLOY) -> list[str]:
    """Every command line of the document's ``sh`` blocks, without its comment."""
    lines = []
    for block in SHELL_BLOCK.findall(document.read_text(encoding="utf-8")):
        for line in block.splitlines():
            tokens = shlex.split(line, comments=True)
            if tokens:
                lines.append(line)
    return lines


def shell_command(containing: str, document: Path = DEPLOY) -> str:
    """The one command line of the document that contains ``containing``."""
    found = [line for line in shell_commands(document) if containing in line]
    assert len(found) == 1, (containing, found)
    return found[0]


def samizdat_invocations(line: str) -> list[list[str]]:
    """The arguments of each ``samizdat`` run on a command line (placeholders ``…`` left out)."""
    invocations: list[list[str]] = []
    current: list[str] | None = None
    at_start = True  # of a command: the program's name comes next
    for token in shlex.split(line, comments=True):
        if token in SEPARATORS:
            current, at_start = None, True
        elif token in REDIRECTIONS:  # a file's name follows
            current, at_start = None, False
        elif at_start:
            if token == "samizdat" or token.endswith("/samizdat"):
                current = []
                invocations.append(current)
            at_start = token in ("exec", "sudo")
        elif current is not None and "…" not in token:
            current.append(token)
    return invocations


def test_every_samizdat_command_in_deploy_md_exists_with_its_options() -> None:
    """The deployment guide shows commands and options the program has."""
    from django.core.management import get_commands, load_command_class

    commands = get_commands()
    checked = 0
    for line in shell_commands():
        for arguments in samizdat_invocations(line):
            name, rest = arguments[0], arguments[1:]
            assert name in commands, f"`samizdat {name}` does not exist: {line}"
            parser = load_command_class(commands[name], name).create_parser("samizdat", name)
            try:
                parser.parse_args(rest)
            except CommandError as error:
                raise AssertionError(f"{line}: {error}") from None
            checked += 1
    assert checked >= 15


# Commands of DEPLOY.md other than samizdat's, each with what runs it. Those that change the
# machine itself (accounts, packages, services) run only on a real server.
RUN_BY_TESTS = {
    "nginx -t": "tests/core/test_setup.py and tests/mirrors/test_nginx.py, on the written site",
    "pg_dump ": "tests/core/test_setup.py (PostgreSQL), read back with pg_restore",
    "sqlite3 ": "tests/core/test_setup.py (SQLite), read back",
    "set -a && . /etc/samizdat/samizdat.env": "tests/core/test_setup.py loads the written file so",
}
ON_A_SERVER_ONLY = (
    "useradd ",
    "python3 -m venv ",
    "/srv/samizdat/venv/bin/pip install ",
    "systemctl ",
    "ln -s ",
    # The settings by hand: the same variables as the file `samizdat setup` writes.
    "export SAMIZDAT_",
)


def test_every_other_command_in_deploy_md_is_accounted_for() -> None:
    """A command added to the guide is run by a test, or named here as one that changes the
    server itself."""
    unaccounted = [
        line
        for line in shell_commands()
        if not samizdat_invocations(line)
        and not any(line.startswith(prefix) for prefix in RUN_BY_TESTS)
        and not line.startswith(ON_A_SERVER_ONLY)
    ]
    assert unaccounted == []
