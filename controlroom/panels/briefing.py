"""The leader's summary: the city at a glance, calm and large, plus the one-click PDF brief.

Vital signs as big tiles with their trend, the period's incidents (today / 24 h / 7 days) by type
and district with response and closing times, open incidents by priority, units in service.
Numbers come from the instance's live models through ``IncidentHistory`` (which notes when each
incident was acknowledged and closed); the same Qt-free summary feeds the PDF. The live map is
the layout's map region (panels never embed each other). Refreshed at most once a second.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QDateTime, QLocale, Qt, QTimer, QTimeZone
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from controlroom.core.alarms.rules import PRIORITIES
from controlroom.core.districts import DistrictLocator
from controlroom.core.period_stats import IncidentHistory
from controlroom.feed.brief_data import BriefData, from_pump
from controlroom.qt.alarm_service import existing_alarm_service
from controlroom.qt.fit import FlowLayout, GridReflow, fit_columns
from controlroom.qt.panel_contract import LivePanel
from controlroom.qt.site_words import metric_title, place_name
from controlroom.qt.strings import (
    alarm_priority_label,
    incident_type_label,
    metric_unit_label,
    severity_label,
)

if TYPE_CHECKING:
    from controlroom.qt.live import LiveCity

STATS_COLUMNS = 3
METRIC_COLUMNS = 2
TABLE_MIN_PX = 240  # a summary table narrower than this cuts its columns
TILE_VALUE_PT = 30
TILE_LABEL_PT = 13
REFRESH_MS = 1000
SEVERITY_COLOURS = {4: "#ff2d95", 3: "#ef4444", 2: "#fb923c", 1: "#facc15"}


class _Tile(QFrame):
    """A big number with a label and a trend line under it."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("briefTile")
        self.setStyleSheet("#briefTile { background: #16243a; border-radius: 8px; }")
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        self.value = QLabel("—", self)
        font = QFont(self.value.font())
        font.setPointSize(TILE_VALUE_PT)
        font.setBold(True)
        self.value.setFont(font)
        self.label = QLabel(label, self)
        small = QFont(self.label.font())
        small.setPointSize(TILE_LABEL_PT)
        self.label.setFont(small)
        self.trend = QLabel("", self)
        self.trend.setFont(small)
        for w in (self.value, self.label, self.trend):
            box.addWidget(w)

    def show_value(self, value: str, trend: str = "", colour: str = "#e6edf5") -> None:
        self.value.setText(value)
        self.value.setMinimumWidth(self.value.fontMetrics().horizontalAdvance(value) + 4)  # never cut
        self.value.setStyleSheet(f"color: {colour};")
        self.trend.setText(trend)


