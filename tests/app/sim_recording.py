"""A feed recording of simulated hours, written without sockets: for brief and briefing tests."""

from __future__ import annotations

import struct
from pathlib import Path

from controlroom.core.protocol import IncidentBatch, MetricBatch, PositionBatch, SensorBatch
from controlroom.core.site import Site
from controlroom.feed.codec import encode
from controlroom.feed.recorder import MAGIC
from controlroom.feed.simulator import CitySimulator, SimConfig

_HEAD = struct.Struct("<dI")


def write_sim_recording(
    site: Site,
    out: Path,
    hours: float = 2.0,
    step_s: float = 30.0,
    incident_every_s: float = 300.0,
    start: float | None = None,
) -> tuple[Path, list[str]]:
    """Simulate ``hours`` from ``start`` (default now) in ``step_s`` steps; returns the file and
    every incident id."""
    cfg = SimConfig(
        entities=60, seed=7, incident_every_s=incident_every_s, timezone=site.site.timezone, start=start
    )
    sim = CitySimulator.from_site(site, cfg)
    t = sim.started
    seq = 0
    ids: list[str] = []
    with out.open("wb") as fh:
        fh.write(MAGIC)

        def put(make: type, records: list) -> None:  # type: ignore[type-arg]
            nonlocal seq
            seq += 1
            frame = encode(make(v=1, source="sim", seq=seq, ts=t, records=records))
            fh.write(_HEAD.pack(t, len(frame)))
            fh.write(frame)

        for _ in range(int(hours * 3600 / step_s)):
            t += step_s
            put(PositionBatch, sim.step_positions(step_s))
            put(SensorBatch, sim.read_sensors(t))
            put(MetricBatch, sim.vital_signs(t))
            incidents = sim.incidents(t)
            if incidents:
                ids += [i.id for i in incidents if i.id not in ids]
                put(IncidentBatch, incidents)
    return out, ids
