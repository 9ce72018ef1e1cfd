"""A believable city for demos and tests: fleets on the site's roads, sensors, incidents, vital signs.

Buses keep to the arterials, muck trucks and taxis roam, police and city-management units (with
the ids and types of the site's units registry when it has one) patrol or stand on scene.
Sensors follow daily patterns (rush-hour air quality and noise, the tide on the river); the
river level also rises slowly during a demo so that alarms fire after a few minutes. Incidents
of the eight urban-management types appear near the site's cameras, are acknowledged, then
resolved. Everything is seeded, so a test sees the same city every run.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from controlroom.core.dispatch_model import unit_kind
from controlroom.core.protocol import INCIDENT_TYPES, Incident, MetricPoint, Position, SensorReading
from controlroom.feed.sim_roads import RoadNetwork, read_points
from controlroom.geo.crs import LocalFrame

if TYPE_CHECKING:
    from controlroom.core.site import Site
    from controlroom.feed.publisher import FeedPublisher

F64 = npt.NDArray[np.float64]
#: Speed range (m/s) and status of each kind while driving.
_SPEEDS = {
    "bus": (7.0, 11.0),
    "muck_truck": (6.0, 10.0),
    "taxi": (8.0, 14.0),
    "police": (5.0, 9.0),
    "city_management": (3.0, 6.0),
    "ambulance": (9.0, 15.0),
    "fire_engine": (8.0, 13.0),
    "sanitation": (3.0, 6.0),
    "other": (5.0, 10.0),
}
_INCIDENT_WEIGHTS = np.array([0.22, 0.18, 0.2, 0.12, 0.06, 0.08, 0.08, 0.06])
_INCIDENT_SEVERITY = {
    "garbage_piled_up": 1,
    "street_vending": 1,
    "illegal_parking": 1,
    "road_damage": 2,
    "manhole_cover_missing": 3,
    "illegal_construction": 2,
    "waterlogging": 3,
    "fallen_tree": 2,
}


@dataclass
class SimConfig:
    entities: int = 2000
    hz: float = 2.0
    seed: int = 1
    sensor_period_s: float = 2.0
    metric_period_s: float = 1.0
    incident_every_s: float = 8.0
    max_open_incidents: int = 40
    river_base_m: float = 2.6
    river_rise_m_per_min: float = 0.08
    timezone: str = "Asia/Shanghai"
    #: When the simulated run begins (Unix seconds); None: now. A recording of a chosen period
    #: (e.g. one that must not cross the site's midnight) sets it.
    start: float | None = None


@dataclass
class _Incident:
    record: Incident
    ack_at: float
    resolve_at: float


@dataclass
class _Sensor:
    id: str
    kind: str
    unit: str
    lon: float
    lat: float
    phase: float


@dataclass
class CitySimulator:
    roads: RoadNetwork
    config: SimConfig = field(default_factory=SimConfig)
    cameras: tuple[list[str], F64, F64] | None = None
    units: tuple[list[str], list[str], F64, F64] | None = None
    water: tuple[F64, F64] | None = None

    def __post_init__(self) -> None:
        cfg = self.config
        self.rng = np.random.default_rng(cfg.seed)
        self.started = time.time() if cfg.start is None else cfg.start
        self._build_fleet()
        self._build_sensors()
        self.open: dict[str, _Incident] = {}
        self._incident_no = 0
        self._next_incident = self.started + self.rng.exponential(cfg.incident_every_s)

    # ------------------------------------------------------------------ set-up

    @classmethod
    def from_site(cls, site: Site, config: SimConfig | None = None) -> CitySimulator:
        """Roads from ``[[roads]]``; cameras, units and water from the site's registries when present."""
        cfg = config or SimConfig(timezone=site.site.timezone)
        origin = site.site.origin
        frame = LocalFrame.at_wgs84(site.site.crs, *origin) if origin else None
        roads = RoadNetwork.from_sources(site.roads, frame)
        cameras = units = water = None
        if site.cameras is not None:
            rows, lon, lat = read_points(site.cameras)
            cameras = (
                [r.get("id") or r.get("camera_id") or f"CAM{i:05d}" for i, r in enumerate(rows)],
                lon,
                lat,
            )
        if site.units is not None:
            rows, lon, lat = read_points(site.units)
            ids = [r.get("id") or f"U{i:04d}" for i, r in enumerate(rows)]
            kinds = [unit_kind(r) for r in rows]
            units = (ids, kinds, lon, lat)
        if site.water:
            water = _water_points(site)
        return cls(roads, cfg, cameras, units, water)

    def _build_fleet(self) -> None:
        n = max(0, self.config.entities)
        ids: list[str] = []
        kinds: list[str] = []
        if self.units is not None:
            uid, ukind, _, _ = self.units
            take = min(len(uid), n)
            ids += uid[:take]
            kinds += ukind[:take]
        else:
            k = max(1, n // 20) if n >= 20 else 0
            ids += [f"P{i:04d}" for i in range(k)] + [f"CM{i:04d}" for i in range(k)]
            kinds += ["police"] * k + ["city_management"] * k
        rest = n - len(ids)
        nb, nm = int(rest * 0.12), int(rest * 0.08)
        ids += [f"BUS{i:04d}" for i in range(nb)] + [f"MT{i:04d}" for i in range(nm)]
        ids += [f"TX{i:05d}" for i in range(rest - nb - nm)]
        kinds += ["bus"] * nb + ["muck_truck"] * nm + ["taxi"] * (rest - nb - nm)
        self.ids, self.kinds = ids, kinds
        m = len(ids)
        is_bus = np.array([k == "bus" for k in kinds], bool)
        self.prefer_main = is_bus
        self.poly, self.dist = self.roads.random_positions(self.rng, m)
        if is_bus.any():
            bp, bd = self.roads.random_positions(self.rng, int(is_bus.sum()), main_only=True)
            self.poly[is_bus], self.dist[is_bus] = bp, bd
        if self.units is not None and m:
            self._place_units_near_registry()
        self.direction = self.rng.choice([-1.0, 1.0], m)
        lo = np.array([_SPEEDS[k][0] for k in kinds])
        hi = np.array([_SPEEDS[k][1] for k in kinds])
        self.cruise = self.rng.uniform(lo, hi) if m else np.zeros(0)
        is_unit = np.array(
            [k in ("police", "city_management", "ambulance", "fire_engine", "sanitation") for k in kinds],
            bool,
        )
        roll = self.rng.random(m)
        self.status = np.where(
            is_unit, np.where(roll < 0.8, "available", np.where(roll < 0.9, "en_route", "on_scene")), "normal"
        )
        self.status = np.where(~is_unit & (roll < 0.1), "idle", self.status)

    def _place_units_near_registry(self) -> None:
        assert self.units is not None
        _, _, lon, lat = self.units
        k = min(len(lon), len(self.ids))
        x, y = self.roads.frame.from_wgs84(lon[:k], lat[:k])
        starts = self.roads.start[:-1]
        vx, vy = self.roads.xy[starts, 0], self.roads.xy[starts, 1]
        for i in range(k):  # a few hundred units: nearest polyline start is close enough
            self.poly[i] = int(np.argmin((vx - x[i]) ** 2 + (vy - y[i]) ** 2))
            self.dist[i] = 0.0

    def _build_sensors(self) -> None:
        rng = self.rng
        sensors: list[_Sensor] = []

        def points(n: int) -> tuple[F64, F64]:
            poly, dist = self.roads.random_positions(rng, n)
            x, y, _ = self.roads.locate(poly, dist, np.ones(n))
            return self.roads.frame.to_wgs84(x, y)

        if self.water is not None and len(self.water[0]):
            wl = self.water
            pick = rng.choice(len(wl[0]), size=min(4, len(wl[0])), replace=False)
            rlon, rlat = wl[0][pick], wl[1][pick]
        else:
            rlon, rlat = points(3)
        sensors += [
            _Sensor(f"RIVER{i:02d}", "river_level", "m", float(a), float(b), float(rng.uniform(0, 1)))
            for i, (a, b) in enumerate(zip(rlon, rlat, strict=True))
        ]
        alon, alat = points(6)
        sensors += [
            _Sensor(f"AQI{i:02d}", "aqi", "AQI", float(a), float(b), float(rng.uniform(0, 1)))
            for i, (a, b) in enumerate(zip(alon, alat, strict=True))
        ]
        nlon, nlat = points(8)
        sensors += [
            _Sensor(f"NOISE{i:02d}", "noise", "dB(A)", float(a), float(b), float(rng.uniform(0, 1)))
            for i, (a, b) in enumerate(zip(nlon, nlat, strict=True))
        ]
        self.sensor_list = sensors

    # ------------------------------------------------------------------ one tick of each stream

    def hour(self, now: float) -> float:
        t = datetime.fromtimestamp(now, ZoneInfo(self.config.timezone))
        return t.hour + t.minute / 60 + t.second / 3600

    def step_positions(self, dt: float) -> list[Position]:
        """Advance every vehicle by ``dt`` seconds and report where it is (WGS 84)."""
        m = len(self.ids)
        if m == 0:
            return []
        moving = (self.status != "on_scene") & (self.status != "idle")
        jitter = self.rng.normal(1.0, 0.08, m)
        speed = np.where(moving, np.clip(self.cruise * jitter, 0.0, None), 0.0)
        self.roads.advance(self.rng, self.poly, self.dist, self.direction, speed * dt, self.prefer_main)
        x, y, heading = self.roads.locate(self.poly, self.dist, self.direction)
        lon, lat = self.roads.frame.to_wgs84(x, y)
        status = self.status.tolist()
        return [
            Position(i, k, float(a), float(b), float(h), float(s), st)
            for i, k, a, b, h, s, st in zip(
                self.ids,
                self.kinds,
                lon.tolist(),
                lat.tolist(),
                heading.tolist(),
                speed.tolist(),
                status,
                strict=True,
            )
        ]

    def river_level(self, now: float) -> float:
        cfg = self.config
        tide = 0.25 * math.sin(2 * math.pi * (now / 3600.0) / 12.42)
        rise = cfg.river_rise_m_per_min * (now - self.started) / 60.0
        return cfg.river_base_m + tide + min(rise, 3.0)

    def read_sensors(self, now: float) -> list[SensorReading]:
        h = self.hour(now)
        rush = math.exp(-(((h - 8.5) / 1.3) ** 2)) + math.exp(-(((h - 18.0) / 1.6) ** 2))
        day = max(0.0, math.sin(math.pi * (h - 6.0) / 16.0)) if 6.0 <= h <= 22.0 else 0.0
        out = []
        for s in self.sensor_list:
            noise = float(self.rng.normal(0, 1))
            if s.kind == "river_level":
                value = self.river_level(now) + 0.02 * s.phase + 0.01 * noise
                status = "alarm" if value >= 4.0 else "warning" if value >= 3.5 else "ok"
            elif s.kind == "aqi":
                value = max(5.0, 45 + 35 * rush + 15 * s.phase + 4 * noise)
                status = "alarm" if value > 150 else "warning" if value > 100 else "ok"
            else:
                value = 48 + 22 * day + 5 * rush + 3 * s.phase + 1.5 * noise
                status = "warning" if value > 75 else "ok"
            out.append(SensorReading(s.id, s.kind, round(value, 3), s.lon, s.lat, s.unit, status))  # type: ignore[arg-type]
        return out

    def vital_signs(self, now: float) -> list[MetricPoint]:
        h = self.hour(now)
        rush = math.exp(-(((h - 8.5) / 1.3) ** 2)) + math.exp(-(((h - 18.0) / 1.6) ** 2))
        day = max(0.0, math.sin(math.pi * (h - 6.0) / 16.0)) if 6.0 <= h <= 22.0 else 0.0
        n = self.rng.normal(0, 1, 4)
        aqi = [s for s in self.read_sensors(now) if s.kind == "aqi"]
        return [
            MetricPoint(
                "congestion_index",
                round(min(10.0, max(1.0, 2.2 + 5.5 * rush + 0.3 * float(n[0]))), 2),
                now,
                "",
            ),
            MetricPoint("aqi", round(float(np.mean([s.value for s in aqi])) if aqi else 50.0, 1), now, "AQI"),
            MetricPoint(
                "power_load_mw", round(820 + 520 * day + 160 * rush + 12 * float(n[2]), 1), now, "MW"
            ),
            MetricPoint(
                "hotline_calls_per_hour",
                round(max(0.0, 35 + 90 * day + 4 * len(self.open) + 6 * float(n[3])), 0),
                now,
                "calls/h",
            ),
        ]

    def incidents(self, now: float) -> list[Incident]:
        """New incidents (Poisson, near cameras) and status changes of open ones."""
        changed: list[Incident] = []
        for inc_id, inc in list(self.open.items()):
            r = inc.record
            if r.status == "new" and now >= inc.ack_at:
                r = inc.record = _replace(r, status="acknowledged")
                changed.append(r)
            elif r.status == "acknowledged" and now >= inc.resolve_at:
                changed.append(_replace(r, status="resolved"))
                del self.open[inc_id]
        while now >= self._next_incident:
            self._next_incident += self.rng.exponential(self.config.incident_every_s)
            if len(self.open) < self.config.max_open_incidents:
                changed.append(self._raise(now))
        return changed

    def _raise(self, now: float) -> Incident:
        rng = self.rng
        self._incident_no += 1
        kind = str(INCIDENT_TYPES[int(rng.choice(len(INCIDENT_TYPES), p=_INCIDENT_WEIGHTS))])
        if self.river_level(now) > 3.5 and rng.random() < 0.5:
            kind = "waterlogging"
        cams: list[str] = []
        if self.cameras is not None and len(self.cameras[0]):
            c = int(rng.integers(len(self.cameras[0])))
            cams = [self.cameras[0][c]]
            cx, cy = self.roads.frame.from_wgs84(self.cameras[1][c], self.cameras[2][c])
            x, y = float(cx) + rng.uniform(-25, 25), float(cy) + rng.uniform(-25, 25)
        else:
            poly, dist = self.roads.random_positions(rng, 1)
            px, py, _ = self.roads.locate(poly, dist, np.ones(1))
            x, y = float(px[0]), float(py[0])
        lon, lat = self.roads.frame.to_wgs84(x, y)
        severity = min(4, _INCIDENT_SEVERITY[kind] + int(rng.random() < 0.15))
        rec = Incident(
            f"INC{int(self.started) % 100000:05d}-{self._incident_no:05d}",
            kind,  # type: ignore[arg-type]
            severity,
            float(lon),
            float(lat),
            cams,
            "",  # no report text: nobody wrote one (type and camera travel as fields, shown translated)
            "new",
            now,
        )
        self.open[rec.id] = _Incident(rec, now + rng.uniform(15, 60), now + rng.uniform(90, 300))
        return rec

    # ------------------------------------------------------------------ the loop

    def run(
        self, publisher: FeedPublisher, seconds: float | None = None, stop: threading.Event | None = None
    ) -> int:
        """Publish until ``seconds`` have passed or ``stop`` is set; returns messages sent."""
        cfg = self.config
        period = 1.0 / max(cfg.hz, 0.01)
        t0 = time.time()
        next_pos = t0
        next_sensor = next_metric = next_beat = t0
        stop = stop or threading.Event()
        while not stop.is_set() and (seconds is None or time.time() - t0 < seconds):
            now = time.time()
            if now >= next_pos:
                publisher.positions(self.step_positions(period))
                next_pos += period
                if now - next_pos > 1.0:  # fell far behind (machine busy): do not try to catch up
                    next_pos = now + period
            if now >= next_sensor:
                publisher.sensors(self.read_sensors(now))
                next_sensor += cfg.sensor_period_s
            if now >= next_metric:
                publisher.metrics(self.vital_signs(now))
                inc = self.incidents(now)
                if inc:
                    publisher.incidents(inc)
                next_metric += cfg.metric_period_s
            if now >= next_beat:
                publisher.heartbeat(cfg.hz, len(self.ids))
                next_beat += 1.0
            wait = min(next_pos, next_sensor, next_metric, next_beat) - time.time()
            if wait > 0:
                stop.wait(wait)
        return publisher.sent


def _replace(rec: Incident, **changes: object) -> Incident:
    import msgspec

    return msgspec.structs.replace(rec, **changes)


def _water_points(site: Site) -> tuple[F64, F64]:
    """Points along the site's rivers and canals (where river-level gauges belong)."""
    import geopandas as gpd
    import shapely

    from controlroom.geo.crs import to_wgs84

    lons: list[F64] = []
    lats: list[F64] = []
    for src in site.water:
        gdf = gpd.read_file(src.path)
        for geom in gdf.geometry[gdf.geometry.notna()]:
            coords = shapely.get_coordinates(geom.boundary if geom.geom_type.endswith("Polygon") else geom)
            if len(coords):
                lon, lat = to_wgs84(
                    coords[len(coords) // 2 : len(coords) // 2 + 1, 0],
                    coords[len(coords) // 2 : len(coords) // 2 + 1, 1],
                    src.crs,
                )
                lons.append(lon)
                lats.append(lat)
    if not lons:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(lons), np.concatenate(lats)
