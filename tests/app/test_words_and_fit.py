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
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QTableView,
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
from tests.words import language, stray_english

pytestmark = [pytest.mark.gui, pytest.mark.slow]

LAYOUTS = shipped_layouts()


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
        texts = visible_texts(panel)
        for tabs in panel.findChildren(QTabWidget):  # each tab's page in turn (a desk's timeline)
            for i in range(tabs.count() if tabs.isVisibleTo(panel) else 0):
                tabs.setCurrentIndex(i)
                texts += visible_texts(panel)
        problems += [f"{panel_id}: {p}" for p in stray_english(texts)]
        _dispose(panel)
    return problems


# ---------------------------------------------------------------------------------------- fit
def clipped(root: QWidget) -> list[str]:
    """Every text a user cannot read whole in ``root``: a label, button or combo box wider than its
    widget or cut off by a parent (a dock's scroll area included: only scrolling down is allowed),
    text Qt elided itself (combo boxes, tab bars, table headers) without the whole text as tooltip,
    and table columns pushed out of view. Elided labels with their tooltip and wrapped labels fit."""
    from controlroom.qt.fit import ElidedLabel

    # a live number may have changed an instant ago: measure the layout it asked for, not the old one
    QApplication.sendPostedEvents()
    bad = []
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root) or w.width() <= 0 or w.height() <= 0 or _behind_a_tab(w):
            continue
        kind = f"{_panel_of(w)}: {type(w).__name__}"
        if isinstance(w, ElidedLabel):
            if w.shown_text() != w.text() and w.toolTip() != w.text():
                bad.append(f"{w.text()!r} elided without its tooltip")
            text, need = w.shown_text(), w.fontMetrics().horizontalAdvance(w.shown_text())
        elif isinstance(w, QLabel):
            if not w.text().strip() or w.wordWrap():
                continue
            text = _plain(w.text())
            need = _label_need(w)
            room = w.contentsRect().width() - 2 * w.margin()
            if need > room:
                bad.append(f"{kind} {text!r}: needs {need} px, has {room}")
                continue
        elif isinstance(w, QAbstractButton):
            if not w.text():
                continue
            text = w.text().replace("&", "")
            need = max(w.fontMetrics().horizontalAdvance(line) for line in text.splitlines() or [""])
            room = w.contentsRect().width() - 8
            if need > room:
                bad.append(f"{kind} {text!r}: needs {need} px, has {room}")
                continue
        elif isinstance(w, QComboBox):
            text = w.currentText()
            if not text:
                continue
            need = w.fontMetrics().horizontalAdvance(text)
            room = _combo_room(w)
            if need > room and w.toolTip() != text:
                bad.append(f"{kind} {text!r}: elided ({need} px in {room}) without a tooltip")
                continue
            need = min(need, room)
        elif isinstance(w, QTabBar):
            bad += _tabs_cut(w)
            continue
        elif isinstance(w, QTableView):
            bad += [f"{_panel_of(w)}: {p}" for p in _columns_cut(w)]
            continue
        else:
            continue
        bad += _cut_by_parents(w, root, text, need)
    return bad


def _panel_of(w: QWidget) -> str:
    """The panel id a widget belongs to (for the failure message)."""
    p: QWidget | None = w
    while p is not None:
        if getattr(p, "panel_id", None):
            return str(p.panel_id)  # type: ignore[attr-defined]
        p = p.parentWidget()
    return "window"


def _behind_a_tab(w: QWidget) -> bool:
    """Whether ``w`` is in a dock behind another dock's tab (checked when its tab is raised)."""
    from PySide6.QtWidgets import QDockWidget

    p: QWidget | None = w
    while p is not None:
        if isinstance(p, QDockWidget):
            return p.visibleRegion().isEmpty()
        p = p.parentWidget()
    return False


def _label_need(label: QLabel) -> int:
    """The width a one-line label's text needs (rich text laid out as Qt lays it out)."""
    text = label.text()
    if label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    ):
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        return int(doc.idealWidth() + 0.999)
    return max(label.fontMetrics().horizontalAdvance(line) for line in text.splitlines() or [""])


def _combo_room(combo: QComboBox) -> int:
    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return field.width()


