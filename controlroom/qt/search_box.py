"""The map's search box (Ctrl+F): type an id or a name, see hits grouped by kind, Enter flies there.

A thin view over ``core.search_index.SearchIndex``: the line edit keeps the keyboard focus while a
floating list (a tool-tip window, so it never steals focus) shows the hits under one heading per
kind. Up/Down move through the hits, Enter or a click chooses one (``sig_chosen``), Escape closes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QWidget

from controlroom.core.search_index import SearchEntry, SearchHit, SearchIndex

DEBOUNCE_MS = 120
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


class SearchBox(QLineEdit):
    """Search over a ``SearchIndex``; emits the chosen ``SearchEntry``."""

    sig_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None, language: str = "en") -> None:
        super().__init__(parent)
        self.index = SearchIndex()
        self.language = language
        self.setObjectName("mapSearch")
        self.setPlaceholderText(self.tr("Search (Ctrl+F)"))
        self.setToolTip(
            self.tr("Find a building, road, place, camera, unit or incident by name or id; Enter flies there")
        )
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(160)
        self.results = QTreeWidget()
        self.results.setWindowFlags(Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.results.setHeaderHidden(True)
        self.results.setRootIsDecorated(False)
        self.results.setObjectName("mapSearchResults")
        self.results.setStyleSheet(
            "#mapSearchResults { background: #0b1220; color: #f2f5fa; border: 1px solid #2ea8ff; }"
            "#mapSearchResults::item:selected { background: #1d4ed8; }"
        )
        self.results.itemClicked.connect(self._on_item_clicked)
        self.destroyed.connect(self.results.deleteLater)  # a top-level popup: not deleted with us
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.textEdited.connect(lambda _t: self._timer.start())
        self.returnPressed.connect(self.choose_current)
        self.installEventFilter(self)
        self.hits: dict[str, list[SearchHit]] = {}

    def kind_label(self, kind: str) -> str:
        labels = {
            "building": self.tr("Buildings"),
            "road": self.tr("Roads"),
            "poi": self.tr("Places"),
            "camera": self.tr("Cameras"),
            "unit": self.tr("Vehicles and units"),
            "incident": self.tr("Incidents"),
        }
        return labels.get(kind, kind)

    def run_search(self) -> dict[str, list[SearchHit]]:
        """Search now (the debounce timer calls this) and show the grouped hits under the box."""
        self._timer.stop()
        self.hits = self.index.search(self.text())
        self.results.clear()
        first: QTreeWidgetItem | None = None
        for kind, hits in self.hits.items():
            head = QTreeWidgetItem([f"{self.kind_label(kind)} ({len(hits)})"])
            font = QFont(head.font(0))
            font.setBold(True)
            head.setFont(0, font)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.results.addTopLevelItem(head)
            for hit in hits:
                entry = hit.entry
                title = entry.title(self.language)
                text = title if title == entry.id else f"{title}  ·  {entry.id}"
                item = QTreeWidgetItem([text])
                item.setData(0, ENTRY_ROLE, entry)
                self.results.addTopLevelItem(item)
                first = first or item
        if first is None:
            empty = QTreeWidgetItem([self.tr("Nothing found") if self.text().strip() else ""])
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addTopLevelItem(empty)
        else:
            self.results.setCurrentItem(first)
        self._show_results(bool(self.text().strip()))
        return self.hits

    def _show_results(self, show: bool) -> None:
        if not show:
            self.results.hide()
            return
        rows = self.results.topLevelItemCount()
        row_h = self.results.sizeHintForRow(0) if rows else 20
        width = max(self.width() * 2, 360)
        self.results.resize(width, min(rows, 18) * row_h + 6)
        self.results.move(self.mapToGlobal(QPoint(0, self.height())))
        self.results.show()
        self.results.raise_()

    def _move(self, step: int) -> None:
        items = [self.results.topLevelItem(i) for i in range(self.results.topLevelItemCount())]
        choosable = [it for it in items if it is not None and it.data(0, ENTRY_ROLE) is not None]
        if not choosable:
            return
        current = self.results.currentItem()
        i = choosable.index(current) if current in choosable else -1
        self.results.setCurrentItem(choosable[max(0, min(len(choosable) - 1, i + step))])

    def choose_current(self) -> SearchEntry | None:
        """Enter: choose the highlighted hit (the best one when none is highlighted)."""
        if self._timer.isActive() or not self.hits:
            self.run_search()
        item = self.results.currentItem()
        entry = item.data(0, ENTRY_ROLE) if item is not None else None
        if entry is None:
            return None
        self.results.hide()
        self.sig_chosen.emit(entry)
        return entry

    def _on_item_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, ENTRY_ROLE) is not None:
            self.results.setCurrentItem(item)
            self.choose_current()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down:
                self._move(1)
                return True
            if event.key() == Qt.Key.Key_Up:
                self._move(-1)
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.results.hide()
                return True
        if watched is self and event.type() == QEvent.Type.FocusOut and not self.results.underMouse():
            self.results.hide()  # focus went elsewhere (not a click on a hit)
        return super().eventFilter(watched, event)
