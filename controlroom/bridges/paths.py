"""Field paths into a decoded message: ``vehicle.position.latitude``, ``readings[0].value``,
``$topic[2]`` (a level of the MQTT topic / NATS subject), ``a | b`` (the first that resolves) and a
trailing ``?`` (optional: absent is not an error).

Compiled once per map, so a message costs a few dict look-ups per field. When a path does not
resolve, the error says at which step and which keys were there, because "field missing" alone
does not help an installer fix a mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_STEP_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
TOPIC_ROOT = "$topic"


class PathError(LookupError):
    """A path that does not resolve in a message; ``detail`` says where it stopped."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path!r} does not resolve: {detail}")


def _steps(text: str) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    for part in text.split("."):
        for m in _STEP_RE.finditer(part):
            steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    return tuple(steps)


def _describe(node: Any) -> str:
    if isinstance(node, dict):
        keys = ", ".join(map(str, list(node)[:12]))
        return f"keys there: {keys}" if keys else "an empty object there"
    if isinstance(node, list):
        return f"a list of {len(node)} there"
    return f"the value {node!r} there"


@dataclass(frozen=True)
class FieldPath:
    """One compiled path (its alternatives in order)."""

    text: str
    alternatives: tuple[tuple[str | int, ...], ...]
    optional: bool
    #: One alternative of plain keys: resolved by straight indexing (the common case, ~3× faster).
    simple: tuple[str, ...] | None = None

    @classmethod
    def compile(cls, text: str) -> FieldPath:
        alts = [a.strip() for a in text.split("|")]
        optional = alts[-1].endswith("?")
        steps = tuple(_steps(a.rstrip("?")) for a in alts)
        plain = (
            len(steps) == 1 and all(isinstance(s, str) for s in steps[0]) and steps[0][:1] != (TOPIC_ROOT,)
        )
        return cls(text, steps, optional, tuple(map(str, steps[0])) if plain else None)

    def resolve(self, message: Any, topic: tuple[str, ...] = ()) -> Any:
        """The value; raises ``PathError`` (even when optional: the caller decides)."""
        node: Any = message
        if self.simple is not None:
            try:
                for key in self.simple:
                    node = node[key]
            except (KeyError, TypeError, IndexError):
                pass  # the general walk below says where it stopped
            else:
                if node is not None:
                    return node
        detail = ""
        for steps in self.alternatives:
            node = message
            ok = True
            for i, step in enumerate(steps):
                if i == 0 and step == TOPIC_ROOT:
                    node = list(topic)
                    continue
                if isinstance(step, int):
                    if isinstance(node, list) and -len(node) <= step < len(node):
                        node = node[step]
                        continue
                elif isinstance(node, dict) and step in node:
                    node = node[step]
                    continue
                shown = ".".join(str(s) for s in steps[:i]) or "(the message)"
                missing = f"item [{step}]" if isinstance(step, int) else repr(step)
                detail = f"no {missing} in {shown}; {_describe(node)}"
                ok = False
                break
            if ok and node is not None:
                return node
            if ok:
                detail = "the value there is null"
        raise PathError(self.text, detail)
