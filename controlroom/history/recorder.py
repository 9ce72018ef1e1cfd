"""The recorder process: the feed and the gateway in, history files out, questions answered.

It builds the same pipeline as a desk (``open_site_feed`` plus the gateway's incident feed), so
validation, epochs and counting are identical, and applies it to its own models once per
``sample_s``: what changed since the last tick becomes rows, and every ``keyframe_s`` the whole
state does. Gateway ``dsp|`` events (orders, incidents, units) and the gateway's alarm trail
become events. A failure to write (disk full, a bad folder) is logged and retried at the next
flush with the rows kept; nothing here can stop the feed or the room.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import zmq

from controlroom.dispatch import wire
from controlroom.feed.buffer import CoalescingBuffer, Pending
from controlroom.history import events as ev
from controlroom.history.retention import RetentionResult, enforce
from controlroom.history.rows import gone_rows, incident_rows, sensor_rows, store_rows
from controlroom.history.schema import EVENTS, INCIDENTS, METRICS, POSITIONS, SENSORS
from controlroom.history.writer import HistoryWriter

if TYPE_CHECKING:
    from controlroom.core.site import HistoryConfig, Site

log = logging.getLogger(__name__)
STATE_FILE = "recorder-state.json"
#: How often age, disk cap and free space are checked.
RETENTION_CHECK_S = 30.0


class TapBuffer(CoalescingBuffer):
    """The feed buffer, remembering what the pump drained last (the ids that changed)."""

    last: Pending = Pending()

    def drain(self) -> Pending:
        self.last = super().drain()
        return self.last


def history_dir(site: Site, override: Path | None = None) -> Path:
    if override is not None:
        return override
    cfg = site.history
    if cfg is not None and cfg.dir is not None:
        return cfg.dir
    from controlroom.dispatch.settings import state_dir

    return state_dir() / site.site.name / "history"


def history_config(site: Site) -> HistoryConfig:
    from controlroom.core.site import HistoryConfig

    return site.history or HistoryConfig()


@dataclass
class RecorderStatus:
    started: float
    rows: int = 0
    segments: int = 0
    flush_error: str = ""
    disk_low: bool = False
    retention: str = ""
    trail_error: str = ""


class Recorder:
    """``start()`` the inputs and the server, ``run()`` until ``stop()`` (or a signal), ``close()``."""

    def __init__(
        self,
        site: Site,
        root: Path | None = None,
        *,
        endpoint: str | None = None,
        sample_s: float = 1.0,
        gateway: bool = True,
    ) -> None:
        self.site = site
        self.cfg = history_config(site)
        self.root = history_dir(site, root)
        self.endpoint = endpoint or self.cfg.endpoint
        self.sample_s = sample_s
        self.use_gateway = gateway
        self.writer = HistoryWriter(self.root)
        self.status = RecorderStatus(time.time())
        self._stop = False
        self._ctx: zmq.Context | None = None
        self._dsp: zmq.Socket | None = None
        self._trail: zmq.Socket | None = None
        self._trail_seq = self._load_state().get("trail_seq", 0)
        self._trail_waiting = False
        self._gateway_feed: Any = None
        self.server: Any = None
        self._notes: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()  # from the service thread
        self._compacting = threading.Event()
        self._compactor = threading.Thread(target=self._compact_loop, name="history-compactor", daemon=True)

    # ------------------------------------------------------------------ lifetime
    def start(self) -> Recorder:
        from controlroom.feed.keys import server_security
        from controlroom.feed.site_feed import open_site_feed
        from controlroom.history.service import HistoryServer

        self.feed = open_site_feed(self.site)
        tap = TapBuffer()
        self.feed.subscriber.ingestor.buffer = tap
        self.feed.pump.buffer = tap
        self.tap = tap
        self.feed.start()
        self._ctx = zmq.Context()
        if self.use_gateway:
            self._start_gateway()
        self.server = HistoryServer(
            self.root,
            self.endpoint,
            security=server_security(self.site, [self.endpoint]),
            insecure=self.site.feed.insecure,
            status=self.status_dict,
            note=self._notes.put,
        ).start()
        self.endpoint = self.server.endpoint
        self._compactor.start()
        log.info(
            "history: recording %s into %s; answering on %s", self.site.site.name, self.root, self.endpoint
        )
        return self

    def _start_gateway(self) -> None:
        from controlroom.dispatch.board_feed import attach_gateway_feed
        from controlroom.dispatch.security import desk_security

        cfg = self.site.dispatch
        assert self._ctx is not None
        self._gateway_feed = attach_gateway_feed(self.feed, self.site)
        sec = desk_security(self.site, [cfg.endpoint, cfg.publish_endpoint])
        dsp = self._ctx.socket(zmq.SUB)
        dsp.setsockopt(zmq.LINGER, 0)
        if sec:
            sec.apply(dsp)
        dsp.setsockopt(zmq.SUBSCRIBE, wire.DISPATCH_TOPIC)
        dsp.connect(cfg.publish_endpoint)
        self._dsp = dsp
        trail = self._ctx.socket(zmq.DEALER)
        trail.setsockopt(zmq.LINGER, 0)
        if sec:
            sec.apply(trail)
        trail.connect(cfg.endpoint)
        self._trail = trail

    def stop(self, *_: object) -> None:
        self._stop = True

    def close(self) -> None:
        self._compacting.set()
        if self._compactor.is_alive():
            self._compactor.join(30)
        try:
            self.writer.close()  # the last rows, and every minute compacted
        except OSError as exc:
            log.error("history: could not finish writing to %s: %s", self.root, exc)
        for part in (self.server, self._gateway_feed, getattr(self, "feed", None)):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
        for sock in (self._dsp, self._trail):
            if sock is not None:
                sock.close(0)
        if self._ctx is not None:
            self._ctx.term()

    def status_dict(self) -> dict[str, Any]:
        s = self.status
        return {
            "dir": str(self.root), "started": s.started, "rows": s.rows, "segments": s.segments,
            "flush_error": s.flush_error, "disk_low": s.disk_low, "retention": s.retention,
            "trail_error": s.trail_error,
            "feed": self.feed.stats.snapshot(time.time()) if hasattr(self, "feed") else {},
        }  # fmt: skip

    # ------------------------------------------------------------------ the loop
    def run(self, seconds: float | None = None) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread (tests): stop() instead
                signal.signal(sig, self.stop)
        end = None if seconds is None else time.time() + seconds
        next_kf = next_flush = next_trail = next_retention = 0.0
        next_tick = time.time()
        while not self._stop and (end is None or time.time() < end):
            now = time.time()
            if now < next_tick:
                self._read_dispatch(min(next_tick - now, 0.1))
                continue
            next_tick = now + self.sample_s
            keyframe = now >= next_kf
            if keyframe:
                next_kf = now + self.cfg.keyframe_s
            self.tick(now, keyframe=keyframe)
            if now >= next_trail:
                self._ask_trail()
                next_trail = now + 1.0
            if now >= next_flush:
                self.flush(now)
                next_flush = now + self.cfg.flush_s
            if now >= next_retention:  # walks the folder: not at every flush
                self._retention(now)
                next_retention = now + RETENTION_CHECK_S
        self.flush(time.time())

    def tick(self, now: float, *, keyframe: bool) -> None:
        """Apply the feed to the models and turn what changed (or everything) into rows."""
        pump = self.feed.pump
        change = pump.apply_pending(now)
        pending = self.tap.last
        t_ms = round(now * 1000)
        w = self.writer
        if keyframe:
            w.append(POSITIONS, store_rows(pump.entities, t_ms, kf=True))
            w.append(SENSORS, sensor_rows(pump.sensors, t_ms, kf=True))
            w.append(INCIDENTS, incident_rows(pump.incidents.all(), t_ms, kf=True))
        else:
            # columnar fleet frames (the sources2 branch's ``Pending.fleets``) report whole fleets
            fleet_ids = [i for f in getattr(pending, "fleets", ()) for i in f.ids]
            ids = [i for i in dict.fromkeys([*pending.positions, *fleet_ids]) if i in pump.entities]
            if ids:
                w.append(POSITIONS, store_rows(pump.entities, t_ms, ids))
            if pending.sensors:
                w.append(SENSORS, sensor_rows(pump.sensors, t_ms, list(pending.sensors)))
            if pending.incidents or change.incidents_updated:
                states = [s for i in pending.incidents if (s := pump.incidents.get(i)) is not None]
                w.append(INCIDENTS, incident_rows(states, t_ms))
        if change.entities_removed:
            w.append(POSITIONS, gone_rows(change.entities_removed, t_ms))
        if pending.metrics:
            ms = pending.metrics
            w.append(METRICS, {
                "name": [m.name for m in ms], "t_ms": [round(m.t * 1000) for m in ms],
                "value": [m.value for m in ms], "unit": [m.unit for m in ms],
            })  # fmt: skip

    def flush(self, now: float) -> None:
        notes = []  # wall presets and pushes the service took since the last flush
        with contextlib.suppress(queue.Empty):
            while True:
                notes.append(self._notes.get_nowait())
        if notes:
            self.writer.append(EVENTS, ev.columns(notes))
        try:
            self.writer.flush()
            self._save_state()
            self.status.flush_error = ""
        except OSError as exc:  # disk full, folder gone: keep the rows? they are lost only if this persists
            self.status.flush_error = str(exc)
            log.error("history: cannot write to %s: %s (the room goes on; retrying)", self.root, exc)
        self.status.rows = self.writer.rows_written
        self.status.segments = self.writer.segments_written

    def _compact_loop(self) -> None:
        """Minutes into minute files, off the recording thread (50,000 entities: ~2 s a minute)."""
        while not self._compacting.wait(5.0):
            try:
                self.writer.close_minutes(int(time.time() * 1000))
            except OSError as exc:
                log.error("history: cannot compact in %s: %s (segments kept; retrying)", self.root, exc)
            except Exception:  # a bug must not stop recording: segments stay readable
                log.exception("history: compaction failed (segments kept; retrying)")

    def _retention(self, now: float) -> RetentionResult | None:
        try:
            res = enforce(self.root, keep_days=self.cfg.keep_days, max_gb=self.cfg.max_gb,
                          min_free_gb=self.cfg.min_free_gb, now_ms=int(now * 1000))  # fmt: skip
        except OSError as exc:
            log.error("history: retention check failed: %s", exc)
            return None
        if res.dropped:
            self.status.retention = f"dropped {', '.join(res.dropped)} ({res.reason})"
        if res.disk_low and not self.status.disk_low:
            msg = (
                f"history disk nearly full: {res.free_bytes / 1e9:.1f} GB free, "
                f"history {res.bytes / 1e9:.1f} GB (cap {self.cfg.max_gb:g} GB); "
                "the oldest hours are being dropped"
            )
            log.error("%s", msg)
            self.writer.append(EVENTS, ev.columns([{
                "subject": "history", "t_ms": int(now * 1000), "kind": "recorder", "action": "disk_low",
                "who": "system", "desk": "", "accepted": True,
                "detail": json.dumps({"message": msg, "free_bytes": res.free_bytes, "bytes": res.bytes}),
            }]))  # fmt: skip
        self.status.disk_low = res.disk_low
        return res

    # ------------------------------------------------------------------ the gateway
    def _read_dispatch(self, wait_s: float) -> None:
        socks = [s for s in (self._dsp, self._trail) if s is not None]
        if not socks:
            time.sleep(wait_s)
            return
        poller = zmq.Poller()
        for s in socks:
            poller.register(s, zmq.POLLIN)
        ready = dict(poller.poll(int(wait_s * 1000)))
        if self._dsp in ready:
            rows: list[dict[str, Any]] = []
            with contextlib.suppress(zmq.Again):
                while True:
                    frame = self._dsp.recv(zmq.NOBLOCK)  # type: ignore[union-attr]
                    try:
                        rows += ev.dispatch_event_rows(wire.decode_event(frame))
                    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                        log.warning("history: ignoring an undecodable gateway event (%s)", exc)
            if rows:
                self.writer.append(EVENTS, ev.columns(rows))
        if self._trail in ready:
            self._read_trail()

    def _ask_trail(self) -> None:
        if self._trail is None or self._trail_waiting:
            return
        req = wire.Request(
            "history-trail", "query", query="alarm_trail", args={"since": self._trail_seq},
            user=self.site.dispatch.user or "", desk="history-recorder",
        )  # fmt: skip
        with contextlib.suppress(zmq.Again):
            self._trail.send(wire.encode(req), zmq.NOBLOCK)
            self._trail_waiting = True

    def _read_trail(self) -> None:
        assert self._trail is not None
        with contextlib.suppress(zmq.Again):
            while True:
                rep = wire.decode_reply(self._trail.recv(zmq.NOBLOCK))
                self._trail_waiting = False
                if not rep.ok:
                    if rep.reason != self.status.trail_error:
                        log.warning("history: the gateway refuses the alarm trail: %s", rep.reason)
                    self.status.trail_error = rep.reason
                    continue
                entries = rep.result.get("alarm_trail", [])
                if entries:
                    self.writer.append(EVENTS, ev.columns(ev.alarm_trail_rows(entries)))
                    self._trail_seq = max(int(e["seq"]) for e in entries)  # saved once flushed

    def _load_state(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.root / STATE_FILE).read_text()))
        except (OSError, ValueError):
            return {}

    def _save_state(self) -> None:
        tmp = self.root / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps({"trail_seq": self._trail_seq}))
        tmp.replace(self.root / STATE_FILE)
