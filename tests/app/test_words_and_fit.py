"""Every panel, with the real simulator's data flowing: Chinese only in zh_CN, and no clipped text.

The sample site (free ports) feeds a real ``feed sim`` process into one LiveCity; every panel of
``layouts.spec.PANEL_IDS`` is built by the app's own factory in each language. The words test reads
what a user sees (labels, buttons, combo boxes, table headers and cells, placeholders) and fails
on a Latin-letter word that is not an id, a unit or an allowed proper name. The fit test places
each shipped layout's panels at their region's size with the wall's text size and fails on a
label or button whose text is wider than the widget (unless elided with a tooltip, or wrapped).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTableWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItemIterator,
    QWidget,
)
from pytestqt.qtbot import QtBot

from controlroom.app.sample_site import ensure_sample_site
from controlroom.core.shipped import shipped_layouts, shipped_path
from controlroom.core.site import load_site
from controlroom.layouts.files import load_layout
from controlroom.layouts.geometry import Rect
from controlroom.layouts.placement import ScreenInfo, plan_wall
from controlroom.layouts.spec import PANEL_IDS

pytestmark = [pytest.mark.gui, pytest.mark.slow]

LAYOUTS = shipped_layouts()

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site with its feed and gateway on free ports (never a running demo's), and the
    shipped alarm rules beside it, as the demo has them."""
    path = ensure_sample_site(tmp_path_factory.mktemp("sample-site"))
    shutil.copy(shipped_path("sample-site", "alarms.toml"), path.parent / "alarms.toml")
    text = path.read_text(encoding="utf-8")
    for port in ("7710", "7711", "7720", "7721", "7722"):
        text = text.replace(f"127.0.0.1:{port}", f"127.0.0.1:{_free_port()}")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def live(sample_site: Path, qapp: QApplication) -> Iterator[Any]:
    """A LiveCity on the sample site fed by a real simulator process."""
    from controlroom.geo.city_loader import load_city
    from controlroom.qt.live import LiveCity

    site = load_site(sample_site)
    sim = subprocess.Popen(
        [sys.executable, "-m", "controlroom", "feed", "sim", "--site", str(sample_site), "--entities", "300"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    city = LiveCity(site, feed=False)
    city.set_model(load_city(site))  # the feed's positions are checked against the city's extent
    city.start_feed()
    try:
        yield city
    finally:
        from controlroom.qt.alarm_service import existing_alarm_service

        service = existing_alarm_service(city)
        if service is not None:
            service.stop()
        city.stop()
        city.deleteLater()
        sim.terminate()
        sim.wait(10)


def _data_flowing(live: Any) -> bool:
    live.pump_now()
    return (
        live.incidents is not None
        and any(i.is_open for i in live.incidents.all())
        and live.metrics is not None
        and bool(live.metrics.names())
    )


@contextmanager
def language(code: str) -> Iterator[None]:
    from controlroom.qt.i18n import install_language

    install_language(code)
    try:
        yield
    finally:
        install_language("en")


def _make(panel_id: str, live: Any) -> QWidget:
    from controlroom.app.panel_factory import make_panel

    return make_panel(panel_id, live)


def _dispose(panel: QWidget) -> None:
    shutdown = getattr(panel, "shutdown", None)
    if callable(shutdown):
        shutdown()
    panel.hide()  # not closed: a closed chart drops its plot items while the feed still ticks


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ")


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every text a user sees in ``root`` now."""
    out: list[tuple[str, str]] = []

    def shown(w: QWidget) -> bool:
        return w.isVisibleTo(root) or w is root

    for w in [root, *root.findChildren(QWidget)]:
        if not shown(w):
            continue
        name = f"{type(w).__name__}#{w.objectName() or '?'}"
        if isinstance(w, QLabel):
            out.append((name, _plain(w.text())))
        elif isinstance(w, QAbstractButton):
            out.append((name, w.text()))
        elif isinstance(w, QComboBox):
            out += [(name, w.itemText(i)) for i in range(w.count())]
        elif isinstance(w, QLineEdit):
            out.append((name, w.placeholderText()))
        elif isinstance(w, QTabWidget):
            out += [(name, w.tabText(i)) for i in range(w.count())]
        elif isinstance(w, QGroupBox):
            out.append((name, w.title()))
        elif isinstance(w, QListWidget):
            out += [(f"{name} item", w.item(i).text()) for i in range(min(w.count(), 30))]
        elif isinstance(w, QTreeWidget):
            header = w.headerItem()
            out += [
                (f"{name} header", header.text(c)) for c in range(w.columnCount()) if not w.isColumnHidden(c)
            ]
            it = QTreeWidgetItemIterator(w)
            for _ in range(60):
                item = it.value()
                if item is None:
                    break
                out += [
                    (f"{name} item", item.text(c)) for c in range(w.columnCount()) if not w.isColumnHidden(c)
                ]
                it += 1
        elif isinstance(w, QTableWidget):
            for c in range(w.columnCount()):
                header = w.horizontalHeaderItem(c)
                if header is not None and not w.isColumnHidden(c):
                    out.append((f"{name} header", header.text()))
            for r in range(min(w.rowCount(), 30)):
                for c in range(w.columnCount()):
                    item = w.item(r, c)
                    if item is not None and not w.isColumnHidden(c):
                        out.append((f"{name} cell", item.text()))
    return out


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


def test_every_panel_speaks_chinese_with_live_data(
    qtbot: QtBot, live: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from controlroom.qt import strings

    qtbot.waitUntil(lambda: _data_flowing(live), timeout=60_000)
    problems: list[str] = []
    with language("zh_CN"):
        _raise_every_rule(live, qtbot)
        problems = _walk(live, qtbot)
    assert not problems, "English left in the Chinese UI:\n" + "\n".join(sorted(set(problems)))
    # The walk is not blind: a code the one table forgets shows as its English code, and is caught.
    shown = next(i.type for i in live.incidents.all() if i.is_open)
    monkeypatch.delitem(strings.INCIDENT_TYPES, shown)
    with language("zh_CN"):
        caught = _walk(live, qtbot, panels=("incidents",))
    word = shown.split("_")[0]
    assert any(f"IncidentQueue#? cell: {word!r}" in p for p in caught), caught


def _raise_every_rule(live: Any, qtbot: QtBot) -> None:
    """One alarm from each of the sample site's rules, placed at an open incident (so it has a
    district): the alarm desk then shows every rule's title, message and procedure."""
    from controlroom.core.alarms.events import AlarmEvent
    from controlroom.qt.alarm_service import alarm_service_for

    service = alarm_service_for(live)
    qtbot.waitUntil(lambda: service.ready, timeout=30_000)
    where = next(i for i in live.incidents.all() if i.is_open)
    now = live.clock()
    assert service.book is not None
    service.book.apply(
        [
            AlarmEvent("raised", rule, f"SUBJ{n:02d}", now, 3.2, "m", where.x, where.y)
            for n, rule in enumerate(service.rules)
        ]  # type: ignore[arg-type]
    )


def _select_something(panel: QWidget, live: Any) -> None:
    """Select an alarm or an incident, so the panel's detail (title, message, places) shows too."""
    if hasattr(panel, "select_alarm"):
        from controlroom.qt.alarm_service import alarm_service_for

        panel.select_alarm(alarm_service_for(live).open_alarms()[0].id)
    elif hasattr(panel, "queue") and panel.queue.ids:
        panel.select(panel.queue.ids[0], announce=False)


def _walk(live: Any, qtbot: QtBot, panels: tuple[str, ...] = tuple(PANEL_IDS)) -> list[str]:
    problems = []
    for panel_id in panels:
        panel = _make(panel_id, live)
        qtbot.addWidget(panel)
        panel.resize(1280, 900)
        panel.show()
        qtbot.waitExposed(panel)
        for _ in range(3):  # a couple of ticks: tables fill from the live models
            live.pump_now()
            qtbot.wait(400)
        _select_something(panel, live)
        problems += [f"{panel_id}: {p}" for p in stray_english(visible_texts(panel))]
        _dispose(panel)
    return problems


# ---------------------------------------------------------------------------------------- fit
def clipped(root: QWidget) -> list[str]:
    """Labels and buttons whose one-line text is wider than the widget (elided-with-tooltip and
    word-wrapped labels fit by construction)."""
    from controlroom.qt.fit import ElidedLabel

    bad = []
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root) or w.width() <= 0:
            continue
        if isinstance(w, ElidedLabel):
            shown = w.shown_text()
            if shown != w.text() and w.toolTip() != w.text():
                bad.append(f"{w.text()!r} elided without its tooltip")
            continue
        if isinstance(w, QLabel):
            if w.wordWrap() or w.textFormat() == Qt.TextFormat.RichText or "<" in w.text() or not w.text():
                continue
            text, room = w.text(), w.contentsRect().width() - 2 * w.margin()
        elif isinstance(w, QAbstractButton):
            if not w.text():
                continue
            text, room = w.text().replace("&", ""), w.contentsRect().width() - 8
        else:
            continue
        need = max(w.fontMetrics().horizontalAdvance(line) for line in text.splitlines() or [""])
        if need > room:
            bad.append(f"{type(w).__name__} {text!r}: needs {need} px, has {room}")
        elif not _scrolls(w, root):
            shown = w.visibleRegion().boundingRect().width()
            if shown < min(need, w.width()) - 2:
                bad.append(f"{type(w).__name__} {text!r}: cut off by its parent ({shown} of {w.width()} px)")
    return bad


