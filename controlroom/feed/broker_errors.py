"""The one error a feed broker (NATS, MQTT) raises for a site's problem, importable without the clients."""

from __future__ import annotations


class FeedBrokerError(RuntimeError):
    """The broker cannot be used (not reachable, login refused, no JetStream); says which and where."""
