"""The dispatch gateway: the one place incidents and unit assignments are decided and stored.

One thread owns every socket: a ROUTER for the desks' orders and questions, a PUB (through the
feed's ``FeedPublisher``, with its clone-pattern snapshot) on which every change goes out as
feed ``inc|`` records — so walls and laptops see gateway state through the same overlay path as
any feed — plus ``dsp|`` events with the full dispatch view, and a feed subscriber that learns
of incidents raised elsewhere (the simulator, video AI) and where units are.

Orders arriving together are applied in one transaction (group commit) and answered only after
the commit, so an acknowledged order is on disk; a crash before the commit loses nothing the
desk believes done — its outbox resends, and the command id makes the resend harmless.

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
from controlroom.dispatch.routing import AdminRouter
from controlroom.dispatch.security import GatewaySecurity, UserRegistry, gateway_security
from controlroom.dispatch.store import Outcome, Store
from controlroom.dispatch.units import DISPATCHABLE_KINDS, rank_units, read_registry
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


class Gateway:
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
        if not self._serve(frames) and len(frames) > 1:
            # one bad request must not hold up everyone else's: apply them one by one
            for parts in frames:
                self._serve([parts])

    def _serve(self, frames: list[list[zmq.Frame]]) -> bool:
        """Apply requests in one transaction and answer after the commit; False if it failed."""
        assert self._router is not None
        replies: list[tuple[bytes, bytes]] = []
        outcomes: list[Outcome] = []
        db = self.store.db
        db.begin()
        try:
            for parts in frames:
                identity = parts[0].bytes
                rep = self._handle(parts, outcomes)
                replies.append((identity, wire.encode(rep)))
            db.commit()
        except Exception:
            db.rollback()
            log.exception("gateway: %d request(s) failed; nothing of them was stored", len(frames))
            return False  # no replies: the desks' outboxes resend
        for identity, payload in replies:
            self._router.send_multipart([identity, payload])
        self.handled += len(frames)
        for out in outcomes:
            self._publish_outcome(out)
        return True

    def _handle(self, parts: list[zmq.Frame], outcomes: list[Outcome]) -> wire.Reply:
        try:
            req = wire.decode_request(parts[-1].bytes)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return wire.Reply("", False, f"not a dispatch request ({exc})")
        user_id = str(parts[-1].get("User-Id")) if self.security else None
        actor = self.users.actor(user_id, req.user, req.desk)
        if isinstance(actor, str):
            return wire.Reply(req.id, False, actor)
        if req.op == "command":
            if req.command is None:
                return wire.Reply(req.id, False, "a command request needs a command")
            if req.command.kind == "alarm":
                out = self.alarms.execute(req.command, actor)
            else:
                out = self.store.execute(req.command, actor, self._enrich)
            if out.accepted and not out.duplicate:
                outcomes.append(out)
            result = {"incident": wire.incident_dict(out.incident)} if out.incident else {}
            return wire.Reply(req.id, out.accepted, out.reason, result, duplicate=out.duplicate)
        return self._query(req)

    def _query(self, req: wire.Request) -> wire.Reply:
        q, args = req.query, req.args
        st = self.store
        if q == "state":
            incidents = st.incidents(open_only=not args.get("all"))
            return wire.Reply(
                req.id,
                True,
                result={
                    "epoch": self.epoch,
                    "seq": self.event_seq,
                    "incidents": [wire.incident_dict(i) for i in incidents],
                    "units": [self._unit_view(u) for u in st.units()],
                },
            )
        if q == "incident":
            inc = st.incident(str(args.get("id", "")))
            if inc is None:
                return wire.Reply(req.id, False, f"no incident {args.get('id')!r}")
            return wire.Reply(
                req.id,
                True,
                result={
                    "incident": wire.incident_dict(inc),
                    "units": [self._unit_view(u) for u in st.units_on(inc.id)],
                    "timeline": st.timeline(inc.id),
                },
            )
        if q == "suggest":
            inc = st.incident(str(args.get("id", "")))
            if inc is None:
                return wire.Reply(req.id, False, f"no incident {args.get('id')!r}")
            kinds = self.router.unit_kinds(inc.type)
            ranked = rank_units(
                st.units(), inc.lon, inc.lat, kinds, self.live_positions, int(args.get("limit", 5))
            )
            return wire.Reply(
                req.id,
                True,
                result={"units": [c.as_json() for c in ranked], "kinds": kinds or sorted(DISPATCHABLE_KINDS)},
            )
        if q == "route":
            chain = self.router.route(float(args["x"]), float(args["y"]), str(args.get("crs", "EPSG:4326")))
            return wire.Reply(req.id, True, result=chain.as_json())
        if q == "audit":
            return wire.Reply(req.id, True, result={"audit": st.audit(int(args.get("since", 0)))})
        if q == "alarm_trail":
            key = args.get("alarm_key")
            trail = self.alarms.entries(int(args.get("since", 0)), str(key) if key else None)
            return wire.Reply(req.id, True, result={"alarm_trail": trail})
        if q == "counts":
            return wire.Reply(req.id, True, result=st.counts())
        expected = "state, incident, suggest, route, audit, alarm_trail, counts"
        return wire.Reply(req.id, False, f"unknown query {q!r}; expected {expected}")

    def _unit_view(self, u: Any) -> dict[str, Any]:
        d = wire.unit_dict(u)
        live = self.live_positions.get(u.id)
        if live:
            d["lon"], d["lat"] = live
        return d

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
