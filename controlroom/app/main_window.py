"""The single-screen window (an operator's desk monitor, a developer's laptop): the 3D map in the
centre and every other panel this build has docked around it.

Panels come from the same factory the wall layouts use and share the instance's ``LiveCity``,
so a panel here and one on the wall show the same picture. Multi-monitor walls place the same
panels through ``WallManager`` instead (``controlroom run --layout``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from controlroom.app.panel_factory import make_panel
from controlroom.core.city import CityModel
from controlroom.core.site import Site
from controlroom.qt.fit import DockTabTitles, SidewaysFitScroller
from controlroom.qt.live import LiveCity
from controlroom.qt.replay_clock import replay_clock_for
from controlroom.qt.timeline import ReplayFrame, TimelineBar

if TYPE_CHECKING:
    from controlroom.panels.map3d import MapPanel

log = logging.getLogger(__name__)

Area = Qt.DockWidgetArea
#: Docked panels in order: (panel id, dock area, tab with this panel id when both exist).
DOCKS: tuple[tuple[str, Area, str | None], ...] = (
    ("alarms", Area.LeftDockWidgetArea, None),
    ("flood", Area.LeftDockWidgetArea, "alarms"),  # the 三防 desk's what-if, a tab behind the alarms
    ("kpi", Area.RightDockWidgetArea, None),
    ("object_info", Area.RightDockWidgetArea, None),
    ("feed_status", Area.RightDockWidgetArea, "object_info"),
    ("briefing", Area.RightDockWidgetArea, "object_info"),
    ("incidents", Area.BottomDockWidgetArea, None),
    ("video_grid", Area.BottomDockWidgetArea, None),
)
#: Bottom docks side by side (the incident list beside the cameras it opens), not stacked; the
#: desk takes the wider share so its queue and the selected incident's actions sit side by side.
SIDE_BY_SIDE = ("incidents", "video_grid")
SIDE_SHARE = {"incidents": 0.57, "video_grid": 0.43}
#: Share of the window each dock area starts with (the map keeps the rest).
DOCK_SHARE = {Area.LeftDockWidgetArea: 0.2, Area.RightDockWidgetArea: 0.25, Area.BottomDockWidgetArea: 0.36}
#: Share of the right column's height: the vital signs above the selection's tabs (small when empty).
RIGHT_COLUMN = {"kpi": 0.6, "object_info": 0.4}


class MainWindow(QMainWindow):
    """One window: map in the centre, the other panels in docks (View menu toggles them)."""

    sig_city_loaded = Signal(object)
    sig_city_failed = Signal(str)

    def __init__(
        self,
        site: Site,
        parent: QWidget | None = None,
        *,
        live: LiveCity | None = None,
        feed: bool = True,
        docks: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(parent)
        self.site = site
        self.live = live if live is not None else LiveCity(site, self, feed=feed)
        self.setWindowTitle(site.title)
        self.setDockNestingEnabled(True)
        self.map_panel: MapPanel = make_panel("map3d", self.live)  # type: ignore[assignment]
        self.setCentralWidget(self.map_panel)
        self.panels: dict[str, QWidget] = {"map3d": self.map_panel}
        self.docks: dict[str, QDockWidget] = {}
        self._dock_area: dict[str, Area] = {}
        self._docks_sized = False
        self.tab_titles = DockTabTitles(self)  # narrow tab bars: short titles, the whole as tooltip
        wanted = docks if docks is not None else tuple(d[0] for d in DOCKS)
        for panel_id, area, tab_with in DOCKS:
            if panel_id in wanted:
                self._add_dock(panel_id, area, tab_with)
        left, right = SIDE_BY_SIDE
        if left in self.docks and right in self.docks:
            self.splitDockWidget(self.docks[left], self.docks[right], Qt.Orientation.Horizontal)
            self.live.sig_open_cameras.connect(lambda *_: self.docks[right].raise_())
        self._status = QLabel(self.tr("Loading city…"))
        self.statusBar().addPermanentWidget(self._status)
        self._issues_label = QLabel()
        self.statusBar().addWidget(self._issues_label)
        self.live.sig_city_loaded.connect(self._on_city_loaded)
        self.live.sig_city_failed.connect(self._on_city_failed)
        if "flood" in self.docks:  # an alarm's "What if?" brings the what-if to the front
            self.live.sig_flood_what_if.connect(lambda *_: self.docks["flood"].raise_())
        # the one clock: LIVE / REPLAY, with the amber frame around the window in the past
        self.clock = replay_clock_for(self.live)
        self.timeline = TimelineBar(self.clock)
        bar = QToolBar(self.tr("Timeline"))
        bar.setObjectName("timelineToolbar")
        bar.setMovable(False)
        bar.addWidget(self.timeline)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, bar)
        self.replay_frame = ReplayFrame(self, self.clock)
        self._build_menu()

    @property
    def model(self) -> CityModel | None:
        return self.live.model

    @property
    def info_panel(self) -> QWidget:
        return self.panels["object_info"]

    def _add_dock(self, panel_id: str, area: Area, tab_with: str | None) -> None:
        try:
            panel = make_panel(panel_id, self.live)
        except KeyError:
            return  # this build has no such panel yet
        except Exception:  # a broken panel must not keep the window from opening
            log.exception("panel %s failed to start", panel_id)
            return
        from controlroom.qt.strings import panel_short_title
        from controlroom.qt.wall.window import panel_title

        dock = QDockWidget(panel_title(panel_id), self)
        self.tab_titles.add(dock, panel_title(panel_id), panel_short_title(panel_id))
        dock.setObjectName(f"dock-{panel_id}")
        # A dock may be shorter than its panel (it then scrolls down), never narrower: the panel
        # fits the dock's width by wrapping, eliding and stacking, so nothing hides off its side.
        dock.setWidget(SidewaysFitScroller(panel, dock))
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        if tab_with is not None and tab_with in self.docks:
            self.tabifyDockWidget(self.docks[tab_with], dock)
            self.docks[tab_with].raise_()
        self._dock_area[panel_id] = area
        self.panels[panel_id] = panel
        self.docks[panel_id] = dock

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        from controlroom.qt.i18n import language_menu
        from controlroom.qt.saved_views_menu import SavedViewsMenu

        view_menu = self.menuBar().addMenu(self.tr("&Panels"))
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addMenu(language_menu(self))
        self.views_menu = SavedViewsMenu(self.map_panel, self.site, None, self)
        self.menuBar().addMenu(self.views_menu)
        from controlroom.app.wall_session import PushMenu

        self.push_menu = PushMenu(self.site, self.map_panel, self)
        self.menuBar().addMenu(self.push_menu)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        issues_action = QAction(self.tr("Input problems…"), self)
        issues_action.triggered.connect(self.show_load_issues)
        help_menu.addAction(issues_action)

    def start_loading(self) -> None:
        """Load the site's city in a background thread (the map shows progress); then the feed starts."""
        self.live.start()

    @Slot(object)
    def _on_city_loaded(self, model: CityModel) -> None:
        self.views_menu.frame = self.live.frame
        buildings = model.layers.get("buildings")
        n = len(buildings.objects) if buildings else 0
        self._status.setText(
            self.tr("{0} buildings · {1} triangles").format(f"{n:,}", f"{model.n_triangles:,}")
        )
        if model.tilesets:  # the city itself streams as tiles: count what the tilesets hold
            self._status.setText(self.tr("{0} tilesets streamed").format(len(model.tilesets)))
        if model.issues:
            self._issues_label.setText(
                self.tr("{0} input problems repaired or skipped").format(len(model.issues))
            )
        self.sig_city_loaded.emit(model)

    @Slot(str)
    def _on_city_failed(self, message: str) -> None:
        self._status.setText(self.tr("City not loaded"))
        self.sig_city_failed.emit(message)

    def status_text(self) -> str:
        return self._status.text()

    def show_load_issues(self) -> None:
        issues = self.model.issues if self.model else []
        text = "\n".join(str(i) for i in issues[:200]) or self.tr("No problems were found in the input.")
        QMessageBox.information(self, self.tr("Input problems"), text)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            self.size_docks()

    def size_docks(self) -> None:
        """Give each dock area its share of the window; the map keeps the middle."""
        widths: list[QDockWidget] = []
        width_px: list[int] = []
        heights: list[QDockWidget] = []
        height_px: list[int] = []
        for panel_id, dock in self.docks.items():
            area = self._dock_area[panel_id]
            if area == Area.BottomDockWidgetArea:
                heights.append(dock)
                height_px.append(int(self.height() * DOCK_SHARE[area]))
                if panel_id in SIDE_BY_SIDE:
                    widths.append(dock)
                    width_px.append(int(self.width() * SIDE_SHARE[panel_id]))
            else:
                widths.append(dock)
                width_px.append(int(self.width() * DOCK_SHARE[area]))
        if widths:
            self.resizeDocks(widths, width_px, Qt.Orientation.Horizontal)
        if heights:
            self.resizeDocks(heights, height_px, Qt.Orientation.Vertical)
        right = [(self.docks[p], share) for p, share in RIGHT_COLUMN.items() if p in self.docks]
        if len(right) > 1:
            column_px = self.height() * (1 - DOCK_SHARE[Area.BottomDockWidgetArea])
            sizes = [int(column_px * share) for _, share in right]
            self.resizeDocks([d for d, _ in right], sizes, Qt.Orientation.Vertical)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.live.stop()
        self.push_menu.wait()
        for panel in self.panels.values():
            panel.close()
        super().closeEvent(event)