class BriefingPanel(LivePanel, QWidget):
    panel_id: ClassVar[str] = "briefing"

    def __init__(self, live: LiveCity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self.setWindowTitle(self.tr("Leader's summary"))
        self._loc = QLocale()
        self.history = IncidentHistory()
        self.data: BriefData | None = None
        self._dirty = True
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 12)
        root.setSpacing(10)
        root.addLayout(self._build_header())
        self.metric_grid = QGridLayout()
        self.metric_tiles: dict[str, _Tile] = {}
        root.addLayout(self.metric_grid)
        stats = QGridLayout()  # three across: fits a laptop's third of the screen
        self.tiles = {
            "total": _Tile(self.tr("Incidents"), self),
            "open": _Tile(self.tr("Still open"), self),
            "response": _Tile(self.tr("Median response"), self),
            "closing": _Tile(self.tr("Median time to close"), self),
            "units": _Tile(self.tr("Units in service"), self),
        }
        self.stat_cells = GridReflow(
            self, stats, list(self.tiles.values()), STATS_COLUMNS
        )  # fewer across when narrow
        self.metric_cells = GridReflow(self, self.metric_grid, [], METRIC_COLUMNS)
        root.addLayout(stats)
        tables = QGridLayout()
        self.by_priority = self._table([self.tr("Priority"), self.tr("Open")])
        self.by_alarm = self._table([self.tr("Alarm priority"), self.tr("Open")])
        self.by_district = self._table([self.tr("District"), self.tr("Open"), self.tr("Count")])
        self.by_type = self._table([self.tr("Type"), self.tr("Count"), self.tr("Median response")])
        summary = [self.by_priority, self.by_alarm, self.by_district, self.by_type]
        self.table_cells = GridReflow(self, tables, summary, 2, TABLE_MIN_PX)  # two across when they fit
        fit_columns(self.by_type, drop_order=(2,))
        for table in (self.by_priority, self.by_alarm):  # never scrolled sideways: titles whole
            fit_columns(table, drop_order=())
        fit_columns(self.by_district, drop_order=(2,))
        root.addLayout(tables, 1)
        self.status = QLabel(self.tr("Waiting for the live feed…"), self)
        root.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        live.sig_tick.connect(self._on_live_tick)
        live.sig_city_loaded.connect(self._on_city_loaded)
        if live.model is not None:
            self._on_city_loaded(live.model)

    def _build_header(self) -> FlowLayout:
        row = FlowLayout()  # the period and brief button go under the title when narrow
        title = QLabel(self.tr("Leader's summary"), self)
        font = QFont(title.font())
        font.setPointSize(18)
        font.setBold(True)
        title.setFont(font)
        row.addWidget(title)
        row.addWidget(QLabel(self.tr("Period"), self))
        self.period_combo = QComboBox(self)
        for code, label in (
            ("today", self.tr("Today")),
            ("24h", self.tr("Last 24 hours")),
            ("7d", self.tr("Last 7 days")),
        ):
            self.period_combo.addItem(label, code)
        self.period_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        row.addWidget(self.period_combo)
        self.brief_button = QPushButton(self.tr("Brief (PDF)…"), self)
        self.brief_button.setToolTip(self.tr("Write an A4 brief with the map, vital signs and incidents"))
        self.brief_button.clicked.connect(self._on_brief_clicked)
        row.addWidget(self.brief_button)
        return row

    def _table(self, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        font = QFont(table.font())
        font.setPointSize(13)
        table.setFont(font)
        return table

    # ------------------------------------------------------------------ data
    @property
    def period(self) -> str:
        return str(self.period_combo.currentData())

    def _on_city_loaded(self, model: object) -> None:
        from controlroom.core.city import CityModel

        if isinstance(model, CityModel):
            locator = DistrictLocator(model.lines.get("boundary:district"))
            self.history = IncidentHistory(locate=locator.locate)
            self._dirty = True

    def _on_live_tick(self, change: object) -> None:
        if getattr(change, "incidents_updated", 0) and self.live.incidents is not None:
            self.history.observe(self.live.incidents.all(), self.live.clock())
        self._dirty = True

    def brief_data(self) -> BriefData | None:
        feed = self.live.feed
        if feed is None:
            return None
        return from_pump(
            self.live.site,
            feed.pump,
            self.history,
            self.period,
            self.live.clock(),
            "live",
            self.live.site.feed.endpoint,
        )

    def refresh(self) -> None:
        """Recompute the summary from the live models (cheap: a few hundred records)."""
        if self.live.incidents is not None:
            self.history.observe(self.live.incidents.all(), self.live.clock())
        data = self.brief_data()
        if data is None:
            return
        self.data = data
        self._show(data)

    def _show(self, d: BriefData) -> None:
        loc = self._loc
        for m in d.metrics:
            tile = self.metric_tiles.get(m.name)
            if tile is None:
                tile = self.metric_tiles[m.name] = _Tile(metric_title(m.name, self.live.site), self)
                self.metric_cells.add(tile)
            unit = metric_unit_label(m.unit) if m.unit else ""
            arrow = "▲" if m.trend > 0.02 else "▼" if m.trend < -0.02 else "▶"
            tile.show_value(
                f"{loc.toString(m.latest, 'f', 1)} {unit}".strip(),
                self.tr("{0} {1} % this period").format(arrow, loc.toString(100 * m.trend, "f", 0)),
            )
        s = d.stats
        self.tiles["total"].show_value(loc.toString(s.total))
        self.tiles["open"].show_value(
            loc.toString(s.open_count), colour="#fb923c" if s.open_count else "#e6edf5"
        )
        self.tiles["response"].show_value(self._minutes(s.response.median_s))
        self.tiles["closing"].show_value(self._minutes(s.closing.median_s))
        self.tiles["units"].show_value(loc.toString(sum(d.units_in_service.values())))
        for cells in (self.metric_cells, self.stat_cells):  # a number grew ("0.4 min"): columns now,
            cells.reflow()  # not on a later layout pass (a tile would be cut sideways until then)
        self._fill(
            self.by_type,
            [
                [incident_type_label(t), loc.toString(n), self._minutes(s.response_by_type[t].median_s)]
                for t, n in s.by_type.items()
            ],
        )
        open_in = Counter(r.district for r in s.records if r.is_open)
        self._fill(
            self.by_district,
            [
                [
                    place_name(self.live.site, k) if k else self.tr("Outside the districts"),
                    loc.toString(open_in[k]),
                    loc.toString(n),
                ]
                for k, n in s.by_district.items()
            ],
        )
        service = existing_alarm_service(self.live)  # looking must not start the rules engine
        alarms = Counter(a.priority for a in service.open_alarms()) if service is not None else Counter()
        self._fill(
            self.by_alarm,
            [[alarm_priority_label(p), loc.toString(alarms[p])] for p in PRIORITIES if alarms[p]],
        )
        self._fill(
            self.by_priority, [[severity_label(k), loc.toString(n)] for k, n in s.open_by_severity.items()]
        )
        when = QDateTime.fromMSecsSinceEpoch(int(d.now * 1000), QTimeZone(d.timezone.encode())).time()
        self.status.setText(self.tr("Updated {0}").format(when.toString("HH:mm")))  # 24 h clock

    def _minutes(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        return self.tr("{0} min").format(self._loc.toString(seconds / 60.0, "f", 1))

    @staticmethod
    def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(r, c, item)

    # ------------------------------------------------------------------ the brief
    def write_brief(self, out: Path) -> Path:
        """The same PDF ``controlroom brief`` writes, from this instance's live picture."""
        import tempfile

        from controlroom.core.incidents import IncidentState
        from controlroom.qt.brief_pdf import BriefWriter
        from controlroom.qt.i18n import current_language
        from controlroom.qt.map_image import brief_map_decor
        from controlroom.render.incident_map import render_incident_map

        self.refresh()
        data = self.data or self.brief_data()
        if data is None or self.live.model is None:
            raise RuntimeError("no city or live data yet")
        states = [
            IncidentState(r.id, r.type, r.severity, r.x, r.y, (), r.text, r.status, r.raised_at, r.raised_at)
            for r in data.stats.records
            if r.is_open
        ]
        with tempfile.TemporaryDirectory(prefix="controlroom-brief-") as tmp:
            decor = brief_map_decor(self.live.model, current_language())  # names in the brief's language
            png = render_incident_map(
                self.live.model, Path(tmp) / "map.png", states, data.now, decorate=decor
            )
            return BriefWriter(data, png, site=self.live.site).write(out)

    def _on_brief_clicked(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save brief"), "brief.pdf", self.tr("PDF (*.pdf)")
        )
        if not path:
            return
        try:
            out = self.write_brief(Path(path))
        except Exception as exc:  # a failed brief must not take the summary down
            QMessageBox.warning(
                self, self.tr("Brief"), self.tr("The brief could not be written: {0}").format(exc)
            )
            return
        self.status.setText(self.tr("Brief written to {0}").format(out))
