"""``controlroom run --layout``: one instance driving a wall layout, and the desk's way of pushing
to such walls.

A wall instance = the shared ``LiveCity`` + a ``WallManager`` placing the factory's panels on the
real screens + (when the site or the command line names a control endpoint) a push-to-wall
``ControlServer`` secured like the feed. A desk finds the walls it may push to in the site's
``[wall] targets``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from controlroom.app.panel_factory import panel_factory
from controlroom.core.site import Site, WallTarget
from controlroom.feed.control import ControlClient, ControlServer
from controlroom.feed.keys import ClientSecurity, FeedSecurityError, ServerSecurity, curve_pair
from controlroom.history.notes import command_note, open_history_notes
from controlroom.layouts.spec import LayoutSpec
from controlroom.qt.live import LiveCity
from controlroom.qt.replay_clock import replay_clock_for
from controlroom.qt.timeline import ReplayMarker
from controlroom.qt.wall.control import WallControl, WallPusher, view_command
from controlroom.qt.wall.manager import WallManager

if TYPE_CHECKING:
    from controlroom.feed.control import Command, Reply

log = logging.getLogger(__name__)


def wall_server_security(site: Site, endpoint: str) -> ServerSecurity | None:
    """The wall's CURVE server keys from ``[wall]`` (the feed's rule: both keys or plain text allowed)."""
    cfg = site.wall
    pair = curve_pair(
        site,
        "wall",
        ("server_secret_key", cfg.server_secret_key),
        ("authorized_keys", cfg.authorized_keys),
        [endpoint],
        cfg.insecure,
    )
    return ServerSecurity(*pair) if pair else None


def wall_client_security(site: Site, target: WallTarget) -> ClientSecurity | None:
    """A desk's CURVE keys for one wall: its ``[wall] client_secret_key`` and the target's public key."""
    pair = curve_pair(
        site,
        "wall",
        ("client_secret_key", site.wall.client_secret_key),
        (f"targets '{target.name}' server_public_key", target.server_public_key),
        [target.endpoint],
        site.wall.insecure,
    )
    return ClientSecurity(*pair) if pair else None


class WallSession:
    """A layout on the real screens, fed by one live city, optionally serving push-to-wall."""

    def __init__(
        self,
        site: Site,
        spec: LayoutSpec,
        *,
        feed: bool = True,
        control_endpoint: str | None = None,
        restore: bool = True,
        live: LiveCity | None = None,
    ) -> None:
        self.site = site
        self.live = live if live is not None else LiveCity(site, feed=feed)
        self.manager = WallManager(
            spec, panel_factory(self.live), restore=restore, accent=site.branding.accent_colour
        )
        self.control: WallControl | None = None
        self._preset_before_alarm: str | None = None
        endpoint = control_endpoint or site.wall.control_endpoint
        if endpoint:
            server = ControlServer(
                endpoint,
                regions=spec.regions,
                presets=spec.presets,
                wall_name=site.wall.name,
                site=site.site.name,
                security=wall_server_security(site, endpoint),
                insecure=site.wall.insecure,
            )
            self.control = WallControl(self.manager, server)
        # every wall screen says REPLAY (amber frame, the replayed time) while the clock is in the past
        self.clock = replay_clock_for(self.live)
        self.manager.sig_layout_applied.connect(self._mark_windows)
        self.notes = open_history_notes(site)  # presets and pushes go into the room's history
        if self.control is not None and self.notes is not None:
            self.control.sig_command_handled.connect(self._note_command)

    def _mark_windows(self) -> None:
        for window in self.manager.windows:
            if window.findChild(ReplayMarker) is None:
                ReplayMarker(window, self.clock)

    def _note_command(self, command: Command, reply: Reply) -> None:
        if self.notes is not None:
            action, subject, detail = command_note(command, reply)
            self.notes.note(action, subject, command.sender, self.site.wall.name,
                            accepted=reply.status == "applied", detail=detail)  # fmt: skip

    @property
    def control_endpoint(self) -> str | None:
        return self.control.server.bound_endpoint if self.control else None

    def follow_alarm_presets(self) -> None:
        """Switch to the preset the site names for an open alarm's category, and back after."""
        from controlroom.qt.alarm_service import alarm_service_for

        service = alarm_service_for(self.live)
        service.sig_preset_wanted.connect(self._alarm_preset)
        service.sig_preset_revert.connect(self._revert_preset)

    def _alarm_preset(self, name: str) -> None:
        if name not in self.manager.spec.presets:
            log.warning("alarm preset '%s' is not in layout '%s'", name, self.manager.spec.name)
            return
        if self._preset_before_alarm is None:
            self._preset_before_alarm = self.manager.preset
        self.manager.set_preset(name)
        if self.notes is not None:
            self.notes.note("alarm_preset", name, "system", self.site.wall.name)

    def _revert_preset(self) -> None:
        if self._preset_before_alarm is not None:
            self.manager.set_preset(self._preset_before_alarm)
            self._preset_before_alarm = None

    def start(self) -> WallSession:
        """Show the wall and load its city; push-to-wall opens once the wall can apply commands
        (``control.sig_listening``): after the city is on screen (or failed), from the event loop."""
        self.follow_alarm_presets()
        self.manager.show()
        loading = self.live.model is None
        if self.control is not None:
            if loading:
                self.control.start_when_ready(self.live.sig_city_loaded, self.live.sig_city_failed)
            else:
                self.control.start_when_ready()
        if loading:
            self.live.start()
        return self

    def stop(self) -> None:
        if self.control is not None:
            self.control.stop()
        if self.notes is not None:
            self.notes.close()
        self.live.stop()
        self.manager.close()


class PushMenu(QMenu):
    """ "Push to wall": one entry per (wall, region) from the site's ``[wall] targets``; sends the
    3D view of ``map_panel`` from a background thread and shows the wall's answer in the title."""

    def __init__(self, site: Site, map_panel: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Push to &wall"), parent)
        self.site = site
        self.map_panel = map_panel
        self.last_result = ""
        self.pushers: dict[str, WallPusher] = {}
        self.problems: list[str] = []  # targets left out, with why (shown as the menu's tooltip)
        for target in site.wall.targets:
            try:
                security = wall_client_security(site, target)
            except FeedSecurityError as exc:  # one misconfigured wall must not stop the desk
                self.problems.append(str(exc))
                continue
            pusher = WallPusher(
                ControlClient(target.endpoint, security=security, insecure=site.wall.insecure), parent=self
            )
            pusher.sig_reply_received.connect(self._on_reply)
            pusher.sig_push_failed.connect(self._on_failed)
            self.pushers[target.name] = pusher
            for region in target.regions:
                action = QAction(self.tr("3D view → {0} / {1}").format(target.name, region), self)
                action.triggered.connect(lambda _c=False, t=target.name, r=region: self.push_view(t, r))
                self.addAction(action)
        self.setEnabled(bool(self.pushers))
        self.setToolTip("\n".join(self.problems))

    def push_view(self, target: str, region: str) -> None:
        command = view_command(self.map_panel, region, site=self.site.site.name)
        self.pushers[target].push(command)

    def _on_reply(self, command: Command, reply: Reply) -> None:
        self.last_result = str(reply)
        log.info("push to wall: %s", reply)

    def _on_failed(self, command: Command, message: str) -> None:
        self.last_result = message
        log.warning("push to wall failed: %s", message)

    def wait(self) -> None:
        for pusher in self.pushers.values():
            pusher.wait()
