"""Translation files: extract (lupdate), compile (lrelease), find the ``.qm`` and report gaps.

Sources are Qt Linguist ``.ts`` files in ``translations/`` beside the package (in git). The
compiled ``.qm`` is built by ``scripts/build-translations.sh`` into ``controlroom/i18n/`` (at
install and at package time); a source checkout whose ``.ts`` changed since compiles it once into
the cache instead, keyed by the file's content, so a stale ``.qm`` is never loaded.

``python -m controlroom.qt.translations update`` re-extracts every ``tr()``/``translate()``
string (keeping existing translations, dropping vanished ones) and lists what is unfinished;
``build OUT_DIR`` compiles. Qt's tools ship inside PySide6 (``pyside6-lupdate``/``-lrelease``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import controlroom
from controlroom.core.shipped import source_checkout

PACKAGE_DIR = Path(controlroom.__file__).resolve().parent
# Sources live in the checkout only; an installed package has no such folder and uses QM_DIR.
TS_DIR = (source_checkout() or PACKAGE_DIR) / "translations"
QM_DIR = PACKAGE_DIR / "i18n"  # compiled at install / package time (git-ignored)
TRANSLATED_LANGUAGES: tuple[str, ...] = ("zh_CN",)
PLACEHOLDER_CHARS = "{}"


def ts_path(language: str) -> Path:
    return TS_DIR / f"controlroom_{language}.ts"


def qt_tool(name: str) -> Path:
    """Qt's ``lupdate``/``lrelease`` binary bundled in the PySide6 wheel."""
    import PySide6

    path = Path(PySide6.__file__).resolve().parent / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: Qt's {name} not found in the PySide6 package")
    return path


def _cache_dir() -> Path:
    from controlroom.core.user_dirs import cache_dir as user_cache

    return user_cache("i18n")


def compile_ts(ts: Path, qm: Path) -> Path:
    """Run lrelease; written to a temporary name first so readers never see half a file."""
    qm.parent.mkdir(parents=True, exist_ok=True)
    tmp = qm.with_name(f"{qm.name}.{os.getpid()}.tmp")
    result = subprocess.run(
        [str(qt_tool("lrelease")), "-silent", str(ts), "-qm", str(tmp)], capture_output=True, text=True
    )
    if result.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"{ts}: lrelease failed: {result.stderr.strip() or result.stdout.strip()}")
    tmp.replace(qm)
    return qm


def qm_file(language: str) -> Path | None:
    """The compiled translation for ``language``: from the source ``.ts`` if present, else packaged."""
    ts = ts_path(language)
    if ts.is_file():
        digest = hashlib.sha1(ts.read_bytes()).hexdigest()[:12]
        qm = _cache_dir() / f"controlroom_{language}-{digest}.qm"
        return qm if qm.is_file() else compile_ts(ts, qm)
    packaged = QM_DIR / f"controlroom_{language}.qm"
    return packaged if packaged.is_file() else None


def build_all(out_dir: Path = QM_DIR) -> list[Path]:
    """Compile every ``.ts`` into ``out_dir`` (install and packaging)."""
    return [compile_ts(ts_path(lang), out_dir / f"controlroom_{lang}.qm") for lang in TRANSLATED_LANGUAGES]


def run_lupdate(ts: Path, source_dir: Path = PACKAGE_DIR) -> None:
    """Merge every translatable string under ``source_dir`` into ``ts`` (idempotent)."""
    language = ts.stem.split("_", 1)[1]
    cmd = [
        str(qt_tool("lupdate")),
        "-silent",
        "-locations",
        "none",
        "-no-obsolete",
        "-extensions",
        "py",
        "-target-language",
        language,
        str(source_dir),
        "-ts",
        str(ts),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"lupdate failed for {ts}: {result.stderr.strip()}")


# ------------------------------------------------------------------ reading .ts files


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    translation: str
    finished: bool

    def __str__(self) -> str:
        return f"[{self.context}] {self.source!r}"


def read_ts(ts: Path) -> list[Message]:
    """The current (not vanished/obsolete) messages of a ``.ts`` file."""
    root = ET.parse(ts).getroot()
    out: list[Message] = []
    for ctx in root.iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            kind = tr.get("type") if tr is not None else "unfinished"
            if kind in ("vanished", "obsolete"):
                continue
            forms = tr.findall("numerusform") if tr is not None else []
            text = (
                "|".join(f.text or "" for f in forms) if forms else (tr.text or "") if tr is not None else ""
            )
            finished = (
                kind != "unfinished" and bool(text.strip()) and all((f.text or "").strip() for f in forms)
            )
            out.append(Message(name, msg.findtext("source") or "", text, finished))
    return out


def placeholders(text: str) -> list[str]:
    """``str.format`` fields (``{0}``, ``{1:.2f}``) in order of their index."""
    import string

    fields = [f for _, f, spec, _ in string.Formatter().parse(text) if f is not None]
    return sorted(fields)


def problems(messages: list[Message]) -> list[str]:
    """What a translator must still do: unfinished strings and translations that lose a ``{n}``."""
    out = [f"unfinished: {m}" for m in messages if not m.finished]
    for m in messages:
        if m.finished:
            try:
                bad = placeholders(m.source) != placeholders(m.translation)
            except ValueError:
                bad = True
            if bad:
                out.append(f"placeholders differ: {m} → {m.translation!r}")
    return out


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controlroom.qt.translations")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("update", help="re-extract strings into translations/*.ts and list the unfinished")
    build = sub.add_parser("build", help="compile translations/*.ts to .qm")
    build.add_argument("out", nargs="?", type=Path, default=QM_DIR)
    args = parser.parse_args(argv)
    if args.cmd == "build":
        for qm in build_all(args.out):
            print(qm)
        return 0
    status = 0
    for lang in TRANSLATED_LANGUAGES:
        ts = ts_path(lang)
        run_lupdate(ts)
        messages = read_ts(ts)
        todo = problems(messages)
        print(f"{ts}: {len(messages)} strings, {len(todo)} to do")
        for line in todo:
            print(f"  {line}")
        status = status or (1 if todo else 0)
    return status


if __name__ == "__main__":
    sys.exit(_main())
