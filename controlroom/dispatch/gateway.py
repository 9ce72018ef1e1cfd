"""The dispatch gateway: the one place incidents and unit assignments are decided and stored.

One thread owns every socket: a ROUTER for the desks' orders and questions, a PUB (through the
feed's ``FeedPublisher``, with its clone-pattern snapshot) on which every change goes out as
feed ``inc|`` records — so walls and laptops see gateway state through the same overlay path as
any feed — plus ``dsp|`` events with the full dispatch view, and a feed subscriber that learns
of incidents raised elsewhere (the simulator, video AI) and where units are.

Orders arriving together are applied in one transaction (group commit) and answered only after
the commit, so an acknowledged order is on disk; a crash before the commit loses nothing the
desk believes done — its outbox resends, and the command id makes the resend harmless. Each
request runs in its own savepoint: one that fails (malformed, or a bug) is undone and refused
alone, with an audit row and one log line, and the rest of the batch stands. An order whose
predecessor from the same desk (``after``) is not stored yet is answered ``retry``, so orders
are applied in the order the desk gave them even across gateway restarts.

Every refusal is audited: the state machine's (in the store), a key that belongs to no user, a
reused command id with other content, a malformed request. Connections the ZAP handler denies
never reach this layer (the desk learns it from its handshake; see ``DispatchClient``).

Incidents raised on the feed are created here idempotently (command id ``feed:<source>:<id>``).
The gateway is the authority on status from then on: when the feed later reports a different
status for an incident the gateway owns (a simulator that ages its incidents), the gateway
re-publishes its own record, so every screen converges on the gateway's state.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import msgspec
import zmq

from controlroom.core.dispatch_model import Actor, Command, IncidentRow
from controlroom.core.protocol import Incident
from controlroom.core.site import Site
from controlroom.dispatch import wire
from controlroom.dispatch.alarm_trail import AlarmTrail
from controlroom.dispatch.queries import BadQueryError, GatewayQueries
from controlroom.dispatch.routing import AdminRouter
from controlroom.dispatch.security import GatewaySecurity, UserRegistry, gateway_security
from controlroom.dispatch.store import Outcome, Store, audit_refusal
from controlroom.dispatch.units import DISPATCHABLE_KINDS, read_registry
from controlroom.feed.publisher import FeedPublisher

log = logging.getLogger(__name__)

SOURCE = "gateway"
BATCH_MAX = 500
FEED_ACTOR = "feed"


@dataclass
class GatewayEndpoints:
    endpoint: str
    publish_endpoint: str
    snapshot_endpoint: str
    feed_endpoint: str | None = None
    feed_snapshot_endpoint: str | None = None


class Gateway(GatewayQueries):
    """Build, ``start()`` (binds, returns), ``run()`` until ``stop()``; or ``serve_forever()``."""

    def __init__(
        self,
        site: Site,
        db_url: str,
        endpoints: GatewayEndpoints,
        *,
        router: AdminRouter | None = None,
    ) -> None:
        self.site = site
        self.ep = endpoints
        self.store = Store(db_url)
        self.alarms = AlarmTrail(self.store.db)
        self.router = router if router is not None else AdminRouter(site.boundaries, site.dispatch)
        self.security: GatewaySecurity | None = gateway_security(
            site, [endpoints.endpoint, endpoints.publish_endpoint, endpoints.snapshot_endpoint]
        )
        self.users = UserRegistry(
            site.dispatch, self.security.users_by_key if self.security else None, self.security is not None
        )
        self.epoch = time.time()
        self.event_seq = 0
        self.live_positions: dict[str, tuple[float, float]] = {}
        self._stop = threading.Event()
        self._ctx: zmq.Context | None = None
        self._router: zmq.Socket | None = None
        self.publisher: FeedPublisher | None = None
        self._feed: Any = None
        self._feed_buffer: Any = None
        self.handled = 0
        if site.units is not None:
            self.store.db.begin()
            self.store.register_units(read_registry(site.units))
            self.store.db.commit()

    # ------------------------------------------------------------------ lifetime
    def start(self) -> Gateway:
        self._ctx = zmq.Context()
        sec = self.security
        if sec:
            sec.start(self._ctx)
        router = self._ctx.socket(zmq.ROUTER)
        router.setsockopt(zmq.LINGER, 1000)
        router.setsockopt(zmq.ROUTER_MANDATORY, 0)
        # A desk's frame larger than the site's limit is refused by libzmq before it is read.
        router.setsockopt(zmq.MAXMSGSIZE, self.site.feed.max_frame_bytes)
        if sec:
            sec.apply(router)
        router.bind(self.ep.endpoint)
        self._router = router
        self.endpoint = router.getsockopt_string(zmq.LAST_ENDPOINT)
        pub_security = None
        if sec:
            pub_security = GatewaySecurity(sec.secret_key, sec.authorized_keys, users_by_key=sec.users_by_key)
        self.publisher = FeedPublisher(
            self.ep.publish_endpoint,
            source=SOURCE,
            snapshot_endpoint=self.ep.snapshot_endpoint,
            security=pub_security,
            insecure=True,  # the plain-text rule was checked above, with the site's [dispatch] setting
        )
        self._publish_incidents(self.store.incidents(open_only=True))  # the snapshot starts complete
        if self.ep.feed_endpoint:
            self._start_feed()
        return self

    def _start_feed(self) -> None:
        from controlroom.core.feed_stats import FeedStats
        from controlroom.feed.buffer import CoalescingBuffer
        from controlroom.feed.ingest import Ingestor
        from controlroom.feed.keys import client_security
        from controlroom.feed.subscriber import FeedSubscriber

        assert self.ep.feed_endpoint
        eps = [self.ep.feed_endpoint] + (
            [self.ep.feed_snapshot_endpoint] if self.ep.feed_snapshot_endpoint else []
        )
        self._feed_buffer = CoalescingBuffer()
        ingestor = Ingestor(self._feed_buffer, FeedStats())
        if self.site.feed.transport == "nats":  # the feed's subjects and stream (docs/deployment.md)
            from controlroom.feed.nats_transport import NatsFeedSubscriber

            self._feed = NatsFeedSubscriber(self.site.feed.nats, ingestor)
            self._feed.start(wait_s=5.0)
            return
        if self.site.feed.transport == "mqtt":
            from controlroom.feed.mqtt_transport import MqttFeedSubscriber

            self._feed = MqttFeedSubscriber(self.site.feed.mqtt, ingestor)
            self._feed.start(wait_s=5.0)
            return
        self._feed = FeedSubscriber(
            self.ep.feed_endpoint,
            ingestor,
            snapshot_endpoint=self.ep.feed_snapshot_endpoint,
            security=client_security(self.site, eps),
            insecure=self.site.feed.insecure,
            topics=(b"inc|", b"pos|"),
        )
        self._feed.start(wait_s=0.5)

    def run(self) -> None:
        assert self._router is not None
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        next_beat = 0.0
        while not self._stop.is_set():
            events = dict(poller.poll(50))
            if self._router in events:
                self._serve_batch()
            if self._feed_buffer is not None:
                self._apply_feed()
            now = time.time()
            if now >= next_beat and self.publisher is not None:
                self.publisher.heartbeat()
                next_beat = now + 1.0

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        if self._feed is not None:
            self._feed.stop()
        if self._router is not None:
            self._router.close()
        if self.publisher is not None:
            self.publisher.close()
        if self.security:
            self.security.stop()
        if self._ctx is not None:
            self._ctx.term()
        self.store.close()

    # ------------------------------------------------------------------ requests
    def _serve_batch(self) -> None:
        assert self._router is not None
        frames: list[list[zmq.Frame]] = []
        try:
            while len(frames) < BATCH_MAX:
                frames.append(self._router.recv_multipart(zmq.NOBLOCK, copy=False))
        except zmq.Again:
            pass
        self._serve(frames)

    def _serve(self, frames: list[list[zmq.Frame]]) -> bool:
        """Apply requests in one transaction and answer after the commit; False if the store failed."""
        assert self._router is not None
        replies: list[tuple[bytes, bytes]] = []
        outcomes: list[Outcome] = []
        db = self.store.db
        db.begin()
        try:
            for parts in frames:
                replies.append((parts[0].bytes, wire.encode(self._handle_alone(parts, outcomes))))
            db.commit()
        except Exception:
            db.rollback()
            log.exception(
                "gateway: the store failed; %d request(s) not stored (the desks resend)", len(frames)
            )
            return False  # no replies: the desks' outboxes resend
        for identity, payload in replies:
            self._router.send_multipart([identity, payload])
        self.handled += len(frames)
        for out in outcomes:
            self._publish_outcome(out)
        return True

    def _handle_alone(self, parts: list[zmq.Frame], outcomes: list[Outcome]) -> wire.Reply:
        """One request in its own savepoint: if it fails, only its own work is undone."""
        db = self.store.db
        mine: list[Outcome] = []
        db.savepoint()
        try:
            rep = self._handle(parts, mine)
        except Exception as exc:
            if db.unavailable(exc):
                raise
            db.rollback_to_savepoint()
            rep = self._refuse_failed(parts, exc)
        else:
            outcomes.extend(mine)
        db.release()
        return rep

    def _handle(self, parts: list[zmq.Frame], outcomes: list[Outcome]) -> wire.Reply:
        key = str(parts[-1].get("User-Id")) if self.security else None
        try:
            req = wire.decode_request(parts[-1].bytes)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return self._refuse_malformed(parts[-1].bytes, key, f"not a dispatch request ({exc})")
        actor = self.users.actor(key, req.user, req.desk)
        if isinstance(actor, str):
            return self._refuse(req, actor, self._stranger(key, req.user), log_it=True)
        if req.op == "command":
            cmd = req.command
            if cmd is None:
                return self._refuse(req, "a command request needs a command", actor, log_it=True)
            if req.after and not self.store.known(req.after, cmd.id):
                why = f"order {req.after} from this desk has not arrived yet; resend from the oldest"
                return wire.Reply(req.id, False, why, retry=True, tag=req.tag)
            if cmd.kind == "alarm":
                out = self.alarms.execute(cmd, actor)
            else:
                out = self.store.execute(cmd, actor, self._enrich)
            if out.accepted and not out.duplicate:
                outcomes.append(out)
            result = {"incident": wire.incident_dict(out.incident)} if out.incident else {}
            return wire.Reply(req.id, out.accepted, out.reason, result, duplicate=out.duplicate, tag=req.tag)
        try:
            return self._query(req)
        except BadQueryError as exc:
            return self._refuse(req, str(exc), actor, log_it=True)

    def _stranger(self, key: str | None, claimed: str) -> str:
        """The audit trail's name for a sender that is no dispatch user."""
        return f"unknown key {key}" if key is not None else (claimed or "(no user named)")

    def _refuse(self, req: wire.Request, reason: str, who: Actor | str, *, log_it: bool) -> wire.Reply:
        """Refuse a request the state machine never saw, with an audit row (and a log line)."""
        user, role = (who.user, who.role) if isinstance(who, Actor) else (who, "")
        cmd = req.command
        if cmd is not None:
            fields = {
                "command_id": cmd.id,
                "kind": cmd.kind,
                "incident_id": cmd.incident_id,
                "unit_id": cmd.unit_id,
            }
        else:
            fields = {"command_id": req.id, "kind": req.op}
        extra = {"query": req.query} if req.op == "query" else {}
        audit_refusal(self.store.db, reason, user=user, role=role, desk=req.desk, **fields, **extra)  # type: ignore[arg-type]
        if log_it:
            log.warning("gateway: refused %s %s from %s at %s: %s", req.op, req.query or fields["kind"], user,
                        req.desk or "?", reason)  # fmt: skip
        return wire.Reply(req.id, False, reason, tag=req.tag)

    def _refuse_malformed(self, frame: bytes, key: str | None, reason: str) -> wire.Reply:
        """An undecodable frame: audit what can be read of it, answer its id if it has one."""
        try:
            raw: Any = msgspec.msgpack.decode(frame)
        except (msgspec.DecodeError, ValueError):
            raw = None
        raw = raw if isinstance(raw, dict) else {}
        cmd = raw.get("command") if isinstance(raw.get("command"), dict) else {}

        def text(d: dict[Any, Any], k: str) -> str:
            v = d.get(k)
            return v if isinstance(v, str) else ""

        user = self.users.users_by_key.get(key or "") if key is not None else text(raw, "user")
        user = user or self._stranger(key, "")
        rid = text(raw, "id")
        audit_refusal(
            self.store.db, reason, user=user, desk=text(raw, "desk"), command_id=text(cmd, "id") or rid,
            kind="malformed", incident_id=text(cmd, "incident_id"), unit_id=text(cmd, "unit_id"),
            bytes=len(frame),
        )  # fmt: skip
        log.warning("gateway: refused a malformed request (%d bytes) from %s: %s", len(frame), user, reason)
        return wire.Reply(rid, False, reason)

    def _refuse_failed(self, parts: list[zmq.Frame], exc: Exception) -> wire.Reply:
        """A request that made the gateway fail (a bug, or data the store rejects): refused alone."""
        key = str(parts[-1].get("User-Id")) if self.security else None
        reason = (
            f"the gateway could not handle this request ({type(exc).__name__}: {exc}); "
            "nothing of it was stored"
        )
        try:
            req = wire.decode_request(parts[-1].bytes)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return self._refuse_malformed(parts[-1].bytes, key, reason)
        who = self.users.actor(key, req.user, req.desk)
        return self._refuse(
            req, reason, who if isinstance(who, Actor) else self._stranger(key, req.user), log_it=True
        )

    def _enrich(self, row: IncidentRow) -> IncidentRow:
        chain = self.router.route(row.lon, row.lat)
        return replace(
            row,
            city=chain.city,
            district=chain.district,
            street=chain.street,
            grid=chain.grid,
            codes=dict(chain.codes),
            department=self.router.department(row.type),
        )

    # ------------------------------------------------------------------ publishing
    def _publish_incidents(self, rows: list[IncidentRow]) -> None:
        if rows and self.publisher is not None:
            self.publisher.incidents([_wire_incident(r) for r in rows])

    def _publish_outcome(self, out: Outcome) -> None:
        assert self.publisher is not None
        if out.alarm is not None:
            self.event_seq += 1
            evt = wire.Event(self.event_seq, time.time(), self.epoch, alarm=out.alarm)
            self.publisher.send_raw(wire.encode_event(evt))
            return
        rows = [r for r in (out.incident, out.also) if r is not None]
        self._publish_incidents(rows)
        assert self.publisher is not None
        for r in rows:
            self.event_seq += 1
            evt = wire.Event(
                self.event_seq,
                time.time(),
                self.epoch,
                wire.incident_dict(r),
                [self._unit_view(u) for u in out.units] if r is out.incident else [],
                out.audit if r is out.incident else None,
            )
            self.publisher.send_raw(wire.encode_event(evt))
        if not rows and out.units:
            self.event_seq += 1
            evt = wire.Event(
                self.event_seq,
                time.time(),
                self.epoch,
                None,
                [self._unit_view(u) for u in out.units],
                out.audit,
            )
            self.publisher.send_raw(wire.encode_event(evt))

    # ------------------------------------------------------------------ the feed
    def _apply_feed(self) -> None:
        from controlroom.geo.crs import to_wgs84

        pending = self._feed_buffer.drain()
        for pid, p in pending.positions.items():
            if p.kind in DISPATCHABLE_KINDS:
                crs = pending.position_crs.get(pid)
                if crs:
                    lon, lat = to_wgs84([p.x], [p.y], crs)
                    self.live_positions[pid] = (float(lon[0]), float(lat[0]))
                else:
                    self.live_positions[pid] = (p.x, p.y)
        if not pending.incidents or not self.site.dispatch.import_feed_incidents:
            return
        db = self.store.db
        outcomes: list[Outcome] = []
        reassert: list[IncidentRow] = []
        db.begin()
        try:
            for inc_id, (rec, crs) in pending.incidents.items():
                known = self.store.incident(inc_id)
                if known is not None:
                    if known.wire_status != rec.status:
                        reassert.append(known)
                    continue
                if rec.status in ("resolved", "closed"):
                    continue  # raised and finished elsewhere before we heard of it
                lon, lat = to_wgs84([rec.x], [rec.y], crs)
                if not (math.isfinite(lon[0]) and math.isfinite(lat[0])):
                    continue
                cmd = Command(
                    f"feed:{inc_id}", "create", inc_id, text=rec.text, type=rec.type, severity=rec.severity,
                    lon=float(lon[0]), lat=float(lat[0]), camera_ids=list(rec.camera_ids),
                    raised_at=rec.raised_at,
                )  # fmt: skip
                out = self.store.execute(cmd, Actor(FEED_ACTOR, "operator", "feed"), self._enrich_feed)
                if out.accepted:
                    outcomes.append(out)
            db.commit()
        except Exception:
            db.rollback()
            log.exception("gateway: importing %d feed incidents failed", len(pending.incidents))
            return
        for out in outcomes:
            self._publish_outcome(out)
        self._publish_incidents(reassert)

    def _enrich_feed(self, row: IncidentRow) -> IncidentRow:
        return replace(self._enrich(row), source=FEED_ACTOR)


def _wire_incident(r: IncidentRow) -> Incident:
    return Incident(
        r.id, r.type, max(1, min(4, r.severity)), r.lon, r.lat, list(r.camera_ids), r.text,  # type: ignore[arg-type]
        r.wire_status, r.raised_at,  # type: ignore[arg-type]
    )  # fmt: skip
