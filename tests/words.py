"""What the zh_CN checks share: the Latin words a Chinese screen may show, and switching the
app's language for the length of a block."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

#: Latin words a Chinese screen may show: each an id, a unit or a name that reads the same in both.
ALLOWED = {
    "AQI",  # the air quality index's unit, as Chinese screens print it
    "PDF",  # a file format ("生成简报（PDF）…")
    "Ctrl", "End",  # key names in shortcuts ("搜索 (Ctrl+F)", "实时（End）")
    "m", "km", "s", "min", "h", "ms",  # SI units after numbers
    "sim",  # the sample feed's source id (feed status)
    *"ABCDEFGHIJKLMNOPQRSTUVWXYZ",  # single-key shortcuts: "派最近力量 (D)"
}  # fmt: skip

WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
ID_LIKE = re.compile(r"^[A-Z]{1,6}\d[\w-]*$|\b[A-Z]+[-_]?\d+")  # INC123-00001, CAM00387, U0001, NOISE02


@contextmanager
def language(code: str) -> Iterator[None]:
    from controlroom.qt.i18n import install_language

    install_language(code)
    try:
        yield
    finally:
        install_language("en")


def stray_english(texts: list[tuple[str, str]]) -> list[str]:
    bad = []
    for where, text in texts:
        for token in text.split():
            if (
                ID_LIKE.search(token)
                or "://" in token
                or ("/" in token and any(ch.isdigit() for ch in token))
            ):
                continue
            for word in WORD.findall(token):
                if word not in ALLOWED:
                    bad.append(f"{where}: {word!r} in {text!r}")
    return bad