def _tabs_cut(bar: QTabBar) -> list[str]:
    """Tabs narrower than their title (Qt elides those) whose tooltip is not the title. A dock's tab
    (the main window's tab bars) must show its title whole: "Selection d…" names no panel, and
    Qt's own tooltip there is only the same title; a dock takes a short title instead."""
    from PySide6.QtWidgets import QMainWindow

    dock_tabs = isinstance(bar.parentWidget(), QMainWindow)
    bad = []
    for i in range(bar.count()):
        if not bar.isTabVisible(i):
            continue
        text = bar.tabText(i).replace("&", "")
        need = bar.fontMetrics().horizontalAdvance(text)
        room = bar.tabRect(i).width() - (bar.tabSizeHint(i).width() - need)
        rect = bar.tabRect(i)
        if rect.left() < 0 or rect.right() > bar.width() - 1:
            bad.append(
                f"tab {text!r}: scrolled out of the bar ({rect.left()}..{rect.right()} in {bar.width()} px)"
            )
        elif need > room and dock_tabs:
            bad.append(f"dock tab {text!r}: elided ({need} px in {room})")
        elif need > room and bar.tabToolTip(i) != bar.tabText(i):
            bad.append(f"tab {text!r}: elided ({need} px in {room}) without a tooltip")
    return bad


def _columns_cut(table: QTableView) -> list[str]:
    """Columns pushed past the table's right edge, and headers Qt elided."""
    header = table.horizontalHeader()
    bad = []
    shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
    right = max((header.sectionViewportPosition(c) + header.sectionSize(c) for c in shown), default=0)
    room = table.viewport().width()
    model = table.model()
    heads = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in range(header.count())]
    name = f"{type(table).__name__} " + "|".join(f"{heads[c]}:{header.sectionSize(c)}" for c in shown)
    if right > room + 2 and not table.horizontalScrollBar().isVisible():
        bad.append(f"{name}: columns reach {right} px, the table shows {room}")
    elif table.horizontalScrollBar().value() > 0:
        bad.append(f"{name}: scrolled sideways, its first columns cut off")
    elif table.horizontalScrollBar().isVisible() and table.horizontalScrollBar().maximum() > 0:
        bad.append(f"{name}: columns reach {right} px, scrolled sideways in {room}")
    for c in shown:
        text = str(model.headerData(c, Qt.Orientation.Horizontal) or "")
        need = header.fontMetrics().horizontalAdvance(text)
        if text and header.sectionSize(c) < need + 4 and not header.stretchLastSection():
            bad.append(f"{name} header {text!r}: {header.sectionSize(c)} px for {need}")
    return bad


def _cut_by_parents(w: QWidget, root: QWidget, text: str, need: int) -> list[str]:
    """Whether ``w`` is cut by a parent (or covered by a sibling): sideways anywhere, and top to
    bottom unless it sits in a scroll area (scrolling down a panel is allowed; sideways is not)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QAbstractScrollArea

    top_left = w.mapTo(root, QPoint(0, 0))
    x0, x1 = top_left.x(), top_left.x() + min(w.width(), need + 8)
    y0, y1 = top_left.y(), top_left.y() + w.height()
    vertical = True
    p = w.parentWidget()
    while p is not None:
        if isinstance(p.parentWidget(), QAbstractScrollArea) and p is p.parentWidget().viewport():
            vertical = False  # scrolled content: out of view below is fine, sideways is not
        at = p.mapTo(root, QPoint(0, 0)) if p is not root else QPoint(0, 0)
        x0, x1 = max(x0, at.x()), min(x1, at.x() + p.width())
        if vertical:
            y0, y1 = max(y0, at.y()), min(y1, at.y() + p.height())
        if p is root:
            break
        p = p.parentWidget()
    kind = type(w).__name__
    wanted = min(w.width(), need + 8)
    if x1 - x0 < wanted - 4:
        return [f"{kind} {text!r}: cut sideways by a parent ({max(0, x1 - x0)} of {wanted} px shown)"]
    if vertical and y1 - y0 < w.height() - 2:
        return [f"{kind} {text!r}: cut by a parent ({max(0, y1 - y0)} of {w.height()} px high)"]
    if vertical:  # covered by a sibling drawn above it (a banner over a panel's top)
        shown = w.visibleRegion().boundingRect()
        if shown.width() < wanted - 4 or shown.height() < w.height() - 2:
            seen = f"{shown.width()}×{shown.height()} of {w.width()}×{w.height()} px"
            return [f"{kind} {text!r}: covered ({seen})"]
    return []


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


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_single_window_shows_no_clipped_text(qtbot: QtBot, live: Any, size: tuple[int, int]) -> None:
    """The window ``controlroom demo`` opens (map, docks, their tab bars, the timeline), at a laptop's
    and a desk monitor's size, in both languages, with live data in every panel."""
    from controlroom.app.main_window import MainWindow

    qtbot.waitUntil(lambda: _data_flowing(live), timeout=60_000)
    problems = []
    for code in ("en", "zh_CN"):
        with language(code):
            window = MainWindow(live.site, live=live)
            qtbot.addWidget(window)
            window.resize(*size)
            window.show()
            qtbot.waitExposed(window)
            window._on_city_loaded(live.model)  # as after loading: the status bar counts buildings
            for _ in range(3):  # live data sets button and banner texts a moment later
                live.pump_now()
                qtbot.wait(300)
            seen = clipped(window)
            for dock in window.docks.values():  # each tab in turn
                if dock.visibleRegion().isEmpty():
                    dock.raise_()
                    qtbot.wait(200)
                    seen += [p for p in clipped(window) if p not in seen]
            problems += [f"[{code}] {p}" for p in seen]
            problems += [f"[{code}] {p}" for p in _actions_out_of_view(window, qtbot)]
            window.hide()
            HOSTS.append(window)
    live.stop_feed()
    HOSTS.clear()
    assert not problems, "clipped text:\n" + "\n".join(problems)


