"""The alarm desk: banner, filters, the alarm list, the selected alarm's procedure and actions.

Built on the instance's one ``AlarmService`` (engine + book + sound), so acknowledging here is
acknowledging for the wall and every other desk of this instance. Actions act on the selected
alarm as this desk's user (the site's dispatch user, else the OS user) with the comment typed
below the list; each has a one-key shortcut. "To incident", "Cameras" and "Fly there" go
through the live city's intents, so the dispatch desk, the video grid and the map carry them out.
"""

from __future__ import annotations

import math
import zlib
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from controlroom.core.ages import age_text
from controlroom.core.alarms.lifecycle import AlarmStateError
from controlroom.core.alarms.rules import PRIORITIES
from controlroom.panels.alarms.banner import AlarmBanner
from controlroom.panels.alarms.style import PRIORITY_COLOURS, forecast_text, priority_name, state_name
from controlroom.panels.alarms.table import AlarmTable
from controlroom.qt.action_buttons import ActionSpec, add_action_buttons
from controlroom.qt.alarm_service import AlarmService, alarm_service_for
from controlroom.qt.fit import ElidedLabel, ResponsiveSplitter, flow_row
from controlroom.qt.panel_contract import LivePanel
from controlroom.qt.site_words import place_name
from controlroom.qt.strings import ROLES, alarm_category_label, code_label

if TYPE_CHECKING:
    from controlroom.core.alarms.lifecycle import Alarm
    from controlroom.qt.live import LiveCity

BODY_POINT_SIZE = 16
FOCUS_DISTANCE_M = 600.0
SNOOZE_S = 600.0
#: The incident type an alarm of a category becomes ("To incident"); others fall back below.
CATEGORY_INCIDENT_TYPE = {
    "flood": "waterlogging",
    "enforcement": "illegal_construction",
    "environment": "illegal_construction",
    "traffic": "illegal_parking",
    "roads": "road_damage",
}
FALLBACK_INCIDENT_TYPE = "road_damage"
SEVERITY_OF = {"critical": 4, "high": 3, "medium": 2, "low": 1}
STYLE = (
    "#alarmsPanel { background: #0a0e13; } #alarmsPanel QLabel { color: #d8e1ea; }"
    " QTableWidget { background: #0d1522; color: #e6edf7; gridline-color: #243142;"
    " selection-background-color: #1e3a5f; }"
    " QHeaderView::section { background: #142033; color: #c9d3e2; padding: 4px; }"
    " QComboBox, QLineEdit { background: #121922; color: #e6edf7; border: 1px solid #243142; padding: 4px; }"
    " QPushButton { background: #17324d; color: #e6edf7; border: 1px solid #2ea8ff; border-radius: 5px;"
    " padding: 6px 12px; } QPushButton:disabled { color: #5a6878; border-color: #243142; }"
)


