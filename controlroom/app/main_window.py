"""The single-screen main window: the 3D map with the selection panel beside it.

It wires panels together (panels never import each other) and loads the city off the GUI thread
through ``BackgroundTask``; multi-monitor wall layouts place the same panels through the layout
manager instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from controlroom.core.city import CityModel
from controlroom.core.site import Site
from controlroom.qt.worker import BackgroundTask, Progress

if TYPE_CHECKING:
    from controlroom.panels.map3d import MapPanel
    from controlroom.panels.object_info import ObjectInfoPanel

log = logging.getLogger(__name__)


def _load_job(site: Site):  # type: ignore[no-untyped-def]
    def job(progress: Progress) -> CityModel:
        from controlroom.geo.city_loader import load_city

        return load_city(site, progress=progress)

    return job


class MainWindow(QMainWindow):
    """One window: map in the centre, selection details docked on the right."""

    sig_city_loaded = Signal(object)
    sig_city_failed = Signal(str)

    def __init__(self, site: Site, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from controlroom.panels.map3d import MapPanel
        from controlroom.panels.object_info import ObjectInfoPanel

        self.site = site
        self.model: CityModel | None = None
        self._task: BackgroundTask | None = None
        self.setWindowTitle(site.title)
        self.map_panel: MapPanel = MapPanel(self)
        self.setCentralWidget(self.map_panel)
        self.info_panel: ObjectInfoPanel = ObjectInfoPanel(self)
        dock = QDockWidget(self.tr("Selection"), self)
        dock.setObjectName("dock-object-info")
        dock.setWidget(self.info_panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self._status = QLabel(self.tr("Loading city…"))
        self.statusBar().addPermanentWidget(self._status)
        self._issues_label = QLabel()
        self.statusBar().addWidget(self._issues_label)
        self.map_panel.sig_object_picked.connect(self._on_map_object_picked)
        self.map_panel.sig_selection_cleared.connect(lambda: self.info_panel.show_object(None))
        self._build_menu()

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        issues_action = QAction(self.tr("Input problems…"), self)
        issues_action.triggered.connect(self.show_load_issues)
        help_menu.addAction(issues_action)

    def start_loading(self) -> None:
        """Load the site's city in a background thread; the map shows progress meanwhile."""
        self.map_panel.show_progress(0.0, self.tr("Loading {0}…").format(self.site.title))
        self._task = BackgroundTask(_load_job(self.site), self)
        self._task.sig_progress.connect(self.map_panel.show_progress)
        self._task.sig_finished.connect(self._on_loader_finished)
        self._task.sig_failed.connect(self._on_loader_failed)
        self._task.start()

    @Slot(object)
    def _on_loader_finished(self, model: CityModel) -> None:
        from controlroom.geo.crs import LocalFrame

        self.model = model
        self.map_panel.set_model(model, list(self.site.views), LocalFrame.of_model(model))
        buildings = model.layers.get("buildings")
        n = len(buildings.objects) if buildings else 0
        self._status.setText(
            self.tr("{0} buildings · {1} triangles").format(f"{n:,}", f"{model.n_triangles:,}")
        )
        if model.issues:
            self._issues_label.setText(
                self.tr("{0} input problems repaired or skipped").format(len(model.issues))
            )
        self.sig_city_loaded.emit(model)

    @Slot(str)
    def _on_loader_failed(self, message: str) -> None:
        self.map_panel.show_progress(1.0, self.tr("Could not load the city: {0}").format(message))
        self._status.setText(self.tr("City not loaded"))
        self.sig_city_failed.emit(message)

    @Slot(str, int)
    def _on_map_object_picked(self, layer_kind: str, index: int) -> None:
        if self.model is None or layer_kind not in self.model.layers:
            return
        record = self.model.layers[layer_kind].objects.record(index)
        record["layer"] = layer_kind
        self.info_panel.show_object(record)

    def status_text(self) -> str:
        return self._status.text()

    def show_load_issues(self) -> None:
        issues = self.model.issues if self.model else []
        text = "\n".join(str(i) for i in issues[:200]) or self.tr("No problems were found in the input.")
        QMessageBox.information(self, self.tr("Input problems"), text)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self._task is not None and self._task.is_running():
            self._task.wait()
        self.map_panel.close()
        super().closeEvent(event)
