"""Upstream payloads → the items a mapping reads: JSON objects, or GTFS-Realtime entities as dicts.

A JSON payload that is an array is a batch (each element one item; nested arrays are flattened:
real device logs wrap messages in arrays). A GTFS-RT payload is one ``FeedMessage``; its entities
are grouped by the part they carry (``vehicle``, ``trip_update``, ``alert``) and turned into dicts
with the protobuf field names, so the same paths as in the GTFS-RT reference work
(``vehicle.position.latitude``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

GTFS_PARTS = ("vehicle", "trip_update", "alert")


class PayloadError(ValueError):
    """A payload that is not what the source's kind promises; ``reason`` is how it is counted."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


def _flatten(node: Any, out: list[Any], depth: int = 0) -> None:
    if isinstance(node, list) and depth < 8:
        for x in node:
            _flatten(x, out, depth + 1)
    else:
        out.append(node)


json_decode = msgspec.json.Decoder().decode


def json_items(payload: bytes | str) -> list[Any]:
    """The items of one JSON payload (raises ``PayloadError('malformed_json')``)."""
    try:
        doc = json_decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        shown = payload[:60] if isinstance(payload, str) else payload[:60].decode("utf-8", "replace")
        raise PayloadError("malformed_json", f"not JSON ({exc}): {shown!r}") from None
    if type(doc) is not list:
        return [doc]
    items: list[Any] = []
    _flatten(doc, items)
    return items


@dataclass
class GtfsFeed:
    """One decoded GTFS-RT FeedMessage: header time and entity dicts per part."""

    timestamp: float
    version: str
    parts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def entities(self) -> int:
        return sum(map(len, self.parts.values()))


def gtfs_feed(payload: bytes) -> GtfsFeed:
    """Parse a GTFS-RT FeedMessage (raises ``PayloadError('not_gtfs_rt')``)."""
    from google.protobuf.json_format import MessageToDict
    from google.protobuf.message import DecodeError
    from google.transit import gtfs_realtime_pb2

    msg = gtfs_realtime_pb2.FeedMessage()
    try:
        msg.ParseFromString(payload)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise PayloadError(
            "not_gtfs_rt", f"not a GTFS-Realtime FeedMessage ({exc}); {len(payload)} bytes"
        ) from None
    if not msg.header.gtfs_realtime_version:
        raise PayloadError("not_gtfs_rt", f"no gtfs_realtime_version in the header; {len(payload)} bytes")
    feed = GtfsFeed(
        float(msg.header.timestamp), msg.header.gtfs_realtime_version, {p: [] for p in GTFS_PARTS}
    )
    for entity in msg.entity:
        d = MessageToDict(entity, preserving_proto_field_name=True)
        for part in GTFS_PARTS:
            if part in d:
                feed.parts[part].append(d)
    return feed