class AlarmsPanel(LivePanel, QWidget):
    panel_id: ClassVar[str] = "alarms"

    def __init__(
        self, live: LiveCity, service: AlarmService | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.live = live
        self.service = service or alarm_service_for(live)
        self.setObjectName("alarmsPanel")
        self.setWindowTitle(self.title())
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        font = QFont(self.font())
        font.setPointSize(BODY_POINT_SIZE)
        self.setFont(font)
        self._build()
        s = self.service
        s.sig_alarm_changed.connect(self._on_alarm_changed)
        s.sig_alarm_selected.connect(self.select_alarm)
        s.sig_ready.connect(self.refresh)
        s.sig_replay_changed.connect(self.refresh)  # the clock went into the past or came back
        s.sig_failed.connect(self._on_failed)
        s.sig_action_refused.connect(
            lambda _alarm_id, reason: self.feedback.setText(
                self.tr("Refused by the dispatch gateway: {0}").format(reason)
            )
        )
        self._clock = QTimer(self)  # forecast countdowns and the banner's age move with time
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._on_clock)
        self._clock.start()
        if s.error:
            self._on_failed(s.error)
        self.refresh()

    def title(self) -> str:
        return self.tr("Alarms")

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.banner = AlarmBanner(self.live.state.now, self)
        self.banner.place = lambda name: place_name(self.live.site, name)
        self.banner.sig_clicked.connect(self.select_alarm)
        self.priority_filter = QComboBox()
        self.priority_filter.addItem(self.tr("All priorities"), "")
        for p in PRIORITIES:
            self.priority_filter.addItem(priority_name(p), p)
        self.category_filter = QComboBox()
        self.category_filter.addItem(self.tr("All categories"), "")
        self.district_filter = QComboBox()
        self.district_filter.addItem(self.tr("All districts"), "")
        filters = flow_row()  # wraps in a narrow dock instead of cutting the last filter off
        for combo in (self.priority_filter, self.category_filter, self.district_filter):
            combo.currentIndexChanged.connect(self.refresh)
            filters.addWidget(combo)
        self.count = ElidedLabel("")  # "13 open · 13 waiting" grows with the counts: elide, tooltip whole
        filters.addWidget(self.count)
        self.table = AlarmTable(BODY_POINT_SIZE, self)
        self.table.site = self.live.site
        self.table.zone = self.live.site.site.timezone
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.heading = QLabel(self.tr("No alarm selected"))
        hf = QFont(self.font())
        hf.setPointSize(BODY_POINT_SIZE + 4)
        hf.setBold(True)
        self.heading.setFont(hf)
        self.heading.setWordWrap(True)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.procedure = QLabel("")
        self.procedure.setWordWrap(True)
        self.procedure.setTextFormat(Qt.TextFormat.PlainText)
        self.procedure.setStyleSheet("color: #f2d49b;")
        self.comment = QLineEdit()
        self.comment.setPlaceholderText(self.tr("Comment (saved with the next action)"))
        self.comment.returnPressed.connect(lambda: self.act("acknowledge"))
        row1, row2 = flow_row(), flow_row()  # buttons wrap rather than clip
        actions: list[ActionSpec] = [
            ("acknowledge", self.tr("Acknowledge (A)"), "A", lambda: self.act("acknowledge"), row1),
            ("start_work", self.tr("Start work (W)"), "W", lambda: self.act("start_work"), row1),
            ("snooze", self.tr("Snooze 10 min (Z)"), "Z", lambda: self.act("snooze"), row1),
            ("close", self.tr("Close (X)"), "X", lambda: self.act("close"), row1),
            ("incident", self.tr("To incident (I)"), "I", self.to_incident, row2),
            ("cameras", self.tr("Cameras (C)"), "C", self.open_cameras, row2),
            ("fly", self.tr("Fly there (F)"), "F", self.fly_there, row2),
            ("what_if", self.tr("What if? (Q)"), "Q", self.what_if, row2),
        ]
        world = ("acknowledge", "start_work", "snooze", "close", "incident")  # off while replaying
        self.buttons: dict[str, QPushButton] = add_action_buttons(self, actions, live=self.live, world=world)
        self.feedback = QLabel("")
        self.feedback.setStyleSheet("color: #f59e0b;")
        body = QFont(self.font())
        body.setPointSize(BODY_POINT_SIZE)
        widgets = (
            self.detail,
            self.procedure,
            self.comment,
            self.feedback,
            self.count,
            *self.buttons.values(),
        )
        for w in (*widgets, self.priority_filter, self.category_filter, self.district_filter):
            w.setFont(body)  # wall-readable: labels in a splitter do not inherit the panel's size
        right = QWidget()
        rv = QVBoxLayout(right)
        for w in (self.heading, self.detail, self.procedure):
            rv.addWidget(w)
        rv.addStretch(1)
        rv.addWidget(self.comment)
        rv.addLayout(row1)
        rv.addLayout(row2)
        rv.addWidget(self.feedback)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addLayout(filters)
        lv.addWidget(self.table)
        split = ResponsiveSplitter((360, 300))  # the list above the detail when too narrow for both
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        box = QVBoxLayout(self)
        box.addWidget(self.banner)
        box.addWidget(split, 1)
        self._show_selected()

    # ------------------------------------------------------------------ reading
    def visible_alarms(self) -> list[Alarm]:
        """Open alarms passing the filters, most urgent first."""
        p = self.priority_filter.currentData()
        c = self.category_filter.currentData()
        d = self.district_filter.currentData()
        return [
            a
            for a in self.service.open_alarms()
            if (not p or a.priority == p) and (not c or a.category == c) and (not d or a.district == d)
        ]

    def selected(self) -> Alarm | None:
        alarm_id = self.table.selected_id()
        return None if alarm_id is None else self.service.alarm(alarm_id)

    def refresh(self) -> None:
        now = self.live.state.now()  # in replay, the replay instant: forecasts count from it
        self._update_filter_choices()
        alarms = self.visible_alarms()
        self.table.show_alarms(alarms, now)
        if alarms and self.table.selected_id() is None:
            self.table.selectRow(0)  # the most urgent: its procedure is on screen without a click
        waiting = sum(1 for a in self.service.open_alarms() if a.state == "new")
        self.count.setText(self.tr("{0} open · {1} waiting").format(len(self.service.open_alarms()), waiting))
        self.banner.show_alarm(self.service.banner_alarm())
        self._show_selected()

    def _update_filter_choices(self) -> None:
        rules = self.service.rules
        categories = sorted(
            {getattr(r, "category", "") for r in rules} | {a.category for a in self.service.open_alarms()}
        )
        districts = sorted({a.district for a in self.service.open_alarms() if a.district})
        for combo, values in ((self.category_filter, categories), (self.district_filter, districts)):
            have = {combo.itemData(i) for i in range(1, combo.count())}
            for v in values:
                if v and v not in have:
                    combo.blockSignals(True)
                    label = (
                        alarm_category_label(v)
                        if combo is self.category_filter
                        else place_name(self.live.site, v)
                    )
                    combo.addItem(label, v)
                    combo.blockSignals(False)

    def _show_selected(self) -> None:
        a = self.selected()
        for key, btn in self.buttons.items():
            btn.setEnabled(a is not None and (a.has_place or key not in ("fly", "cameras", "incident")))
        self.buttons["what_if"].setEnabled(a is not None and self.what_if_level(a) is not None)
        if a is None:
            self.heading.setText(self.tr("No alarm selected"))
            self.detail.setText("")
            self.procedure.setText("")
            return
        colour = PRIORITY_COLOURS[a.priority]
        self.heading.setText(a.title)
        self.heading.setStyleSheet(f"color: {colour};")
        now = self.live.state.now()
        lines = [a.message, self.tr("raised {0} ago").format(age_text(now - a.raised_at))]
        if a.predicted:
            lines.insert(0, forecast_text(a, now))
        lines.append(
            f"{priority_name(a.priority)} · {state_name(a)} · {alarm_category_label(a.category)}"
            + (f" · {place_name(self.live.site, a.district)}" if a.district else "")
        )
        if a.acknowledged_by:
            who = self.tr("acknowledged by {0}").format(a.acknowledged_by)
            lines.append(who + (f": “{a.comment}”" if a.comment else ""))
        if a.owner:
            lines.append(self.tr("owner: {0}").format(a.owner))
        if a.escalation_level:
            role = a.recipient
            role = code_label("role", role) if role in ROLES else place_name(self.live.site, role)
            lines.append(self.tr("escalated to {0}").format(role))
        self.detail.setText("\n".join(lines))
        self.procedure.setText(a.procedure and self.tr("Procedure:") + "\n" + a.procedure)

    # ------------------------------------------------------------------ actions
    def select_alarm(self, alarm_id: str) -> None:
        if not self.table.select_id(alarm_id):
            for combo in (self.priority_filter, self.category_filter, self.district_filter):
                combo.setCurrentIndex(0)
            self.table.select_id(alarm_id)

    def act(self, action: str) -> None:
        a = self.selected()
        if a is None:
            return
        try:
            self.service.act(action, a.id, self.comment.text().strip(), SNOOZE_S)
        except AlarmStateError as exc:
            self.feedback.setText(str(exc))
            return
        self.feedback.setText("")
        self.comment.clear()

    def to_incident(self) -> None:
        a = self.selected()
        if a is None or not a.has_place:
            return
        self.live.request_incident(
            {
                "id": f"ALM-{zlib.crc32(a.id.encode()):08X}",  # the same on every desk
                "type": CATEGORY_INCIDENT_TYPE.get(a.category, FALLBACK_INCIDENT_TYPE),
                "severity": SEVERITY_OF.get(a.priority, 2),
                "x": a.x,
                "y": a.y,
                "text": a.message,
                "camera_ids": list(a.cameras),
                "source": f"alarm:{a.id}",
            }
        )

    def open_cameras(self) -> None:
        a = self.selected()
        if a is None:
            return
        if a.cameras:
            self.live.request_cameras(list(a.cameras), a.title)
        elif a.has_place:
            self.live.request_cameras_around(a.x, a.y, a.title)

    def fly_there(self) -> None:
        a = self.selected()
        if a is not None and a.has_place and math.isfinite(a.x):
            self.live.request_focus(a.x, a.y, FOCUS_DISTANCE_M, a.title)

    def what_if_level(self, a: Alarm) -> float | None:
        """The river level this alarm asks about (None: not a river gauge's alarm)."""
        from controlroom.qt.flood_state import river_alarm_level

        return river_alarm_level(a, self.service.rules, self.live.sensors)

    def what_if(self) -> None:
        """Open the flood what-if at this alarm's river level (the map shows what goes under)."""
        a = self.selected()
        level = self.what_if_level(a) if a is not None else None
        if a is not None and level is not None:
            self.live.request_flood_what_if(level, a.title)

    # ------------------------------------------------------------------ signals
    def _on_alarm_changed(self, _alarm: object) -> None:
        self.refresh()

    def _on_failed(self, message: str) -> None:
        self.banner.badge.setText(self.tr("Alarm rules not loaded"))
        self.banner.text.setText(message.splitlines()[0] if message else "")

    def _on_clock(self) -> None:
        if self.isVisible():
            self.banner.refresh()
            if any(a.predicted for a in self.service.open_alarms()):
                self.refresh()

    def release(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        self._clock.stop()
        self.banner.stop()
