"""`controlroom brief`: an A4 PDF for the sample site in English and Chinese, text kept as text."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from controlroom.core.site import load_site

from .sim_recording import write_sim_recording

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site_and_recording(
    tmp_path_factory: pytest.TempPathFactory, sample_site_factory: Callable[[str], Path]
) -> tuple[Path, Path, list[str]]:
    folder = sample_site_factory("sample-site")
    rec, ids = write_sim_recording(
        load_site(folder),
        tmp_path_factory.mktemp("rec") / "feed.crf",
        hours=1.5,
        step_s=20.0,
        incident_every_s=240.0,
    )
    return folder, rec, ids


def _brief(folder: Path, rec: Path, out: Path, lang: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "-m",
        "controlroom",
        "brief",
        "--site",
        str(folder),
        "--out",
        str(out),
        "--lang",
        lang,
        "--recording",
        str(rec),
        "--period",
        "24h",
        *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def _text(pdf: Path) -> str:
    """The PDF's text as ``pdftotext`` gives it, all whitespace removed (cells wrap words)."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            [
                "City operations brief",
                "Pearl River Demo District",
                "Traffic congestion",  # the site's metric titles, as the vital-signs panel shows them
                "Air quality (AQI)",
                "Power load",
                "Median response",
                "Prepared by Duty supervisor (demo)",  # the desk user's profile, not the login
                "Feed recording: feed.crf",  # the recording named, not a path or an endpoint
            ],
        ),
        (
            "zh_CN",
            [
                "城市运行简报",
                "珠江示范区",
                "交通拥堵指数",
                "空气质量指数",
                "电力负荷",
                "事件分类统计",
                "未办结",
                "值班主任（演示）",
            ],
        ),
    ],
)
def test_brief_pdf_text_has_site_metrics_and_incident_ids(
    site_and_recording, tmp_path: Path, lang: str, words: list[str]
) -> None:
    folder, rec, ids = site_and_recording
    out = tmp_path / f"brief-{lang}.pdf"
    result = _brief(folder, rec, out, lang)
    assert result.returncode == 0, result.stderr
    text = _text(out)
    for word in words:
        assert word.replace(" ", "") in text, f"{word!r} not in the {lang} brief"
    assert "tcp://" not in text and "root" not in text
    # ISO dates in the site's zone (Asia/Shanghai), never "12/6/26 1:28 PM"
    assert re.search(r"20\d\d-\d\d-\d\d\d\d:\d\d", text), "no ISO date and time in the brief"
    assert not re.search(r"\d{1,2}/\d{1,2}/\d\d", text)
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert 2 <= int(re.search(r"Pages:\s+(\d+)", pages).group(1)) <= 3, pages  # type: ignore[union-attr]
    assert len(ids) >= 10
    for incident_id in ids:
        assert incident_id in text, f"incident {incident_id} missing from the brief"


def test_map_page_is_not_blank(site_and_recording, tmp_path: Path) -> None:
    folder, rec, _ = site_and_recording
    out = tmp_path / "brief.pdf"
    assert _brief(folder, rec, out, "en").returncode == 0
    subprocess.run(
        ["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(out), str(tmp_path / "p")], check=True
    )
    from PySide6.QtGui import QImage

    (png,) = tmp_path.glob("p*.png")
    img = QImage(str(png)).convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(
        img.height(), img.bytesPerLine()
    )
    rgb = arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).astype(int)
    dark = (rgb.sum(axis=2) < 200).mean()  # the night-blue map on a white page
    assert dark > 0.15, f"the map page looks blank ({dark:.0%} dark pixels)"
    assert len(np.unique(rgb.reshape(-1, 3)[::7], axis=0)) > 200, "the map has no detail"


def test_no_feed_says_no_live_data(site_and_recording, tmp_path: Path) -> None:
    folder, _, _ = site_and_recording
    out = tmp_path / "brief.pdf"
    cmd = [
        sys.executable,
        "-m",
        "controlroom",
        "brief",
        "--site",
        str(folder),
        "--out",
        str(out),
        "--lang",
        "en",
        "--listen",
        "0.5",
        "--endpoint",
        "tcp://127.0.0.1:1",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "Nolivedata" in _text(out)


def test_missing_recording_is_a_clear_error(site_and_recording, tmp_path: Path) -> None:
    folder, _, _ = site_and_recording
    result = _brief(folder, tmp_path / "nope.crf", tmp_path / "b.pdf", "en")
    assert result.returncode == 1 and "--recording" in result.stderr and "nope.crf" in result.stderr


def test_cjk_text_uses_the_ideograph_code_points(site_and_recording, tmp_path: Path) -> None:
    """Noto CJK draws 行 and the Kangxi radical ⾏ with one glyph; search must find 行 (U+884C)."""
    folder, rec, _ = site_and_recording
    out = tmp_path / "brief.pdf"
    assert _brief(folder, rec, out, "zh_CN", "--period", "today").returncode == 0
    text = _text(out)
    # 行 in the bold title, 人 and 长 in labels, 日 in the period (今日)
    for word in ("城市运行简报", "生成人", "响应时长中位数", "今日"):
        assert word in text, f"{word!r} not found as ideographs in the brief"
    stand_ins = ("KANGXI RADICAL", "CJK RADICAL", "CJK COMPATIBILITY IDEOGRAPH")
    radicals = sorted({c for c in text if unicodedata.name(c, "").startswith(stand_ins)})
    assert not radicals, f"radical or compatibility code points in the text layer: {radicals}"


def test_a_flood_what_if_page_gives_the_same_totals_as_the_flood_command(
    site_and_recording, tmp_path: Path
) -> None:
    import json

    folder, rec, _ = site_and_recording
    out = tmp_path / "brief-flood.pdf"
    result = _brief(folder, rec, out, "zh_CN", "--flood-level", "4.2")
    assert result.returncode == 0, result.stderr
    what_if = subprocess.run(
        [sys.executable, "-m", "controlroom", "flood", "--site", str(folder), "--level", "4.2", "--json"],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    summary = json.loads(what_if.stdout)
    text = _text(out)
    assert "洪水推演:水位4.20米" in text
    assert f"淹没建筑{summary['buildings']['flooded']}" in text
    assert f"受影响人数{summary['people']}" in text
    for district in summary["by_district"]:
        assert district in text


def test_no_word_is_broken_over_lines_or_pages(site_and_recording, tmp_path: Path) -> None:
    """Every word of the brief's tables reads whole: a header once printed "Priorit" / "y" with
    the "y" on the next page, and "Acknowle" / "dged after"."""
    folder, rec, _ids = site_and_recording
    out = tmp_path / "brief-en.pdf"
    result = _brief(folder, rec, out, "en")
    assert result.returncode == 0, result.stderr
    raw = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    words = set(re.findall(r"[A-Za-z]+", raw))
    for word in ("Incident", "Type", "Priority", "District", "Status", "Raised", "Response", "Acknowledged"):
        assert word in words, f"{word!r} is not whole in the brief"
    assert not words & {"Priorit", "Acknowle", "dged"}, sorted(words & {"Priorit", "Acknowle", "dged"})
