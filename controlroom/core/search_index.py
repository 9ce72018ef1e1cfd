"""Find anything on the map by id or name: buildings, roads, POIs, cameras, units, incidents.

Qt-free: the search box is a thin view over ``SearchIndex.search``. Static things (buildings,
roads, POIs, cameras) are indexed once when the city loads; live things (units, incidents) come
from providers asked at query time, so a search never shows a unit where it was a minute ago.
Each entry keeps every name it is known by (Chinese and English) and, when ``pypinyin`` is
installed, the pinyin initials of its Chinese names (``zjdd`` finds 珠江大道). Results are
grouped by kind and ranked: exact id, then prefix, then substring.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("building", "road", "poi", "camera", "unit", "incident")
MAX_PER_KIND = 8
MIN_QUERY = 1


@dataclass(frozen=True)
class SearchEntry:
    """One findable thing: ``ref`` is what selecting it needs (a building's object index …)."""

    kind: str
    id: str
    names: tuple[str, ...]
    x: float
    y: float
    ref: Any = None
    keys: tuple[str, ...] = field(default=(), compare=False)  # folded id, names, initials

    def title(self, language: str = "en") -> str:
        """The name to show: the first non-CJK name in English, the first CJK name in Chinese."""
        if not self.names:
            return self.id
        cjk = [n for n in self.names if _has_cjk(n)]
        latin = [n for n in self.names if not _has_cjk(n)]
        pick = (cjk or latin) if language.startswith("zh") else (latin or cjk)
        return pick[0]


@dataclass(frozen=True)
class SearchHit:
    entry: SearchEntry
    rank: int  # 0 exact, 1 prefix, 2 substring (lower is better)


def fold(text: str) -> str:
    """Case-, width- and accent-insensitive form for matching (ＡＢＣ, Abc and abc match)."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


def _initials_function() -> Callable[[str], str] | None:
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:
        return None

    def initials(text: str) -> str:
        return "".join(p[:1] for p in lazy_pinyin(text, style=Style.FIRST_LETTER) if p)

    return initials


_INITIALS = _initials_function()
PINYIN_AVAILABLE = _INITIALS is not None


def make_entry(
    kind: str, id: str, names: Iterable[str | None], x: float, y: float, ref: Any = None
) -> SearchEntry:
    """An entry with its match keys: the folded id, each folded name and the pinyin initials."""
    clean = tuple(dict.fromkeys(str(n).strip() for n in names if n and str(n).strip()))
    keys = [fold(id), *(fold(n) for n in clean)]
    if _INITIALS is not None:
        keys += [fold(_INITIALS(n)) for n in clean if _has_cjk(n)]
    return SearchEntry(kind, str(id), clean, float(x), float(y), ref, tuple(k for k in keys if k))


Provider = Callable[[], Iterable[SearchEntry]]


class SearchIndex:
    """Static entries plus live providers; ``search`` returns hits grouped by kind."""

    def __init__(self, entries: Iterable[SearchEntry] = (), providers: Iterable[Provider] = ()) -> None:
        self.entries: list[SearchEntry] = list(entries)
        self.providers: list[Provider] = list(providers)
        self._pending: list[Provider] = []

    def add(self, entries: Iterable[SearchEntry]) -> None:
        self.entries.extend(entries)

    def add_lazy(self, source: Provider) -> None:
        """Static entries built on the first search, not when the city loads (23k buildings with
        pinyin take a second or two, which a loading wall should not wait for)."""
        self._pending.append(source)

    def clear(self) -> None:
        self.entries.clear()
        self.providers.clear()
        self._pending.clear()

    def add_provider(self, provider: Provider) -> None:
        self.providers.append(provider)

    def __len__(self) -> int:
        return len(self.entries)  # built entries (lazy sources count once searched)

    def search(self, query: str, per_kind: int = MAX_PER_KIND) -> dict[str, list[SearchHit]]:
        """Hits for ``query`` grouped by kind (in ``KINDS`` order), best first, ``per_kind`` each."""
        q = fold(query)
        if len(q) < MIN_QUERY:
            return {}
        while self._pending:
            self.entries.extend(self._pending.pop(0)())
        found: dict[str, list[SearchHit]] = {}
        live: list[SearchEntry] = []
        for provider in self.providers:
            live.extend(provider())
        for entry in [*self.entries, *live]:
            rank = _rank(q, entry.keys)
            if rank is not None:
                found.setdefault(entry.kind, []).append(SearchHit(entry, rank))
        ordered: dict[str, list[SearchHit]] = {}
        for kind in [*KINDS, *sorted(set(found) - set(KINDS))]:
            if kind in found:
                hits = sorted(found[kind], key=lambda h: (h.rank, len(h.entry.id), h.entry.id))
                ordered[kind] = hits[:per_kind]
        return ordered


def _rank(q: str, keys: tuple[str, ...]) -> int | None:
    best: int | None = None
    for key in keys:
        if key == q:
            return 0
        if key.startswith(q):
            best = 1
        elif best is None and q in key:
            best = 2
    return best
