"""Why the dispatch gateway does not answer this desk, in words an operator can act on.

The client's DEALER socket is watched by a ZeroMQ socket monitor: a completed handshake, a lost
connection, or a refused one (the gateway does not know this desk's key, CURVE on one side only,
the wrong server key). ``GatewayLink`` keeps what the monitor said and turns it, or a silence, into
the sentence the desk shows. It runs on the client thread only when the monitor reports or a wait
has gone on too long, never per order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import zmq
from zmq.utils.monitor import recv_monitor_message

from controlroom.core.text_templates import TextTemplates

if TYPE_CHECKING:
    from controlroom.feed.keys import ClientSecurity

#: The monitor events the link needs.
MONITORED = (
    zmq.EVENT_CONNECTED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_CONNECT_RETRIED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)


#: What the desk says about its link, one English template per code (qt/strings.py marks the
#: same templates for translation; the desk reads code and fields back to say it in its language).
LINK_PROBLEMS: dict[str, str] = {
    "key_refused": (
        "the gateway at {endpoint} refuses this desk's key (ZAP status {status}): its public key is "
        "not among the site's [[dispatch.users]]; send it to the site administrator"
    ),
    "plain_desk": (
        "the security handshake with the gateway at {endpoint} fails: the gateway requires CURVE keys "
        "and this desk talks plain text (set [dispatch] server_public_key and client_secret_key in "
        "the desk's site file)"
    ),
    "plain_gateway": (
        "the security handshake with the gateway at {endpoint} fails: this desk uses CURVE keys but "
        "the gateway runs without them (no server_secret_key)"
    ),
    "wrong_server_key": (
        "the security handshake with the gateway at {endpoint} fails: [dispatch] server_public_key "
        "({key}) is probably not this gateway's key"
    ),
    "protocol_error": (
        "the security handshake with the gateway at {endpoint} fails (ZMTP protocol error {error}): "
        "is it a controlroom gateway of the same version?"
    ),
    "silent_but_connected": (
        "no answer from the gateway at {endpoint} for {seconds} s: it accepted the connection but "
        "does not answer (overloaded or stuck?)"
    ),
    "connection_lost": (
        "no answer from the gateway at {endpoint} for {seconds} s: the connection was lost and it "
        "does not come back (gateway down or unreachable)"
    ),
    "never_connected": (
        "no answer from the gateway at {endpoint} for {seconds} s: nothing completes a connection "
        "there (gateway down, wrong [dispatch] endpoint, or it refuses this desk's key: check "
        "[dispatch] server_public_key and the desk's client key)"
    ),
}
LINK_WORDS = TextTemplates(LINK_PROBLEMS)


class GatewayLink:
    """The connection to the gateway at ``endpoint`` as the socket monitor reports it (client thread)."""

    def __init__(self, endpoint: str, security: ClientSecurity | None) -> None:
        self.endpoint = endpoint
        self.security = security
        self.up = False  # a completed handshake, not lost since
        self.ever_up = False
        #: Why the last handshake failed ("" once one succeeds).
        self.handshake_failure = ""

    def read_monitor(self, monitor: zmq.Socket) -> bool:
        """Take every waiting monitor event; True when a (new) connection completed its handshake."""
        connected = False
        while True:
            try:
                msg = recv_monitor_message(monitor, zmq.NOBLOCK)
            except zmq.Again:
                return connected
            event, value = int(msg["event"]), int(msg["value"])
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.up = self.ever_up = connected = True
                self.handshake_failure = ""
            elif event == zmq.EVENT_DISCONNECTED:
                self.up = False
            elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                self.handshake_failure = LINK_WORDS.say("key_refused", endpoint=self.endpoint, status=value)
            elif event in (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL):
                self.handshake_failure = self._handshake_problem(event, value)

    def _handshake_problem(self, event: int, value: int) -> str:
        mismatch = (
            event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
            and value == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
        )
        if self.security is None:
            return LINK_WORDS.say("plain_desk", endpoint=self.endpoint)
        if mismatch:
            return LINK_WORDS.say("plain_gateway", endpoint=self.endpoint)
        if event == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            return LINK_WORDS.say(
                "wrong_server_key", endpoint=self.endpoint, key=self.security.server_public_key
            )
        return LINK_WORDS.say("protocol_error", endpoint=self.endpoint, error=f"{value:#x}")

    def silence(self, silence_s: float) -> str:
        """Why nothing came back for ``silence_s`` while the desk waited for an answer."""
        code = "silent_but_connected" if self.up else "connection_lost" if self.ever_up else "never_connected"
        return LINK_WORDS.say(code, endpoint=self.endpoint, seconds=f"{silence_s:g}")
