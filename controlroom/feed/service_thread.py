"""The start / wait-until-ready / stop lifecycle of a thread that owns its ZeroMQ sockets.

pyzmq sockets belong to the thread that made them, so each feed server or client runs one daemon
thread that creates, uses and closes its own. The subclass's ``_run`` sets ``_ready`` once its
sockets are bound or connected (and again in its ``finally``), records what it died of in
``error``, and loops until ``_stop`` is set; ``_start_thread`` hands a startup failure (address
in use, bad key) back to the caller instead of leaving it in a log.
"""

from __future__ import annotations

import threading


class ServiceThread:
    """Base for a class whose work runs in ``_run`` on its own daemon thread."""

    def __init__(self, name: str) -> None:
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def _start_thread(self, wait_s: float) -> bool:
        """Start and wait up to ``wait_s`` for ready; False if not ready in time. Re-raises the
        error the thread failed with, once it has closed its sockets."""
        self._thread.start()
        ready = self._ready.wait(wait_s)
        if self.error is not None:
            self._thread.join(wait_s)
            raise self.error
        return ready

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
