"""The wall manager: turns a layout file into frameless windows on the real screens, and keeps
them right while monitors come and go and operators switch presets.

The geometry is solved Qt-free by :func:`controlroom.layouts.placement.plan_wall`; this module
only reads the screens, creates panels through the app's factory (panel id → widget), places
them, wires preset shortcuts (Ctrl+1..9 in file order, plus each preset's F-key) and saves the
state per layout. Panels survive re-layouts and preset switches: a widget is created once per
(region, panel id) and moved, never rebuilt, so a loaded 3D map is not reloaded on hot-plug.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence, QScreen
from PySide6.QtWidgets import QMenu, QWidget

from controlroom.layouts.geometry import Rect
from controlroom.layouts.placement import Placement, ScreenInfo, WindowPlan, plan_wall
from controlroom.layouts.spec import LayoutSpec
from controlroom.layouts.state import restore_state, save_state
from controlroom.qt.wall.theme import fonts_for_screen, wall_stylesheet
from controlroom.qt.wall.window import PlaceholderPanel, WallWindow, panel_title

PanelFactory = Callable[[str], QWidget | None]
#: Read from this far or more, a layout is a wall: panels drop desk-only controls (``set_wall_density``).
WALL_DISTANCE_M = 2.0
RELAYOUT_DELAY_MS = 250  # screens arrive in bursts on hot-plug: re-layout once they settle
log = logging.getLogger(__name__)


def screen_info(screen: QScreen, primary: QScreen | None) -> ScreenInfo:
    g = screen.geometry()
    size = screen.physicalSize()
    physical = (size.width(), size.height()) if size.width() > 0 and size.height() > 0 else None
    return ScreenInfo(
        name=screen.name(),
        rect=Rect(g.x(), g.y(), g.width(), g.height()),
        physical_mm=physical,
        primary=screen is primary,
        dpr=screen.devicePixelRatio(),
    )


def current_screens() -> list[ScreenInfo]:
    primary = QGuiApplication.primaryScreen()
    return [screen_info(s, primary) for s in QGuiApplication.screens()]


class WallManager(QObject):
    """Owns the wall windows and panels for one layout.

    ``panel_factory(panel_id)`` returns the widget for a panel, or ``None`` / raises ``KeyError``
    when this build has no such panel (a labelled placeholder is shown instead).
    """

    sig_preset_changed = Signal(str)
    sig_layout_applied = Signal()

    def __init__(
        self,
        spec: LayoutSpec,
        panel_factory: PanelFactory,
        *,
        restore: bool = True,
        accent: str = "#2ea8ff",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self._factory = panel_factory
        self._accent = accent
        self._panels: dict[tuple[str, str], QWidget] = {}
        self._windows: list[WallWindow] = []
        self._shelf = QWidget()  # never shown: keeps panels alive between layouts
        self._visible = False
        screens = current_screens()
        state = restore_state(spec, screens) if restore else None
        self._preset = state.preset if state else spec.default_preset_name
        self._overrides = dict(state.overrides) if state else {}
        self.restore_reason = state.reason if state else "restore disabled"
        self.placement: Placement = plan_wall(spec, screens, self._preset, self._overrides)
        self._actions = self._make_preset_actions()
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(RELAYOUT_DELAY_MS)
        self._relayout_timer.timeout.connect(self.relayout)
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication), "WallManager needs a running QGuiApplication"
        app.screenAdded.connect(self._on_screens_changed)
        app.screenRemoved.connect(self._on_screens_changed)
        app.primaryScreenChanged.connect(self._on_screens_changed)
        self._watched: list[QScreen] = []
        self._watch_screens()

    # ---------------------------------------------------------------- public API
    @property
    def preset(self) -> str:
        return self._preset

    @property
    def windows(self) -> list[WallWindow]:
        return list(self._windows)

    def window_for_region(self, region: str) -> WallWindow:
        for w in self._windows:
            if region in w.panels():
                return w
        raise KeyError(f"region '{region}' is not shown on any wall window")

    def panel_widget(self, region: str) -> QWidget:
        return self.window_for_region(region).panels()[region]

    def preset_actions(self) -> list[QAction]:
        """One checkable action per preset, with its shortcuts; add them to the app's own menus."""
        return list(self._actions.values())

    def preset_menu(self, parent: QWidget | None = None) -> QMenu:
        menu = QMenu(self.tr("Presets"), parent)
        menu.addActions(self.preset_actions())
        return menu

    def show(self) -> None:
        self._visible = True
        self._apply()

    def close(self) -> None:
        """Close every window and delete every panel (the app calls this once at exit)."""
        self._visible = False
        self._relayout_timer.stop()
        self._clear_windows()
        for widget in self._panels.values():
            widget.deleteLater()
        self._panels.clear()
        self._shelf.deleteLater()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            for signal in (app.screenAdded, app.screenRemoved, app.primaryScreenChanged):
                signal.disconnect(self._on_screens_changed)
        for screen in self._watched:
            with contextlib.suppress(RuntimeError):  # a monitor unplugged meanwhile: its screen is gone
                screen.geometryChanged.disconnect(self._on_screens_changed)
        self._watched.clear()

    def set_preset(self, name: str) -> None:
        if name not in self.spec.presets:
            raise KeyError(
                f"no preset '{name}' in layout '{self.spec.name}' (presets: {', '.join(self.spec.presets)})"
            )
        if name == self._preset:
            return
        self._preset = name
        self._actions[name].setChecked(True)
        self.relayout()
        self.sig_preset_changed.emit(name)

    def relayout(self) -> None:
        """Solve the layout again on the screens as they are now, and move windows and panels."""
        self._relayout_timer.stop()
        screens = current_screens()
        self._watch_screens()
        self.placement = plan_wall(self.spec, screens, self._preset, self._overrides)
        if self._visible:
            self._apply()

    def banner_text(self) -> str:
        """What the wall says about its degraded state; empty when all is as the layout wants."""
        p = self.placement
        a = p.assignment
        lines: list[str] = []
        if a.missing:
            found = len(self.spec.monitors) - len(a.missing)
            lines.append(
                self.tr("Monitors missing: {0}. The layout '{1}' wants {2} screens; {3} found.").format(
                    ", ".join(a.missing), self.spec.title, len(self.spec.monitors), found
                )
            )
        for monitor, screen in a.substituted.items():
            rule = self.spec.monitors[monitor].screen
            lines.append(
                self.tr("Monitor {0} ({1}) not found; showing it on screen {2}.").format(
                    monitor, rule.describe() if rule else "?", screen
                )
            )
        for region, dropped in p.shrunk_spans:
            lines.append(
                self.tr("Region '{0}' shrunk to the monitors present (without {1}).").format(
                    region, ", ".join(dropped)
                )
            )
        if p.moved:
            moves = ", ".join(f"{panel_title(panel)} → {window}" for _region, panel, window in p.moved)
            lines.append(self.tr("Panels moved: {0}.").format(moves))
        if p.unplaced:
            lines.append(self.tr("No screen for: {0}.").format(", ".join(p.unplaced)))
        return "\n".join(lines)

    # ---------------------------------------------------------------- internals
    def _make_preset_actions(self) -> dict[str, QAction]:
        group = QActionGroup(self)
        group.setExclusive(True)
        actions: dict[str, QAction] = {}
        for index, name in enumerate(self.spec.preset_names):
            action = QAction(self.spec.preset_title(name), self)
            action.setObjectName(f"preset:{name}")
            action.setCheckable(True)
            keys = [QKeySequence(f"Ctrl+{index + 1}")] if index < 9 else []
            key = self.spec.presets[name].key
            if key:
                keys.append(QKeySequence(key))
            action.setShortcuts(keys)
            action.setChecked(name == self._preset)
            action.triggered.connect(lambda _checked=False, n=name: self.set_preset(n))
            group.addAction(action)
            actions[name] = action
        return actions

    def _watch_screens(self) -> None:
        """Resolution or position changes of a screen also need a re-layout."""
        self._watched = [s for s in self._watched if s in QGuiApplication.screens()]
        for screen in QGuiApplication.screens():
            if not any(screen is w for w in self._watched):
                screen.geometryChanged.connect(self._on_screens_changed)
                self._watched.append(screen)

    def _on_screens_changed(self, *_args: object) -> None:
        if self._visible:  # a closed wall ignores screens (their geometryChanged stays connected)
            self._relayout_timer.start()

    def _panel(self, region: str, panel_id: str) -> QWidget:
        key = (region, panel_id)
        widget = self._panels.get(key)
        if widget is None:
            widget = self._create_panel(region, panel_id)
            self._panels[key] = widget
        return widget

    def _create_panel(self, region: str, panel_id: str) -> QWidget:
        try:
            widget = self._factory(panel_id)
        except KeyError:
            widget = None
        except Exception as exc:  # a broken panel must not take the wall down
            log.exception("panel %s for region %s failed to start", panel_id, region)
            return PlaceholderPanel(
                panel_id,
                region,
                self.tr("Panel '{0}' failed to start: {1}").format(panel_id, exc),
                self._shelf,
            )
        if widget is None:
            return PlaceholderPanel(panel_id, region, parent=self._shelf)
        return widget

    def _clear_windows(self, keep: tuple[WallWindow, ...] = ()) -> None:
        for window in self._windows:
            if any(window is k for k in keep):
                continue
            self._shelve(window, window.panels().values())
            window.close()
            window.deleteLater()
        self._windows = list(keep)

    def _apply(self) -> None:
        """Bring the windows in line with ``self.placement``; windows whose place did not change stay."""
        qscreens = {s.name(): s for s in QGuiApplication.screens()}
        message = self.banner_text()
        wanted = {
            plan.key: {slot.region: self._panel(slot.region, slot.panel) for slot in plan.slots}
            for plan in self.placement.windows
        }
        keep = {id(widget) for panels in wanted.values() for widget in panels.values()}
        for window in self._windows:
            self._shelve(window, [w for w in window.panels().values() if id(w) not in keep])
        reusable = {(w.plan.key, w.plan.rect, w.plan.screens): w for w in self._windows}
        windows: list[WallWindow] = []
        for plan in self.placement.windows:
            reused = reusable.pop((plan.key, plan.rect, plan.screens), None)
            window = reused if reused is not None else self._new_window(plan, qscreens.get(plan.screens[0]))
            self._fill(window, plan, wanted[plan.key])
            window.banner.set_message(message)
            windows.append(window)
        self._clear_windows(keep=tuple(windows))
        for window in windows:
            if not window.isVisible():
                if window.plan.is_span:
                    window.show()  # full-screen would clip it to one screen; the geometry covers them all
                else:
                    window.showFullScreen()
        try:
            save_state(self.spec, self._preset, self.placement.assignment, current_screens())
        except OSError as exc:
            log.warning("could not save the wall state for %s: %s", self.spec.name, exc)
        self.sig_layout_applied.emit()

    def _new_window(self, plan: WindowPlan, screen: QScreen | None) -> WallWindow:
        window = WallWindow(plan)
        window.addActions(self.preset_actions())
        if screen is not None:
            fonts = fonts_for_screen(screen, self.spec.wall.viewing_distance_m)
            window.setStyleSheet(wall_stylesheet(fonts, self._accent))
            window.setScreen(screen)
        x, y, w, h = plan.rect.px()
        window.setGeometry(x, y, w, h)
        return window

    def _shelve(self, window: WallWindow, widgets: Iterable[QWidget]) -> None:
        """Park panels the window no longer shows (unless another window has taken them already)."""
        for widget in widgets:
            if widget.parentWidget() is window:
                widget.hide()
                widget.setParent(self._shelf)

    def _fill(self, window: WallWindow, plan: WindowPlan, widgets: dict[str, QWidget]) -> None:
        """Give the window this plan's panels and tell spanning panels about the bezels."""
        window.plan = plan
        window.set_panels(widgets)
        for slot in plan.slots:
            setter = getattr(widgets[slot.region], "set_bezel_compensation", None)
            if callable(setter):
                whole = slot.rect.w == plan.rect.w and slot.rect.h == plan.rect.h
                setter(plan.bezel if whole else None)
            distance = getattr(widgets[slot.region], "set_viewing_distance", None)
            if callable(distance):
                distance(self.spec.wall.viewing_distance_m)
            density = getattr(widgets[slot.region], "set_wall_density", None)
            if callable(density) and (self.spec.wall.viewing_distance_m or 0.0) >= WALL_DISTANCE_M:
                density(fonts_for_screen(window.screen(), self.spec.wall.viewing_distance_m).body)
