"""What colouring by a feature column needs to know across a whole tileset: its kind and its range.

A streamed map holds only some tiles, so a colour scale taken from what happens to be loaded would
change as the camera moves (the same height turning from yellow to purple). Our builder therefore
writes every building column's figures into ``tileset.json`` (``extras.controlroom.columns``): the
min/max of a numeric column, the counts of a text column's most common values. A field tileset
without them is described from the tiles loaded so far (``describe``), as CesiumJS styles do.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

MAX_COUNTED = 64  # most common values kept for a text column
NOT_COLOURED = ("id", "name", "parent")  # unique per feature: nothing to see in a colour


def as_number(value: Any) -> float | None:
    """A finite number, or None (bools, empty strings and words are not numbers)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def describe(values: Iterable[Any]) -> dict[str, Any] | None:
    """``{"kind": "numeric", "min", "max"}`` or ``{"kind": "categorical", "counts"}``; None if empty."""
    present = [v for v in values if v is not None and v != ""]
    if not present:
        return None
    numbers = [as_number(v) for v in present]
    if all(n is not None for n in numbers):
        finite = [n for n in numbers if n is not None]
        return {"kind": "numeric", "min": min(finite), "max": max(finite), "count": len(finite)}
    counts = Counter(str(v) for v in present)
    return {
        "kind": "categorical",
        "counts": dict(counts.most_common(MAX_COUNTED)),
        "distinct": len(counts),
        "count": len(present),
    }


def describe_table(columns: Mapping[str, Sequence[Any] | npt.NDArray[Any]]) -> dict[str, dict[str, Any]]:
    """Figures for every colourable column of a feature table (lists or arrays)."""
    out: dict[str, dict[str, Any]] = {}
    for name, values in columns.items():
        if name in NOT_COLOURED:
            continue
        d = describe_array(values) if isinstance(values, np.ndarray) else describe(values)
        if d is not None:
            out[name] = d
    return out


def describe_array(values: npt.NDArray[Any]) -> dict[str, Any] | None:
    """``describe`` for a whole layer's column: numbers in numpy, text through its distinct values.

    A tileset-wide column has a million values; ``describe`` would test each in Python. Here a
    numeric array is reduced in C (NaN = missing) and a text column is counted first, so only its
    distinct values are tested for being numbers.
    """
    if values.dtype.kind in "iuf":
        v = values.astype(np.float64)
        v = v[np.isfinite(v)]
        if not len(v):
            return None
        return {"kind": "numeric", "min": float(v.min()), "max": float(v.max()), "count": len(v)}
    import pandas as pd

    try:
        counted = pd.Series(values, dtype=object).value_counts(dropna=True)
    except TypeError:  # unhashable values (lists, dicts from JSON attributes)
        return describe(values.tolist())
    counted = counted[[v is not None and v != "" for v in counted.index]]
    if counted.empty:
        return None
    numbers = [as_number(v) for v in counted.index]
    if all(n is not None for n in numbers):
        finite = [n for n in numbers if n is not None]
        return {"kind": "numeric", "min": min(finite), "max": max(finite), "count": int(counted.sum())}
    counts: Counter[str] = Counter()
    for v, c in counted.items():
        counts[str(v)] += int(c)
    return {
        "kind": "categorical",
        "counts": dict(counts.most_common(MAX_COUNTED)),
        "distinct": len(counts),
        "count": int(counted.sum()),
    }


def codes(values: Sequence[Any], kind: str, categories: Sequence[str]) -> npt.NDArray[np.float64]:
    """Display values of one tile's features: numbers, or category codes ("other" last); NaN = none."""
    if kind == "numeric":
        return np.array([np.nan if (n := as_number(v)) is None else n for v in values], np.float64)
    code = {c: float(i) for i, c in enumerate(categories) if c != "other"}
    other = float(len(categories) - 1) if categories and categories[-1] == "other" else np.nan
    return np.array([np.nan if v is None or v == "" else code.get(str(v), other) for v in values], np.float64)
