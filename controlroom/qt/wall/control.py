"""Push-to-wall, Qt side: the wall applies commands from the control channel to its panels, and
a desk sends them without freezing its screen.

Into the GUI thread through the app's one hand-over (``qt.gui_thread.GuiHandover``): after
queueing a command, the ``ControlServer`` thread posts ``_drain``, which runs in the GUI thread
and applies every waiting command; a desk's push runs on a named ``ServiceThread`` and posts its
answer the same way. Panels are reached by duck
typing (``apply_camera``, ``focus_location``, ``open_camera``) so this module never imports a
panel; a panel without the method gets a refusal that says which panel the region shows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import msgspec
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, SignalInstance, Slot

from controlroom.feed.control import (
    Command,
    ControlClient,
    ControlError,
    ControlServer,
    PushCamera,
    PushIncident,
    PushView,
    Reply,
    SwitchPreset,
    describe,
)
from controlroom.feed.keys import FeedSecurityError
from controlroom.feed.service_thread import ServiceThread
from controlroom.qt.gui_thread import GuiHandover
from controlroom.qt.wall.manager import WallManager

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("WallControl", text)


class WallControl(QObject):
    """Serves a ``WallManager`` on a ``ControlServer``: ``start()`` once shown, ``stop()`` before close."""

    sig_command_handled = Signal(object, object)  # (Command, Reply): for the wall's log / status line
    sig_listening = Signal(str)  # the bound endpoint, once the channel is open
    sig_open_failed = Signal(str)  # why it could not open (address in use, bad key)

    def __init__(self, manager: WallManager, server: ControlServer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self.server = server
        self._opening = False
        self._handover = GuiHandover(self)
        server.set_targets(manager.spec.regions, manager.spec.presets)

    def start(self) -> None:
        """Open the channel now (the caller knows the wall can apply commands)."""
        self.server.start(notify=self._handover.bind(self._drain))
        self.sig_listening.emit(self.server.bound_endpoint or self.server.endpoint)

    def start_when_ready(self, *ready: SignalInstance) -> None:
        """Open the channel once the wall can apply what it accepts: from the running event loop,
        after the first of ``ready`` (e.g. the city loaded or failed) has fired.

        A desk's command is refused when the wall's screen does not apply it within the server's
        ``apply_timeout_s``; opening while the GUI thread is still building the wall (before its
        event loop runs, or while the city model is put on screen) refused commands a second later
        it would have applied. ``sig_listening`` or ``sig_open_failed`` says when it happened.
        """
        if not ready:
            QTimer.singleShot(0, self._open)
            return
        for signal in ready:
            signal.connect(self._open_soon)

    @Slot()
    def _open_soon(self, *_args: object) -> None:
        if not self._opening:
            self._opening = True
            QTimer.singleShot(0, self._open)  # after every other slot of the same signal has run

    @Slot()
    def _open(self) -> None:
        if self.server.running or self.server.bound_endpoint:
            return
        try:
            self.start()
        except Exception as exc:  # address in use, a bad key …: the wall itself must stay up and say why
            log.error("push-to-wall not started: %s", exc)
            self.sig_open_failed.emit(str(exc))

    def stop(self) -> None:
        self.server.stop()

    @Slot()
    def _drain(self) -> None:
        while (pending := self.server.take()) is not None:
            try:
                reason = self.apply(pending.command)
            except Exception as exc:  # a failing panel must not take the wall down, and the desk must hear
                log.exception("applying %s failed", describe(pending.command))
                reason = _tr("the wall failed to apply it: {0}").format(exc)
            reply = pending.applied() if reason is None else pending.refuse(reason)
            log.info("%s from %s: %s", describe(pending.command), pending.command.sender, reply)
            self.sig_command_handled.emit(pending.command, reply)

    def apply(self, command: Command) -> str | None:
        """Apply one command to the wall (GUI thread); the reason it cannot, or ``None`` when done."""
        if isinstance(command, SwitchPreset):
            try:
                self.manager.set_preset(command.name)
            except KeyError as exc:
                return str(exc.args[0])
            return None
        region = command.region
        try:
            widget = self.manager.panel_widget(region)
        except KeyError:
            return _tr("region '{0}' is not on any screen of this wall right now").format(region)
        panel = self.manager.spec.panels_for(self.manager.preset).get(region, "?")
        if isinstance(command, PushView):
            apply_camera = getattr(widget, "apply_camera", None)
            same_frame = not command.site or not self.server.site or command.site == self.server.site
            if callable(apply_camera) and same_frame:
                apply_camera(command.position, command.focal_point, command.up)
                return None
            focus = getattr(widget, "focus_location", None)
            if callable(focus) and command.lon is not None and command.lat is not None:
                focus(command.lon, command.lat, command.sender)
                return None
            if callable(apply_camera):
                text = _tr(
                    "the view is in site '{0}' but this wall shows site '{1}', and it came without lon/lat"
                )
                return text.format(command.site, self.server.site)
            return _tr("region '{0}' shows panel '{1}', which cannot show a 3D view").format(region, panel)
        if isinstance(command, PushIncident):
            focus = getattr(widget, "focus_location", None)
            if not callable(focus):
                text = _tr("region '{0}' shows panel '{1}', which cannot focus on a location")
                return text.format(region, panel)
            focus(command.lon, command.lat, command.label or command.incident_id)
            return None
        assert isinstance(command, PushCamera)
        open_camera = getattr(widget, "open_camera", None)
        if not callable(open_camera):
            return _tr("region '{0}' shows panel '{1}', which cannot show a camera").format(region, panel)
        open_camera(command.camera_id)
        return None


class _Push(ServiceThread):
    """One push: send, wait for the wall's answer, hand it to the GUI thread."""

    def __init__(self, pusher: WallPusher, command: Command) -> None:
        super().__init__("wall-push", supervise=False)
        self.pusher = pusher
        self.command = command

    def _run(self) -> None:
        pusher, command = self.pusher, self.command
        try:
            reply: Reply | None = pusher.client.send(command, pusher.timeout_s)
            message = ""
        except (ControlError, FeedSecurityError) as exc:
            reply, message = None, str(exc)
        try:
            pusher.handover.post(pusher._deliver, command, reply, message)
        except RuntimeError:  # the desk closed while the wall was answering: nobody left to tell
            log.info("push of %s finished after the desk closed: %s", describe(command), reply or message)


