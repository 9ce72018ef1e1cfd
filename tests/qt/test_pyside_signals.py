"""Guards the Qt binding itself: a wall emits signals all day and must not crash."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Ticker(QObject):
    sig_ticked = Signal(int)


def test_emitting_signals_does_not_leak_references(qapp) -> None:  # type: ignore[no-untyped-def]
    # PySide6 6.12.0 dropped one reference to True per emit; the process aborted after ~600.
    ticker = _Ticker()
    received: list[int] = []
    ticker.sig_ticked.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(300):
        ticker.sig_ticked.emit(i)
    assert len(received) == 300
    assert sys.getrefcount(True) >= before - 5, (
        "this PySide6 leaks a reference per Signal.emit(): pin another"
    )