def _actions_out_of_view(window: Any, qtbot: QtBot) -> list[str]:
    """The incident desk's action buttons an operator would have to scroll to (or cannot see) with
    an incident selected: each must lie inside its dock's view, the view not scrolled."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QScrollArea

    panel = window.panels["incidents"]
    window.docks["incidents"].raise_()
    qtbot.waitUntil(lambda: bool(panel.queue.ids), timeout=30_000)
    panel.select(panel.queue.ids[0], announce=False)
    qtbot.wait(300)
    QApplication.sendPostedEvents()
    scroller = window.docks["incidents"].widget()
    assert isinstance(scroller, QScrollArea)
    view = scroller.viewport()
    bad = []
    if scroller.verticalScrollBar().value() != 0:
        bad.append(f"incidents: the dock is scrolled down ({scroller.verticalScrollBar().value()} px)")
    for key, button in panel.buttons.items():
        if key == "cancel":
            continue  # beside the comment it needs, in the Details tab
        rect = QRect(button.mapTo(view, QPoint(0, 0)), button.size())
        if not button.isVisibleTo(window) or not view.rect().contains(rect):
            where = f"{rect.x()},{rect.y()} {rect.width()}×{rect.height()}"
            room = f"{view.width()}×{view.height()}"
            bad.append(f"incidents: action {button.text()!r} at {where}, outside the view {room}")
    return bad


def test_alarm_counts_line_stays_readable_with_two_and_three_digit_counts(qtbot: QtBot, live: Any) -> None:
    """At 1366×768 in zh_CN the alarm dock is about 270 px wide: "12 条未关闭 · 12 条待确认" and
    "123 条未关闭 · 123 条待确认" either show whole or end in "…" with the whole line as tooltip."""
    from controlroom.app.main_window import MainWindow
    from controlroom.core.alarms.events import AlarmEvent
    from controlroom.qt.alarm_service import alarm_service_for

    qtbot.waitUntil(lambda: _data_flowing(live), timeout=60_000)
    service = alarm_service_for(live)
    qtbot.waitUntil(lambda: service.ready, timeout=30_000)
    assert service.book is not None
    where = next(i for i in live.incidents.all() if i.is_open)
    rule = service.rules[0]
    with language("zh_CN"):
        window = MainWindow(live.site, live=live)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        panel = window.panels["alarms"]
        seen = []
        for total in (12, 123):
            have = len(service.open_alarms())
            service.book.apply(
                [
                    AlarmEvent("raised", rule, f"COUNT{n:03d}", live.clock(), 3.2, "m", where.x, where.y)
                    for n in range(have, total)
                ]  # type: ignore[arg-type]
            )
            live.pump_now()
            qtbot.waitUntil(
                lambda: f"{len(service.open_alarms())} 条未关闭" in panel.count.text(), timeout=10_000
            )
            qtbot.wait(200)
            label = panel.count
            seen.append((label.text(), label.shown_text(), label.toolTip()))
            count = len(service.open_alarms())
            assert (10 <= count < 100) if total < 100 else count >= 100, label.text()
            assert label.text().startswith(f"{count} 条未关闭")
            assert label.shown_text() == label.text() or (
                label.shown_text().endswith("…") and label.toolTip() == label.text()
            ), seen
            cut = [p for p in clipped(window) if label.shown_text() in p or "条未关闭" in p]
            assert not cut, cut
        window.hide()
        HOSTS.append(window)
    live.stop_feed()
    HOSTS.clear()
