"""Can this PC reach an endpoint? Connect, wait for the ZeroMQ handshake, close.

A TCP connect alone proves little (a firewall may accept and drop); the ZMTP handshake proves a
ZeroMQ peer of a compatible socket type answers, and with CURVE that our keys are accepted. Used
by ``doctor`` (a warning when offline) and a built app's ``--self-test``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import zmq
from zmq.utils.monitor import recv_monitor_message

from controlroom.feed.keys import ClientSecurity

# Peer socket type → the socket we probe it with (a mismatched pair fails the handshake).
PROBE_TYPES = {"pub": zmq.SUB, "router": zmq.DEALER, "rep": zmq.REQ}

_FAILED: dict[int, str] = {
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "handshake failed",
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "handshake failed (wrong socket type or not ZeroMQ)",
    zmq.EVENT_HANDSHAKE_FAILED_AUTH: "handshake refused: our CURVE key is not authorised",
}


@dataclass(frozen=True)
class ProbeResult:
    endpoint: str
    ok: bool
    detail: str
    seconds: float


def probe(
    endpoint: str, peer: str = "pub", timeout_s: float = 1.0, security: ClientSecurity | None = None
) -> ProbeResult:
    """Connect to ``endpoint`` (whose server socket is ``peer``) and report whether it answered."""
    start = time.perf_counter()
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    sock = ctx.socket(PROBE_TYPES[peer])
    sock.linger = 0
    if security is not None:
        security.apply(sock)
    monitor = sock.get_monitor_socket()
    detail, ok = f"no answer within {timeout_s:g} s (offline, wrong address or blocked)", False
    try:
        sock.connect(endpoint)
        deadline = start + timeout_s
        connected = False
        while (left := deadline - time.perf_counter()) > 0:
            if not monitor.poll(int(left * 1000) + 1):
                break
            event = int(recv_monitor_message(monitor)["event"])
            if event == zmq.EVENT_CONNECTED:
                connected = True
            elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                detail, ok = "answered (handshake succeeded)", True
                break
            elif event in _FAILED:
                detail = _FAILED[event]
                break
            elif event == zmq.EVENT_DISCONNECTED and connected:
                detail = "connected, then the peer closed the connection (not a compatible ZeroMQ socket?)"
                break
        if not ok and connected and detail.startswith("no answer"):
            detail = f"TCP connected but no ZeroMQ handshake within {timeout_s:g} s"
    except zmq.ZMQError as exc:
        detail = f"cannot connect: {exc}"
    finally:
        sock.disable_monitor()
        monitor.close(0)
        sock.close(0)
    return ProbeResult(endpoint, ok, detail, time.perf_counter() - start)
