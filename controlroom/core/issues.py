"""Problems found in an installer's input, reported all at once and phrased as instructions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem: where (file and key), what was found, what was expected, how to fix it."""

    file: str
    key: str
    found: str
    expected: str
    severity: Severity = "error"
    fix: str = ""

    @property
    def message(self) -> str:
        """The problem without its severity: where a window shows it under its own heading."""
        text = f"{self.file}: {self.key}: found {self.found}; expected {self.expected}"
        return text + (f" (fix: {self.fix})" if self.fix else "")

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class SiteError(Exception):
    """Input that cannot be used; carries every problem found, not just the first."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

    @property
    def message(self) -> str:
        """Every problem, one a line, without the severity prefix."""
        return "\n".join(i.message for i in self.issues)


class InputError(ValueError):
    """One input file cannot be read as expected; the message names the file and what was expected."""
