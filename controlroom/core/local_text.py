"""Site texts in several languages: ``"Power load"`` or ``{en = "Power load", zh_CN = "电力负荷"}``.

A site file is written once for a city whose desks may run in English or Chinese, so every text
it shows (metric titles, place names, the site title) may carry one name per language. A plain
string stays valid and is shown in every language. Qt-free: the caller passes the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator

LANGUAGE_KEYS: tuple[str, ...] = ("en", "zh_CN")


def _check(value: Any) -> Any:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(LANGUAGE_KEYS))
        if unknown:
            raise ValueError(
                f"per-language names keyed by {', '.join(LANGUAGE_KEYS)} (found key(s) {', '.join(unknown)})"
            )
        if not value or not all(isinstance(v, str) and v.strip() for v in value.values()):
            raise ValueError('per-language names, each a non-empty string, e.g. {en = "…", zh_CN = "…"}')
        return dict(value)
    if not isinstance(value, str):
        raise ValueError('a text or per-language names, e.g. "Power load" or {en = "…", zh_CN = "…"}')
    return value


#: A site text: one string for every language, or one per language.
LocalText = Annotated[str | dict[str, str], BeforeValidator(_check)]


def pick(text: str | Mapping[str, str] | None, language: str, fallback: str = "") -> str:
    """``text`` in ``language``; else English; else any language given; else ``fallback``."""
    if text is None:
        return fallback
    if isinstance(text, str):
        return text
    for key in (language, "en", *text):
        if text.get(key):
            return text[key]
    return fallback
