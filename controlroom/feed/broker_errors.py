"""The one error a feed broker (NATS, MQTT) raises for a site's problem, importable without the clients."""

from __future__ import annotations


class FeedBrokerError(RuntimeError):
    """The broker cannot be used (not reachable, login refused, no JetStream); says which and where."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        #: The broker is not there (yet): worth trying again. False for a refusal (login, no
        #: JetStream) that only a change to the site file or the server can fix.
        self.unreachable = unreachable
