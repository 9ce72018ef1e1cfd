"""Recorded sample messages (``sample = "file"`` on a source), read as (topic, items) pairs.

* GTFS-RT: a ``.pb`` FeedMessage; each part (vehicle, trip_update, alert) is one "topic".
* MQTT / NATS: a JSON file that is either a capture log (objects with ``topic`` / ``subject``
  and ``payload``, arrays of them nested as recorders write them) or one bare payload, which is
  then offered to every map (topic ``None``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from controlroom.bridges.decode import GTFS_PARTS, PayloadError, gtfs_feed, json_items
from controlroom.core.source_config import SourceConfig

SampleMessage = tuple[str | None, list[Any]]


def _flatten_log(node: Any, out: list[Any]) -> None:
    if isinstance(node, list):
        for x in node:
            _flatten_log(x, out)
    else:
        out.append(node)


def _is_capture(entry: Any) -> bool:
    return isinstance(entry, dict) and "payload" in entry and ("topic" in entry or "subject" in entry)


def load_sample(source: SourceConfig) -> list[SampleMessage]:
    """The sample's messages; raises ``PayloadError`` / ``OSError`` with the reason."""
    assert source.sample is not None
    data = Path(source.sample).read_bytes()
    if source.kind == "gtfs-rt":
        feed = gtfs_feed(data)
        return [(part, feed.parts[part]) for part in GTFS_PARTS if feed.parts[part]]
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError("malformed_json", f"not JSON ({exc})") from None
    entries: list[Any] = []
    _flatten_log(doc, entries)
    if entries and all(_is_capture(e) for e in entries):
        out: list[SampleMessage] = []
        for e in entries:
            payload = e["payload"]
            items = json_items(payload) if isinstance(payload, str) else []
            if not isinstance(payload, str):
                _flatten_log(payload, items)
            out.append((str(e.get("topic", e.get("subject"))), items))
        return out
    return [(None, entries)]
