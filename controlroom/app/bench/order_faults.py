"""Orders under faults: real gateway processes killed with SIGKILL, real desk processes killed too.

Two desk processes give orders at ``rate_hz`` in all (incident lifecycles: create, acknowledge,
comments, resolve, close or cancel, and now and then an order the state machine must refuse),
each through its own durable outbox, while the gateway is killed ``kills`` times (restarted
after a short outage) and the desks ``desk_kills`` times (restarted on the same outbox). Then
every order the desks asked for (what their outboxes hold) is checked against the gateway's
store and against the pure state machine applying the same orders in the desk's order:

- ``orders_lost``: asked for, never answered by the store (or still pending at the end);
- ``orders_duplicated``: applied more than once;
- ``orders_out_of_order``: applied before an earlier order of the same desk;
- ``orders_refused_extra``: refused although the orders in sequence would not be;
- ``incidents_wrong_state``: an incident not in the state the desk's orders lead to.

All five must be 0. The desk process is this module run as a script (``desk`` sub-command).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from controlroom.core.dispatch_model import Actor, Command, IncidentRow, decide

USER = "demo-supervisor"  # the sample site's loopback supervisor (may close incidents)
PLACE = (113.3345332, 23.0902738)  # inside the sample site's boundaries
ACTIVE_INCIDENTS = 4
MAX_PLAN_S = 1800.0


def plan(desk: str, n: int, seed: int = 0) -> list[Command]:
    """The desk's orders, the same on every run for (desk, seed): a few incidents worked at once."""
    rng = random.Random(f"{seed}:{desk}")
    out: list[Command] = []
    active: list[list[Any]] = []  # [incident id, next step, comments left]
    made = 0

    def add(kind: str, incident: str, **fields: Any) -> None:
        out.append(Command(f"{desk}-{len(out):06d}", kind, incident, **fields))  # type: ignore[arg-type]

    while len(out) < n:
        if len(active) < ACTIVE_INCIDENTS:
            made += 1
            inc = f"{desk}-INC{made:05d}"
            lon, lat = PLACE[0] + rng.uniform(-0.002, 0.002), PLACE[1] + rng.uniform(-0.002, 0.002)
            add("create", inc, type="road_damage", severity=rng.randint(1, 4), lon=lon, lat=lat, text="bench")
            active.append([inc, "acknowledge", rng.randint(1, 3)])
            continue
        item = rng.choice(active)
        inc, step, comments = item
        if step == "acknowledge":
            if rng.random() < 0.1:
                add("close", inc)  # too early: the state machine refuses it, with or without faults
            add("acknowledge", inc)
            item[1] = "comment"
        elif step == "comment" and comments > 0:
            add("comment", inc, text=f"{inc} note {len(out)}")
            item[2] -= 1
        elif step == "comment":
            if rng.random() < 0.15:
                add("cancel", inc, text="duplicate report")
                active.remove(item)
            else:
                add("resolve", inc, text="fixed")
                item[1] = "close"
        else:
            add("close", inc)
            active.remove(item)
    return out[:n]


def expected(orders: list[Command]) -> tuple[dict[str, bool], dict[str, str]]:
    """What the state machine answers to these orders in this order, and each incident's end state."""
    actor = Actor(USER, "supervisor", "bench")
    incidents: dict[str, IncidentRow] = {}
    accepted: dict[str, bool] = {}
    for i, cmd in enumerate(orders):
        d = decide(cmd, actor, float(i + 1), incidents.get(cmd.incident_id))
        accepted[cmd.id] = d.accepted
        if d.accepted and d.incident is not None:
            incidents[d.incident.id] = d.incident
    return accepted, {k: r.status for k, r in incidents.items()}