def _scrolls(w: QWidget, root: QWidget) -> bool:
    """Whether ``w`` sits in a scroll area (partly out of view on purpose) below ``root``."""
    from PySide6.QtWidgets import QAbstractScrollArea

    p = w.parentWidget()
    while p is not None and p is not root:
        if isinstance(p, QAbstractScrollArea):
            return True
        p = p.parentWidget()
    return False


def _regions(layout: str) -> list[tuple[str, str, int, int, int]]:
    """(region, panel id, width, height, wall text px) of the layout's normal preset at its nominal size."""
    from controlroom.qt.wall.theme import body_text_px

    spec = load_layout(LAYOUTS / f"{layout}.toml")
    rw, rh = spec.wall.resolution
    # one screen per monitor, in the layout's own grid order and placement
    screens = []
    for i, (mid, monitor) in enumerate(spec.monitors.items()):
        r, c = monitor.position if monitor.position is not None else (0, i)
        screens.append(ScreenInfo(f"S-{mid}", Rect(c * rw, r * rh, rw, rh), None, i == 0))
    plan = plan_wall(spec, screens)
    mm_w = spec.wall.size_mm[0] if spec.wall.size_mm else rw * 0.25
    px = body_text_px(rw / mm_w, spec.wall.viewing_distance_m or 0.8)
    return [(s.region, s.panel, *s.rect.px()[2:], px) for w in plan.windows for s in w.slots]


