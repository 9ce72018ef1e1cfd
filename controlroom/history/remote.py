"""Replay through the recorder's service: a desk or wall with no history files of its own.

Only the recorder's PC holds the files. Its service (``service.HistoryServer``) answers
``frame`` with the whole replay frame at an instant — positions in stored units, sensors,
metrics, open incidents, the metrics' hour as Arrow IPC; alarms as they stood, the desk as it
stood, trails when asked — built by a ``HistoryPlayer`` on its side, so both sides show the same
picture. ``RemoteHistoryPlayer`` is that player as seen from another PC: the same clock and the
same ``build``/``ticks`` the replay session and its thread use, each answered by one request
over the feed transport's request/reply, authenticated with the feed's keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from controlroom.history.player import AlarmState, DeskPast, Frame, HistoryPlayer, Tick, event_ticks
from controlroom.history.schema import EVENTS, INCIDENTS
from controlroom.history.service import HistoryClient, from_ipc, to_ipc

FRAME_TABLES = ("positions", "sensors", "metrics", "incidents")
#: A frame of 50,000 entities is a few MB: the answer may take longer than a small question.
FRAME_TIMEOUT_S = 20.0


class RemoteHistoryError(RuntimeError):
    """The recorder's service did not give a frame (not running, refused, or said why)."""


def frame_reply(player: HistoryPlayer, t: float, trails: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The service's side of ``frame``: (result, tables) for the frame at ``t``."""
    frame = player.build(t, trails=trails)
    tables = {name: to_ipc(getattr(frame, name)) for name in FRAME_TABLES}
    if frame.metrics_hour is not None:
        tables["metrics_hour"] = to_ipc(frame.metrics_hour)
    result: dict[str, Any] = {
        "time": frame.time,
        "keyframe_time": frame.keyframe_time,
        "warnings": frame.warnings,
        "alarms": [dataclasses.asdict(a) for a in frame.alarms],
        "desk": dataclasses.asdict(frame.desk) if frame.desk is not None else None,
    }
    if frame.trail_points is not None and frame.trail_counts is not None:
        result["trails"] = {
            "shape": list(frame.trail_points.shape),
            "points": frame.trail_points.astype(np.float32).tobytes(),
            "counts": frame.trail_counts.astype(np.int64).tobytes(),
        }
    return result, tables


def frame_of(result: dict[str, Any], tables: dict[str, bytes]) -> Frame:
    """A ``frame`` answer → the ``Frame`` a local player would have built."""
    t = {name: from_ipc(blob) for name, blob in tables.items()}
    desk = result.get("desk")
    frame = Frame(
        float(result["time"]),
        t["positions"],
        t["sensors"],
        t["metrics"],
        t["incidents"],
        [AlarmState(**a) for a in result.get("alarms", [])],
        result.get("keyframe_time"),
        list(result.get("warnings", [])),
        metrics_hour=t.get("metrics_hour"),
        desk=DeskPast(desk["details"], desk["units"], {k: tuple(v) for k, v in desk["timelines"].items()})
        if desk
        else None,
    )
    trails = result.get("trails")
    if trails:
        shape = tuple(trails["shape"])
        points: npt.NDArray[np.float32] = np.frombuffer(trails["points"], np.float32).reshape(shape).copy()
        frame.trail_points = points
        frame.trail_counts = np.frombuffer(trails["counts"], np.int64).copy()
    return frame


class RemoteHistoryPlayer(HistoryPlayer):
    """A history player whose history is on the recorder's PC (``[history] endpoint``)."""

    def __init__(self, connect: Callable[[], HistoryClient]) -> None:
        super().__init__(reader=None, prefetch=False)  # type: ignore[arg-type]  # no files here
        self._connect = connect
        self._client: HistoryClient | None = None
        self.endpoint = ""

    def _ask(self, op: str, timeout_s: float = FRAME_TIMEOUT_S, **args: Any) -> dict[str, Any]:
        # made on first use, so on the replay thread that asks (a ZeroMQ socket stays on one thread)
        if self._client is None:
            self._client = self._connect()
            self.endpoint = self._client.endpoint
        try:
            reply = self._client.ask(op, timeout_s, **args)
        except TimeoutError as exc:
            self._client.close()  # a late answer must not pass for the next question's
            self._client = None
            raise RemoteHistoryError(str(exc)) from None
        if not reply.get("ok"):
            raise RemoteHistoryError(f"history recorder at {self.endpoint}: {reply.get('reason', 'refused')}")
        return reply

    def build(self, t: float, *, trails: int = 0) -> Frame:
        with self._lock:
            reply = self._ask("frame", time=t, trails=trails)
        return frame_of(reply["result"], reply.get("tables", {}))

    def frame(self, t: float) -> Frame:
        return self.build(t)

    def metrics_hour(self, t: float) -> pa.Table:
        frame = self.build(t)
        assert frame.metrics_hour is not None
        return frame.metrics_hour

    def trails(
        self, t: float, ids: list[str], points: int = 20, step_s: float = 1.0
    ) -> npt.NDArray[np.float64]:
        raise NotImplementedError("a remote player gets trails with its frames (build(t, trails=n))")

    def ticks(self, t0: float, t1: float, alarm_rank: Callable[[str], int] = lambda _key: 2) -> list[Tick]:
        with self._lock:
            events = from_ipc(self._ask("range", kind=EVENTS, **{"from": t0, "to": t1})["tables"][EVENTS])
            incidents = from_ipc(
                self._ask("range", kind=INCIDENTS, **{"from": t0, "to": t1})["tables"][INCIDENTS]
            )
        return event_ticks(events, incidents, alarm_rank, t0, t1)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