# ---------------------------------------------------------------------- processes
@dataclass
class _Proc:
    proc: subprocess.Popen[bytes]
    log: IO[bytes]
    terminated: bool = False

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self._close()

    def terminate(self) -> None:
        """Ask once: a second SIGTERM can land while Python finalizes (handlers back to default)
        and kill a desk that was settling cleanly (seen as exit -15 on a loaded machine)."""
        if not self.terminated and self.proc.poll() is None:
            self.proc.terminate()
        self.terminated = True

    def stop(self, timeout_s: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close()
        return int(self.proc.returncode)

    def _close(self) -> None:
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if not self.log.closed:
            self.log.close()


def _started(cmd: list[str], log: Path, what: str) -> _Proc:
    """Start a process and wait for its first stdout line (it is ready: bound, or handling SIGTERM)."""
    err = log.open("ab")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if sel.select(0.2) and proc.stdout.readline():
                return _Proc(proc, err)
    proc.kill()
    proc.wait(10)
    err.close()
    raise RuntimeError(f"the {what} did not start; its log: {log}")


def _gateway(site: Path, db: Path, eps: tuple[str, str, str], log: Path) -> _Proc:
    cmd = [sys.executable, "-m", "controlroom", "gateway", "--site", str(site), "--db", str(db), "--no-feed",
           "--endpoint", eps[0], "--publish-endpoint", eps[1], "--snapshot-endpoint", eps[2]]  # fmt: skip
    return _started(cmd, log, "gateway")


def _desk(name: str, endpoint: str, work: Path, rate_hz: float, seed: int) -> _Proc:
    cmd = [sys.executable, "-m", "controlroom.app.bench.order_faults", "desk", "--name", name,
           "--endpoint", endpoint, "--outbox", str(work / f"{name}.sqlite"), "--rate", str(rate_hz),
           "--seed", str(seed)]  # fmt: skip
    return _started(cmd, work / f"{name}.log", f"desk {name}")


def _run_desk(args: argparse.Namespace) -> int:
    """One desk: continue the plan where its outbox stops, at ``rate`` orders/s, until SIGTERM."""
    from controlroom.dispatch.client import DispatchClient
    from controlroom.dispatch.outbox import Outbox

    stop = False

    def on_term(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    outbox = Outbox(Path(args.outbox))
    orders = plan(args.name, int(args.rate * MAX_PLAN_S), args.seed)
    done = len(outbox.entries())  # a prefix of the plan: each add commits before the next
    client = DispatchClient(args.endpoint, outbox, user=USER, desk=args.name).start()
    print("ready", flush=True)
    t0 = time.monotonic()
    for i, cmd in enumerate(orders[done:]):
        if stop:
            break
        delay = t0 + i / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        client.submit(cmd)
    settled = client.wait_settled(300)
    client.close()
    return 0 if settled else 3


# ---------------------------------------------------------------------- the run
def measure_order_faults(
    kills: int = 20,
    desk_kills: int = 4,
    rate_hz: float = 40.0,
    *,
    desks: int = 2,
    up_s: tuple[float, float] = (1.0, 3.0),
    down_s: tuple[float, float] = (0.0, 1.0),
    seed: int = 1,
    site: Path | None = None,
) -> dict[str, int | float]:
    """Kill the gateway ``kills`` times and a desk ``desk_kills`` times while desks give orders
    at ``rate_hz`` (all desks together); count what went wrong (see the module docstring)."""
    from controlroom.app.sample_site import demo_site

    site = site or demo_site()
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="cr-faults-", dir="/tmp"))  # ipc paths must stay short
    eps = (f"ipc://{work}/r", f"ipc://{work}/p", f"ipc://{work}/s")
    db, gw_log = work / "gateway.sqlite", work / "gateway.log"
    names = [f"desk{chr(ord('a') + i)}" for i in range(desks)]
    cycles = max(kills, desk_kills, 1)
    desk_cycles = {int((j + 0.5) * cycles / desk_kills): names[j % desks] for j in range(desk_kills)}
    t0 = time.monotonic()
    gw = _gateway(site, db, eps, gw_log)
    running = {n: _desk(n, eps[0], work, rate_hz / desks, seed) for n in names}
    gw_killed = desk_killed = 0
    try:
        for cycle in range(cycles):
            up = rng.uniform(*up_s)
            victim = desk_cycles.get(cycle)
            if victim is not None:
                time.sleep(up * rng.uniform(0.2, 0.8))
                running[victim].kill9()
                desk_killed += 1
                running[victim] = _desk(victim, eps[0], work, rate_hz / desks, seed)
                time.sleep(up * 0.2)
            else:
                time.sleep(up)
            if cycle < kills:
                gw.kill9()
                gw_killed += 1
                time.sleep(rng.uniform(*down_s))
                gw = _gateway(site, db, eps, gw_log)
        time.sleep(max(up_s))
        duration = time.monotonic() - t0
        for p in running.values():
            p.terminate()
        codes = {n: p.stop(timeout_s=360) for n, p in running.items()}
        unsettled = sum(c != 0 for c in codes.values())
        for n, c in codes.items():
            if c:
                tail = (work / f"{n}.log").read_text(errors="replace")[-2000:]
                print(f"bench faults: desk {n} exited with {c}; its log ends:\n{tail}", file=sys.stderr)
    finally:
        for p in running.values():
            p.stop()
        gw.stop()
    try:
        out = _count(db, {n: work / f"{n}.sqlite" for n in names})
        tracebacks = gw_log.read_text(errors="replace").count("Traceback")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out | {
        "gateway_kills": gw_killed,
        "desk_kills": desk_killed,
        "desks_unsettled": unsettled,
        "gateway_tracebacks": tracebacks,
        "duration_s": round(duration, 1),
        "orders_per_s": round(out["orders_total"] / duration, 1),
    }