def test_shipped_layouts_show_no_clipped_text(qtbot: QtBot, live: Any) -> None:
    qtbot.waitUntil(lambda: _data_flowing(live), timeout=60_000)
    problems = []
    for code in ("en", "zh_CN"):
        with language(code):
            for layout in ("single", "operator-desk", "wall-3x2", "briefing-laptop"):
                problems += [f"[{code}] {p}" for p in _fit(live, layout, qtbot)]
    live.stop_feed()  # before the hosts go: a deleted chart must not be fed
    HOSTS.clear()
    assert not problems, "clipped text:\n" + "\n".join(problems)


HOSTS: list[QWidget] = []


def _fit(live: Any, layout: str, qtbot: QtBot) -> list[str]:
    from controlroom.qt.wall.manager import WALL_DISTANCE_M
    from controlroom.qt.wall.theme import WallFonts, wall_stylesheet

    spec = load_layout(LAYOUTS / f"{layout}.toml")
    problems = []
    for region, panel_id, w, h, px in _regions(layout):
        host = QWidget()
        HOSTS.append(host)  # kept to the test's end: a dropped host deletes the panel the feed still feeds
        host.setObjectName("WallWindow")
        host.setStyleSheet(wall_stylesheet(WallFonts(body=px)))
        qtbot.addWidget(host)
        panel = _make(panel_id, live)
        panel.setParent(host)
        density = getattr(panel, "set_wall_density", None)
        if callable(density) and (spec.wall.viewing_distance_m or 0.0) >= WALL_DISTANCE_M:
            density(px)
        host.resize(w, h)
        panel.setGeometry(0, 0, w, h)
        host.show()
        qtbot.waitExposed(host)
        live.pump_now()
        qtbot.wait(300)
        problems += [f"{layout}/{region} ({panel_id}, {w}×{h}): {p}" for p in clipped(panel)]
        _dispose(panel)
        host.hide()
    return problems