class WallPusher(QObject):
    """The desk's side: ``push(command)`` sends from a short-lived thread and reports by signal.

    ``sig_reply_received(command, reply)`` when the wall answered (applied or refused);
    ``sig_push_failed(command, message)`` when it did not (timeout, bad endpoint, bad key file).
    Call ``wait()`` before deleting it.
    """

    sig_reply_received = Signal(object, object)
    sig_push_failed = Signal(object, str)

    def __init__(self, client: ControlClient, timeout_s: float = 5.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.timeout_s = timeout_s
        self.handover = GuiHandover(self)
        self._pushes: list[_Push] = []

    def push(self, command: Command) -> None:
        push = _Push(self, command)
        self._pushes = [p for p in self._pushes if p.running]
        self._pushes.append(push)
        push._start_unwaited()

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Wait for every push in flight; ``False`` if one is still running after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        for push in self._pushes:
            push.join(max(0.0, deadline - time.monotonic()))
        return not any(p.running for p in self._pushes)

    def _deliver(self, command: Command, reply: Reply | None, message: str) -> None:
        if reply is not None:
            self.sig_reply_received.emit(command, reply)
        else:
            self.sig_push_failed.emit(command, message or _tr("no answer"))


def view_command(widget: object, region: str, *, site: str = "", sender: str | None = None) -> PushView:
    """The desk's current 3D view as a ``PushView``: the panel must have ``camera_view()``
    returning (position, focal_point, up) and may have ``focal_lonlat()`` returning (lon, lat)."""
    camera_view = getattr(widget, "camera_view", None)
    if not callable(camera_view):
        raise ControlError(_tr("this panel has no 3D view to push"))
    position, focal_point, up = camera_view()
    lonlat = getattr(widget, "focal_lonlat", None)
    focal = lonlat() if callable(lonlat) else None  # None: the map has no geographic frame
    lon, lat = focal if focal is not None else (None, None)
    view = PushView(
        region=region,
        position=_vec3(position),
        focal_point=_vec3(focal_point),
        up=_vec3(up),
        site=site,
        lon=None if lon is None else float(lon),
        lat=None if lat is None else float(lat),
    )
    return msgspec.structs.replace(view, sender=sender) if sender else view


def _vec3(values: Sequence[float]) -> tuple[float, float, float]:
    x, y, z = (float(v) for v in values)
    return (x, y, z)
