"""A copy of Noto Sans CJK SC whose cmap maps each shared glyph to the ideograph only.

Noto CJK maps a Kangxi radical (U+2F8F ⾏) and its ideograph (U+884C 行) to one glyph, and so do
the CJK radicals supplement and the compatibility ideographs. Qt's PDF writer builds the text
layer (ToUnicode) from the glyph back to *one* code point and picks the radical, so ``pdftotext``
and a strict search see ``运⾏`` instead of ``运行``. Dropping those duplicate entries from the
cmap leaves one code point per glyph, the ideograph. The copy is derived once per source font
(keyed by its path, size and mtime) into the cache and registered with Qt for the PDF brief.

Licence: Noto CJK is under the SIL Open Font License 1.1, which allows modified versions under
the same licence. The copy keeps the copyright and licence names (name IDs 0, 13, 14) and gets
its own family name, so it neither uses the "Noto" trademark nor collides with the system font.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

SOURCE_FAMILY = "Noto Sans CJK SC"
DERIVED_FAMILY = "Controlroom Sans CJK SC"
STYLES = ("Regular", "Bold")
# Blocks whose code points share glyphs with unified ideographs: CJK radicals supplement,
# Kangxi radicals, CJK compatibility ideographs (+ supplement).
DUPLICATE_BLOCKS = ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
DERIVATION_VERSION = 1  # bump when derive() changes what it writes

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """``$CONTROLROOM_CACHE_DIR/fonts``, else the platform's per-user cache folder."""
    from controlroom.core.user_dirs import cache_dir as user_cache

    return user_cache("fonts")


def find_source(style: str) -> Path | None:
    """The file of Noto Sans CJK SC in ``style``, found through fontconfig; None if not installed."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    result = subprocess.run(
        [fc_match, "-f", "%{file}\n%{family}\n%{style}", f"{SOURCE_FAMILY}:style={style}"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = result.stdout.split("\n")
    if result.returncode != 0 or len(lines) < 3:
        return None
    path, families, styles = lines[0], lines[1].split(","), lines[2].split(",")
    if SOURCE_FAMILY not in families or style not in styles:
        return None  # fontconfig fell back to some other font
    return Path(path)


def _in_duplicate_block(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in DUPLICATE_BLOCKS)


def drop_duplicate_code_points(cmap: dict[int, str]) -> list[int]:
    """Code points in DUPLICATE_BLOCKS whose glyph another code point outside them also maps."""
    kept_glyphs = {g for cp, g in cmap.items() if not _in_duplicate_block(cp)}
    return sorted(cp for cp, g in cmap.items() if _in_duplicate_block(cp) and g in kept_glyphs)


def derive(source: Path, out: Path, style: str) -> int:
    """Write the SC face of ``source`` (.ttc or .otf) to ``out`` without duplicate code points.

    Returns how many code points were dropped. Only ``cmap`` and ``name`` change; every other
    table (the CFF outlines above all) is copied byte for byte, which keeps this to a second.
    """
    from fontTools.ttLib import TTCollection, TTFont

    opts = {"lazy": True, "recalcBBoxes": False, "recalcTimestamp": False}
    is_collection = source.suffix.lower() in (".ttc", ".otc")
    with TTCollection(str(source), **opts) if is_collection else TTFont(str(source), **opts) as opened:
        faces = opened.fonts if is_collection else [opened]
        font = next((f for f in faces if f["name"].getDebugName(1) == SOURCE_FAMILY), None)
        if font is None:
            raise ValueError(f"{source}: no face named {SOURCE_FAMILY!r} in the font file")
        return _write_without_duplicates(font, out, style)


def _write_without_duplicates(font: TTFont, out: Path, style: str) -> int:
    from fontTools.ttLib.tables.DefaultTable import DefaultTable

    dropped = drop_duplicate_code_points(font.getBestCmap())
    gone = set(dropped)
    for table in font["cmap"].tables:
        if table.format != 14:  # variation sequences name base ideographs, not radicals
            table.cmap = {cp: g for cp, g in table.cmap.items() if cp not in gone}
    _rename(font, style)
    for tag in list(font.reader.keys()):  # an SFNTReader is not iterable
        if tag not in ("cmap", "name"):  # CFF was parsed for the glyph order: write its original bytes
            raw = DefaultTable(tag)
            raw.data = font.reader[tag]
            font.tables[tag] = raw
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    try:
        font.save(str(tmp), reorderTables=False)
        os.replace(tmp, out)  # concurrent builders each write whole files; the last one wins
    finally:
        tmp.unlink(missing_ok=True)
    return len(dropped)


def _rename(font: TTFont, style: str) -> None:
    """New family, full and PostScript names; copyright, licence and credits stay."""
    name = font["name"]
    postscript = f"{DERIVED_FAMILY.replace(' ', '')}-{style}"
    source_version = name.getDebugName(5) or ""
    for record in list(name.names):
        if record.nameID in (16, 17, 21, 22):  # typographic names would bring back "Noto"
            name.removeNames(nameID=record.nameID)
    for name_id, text in (
        (1, DERIVED_FAMILY),
        (3, f"{postscript};derived from {SOURCE_FAMILY} {source_version}"),
        (4, f"{DERIVED_FAMILY} {style}" if style != "Regular" else DERIVED_FAMILY),
        (6, postscript),
        (10, f"{SOURCE_FAMILY} without radical and compatibility code points in its cmap."),
    ):
        name.removeNames(nameID=name_id)
        name.setName(text, name_id, 3, 1, 0x409)
        name.setName(text, name_id, 1, 0, 0)


def derived_font(style: str) -> Path | None:
    """The cached copy for ``style``, derived first if the source font is new or changed."""
    source = find_source(style)
    if source is None:
        return None
    st = source.stat()
    key = hashlib.sha256(f"{source}|{st.st_size}|{st.st_mtime_ns}|{DERIVATION_VERSION}".encode()).hexdigest()
    prefix = f"{DERIVED_FAMILY.replace(' ', '')}-{style}-"
    out = cache_dir() / f"{prefix}{key[:16]}.otf"
    if not out.is_file():
        dropped = derive(source, out, style)
        log.info("derived %s from %s (%d duplicate code points dropped)", out, source, dropped)
        for stale in out.parent.glob(f"{prefix}*.otf"):  # copies of an older source font
            if stale != out:
                stale.unlink(missing_ok=True)
    return out


@cache
def pdf_cjk_family() -> str:
    """Registers the derived fonts with Qt (once per process) and returns the family to use.

    Falls back to the system family, whose text layer has radicals, when Noto Sans CJK SC is not
    installed or cannot be derived; the brief is still written.
    """
    from PySide6.QtGui import QFontDatabase

    registered = False
    for style in STYLES:
        try:
            path = derived_font(style)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("cannot derive %s %s: %s", DERIVED_FAMILY, style, exc)
            path = None
        if path is not None and QFontDatabase.addApplicationFont(str(path)) >= 0:
            registered = registered or style == "Regular"
    if not registered:
        log.warning("%s not derived: the PDF text layer may give Kangxi radicals", DERIVED_FAMILY)
    return DERIVED_FAMILY if registered else SOURCE_FAMILY
