"""The alarms of one app instance: the engine and the book, driven by the live city's clock.

One ``AlarmService`` per ``LiveCity`` (``alarm_service_for(live)``), shared by every alarm panel,
map layer and banner on every screen, so an alarm is acknowledged once for the whole room and
its sound plays once. The engine evaluates after each pump tick (the feed's coalesced updates)
and on a 1 Hz clock, because silence, minimum durations, dwell times and escalation are about
time passing, not data arriving. Panels listen to the Qt signals; the wall listens to
``sig_preset_wanted``/``sig_preset_revert`` to switch layouts on an alarm category.
"""

from __future__ import annotations

import getpass
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from controlroom.core.alarms.rules import PRIORITIES
from controlroom.qt.i18n import current_language

if TYPE_CHECKING:
    from controlroom.core.alarms.audit import AuditSink
    from controlroom.core.alarms.engine import AlarmEngine
    from controlroom.core.alarms.lifecycle import Alarm, AlarmBook
    from controlroom.core.site import Site
    from controlroom.qt.alarm_sound import AlarmSound
    from controlroom.qt.alarm_sync import AlarmGatewayLink
    from controlroom.qt.live import LiveCity

log = logging.getLogger(__name__)

CLOCK_HZ = 1.0


def audit_db_path(site: Site) -> Path:
    """``[alarms] audit_db`` (relative to the site folder), else the user's state folder per site."""
    if site.alarms.audit_db is not None:
        return (site.folder / site.alarms.audit_db).resolve()
    from controlroom.dispatch.settings import state_dir

    return state_dir() / site.site.name / "alarm-audit.sqlite"


def desk_user(site: Site) -> str:
    """Who acts at this desk: the site's dispatch user when configured, else the OS user."""
    if site.dispatch.user:
        return site.dispatch.user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "operator"


def alarm_service_for(live: LiveCity) -> AlarmService:
    """The one alarm service of a live city (made on first use)."""
    if live.alarm_service is None:
        live.alarm_service = AlarmService(live)
    return live.alarm_service


def existing_alarm_service(live: LiveCity) -> AlarmService | None:
    """The live city's alarm service if something has made it, without making one (a reader that
    only looks at alarms must not start the rules engine)."""
    return live.alarm_service


