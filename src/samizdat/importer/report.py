"""What an import did (or, in a dry run, would do), for the operator to read afterwards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from samizdat.importer.subscribers import SubscriberReport

OUTCOMES = ("created", "updated", "unchanged", "skipped", "failed")


def _outcome_label(outcome: str) -> str:
    return {
        "created": _("created"),
        "updated": _("updated"),
        "unchanged": _("unchanged"),
        "skipped": _("skipped"),
        "failed": _("failed"),
    }[outcome]


def _kind_label(kind: str) -> str:
    return {
        "post": _("articles"),
        "page": _("information pages"),
        "author": _("authors"),
        "category": _("sections"),
        "tag": _("tags"),
    }.get(kind, kind)


@dataclass
class Report:
    """Counts per kind and outcome, the problems, the notes per post, what the export left out
    and the subscribers' summary."""

    source: str = ""
    dry_run: bool = False
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # as the export lists them
    subscribers: SubscriberReport | None = None
    redirects: int = 0
    seconds: float = 0.0
    stopped: str = ""  # why the export could not be read to the end, if it could not

    def count(self, kind: str, outcome: str, number: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += number

    def problem(self, what: str, reason: str) -> None:
        self.problems.append((what, reason))

    def note(self, what: str, lines: list[str]) -> None:
        if lines:
            self.notes.setdefault(what, []).extend(lines)

    def total(self, outcome: str) -> int:
        return sum(counter[outcome] for counter in self.counts.values())

    def render(self) -> str:
        """Plain text for the terminal: problems, notes, what was left out, then the totals."""
        lines: list[str] = []
        if self.dry_run:
            title = _("Dry run of the import from %(source)s: nothing was written.")
        else:
            title = _("Import from %(source)s")
        lines += [title % {"source": self.source or "?"}, ""]
        if self.problems:
            lines.append(_("Problems (%(count)d):") % {"count": len(self.problems)})
            lines += [f"  {what}: {reason}" for what, reason in self.problems]
            lines.append("")
        if self.notes:
            lines.append(_("Notes (%(count)d):") % {"count": len(self.notes)})
            for what, notes in self.notes.items():
                lines.append(f"  {what}")
                lines += [f"    - {note}" for note in notes]
            lines.append("")
        if self.skipped:
            lines.append(_("Left out of the export (%(count)d):") % {"count": len(self.skipped)})
            lines += [f"  {what}: {reason}" for what, reason in self.skipped]
            lines.append("")
        if self.subscribers is not None:
            lines += [*self.subscribers.render().splitlines(), ""]
        if self.counts:
            lines.append(_("What would be done:") if self.dry_run else _("What was done:"))
            width = max(len(_kind_label(kind)) for kind in self.counts)
            for kind, counter in self.counts.items():
                parts = [
                    f"{counter[outcome]} {_outcome_label(outcome)}"
                    for outcome in OUTCOMES
                    if counter[outcome]
                ]
                lines.append(f"  {_kind_label(kind).ljust(width)}  {', '.join(parts)}")
        if self.redirects:
            lines.append(_("  old addresses redirected: %(count)d") % {"count": self.redirects})
        totals = ", ".join(
            f"{self.total(outcome)} {_outcome_label(outcome)}" for outcome in OUTCOMES
        )
        lines.append(
            _("Totals: %(totals)s; %(problems)d problems, in %(seconds).1f s.")
            % {"totals": totals, "problems": len(self.problems), "seconds": self.seconds}
        )
        return "\n".join(lines) + "\n"
