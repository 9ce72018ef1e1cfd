"""The wall control channel over real sockets on 127.0.0.1 (ephemeral ports), plain and CURVE."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
import zmq

from controlroom.feed.control import (
    Command,
    ControlClient,
    ControlServer,
    ControlTimeoutError,
    PushCamera,
    PushIncident,
    PushView,
    Reply,
    SwitchPreset,
    encode_command,
)
from controlroom.feed.keys import ClientSecurity, FeedSecurityError, ServerSecurity, create_keypair
from tests.net import free_port

REGIONS = ("map", "vitals", "cameras")
PRESETS = ("normal", "flood")


def zmq_context() -> zmq.Context[zmq.Socket[bytes]]:
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    return ctx


class Wall:
    """A headless wall: a thread applying what the server hands over, recording it."""

    def __init__(self, server: ControlServer, refuse: str | None = None) -> None:
        self.server = server
        self.refuse = refuse
        self.applied: list[Command] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Wall:
        self.server.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        self.server.stop()

    @property
    def endpoint(self) -> str:
        assert self.server.bound_endpoint
        return self.server.bound_endpoint

    def _run(self) -> None:
        while not self._stop.is_set():
            pending = self.server.take(timeout_s=0.05)
            if pending is None:
                continue
            if self.refuse:
                pending.refuse(self.refuse)
            else:
                self.applied.append(pending.command)
                pending.applied()


@pytest.fixture
def make_wall() -> Iterator[Callable[..., Wall]]:
    walls: list[Wall] = []

    def make(
        refuse: str | None = None,
        consume: bool = True,
        security: ServerSecurity | None = None,
        apply_timeout_s: float = 3.0,
    ) -> Wall:
        server = ControlServer(
            "tcp://127.0.0.1:*",
            regions=REGIONS,
            presets=PRESETS,
            wall_name="wall-1",
            security=security,
            apply_timeout_s=apply_timeout_s,
        )
        wall = Wall(server, refuse)
        if consume:
            wall.start()
        else:
            server.start()
        walls.append(wall)
        return wall

    yield make
    for wall in walls:
        wall.stop()


@pytest.mark.parametrize(
    "command",
    [
        SwitchPreset(name="flood", sender="desk-3"),
        PushView(
            region="map",
            position=(100.0, -250.0, 400.0),
            focal_point=(12.5, 30.0, 0.0),
            up=(0.0, 0.0, 1.0),
            site="rotterdam",
            lon=4.47,
            lat=51.92,
        ),
        PushCamera(region="cameras", camera_id="cam-017"),
        PushIncident(region="map", incident_id="INC-42", lon=121.4737, lat=31.2304, label="Fire, Nanjing Rd"),
    ],
)
def test_commands_round_trip_and_are_applied(make_wall: Callable[..., Wall], command: Command) -> None:
    wall = make_wall()
    reply = ControlClient(wall.endpoint).send(command, timeout_s=3)
    assert reply == Reply(command_id=command.command_id, status="applied", wall="wall-1")
    assert str(reply) == "applied"
    assert wall.applied == [command]  # every field survived the wire


def test_unknown_region_and_preset_are_refused_naming_the_valid_ones(make_wall: Callable[..., Wall]) -> None:
    wall = make_wall()
    client = ControlClient(wall.endpoint)
    reply = client.send(PushCamera(region="mapp", camera_id="c1"), timeout_s=3)
    assert not reply.applied
    assert str(reply) == "refused: unknown region 'mapp'; this wall's regions are: map, vitals, cameras"
    reply = client.send(SwitchPreset(name="major-event"), timeout_s=3)
    assert reply.reason == "unknown preset 'major-event'; this wall's presets are: normal, flood"
    assert wall.applied == []  # refusals never reach the wall's screen


def test_targets_follow_the_walls_layout(make_wall: Callable[..., Wall]) -> None:
    wall = make_wall()
    wall.server.set_targets(["left", "right"], ["day"])
    reply = ControlClient(wall.endpoint).send(SwitchPreset(name="normal"), timeout_s=3)
    assert reply.reason == "unknown preset 'normal'; this wall's presets are: day"


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (
            PushView(region="map", position=(1.0, 2.0, 3.0), focal_point=(1.0, 2.0, 3.0)),
            "view position equals focal point: expected a camera looking somewhere",
        ),
        (
            PushView(region="map", position=(1.0, 2.0, 3.0), focal_point=(0.0, 0.0, 0.0), up=(0.0, 0.0, 0.0)),
            "view up vector is (0, 0, 0): expected a direction such as (0, 0, 1)",
        ),
        (
            PushView(region="map", position=(float("nan"), 2.0, 3.0), focal_point=(0.0, 0.0, 0.0)),
            "view position (nan, 2.0, 3.0): expected three finite numbers (metres)",
        ),
        (
            PushView(region="map", position=(1.0, 2.0, 3.0), focal_point=(0.0, 0.0, 0.0), lon=4.4),
            "view has only one of lon/lat: expected both or neither",
        ),
        (
            SwitchPreset(name="normal", version=2),
            "command version 2 is newer than this wall speaks (1); update it",
        ),
    ],
)
def test_impossible_views_are_refused_with_the_reason(
    make_wall: Callable[..., Wall], command: Command, reason: str
) -> None:
    wall = make_wall()
    assert ControlClient(wall.endpoint).send(command, timeout_s=3).reason == reason


def test_malformed_commands_are_refused_naming_the_field(make_wall: Callable[..., Wall]) -> None:
    wall = make_wall()
    with zmq_context().socket(zmq.REQ) as req:
        req.setsockopt(zmq.LINGER, 0)
        req.connect(wall.endpoint)
        bad = {"type": "push_incident", "region": "map", "incident_id": "I1", "lon": 200.0, "lat": 31.0}
        req.send(msgspec.msgpack.encode(bad))
        assert req.poll(3000)
        reply = msgspec.msgpack.decode(req.recv(), type=Reply)
        assert reply.reason == "bad command: Expected `float` <= 180.0 - at `$.lon`"
        req.send(b"\x93garbage")
        assert req.poll(3000)
        assert msgspec.msgpack.decode(req.recv(), type=Reply).reason.startswith("bad command: ")
        req.send(msgspec.json.encode({"type": "reboot_wall"}))
        assert req.poll(3000)
        reason = msgspec.json.decode(req.recv(), type=Reply).reason  # JSON in, JSON out
        assert reason.startswith("bad command: Invalid value 'reboot_wall' - at `$.type`")


def test_json_commands_are_accepted_for_debugging(make_wall: Callable[..., Wall]) -> None:
    wall = make_wall()
    command = PushCamera(region="cameras", camera_id="cam-1", sender="curl-ish")
    with zmq_context().socket(zmq.REQ) as req:
        req.setsockopt(zmq.LINGER, 0)
        req.connect(wall.endpoint)
        req.send(encode_command(command, "json"))
        assert req.poll(3000)
        assert msgspec.json.decode(req.recv(), type=Reply).status == "applied"
    assert wall.applied == [command]


def test_the_walls_own_refusal_reaches_the_desk(make_wall: Callable[..., Wall]) -> None:
    wall = make_wall(refuse="region 'map' shows panel 'kpi', which cannot show a 3D view")
    reply = ControlClient(wall.endpoint).send(SwitchPreset(name="flood"), timeout_s=3)
    assert str(reply) == "refused: region 'map' shows panel 'kpi', which cannot show a 3D view"


def test_a_wall_that_never_applies_answers_refused_after_its_timeout(make_wall: Callable[..., Wall]) -> None:
    wall = make_wall(consume=False, apply_timeout_s=0.2)
    started = time.monotonic()
    reply = ControlClient(wall.endpoint).send(SwitchPreset(name="flood"), timeout_s=3)
    assert 0.2 <= time.monotonic() - started < 2
    assert reply.reason == "the wall did not apply it within 0.2 s (its screen is busy); nothing changed"
    assert wall.server.take() is None  # expired: a late GUI does not apply it after the desk heard "refused"


def test_no_wall_listening_is_a_clear_timeout() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(
        ControlTimeoutError, match=r"no answer from the wall at tcp://127\.0\.0\.1:\d+ within 0\.3 s"
    ):
        ControlClient(f"tcp://127.0.0.1:{port}").send(SwitchPreset(name="flood"), timeout_s=0.3)
    assert time.monotonic() - started < 1.5


def test_curve_only_authorised_desks_are_heard(tmp_path: Path, make_wall: Callable[..., Wall]) -> None:
    keys = tmp_path / "keys"
    wall_public, wall_secret = create_keypair("wall-1", keys)
    desk_public, desk_secret = create_keypair("desk-3", keys / "desks")
    _, intruder_secret = create_keypair("intruder", keys / "elsewhere")
    authorized = keys / "desks"
    wall = make_wall(security=ServerSecurity(wall_secret, authorized))
    assert desk_public.parent == authorized
    command = SwitchPreset(name="flood", sender="desk-3")

    intruder = ControlClient(wall.endpoint, security=ClientSecurity(intruder_secret, wall_public))
    with pytest.raises(ControlTimeoutError, match="is this desk's public key in the wall's authorized keys"):
        intruder.send(command, timeout_s=0.5)
    plain = ControlClient(wall.endpoint)
    with pytest.raises(ControlTimeoutError):
        plain.send(command, timeout_s=0.5)
    assert wall.applied == []

    desk = ControlClient(wall.endpoint, security=ClientSecurity(desk_secret, wall_public))
    assert desk.send(command, timeout_s=3).applied
    assert wall.applied == [command]


def test_plain_text_is_refused_off_loopback() -> None:
    with pytest.raises(FeedSecurityError, match=r"refusing plain-text ZeroMQ on tcp://\*:7730"):
        ControlServer("tcp://*:7730", regions=REGIONS, presets=PRESETS)
    with pytest.raises(FeedSecurityError, match=r"refusing plain-text ZeroMQ on tcp://10\.1\.2\.3:7730"):
        ControlClient("tcp://10.1.2.3:7730")
    ControlClient("tcp://10.1.2.3:7730", insecure=True)  # the site said so explicitly
    ControlClient("ipc:///run/controlroom/wall")


def test_a_taken_port_is_reported_by_start(make_wall: Callable[..., Wall]) -> None:
    wall = make_wall()
    second = ControlServer(wall.endpoint, regions=REGIONS, presets=PRESETS)
    with pytest.raises(zmq.ZMQError, match="Address already in use"):
        second.start()
    assert not second.running


# ---------------------------------------------------------------- `controlroom wall push`
def _push(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    import argparse

    from controlroom.app.commands import wall as cmd_wall

    parser = argparse.ArgumentParser(prog="controlroom")
    cmd_wall.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["wall", "push", *argv])
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_push_prints_the_reply_and_exits_by_it(
    make_wall: Callable[..., Wall], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    wall = make_wall()
    code, out, _ = _push(["--endpoint", wall.endpoint, "--preset", "flood", "--sender", "desk-3"], capsys)
    assert code == 0 and out.startswith("applied: switch preset to 'flood' on wall 'wall-1' (")
    code, out, _ = _push(["--endpoint", wall.endpoint, "--region", "roof", "--camera", "c1"], capsys)
    assert code == 1
    assert (
        out
        == "refused by wall 'wall-1': unknown region 'roof'; this wall's regions are: map, vitals, cameras\n"
    )
    incident = ["--region", "map", "--incident", "INC-7", "--lon", "4.47", "--lat", "51.92", "--json"]
    code, out, _ = _push(["--endpoint", wall.endpoint, *incident], capsys)
    assert code == 0 and json.loads(out)["status"] == "applied"
    view = tmp_path / "view.json"
    view.write_text('{"position": [0, -500, 300], "focal_point": [10, 20, 0], "lon": 4.47, "lat": 51.92}')
    code, out, _ = _push(["--endpoint", wall.endpoint, "--region", "map", "--view-json", str(view)], capsys)
    assert code == 0, out
    assert wall.applied[-1] == PushView(
        region="map",
        position=(0.0, -500.0, 300.0),
        focal_point=(10.0, 20.0, 0.0),
        lon=4.47,
        lat=51.92,
        command_id=wall.applied[-1].command_id,
        sender=wall.applied[-1].sender,
        sent_at=wall.applied[-1].sent_at,
    )
    assert [type(c).__name__ for c in wall.applied] == ["SwitchPreset", "PushIncident", "PushView"]


def test_cli_push_bad_arguments_and_files(
    make_wall: Callable[..., Wall], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    wall = make_wall()
    base = ["--endpoint", wall.endpoint, "--region", "map"]
    code, _, err = _push([*base, "--incident", "I1", "--lon", "4.4"], capsys)
    assert code == 2 and err == "error: --incident needs --lon and --lat (WGS 84 degrees)\n"
    code, _, err = _push(base, capsys)
    assert code == 2 and "--region needs exactly one of --camera ID" in err
    view = tmp_path / "view.json"
    view.write_text('{"position": [0, 0], "focal_point": [1, 2, 3]}')
    code, _, err = _push([*base, "--view-json", str(view)], capsys)
    assert code == 2 and f"error: {view}: Expected `array` of length 3 - at `$.position`" in err
    code, _, err = _push([*base, "--camera", "c1", "--server-key", str(tmp_path / "wall.key")], capsys)
    assert code == 2 and "CURVE needs both --server-key" in err
    code, _, err = _push(["--endpoint", "tcp://10.9.8.7:7730", "--preset", "flood"], capsys)
    assert code == 2 and "refusing plain-text ZeroMQ on tcp://10.9.8.7:7730" in err
    assert wall.applied == []


def test_cli_push_without_a_wall_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    code, _, err = _push(
        ["--endpoint", f"tcp://127.0.0.1:{port}", "--preset", "x", "--timeout", "0.2"], capsys
    )
    assert code == 1 and err.startswith(
        f"error: no answer from the wall at tcp://127.0.0.1:{port} within 0.2 s"
    )
