"""English message templates with codes, and the way back from a filled-in message to its code.

Processes send each other English text (the wire, logs and audit trails stay readable and
stable); a desk that shows the text in another language reads the code and fields back from it
and fills in its own translation of the same template. Text that no template wrote (an older
peer's wording) matches nothing and is shown as it came.
"""

from __future__ import annotations

import re


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)  # literal, field, literal, field, …, literal
    body = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(f"^{body}$", re.DOTALL)


class TextTemplates:
    """``table``: code → English template with ``{field}`` places."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        # most literal text first, so a short template does not swallow a longer one's message
        self._patterns = sorted(
            ((code, _pattern(t)) for code, t in table.items()),
            key=lambda cp: -len(re.sub(r"\{\w+\}", "", table[cp[0]])),
        )

    def say(self, code: str, **fields: object) -> str:
        """The message of ``code`` with its fields filled in."""
        return self.table[code].format(**fields)

    def parts(self, text: str) -> tuple[str, dict[str, str]] | None:
        """(code, fields) of a message one of the templates wrote, else None."""
        for code, pattern in self._patterns:
            found = pattern.match(text)
            if found:
                return code, found.groupdict()
        return None