class AlarmService(QObject):
    """Engine + book for one live city; emits the alarm's ``Alarm`` record on each change."""

    sig_ready = Signal()  # rules loaded and the book exists
    sig_failed = Signal(str)  # the rules could not be loaded (the message names file and key)
    sig_alarm_raised = Signal(object)  # Alarm: a new alarm (real or predicted)
    sig_alarm_changed = Signal(object)  # Alarm: any change (state, priority, value, confirmed)
    sig_alarm_cleared = Signal(object)  # Alarm: its condition went away, or it was closed
    sig_alarm_selected = Signal(str)  # alarm id picked on a map or the banner
    #: The clock went into the past or came back (``replay_alarms`` set or cleared): redraw lists.
    sig_replay_changed = Signal()
    sig_preset_wanted = Signal(str)  # layout preset for the most urgent open alarm's category
    sig_preset_revert = Signal()  # no open alarm wants a preset any more: back to what was shown
    sig_action_refused = Signal(str, str)  # alarm id, the dispatch gateway's reason

    def __init__(
        self,
        live: LiveCity,
        *,
        audit: AuditSink | None = None,
        sound: AlarmSound | None = None,
        clock_hz: float = CLOCK_HZ,
    ) -> None:
        super().__init__(live)
        self.live = live
        self.user = desk_user(live.site)
        self.engine: AlarmEngine | None = None
        self.book: AlarmBook | None = None
        #: While the clock is in the past: the alarms as they stood then (the book goes on live).
        self.replay_alarms: list[Alarm] | None = None
        self.error: str | None = None
        self.zone_issues: list[str] = []
        self.audit = audit
        #: Set by ``qt.alarm_sync.link_alarms_to_gateway``: actions then go through the gateway.
        self.gateway: AlarmGatewayLink | None = None
        self._sound = sound
        self._seen: dict[str, tuple[bool, int, int]] = {}
        self._preset: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(1000 / clock_hz)))
        self._timer.timeout.connect(self.evaluate)
        live.sig_tick.connect(self._on_live_tick)
        live.sig_city_loaded.connect(self._on_city_loaded)
        live.destroyed.connect(self._timer.stop)
        live.sig_stopped.connect(self.stop)
        if live.frame is not None:
            self._on_city_loaded(live.model)

    # ------------------------------------------------------------------ set-up
    @Slot(object)
    def _on_city_loaded(self, _model: object) -> None:
        if self.book is not None or self.live.frame is None:
            return
        from controlroom.core.alarms.engine import AlarmEngine
        from controlroom.core.alarms.lifecycle import AlarmBook
        from controlroom.core.alarms.rules import load_site_rules
        from controlroom.core.issues import SiteError
        from controlroom.geo.alarm_zones import build_zones

        site = self.live.site
        try:
            rules = load_site_rules(site)
            zones, issues = build_zones(rules, site, self.live.frame)
        except SiteError as exc:
            self.error = "\n".join(str(i) for i in exc.issues)
            log.error("alarm rules not loaded:\n%s", self.error)
            self.sig_failed.emit(self.error)
            return
        self.zone_issues = [str(i) for i in issues]
        for issue in self.zone_issues:
            log.warning("alarm zone: %s", issue)
        if self.audit is None:
            from controlroom.core.alarms.audit import SqliteAuditSink

            sink = SqliteAuditSink(audit_db_path(site))
            self.live.destroyed.connect(lambda *_: sink.close())
            self.audit = sink
        cfg = site.alarms
        self.engine = AlarmEngine(rules, zones)
        self.book = AlarmBook(
            self.audit,
            clock=self.live.clock,
            escalation_s={str(k): v for k, v in cfg.escalation_s.items()},
            escalation_chain=cfg.escalation_chain,
            locate=zones.locate if zones.districts else None,
            language=current_language(),  # the rules' texts in the desk's language
        )
        self.book.listeners.append(self._on_book_changed)
        if self._sound is None and cfg.sound:
            from controlroom.qt.alarm_sound import AlarmSound

            self._sound = AlarmSound(self)
        self._timer.start()
        self.sig_ready.emit()

    @property
    def ready(self) -> bool:
        return self.book is not None

    @property
    def rules(self) -> list[object]:
        return list(self.engine.rules.rule) if self.engine is not None else []

    def stop(self) -> None:
        self._timer.stop()

    # ------------------------------------------------------------------ clock
    @Slot(object)
    def _on_live_tick(self, change: object) -> None:
        self.evaluate(list(getattr(change, "entities_removed", []) or []))

    @Slot()
    def evaluate(self, removed: list[str] | None = None) -> None:
        """One evaluation of every rule on the live models, then escalation (public for tests)."""
        if self.engine is None or self.book is None:
            return
        live = self.live
        now = live.clock()
        try:
            events = self.engine.evaluate(
                now,
                metrics=live.metrics,
                sensors=live.sensors,
                entities=live.entities,
                incidents=live.incidents,
                stats=live.stats,
                removed_entities=removed or [],
            )
            self.book.apply(events)
            self.book.tick()
        except Exception:  # a bug in one rule kind must not stop the pump or the other rules
            log.exception("alarm evaluation failed")

    # ------------------------------------------------------------------ operators
    def act(self, action: str, alarm_id: str, comment: str = "", snooze_s: float = 600.0) -> Alarm:
        """An operator action by this desk's user: acknowledge, start_work, snooze, close.

        With a gateway linked the action is sent as an order and the book changes when the gateway
        publishes it; a refusal comes later on ``sig_action_refused``.

        Raises ``AlarmStateError`` (its message says why) when the action does not apply.
        """
        if self.book is None:
            raise RuntimeError("alarms are not loaded")
        book, who = self.book, self.user
        if self.gateway is not None and self.gateway.desk is not None:
            self.gateway.desk.act(action, alarm_id, comment, snooze_s=snooze_s)
            return book.get(alarm_id)  # changes when the gateway publishes it (every desk alike)
        if action == "acknowledge":
            return book.acknowledge(alarm_id, who, comment)
        if action == "start_work":
            return book.start_work(alarm_id, who, comment=comment)
        if action == "snooze":
            return book.snooze(alarm_id, who, snooze_s, comment)
        if action == "close":
            return book.close(alarm_id, who, comment)
        raise ValueError(f"unknown alarm action '{action}'")

    def select(self, alarm_id: str) -> None:
        self.sig_alarm_selected.emit(alarm_id)

    def open_alarms(self) -> list[Alarm]:
        if self.replay_alarms is not None:
            return sorted(
                self.replay_alarms, key=lambda a: (PRIORITIES.index(a.priority), a.predicted, -a.raised_at)
            )
        return self.book.open() if self.book is not None else []

    def alarm(self, alarm_id: str) -> Alarm | None:
        """An alarm by id: a replayed one while the clock is in the past, else the book's."""
        if self.replay_alarms is not None:
            return next((a for a in self.replay_alarms if a.id == alarm_id), None)
        return self.book.alarms.get(alarm_id) if self.book is not None else None

    def show_replay(self, alarms: list[Alarm] | None) -> None:
        """Show ``alarms`` as they stood at the replay's instant (None: back to the live book)."""
        if alarms is None and self.replay_alarms is None:
            return
        self.replay_alarms = alarms
        self.sig_replay_changed.emit()

    def banner_alarm(self) -> Alarm | None:
        """The newest unacknowledged alarm of the highest priority (real before predicted)."""
        now = self.live.state.now()  # in replay, snoozes as they stood at the replay instant
        waiting = [a for a in self.open_alarms() if a.state == "new" and not a.snoozed(now)]
        if not waiting:
            return None
        return min(waiting, key=lambda a: (PRIORITIES.index(a.priority), a.predicted, -a.updated_at))

    # ------------------------------------------------------------------ book → Qt
    def _on_book_changed(self, alarm: Alarm) -> None:
        mark = (alarm.predicted, alarm.occurrences, alarm.escalation_level)
        before = self._seen.get(alarm.id)
        self._seen[alarm.id] = mark
        if before is None:
            self.sig_alarm_raised.emit(alarm)
        louder = before is None or (before[0] and not mark[0]) or mark[1:] > before[1:]
        if (
            louder and alarm.state == "new" and self._sound is not None
        ):  # new, confirmed, re-raised, escalated
            self._sound.play(alarm.priority, predicted=alarm.predicted)
        self.sig_alarm_changed.emit(alarm)
        if alarm.state in ("cleared", "closed"):
            self.sig_alarm_cleared.emit(alarm)
        self._update_preset()

    def _update_preset(self) -> None:
        presets = self.live.site.alarms.presets
        if not presets:
            return
        wanting = [
            a
            for a in self.open_alarms()
            if a.category in presets and a.active and not a.predicted and a.state != "cleared"
        ]
        want = presets[wanting[0].category] if wanting else None  # open() is most urgent first
        if want == self._preset:
            return
        self._preset = want
        if want is None:
            self.sig_preset_revert.emit()
        else:
            self.sig_preset_wanted.emit(want)
