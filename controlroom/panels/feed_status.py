"""Is the feed alive? Connected or silent, messages per second, gaps, bad input, and per source
(our publishers and every ``[[sources]]`` bridge) when it was last heard, live / silent / down, and
the rate its heartbeat reports.

"Heard" means data was *accepted* from the source: a publisher whose frames are all refused
shows as silent. Publisher restarts (a new run, ``epoch``) and restarts of the app's own feed
thread (its supervisor brought it back after it died) are counted where the operator sees them.

Fed by ``LiveCity.sig_feed_status`` (``FeedStats.snapshot``, once a second), so it costs nothing
between updates. The headline is one word an operator can read from across the room; the
numbers below it are for whoever has to phone the feed's owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from controlroom.qt.fit import GridReflow, fit_columns
from controlroom.qt.panel_contract import LivePanel

if TYPE_CHECKING:
    from controlroom.qt.live import LiveCity

SILENT_AFTER_S = 5.0  # no message from any source for this long: the feed is silent
STATE_COLOURS = {"connected": "#22c55e", "silent": "#f59e0b", "waiting": "#7d8ba0", "down": "#ef4444"}
SOURCE_COLOURS = {"live": "#22c55e", "silent": "#f59e0b", "down": "#ef4444"}
HEADLINE_POINT_SIZE = 26
NUMBER_POINT_SIZE = 16


def feed_state(snapshot: dict[str, Any]) -> str:
    """'connected' (someone spoke recently), 'silent' (sources known, none heard lately), 'waiting',
    or 'down' (the feed broker of the NATS / MQTT transport cannot be reached)."""
    if snapshot.get("link") == "down":
        return "down"
    sources: dict[str, dict[str, Any]] = snapshot.get("sources") or {}
    if not sources:
        return "connected" if snapshot.get("msgs_per_s", 0) else "waiting"
    recent = min(float(s.get("last_heard_s_ago", 1e9)) for s in sources.values())
    return "connected" if recent <= SILENT_AFTER_S else "silent"


def source_state(source: dict[str, Any]) -> str:
    """One source: 'down' (not heard for SILENT_AFTER_S: its publisher, or a bridge's upstream, is
    gone), 'silent' (heartbeats say it is connected but nothing is arriving), else 'live'."""
    if float(source.get("last_heard_s_ago", 1e9)) > SILENT_AFTER_S:
        return "down"
    rate = source.get("rate_hz")
    return "silent" if rate is not None and float(rate) <= 0.0 else "live"


class FeedStatusPanel(LivePanel, QWidget):
    panel_id: ClassVar[str] = "feed_status"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.title())
        self.setObjectName("feedStatus")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#feedStatus { background: #05080f; } #feedStatus QLabel { color: #e6edf7; }"
            " QTableWidget { background: #0d1522; color: #e6edf7; gridline-color: #2e4057; }"
            " QHeaderView::section { background: #142033; color: #c9d3e2; }"
        )
        self.state = "waiting"
        box = QVBoxLayout(self)
        self.headline = QLabel(self)
        self.headline.setWordWrap(True)  # a narrow dock breaks the reason onto a second line
        font = QFont(self.headline.font())
        font.setPointSize(HEADLINE_POINT_SIZE)
        font.setBold(True)
        self.headline.setFont(font)
        box.addWidget(self.headline)

        grid = QGridLayout()
        self.numbers: dict[str, QLabel] = {}
        captions = {
            "msgs_per_s": self.tr("Messages/s"),
            "received": self.tr("Received"),
            "gaps": self.tr("Gaps"),
            "duplicates": self.tr("Duplicates"),
            "bad": self.tr("Bad messages"),
            "restarts": self.tr("Publisher restarts"),
        }
        cells: list[tuple[QWidget, ...]] = []
        for key, caption in captions.items():
            cap = QLabel(caption, self)
            value = QLabel("—", self)
            big = QFont(value.font())
            big.setPointSize(NUMBER_POINT_SIZE)
            big.setBold(True)
            value.setFont(big)
            cells.append((cap, value))
            self.numbers[key] = value
        self.number_cells = GridReflow(
            self, grid, cells, len(cells)
        )  # one row when there is room, more in a narrow dock
        box.addLayout(grid)

        self.thread_label = QLabel(self)
        self.thread_label.setWordWrap(True)
        self.thread_label.setStyleSheet("color: #f59e0b;")
        box.addWidget(self.thread_label)
        self.link_label = QLabel(self)
        self.link_label.setWordWrap(True)
        self.link_label.setStyleSheet(f"color: {STATE_COLOURS['down']};")
        box.addWidget(self.link_label)
        self.reasons_label = QLabel(self)
        self.reasons_label.setWordWrap(True)
        box.addWidget(self.reasons_label)
        self.sources = QTableWidget(0, 7, self)
        self.sources.setHorizontalHeaderLabels(
            [
                self.tr("Source"),
                self.tr("Last heard"),
                self.tr("Received"),
                self.tr("Gaps / dups"),
                self.tr("Restarts"),
                self.tr("State"),
                self.tr("Rate"),
            ]
        )
        self.sources.verticalHeader().setVisible(False)
        self.sources.horizontalHeader().setStretchLastSection(True)
        self.sources.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        fit_columns(self.sources, drop_order=(3, 4, 6, 2, 1))  # narrow: source and state stay
        box.addWidget(self.sources, 1)
        self.show_status({})

    def title(self) -> str:
        return self.tr("Feed Status")

    def attach_live(self, live: LiveCity) -> None:
        live.sig_feed_status.connect(self.show_status)
        if live.stats is not None:
            self.show_status(live.stats.snapshot(live.clock()))

    def show_status(self, snapshot: dict[str, Any]) -> None:
        self.state = feed_state(snapshot)
        words = {
            "connected": self.tr("● Feed connected"),
            "silent": self.tr("● Feed silent"),
            "waiting": self.tr("● Waiting for the feed"),
            "down": self.tr("● Feed broker down"),
        }
        self.headline.setText(words[self.state])
        self.headline.setStyleSheet(f"color: {STATE_COLOURS[self.state]};")
        rejected: dict[str, int] = snapshot.get("rejected") or {}
        values = {
            "msgs_per_s": f"{float(snapshot.get('msgs_per_s', 0.0)):,.1f}",
            "received": f"{int(snapshot.get('received', 0)):,}",
            "gaps": f"{int(snapshot.get('gaps', 0)):,}",
            "duplicates": f"{int(snapshot.get('duplicates', 0)):,}",
            "bad": f"{sum(rejected.values()):,}",
            "restarts": f"{int(snapshot.get('restarts', 0)):,}",
        }
        for key, text in values.items():
            self.numbers[key].setText(text)
        thread_restarts = int(snapshot.get("thread_restarts", 0))
        if thread_restarts:
            text = self.tr("Feed thread died and was restarted {0}× (last: {1})")
            self.thread_label.setText(text.format(thread_restarts, snapshot.get("thread_error", "")))
        self.thread_label.setVisible(bool(thread_restarts))
        link_down = snapshot.get("link") == "down"
        if link_down:  # the reason names the broker and when the next try is
            self.link_label.setText(
                self.tr("Cannot use the feed broker: {0}").format(snapshot.get("link_detail", ""))
            )
        self.link_label.setVisible(link_down)
        if rejected:
            parts = ", ".join(f"{reason.replace('_', ' ')} {count:,}" for reason, count in rejected.items())
            self.reasons_label.setText(self.tr("Rejected: {0}").format(parts))
        else:
            self.reasons_label.setText(self.tr("No bad input"))
        sources: dict[str, dict[str, Any]] = snapshot.get("sources") or {}
        self.sources.setRowCount(len(sources))
        states = {"live": self.tr("live"), "silent": self.tr("silent"), "down": self.tr("down")}
        for row, (name, s) in enumerate(sorted(sources.items())):
            ago = float(s.get("last_heard_s_ago", 0.0))
            state = source_state(s)
            rate = s.get("rate_hz")
            cells = [
                name,
                self.tr("{0} s ago").format(f"{ago:.0f}"),
                f"{int(s.get('received', 0)):,}",
                f"{int(s.get('gaps', 0))} / {int(s.get('duplicates', 0))}",
                f"{int(s.get('restarts', 0))}",
                states[state],
                self.tr("{0}/s").format(f"{float(rate):,.1f}") if rate is not None else "—",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 5:
                    item.setForeground(QColor(SOURCE_COLOURS[state]))
                self.sources.setItem(row, col, item)