def _count(db: Path, outboxes: dict[str, Path]) -> dict[str, int | float]:
    from controlroom.dispatch.outbox import PENDING, Outbox

    con = sqlite3.connect(db)
    try:
        stored = {cid: bool(ok) for cid, ok in con.execute("SELECT id, accepted FROM commands")}
        applied_at: dict[str, int] = {}
        applied = Counter[str]()
        for seq, cid, ok in con.execute("SELECT seq, command_id, accepted FROM audit ORDER BY seq"):
            applied_at.setdefault(cid, seq)
            applied[cid] += int(ok)
        status = dict(con.execute("SELECT id, status FROM incidents").fetchall())
    finally:
        con.close()
    total = lost = duplicated = out_of_order = refused_extra = refused_expected = wrong = 0
    for path in outboxes.values():
        box = Outbox(path)
        try:
            entries = list(reversed(box.entries()))  # oldest first
            orders = [c for c in (box.command(e.command_id) for e in entries) if c is not None]
        finally:
            box.close()
        should, end_state = expected(orders)
        total += len(entries)
        latest = 0
        for e in entries:
            if e.state == PENDING or e.command_id not in stored:
                lost += 1
                continue
            duplicated += max(0, applied[e.command_id] - 1)
            at = applied_at.get(e.command_id, 0)
            out_of_order += at < latest
            latest = max(latest, at)
            if not stored[e.command_id]:
                if should[e.command_id]:
                    refused_extra += 1
                else:
                    refused_expected += 1
        wrong += sum(status.get(inc) != st for inc, st in end_state.items())
    return {
        "orders_total": total,
        "orders_lost": lost,
        "orders_duplicated": duplicated,
        "orders_out_of_order": out_of_order,
        "orders_refused_extra": refused_extra,
        "orders_refused_expected": refused_expected,
        "incidents_wrong_state": wrong,
    }


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m controlroom.app.bench.order_faults")
    sub = p.add_subparsers(dest="what", required=True)
    d = sub.add_parser("desk", help="one desk process of the run (started by measure_order_faults)")
    d.add_argument("--name", required=True)
    d.add_argument("--endpoint", required=True)
    d.add_argument("--outbox", required=True)
    d.add_argument("--rate", type=float, required=True)
    d.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("run", help="measure_order_faults with these settings; prints JSON")
    r.add_argument("--kills", type=int, default=20)
    r.add_argument("--desk-kills", type=int, default=4)
    r.add_argument("--rate", type=float, default=40.0)
    args = p.parse_args(argv)
    if args.what == "desk":
        return _run_desk(args)
    print(json.dumps(measure_order_faults(args.kills, args.desk_kills, args.rate)))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
