"""The gateway on PostgreSQL: a throw-away local server (Debian's ``postgresql`` package), the same
lifecycle, retry and append-only checks as on SQLite. Skipped, saying why, where no server can
be started here."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlroom.dispatch import wire
from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox

from .test_gateway import _raw_request


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="PostgreSQL path needs psycopg (pip install 'psycopg[binary]')")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip(
            "no PostgreSQL server binaries (Debian: apt-get install postgresql); PostgreSQL path not tested"
        )
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the throw-away cluster as the postgres user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start a PostgreSQL server as another user")
        as_user = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="cr-pg-", dir="/tmp"))
    base.chmod(0o777)
    data = base / "data"
    port = _free_port()
    env = dict(os.environ, LC_ALL="C.UTF-8")
    try:
        init_cmd = [*as_user, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        init = subprocess.run(init_cmd, capture_output=True, text=True, env=env, timeout=120)
        if init.returncode != 0:
            pytest.skip(f"initdb failed, PostgreSQL path not tested: {init.stderr.strip()[-300:]}")
        opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=on"
        start_cmd = [*as_user, pg_ctl, "-D", str(data), "-o", opts, "-w", "-l", str(base / "log"), "start"]
        start = subprocess.run(start_cmd, capture_output=True, text=True, env=env, timeout=120)
        if start.returncode != 0:
            pytest.skip(f"PostgreSQL did not start, path not tested: {start.stderr.strip()[-300:]}")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True, timeout=60
            )
        shutil.rmtree(base, ignore_errors=True)


def test_gateway_on_postgresql(sample_site: Path, tmp_path: Path, postgres_url: str, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    g = gateway_factory(sample_site, postgres_url)
    c = DispatchClient(
        g.endpoint, Outbox(tmp_path / "o.sqlite"), user="demo-supervisor", desk="pg-desk"
    ).start()
    try:
        c.order("create", incident_id="PG-1", type="waterlogging", severity=4, lon=113.3345, lat=23.0903)
        assert c.wait_settled()
        unit = c.ask("suggest", id="PG-1").result["units"][0]["unit_id"]
        for kind, extra in [("assign", {"unit_id": unit}), ("resolve", {}), ("close", {})]:
            c.order(kind, incident_id="PG-1", **extra)
            assert c.wait_settled()
        bad = c.order("acknowledge", incident_id="PG-1")
        assert c.wait_settled()
        assert c.outbox.get(bad.command_id).reason.startswith("incident PG-1 is closed")  # type: ignore[union-attr]
        inc = c.ask("incident", id="PG-1").result
        assert inc["incident"]["status"] == "closed" and inc["incident"]["district"] == "南洲区"
        from controlroom.core.dispatch_model import Command

        cmd = Command("pg-retry", "comment", "PG-1", text="once")
        replies = [_raw_request(g.endpoint, wire.Request("pg-retry", "command", cmd, user="demo-supervisor"))
                   for _ in range(3)]  # fmt: skip
        assert [r.duplicate for r in replies] == [False, True, True]
    finally:
        c.close()
    with psycopg.connect(postgres_url) as con:
        kinds = [r[0] for r in con.execute("SELECT kind FROM audit WHERE incident_id = 'PG-1' ORDER BY seq")]
        assert kinds == ["create", "assign", "resolve", "close", "acknowledge", "comment"]
        with pytest.raises(psycopg.Error, match="append-only"):
            con.execute("DELETE FROM audit")
