"""The derived CJK font: one code point per shared glyph (the ideograph), renamed, licence kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont

from controlroom.qt import cjk_font

NAME_IDS_KEPT = (0, 2, 7, 8, 9, 11, 12, 13, 14)  # copyright, style, trademark, credits, licence


def _derived(style: str) -> Path:
    path = cjk_font.derived_font(style)
    assert path is not None, "Noto Sans CJK SC not found by fontconfig (scripts/apt-packages.txt)"
    return path


def _source_face(style: str) -> TTFont:
    """The SC face, read whole (not lazily) so the collection file can be closed at once."""
    source = cjk_font.find_source(style)
    assert source is not None
    with TTCollection(str(source), lazy=True) as collection:
        face = next(f for f in collection.fonts if f["name"].getDebugName(1) == cjk_font.SOURCE_FAMILY)
        face["cmap"], face["name"]  # loads both before the file closes
        return face


def _open(path: Path) -> TTFont:
    with TTFont(str(path), lazy=True) as font:
        font["cmap"], font["name"]  # loads both before the file closes
        return font


@pytest.mark.parametrize("style", cjk_font.STYLES)
def test_shared_glyphs_map_to_the_ideograph_only(style: str) -> None:
    source = _source_face(style).getBestCmap()
    derived = _open(_derived(style)).getBestCmap()
    for ideograph, radical in [("行", "⾏"), ("日", "⽇"), ("长", "⻓"), ("人", "⼈")]:
        assert source[ord(ideograph)] == source[ord(radical)], "the source font no longer shares them"
        assert derived[ord(ideograph)] == source[ord(ideograph)]
        assert ord(radical) not in derived, f"{radical} (U+{ord(radical):04X}) still in the cmap"
    assert 0xF900 not in derived  # 豈, a compatibility ideograph drawn like U+8C48
    assert len(source) - len(derived) > 300


def test_renamed_with_copyright_and_licence_kept() -> None:
    source = _source_face("Bold")["name"]
    name = _open(_derived("Bold"))["name"]
    assert name.getDebugName(1) == cjk_font.DERIVED_FAMILY
    assert name.getDebugName(6) == "ControlroomSansCJKSC-Bold"
    for name_id in (1, 3, 4, 6):
        assert "Noto" not in name.getDebugName(name_id).split(";")[0]
    for name_id in NAME_IDS_KEPT:
        assert name.getDebugName(name_id) == source.getDebugName(name_id)
    assert "SIL Open Font License" in name.getDebugName(13)


def test_derived_once_then_reused() -> None:
    first = _derived("Regular")
    stamp = first.stat().st_mtime_ns
    assert cjk_font.derived_font("Regular") == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in first.parent.glob("*.tmp")] == []


def test_a_font_without_the_sc_face_is_a_clear_error(tmp_path: Path) -> None:
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    with pytest.raises(ValueError, match=r"DejaVuSans\.ttf: no face named 'Noto Sans CJK SC'"):
        cjk_font.derive(dejavu, tmp_path / "out.otf", "Regular")
    assert not (tmp_path / "out.otf").exists()


def test_registered_with_qt(qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QFont, QFontDatabase, QFontInfo

    assert cjk_font.pdf_cjk_family() == cjk_font.DERIVED_FAMILY
    assert cjk_font.DERIVED_FAMILY in QFontDatabase.families()
    bold = QFont(cjk_font.DERIVED_FAMILY)
    bold.setBold(True)
    assert QFontInfo(bold).styleName() == "Bold"
