"""Alarm sound by priority through QtMultimedia's ``QSoundEffect`` (low latency, WAV only).

The tones are synthesised into the cache folder on first use (``core.alarms.tones``). A room
without an audio device (a CI runner, a wall node with muted output) must keep working: any
failure to make or play a sound is logged once and the alarm goes on silently.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QSoundEffect

log = logging.getLogger(__name__)


class AlarmSound(QObject):
    """One ``QSoundEffect`` per tone, loaded lazily; ``play(priority)`` never raises."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._effects: dict[str, QSoundEffect] | None = None
        self._broken = False
        self.played: list[str] = []  # tone names, newest last (the banner shows what sounded)

    def _load(self) -> dict[str, QSoundEffect]:
        if self._effects is not None:
            return self._effects
        from PySide6.QtMultimedia import QSoundEffect

        from controlroom.core.alarms.tones import ensure_tones

        self._effects = {}
        for name, path in ensure_tones().items():
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(1.0)
            self._effects[name] = effect
        return self._effects

    def play(self, priority: str, *, predicted: bool = False) -> None:
        name = "predicted" if predicted else priority
        self.played.append(name)
        if self._broken:
            return
        try:
            effect = self._load().get(name)
            if effect is None:
                return
            if effect.status() == effect.Status.Error:
                raise RuntimeError(f"cannot play {effect.source().toLocalFile()}")
            effect.play()
        except Exception as exc:  # no audio device, unwritable cache: alarms go on silently
            self._broken = True
            log.warning("alarm sound off: %s", exc)
