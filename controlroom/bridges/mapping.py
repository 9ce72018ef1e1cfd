"""The mapping engine: decoded messages in, our protocol records out, every failure counted by reason.

A source's ``map`` entries (``core.source_config.SourceMap``) are compiled once. ``Mapper.apply``
takes the items of one upstream message (JSON objects, or GTFS-RT entities as dicts) with the
topic they came on, and returns records grouped by kind and CRS plus a counter of what was refused
and why. A bad item is refused alone: the rest of the message still goes through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from controlroom.bridges.decode import PayloadError, json_decode, json_items
from controlroom.bridges.paths import FieldPath, PathError
from controlroom.core.protocol import (
    ENTITY_KINDS,
    ENTITY_STATUSES,
    INCIDENT_STATUSES,
    INCIDENT_TYPES,
    SENSOR_STATUSES,
    Incident,
    MetricPoint,
    Position,
    SensorReading,
)
from controlroom.core.source_config import RECORD_FIELDS, UNIT_CONVERSIONS, SourceConfig, SourceMap

_NUMERIC = frozenset({"lon", "lat", "heading", "speed", "value", "severity", "time"})
_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("position", "kind"): ENTITY_KINDS,
    ("position", "status"): ENTITY_STATUSES,
    ("sensor", "status"): SENSOR_STATUSES,
    ("incident", "type"): INCIDENT_TYPES,
    ("incident", "status"): INCIDENT_STATUSES,
}

#: Why a bridge refused something (counted per reason; see docs/sources.md).
BRIDGE_REASONS = (
    "malformed_json",
    "not_gtfs_rt",
    "stale_feed",
    "unmatched",
    "field_missing",
    "bad_value",
    "non_finite",
    "out_of_extent",
    "bridge_full",
)


class FieldError(ValueError):
    """One record field could not be made: ``reason`` is field_missing or bad_value."""

    def __init__(self, reason: str, field_name: str, detail: str) -> None:
        self.reason = reason
        self.field = field_name
        self.detail = detail
        super().__init__(f"{field_name}: {detail}")


Record = Position | SensorReading | MetricPoint | Incident


@dataclass
class MapResult:
    """What one upstream message became."""

    #: (record kind, crs) → records, lon/lat still in the map's CRS.
    records: dict[tuple[str, str], list[Record]] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    #: The first problem per reason, worded for a log line.
    details: dict[str, str] = field(default_factory=dict)
    matched: int = 0

    def reject(self, reason: str, detail: str, n: int = 1) -> None:
        self.rejected[reason] += n
        self.details.setdefault(reason, detail)

    def add(self, kind: str, crs: str, record: Record) -> None:
        self.records.setdefault((kind, crs), []).append(record)

    def merge(self, other: MapResult) -> None:
        for key, recs in other.records.items():
            self.records.setdefault(key, []).extend(recs)
        self.rejected.update(other.rejected)
        for k, v in other.details.items():
            self.details.setdefault(k, v)
        self.matched += other.matched


def _number(field_name: str, value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FieldError("bad_value", field_name, f"{value!r} is not a number") from None


def _time(field_name: str, value: Any, fmt: str) -> float:
    if isinstance(value, str) and (fmt == "iso" or not _is_number(value)):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise FieldError("bad_value", field_name, f"{value!r} is not an ISO 8601 time") from None
    t = _number(field_name, value)
    return t / 1000.0 if fmt == "epoch_ms" else t


def _text(value: Any) -> str:
    """str() of a JSON scalar; null, objects and lists raise (→ the general path says what is wrong)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int or kind is float or kind is bool:
        return str(value)
    raise TypeError(value)


#: Record kinds whose records a generated ``make`` builds: their constructor's arguments are
#: the struct's fields in order (``x``/``y`` are our ``lon``/``lat``), absent optional ones at
#: the struct's defaults.
_MADE: dict[str, type[Position] | type[SensorReading]] = {"position": Position, "sensor": SensorReading}
_OURS = {"x": "lon", "y": "lat"}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CompiledMap:
    """One ``SourceMap`` ready to apply: paths compiled, conversions resolved."""

    def __init__(self, spec: SourceMap, index: int) -> None:
        self.spec = spec
        self.index = index
        self.record = spec.record
        required, optional = RECORD_FIELDS[spec.record]
        self.required = required
        self.field_names = required + optional
        self.paths = {name: FieldPath.compile(p) for name, p in spec.fields.items()}
        self.scale: dict[str, tuple[float, float]] = {}
        for name, conv in spec.convert.items():
            self.scale[name] = UNIT_CONVERSIONS[conv] if isinstance(conv, str) else (conv.scale, conv.offset)
        #: Fields read from each message; the others are constants (``static``), worked out once.
        self.dynamic = tuple(n for n in self.field_names if n in self.paths)
        self.constants: dict[str, Any] = {}
        for n in self.field_names:
            if n not in self.paths and n in spec.static and not (n == "time" and spec.aggregate):
                self.constants[n] = self.value(n, {}, ())
        self._plan = self._fast_plan()
        #: The whole record in one generated call for plain-key position and sensor maps (see ``_maker``).
        self.make: Callable[[Any], Record] | None = self._maker()

    def _fast_plan(self) -> tuple[tuple[str, tuple[str, ...], Callable[[Any], Any]], ...] | None:
        """For maps whose fields are plain keys without lookups (most sensor and fleet feeds): each
        field as (name, keys, converter), applied by straight indexing. Anything unusual in a
        message makes ``values`` fall back to the general path, which says what was wrong."""
        spec = self.spec
        plan = []
        for name in self.dynamic:
            keys = self.paths[name].simple
            if keys is None or name in spec.lookup or name == "time":
                return None
            plan.append((name, keys, self._converter(name)))
        return tuple(plan)

    def _maker(self) -> Callable[[Any], Record] | None:
        """One function, generated once, that indexes a message and builds the record directly.

        A bridge maps every upstream message, so walking the plan and filling a dict per message
        is most of its cost. The generated code does what ``values`` + ``record_of`` do on the
        fast plan: straight indexing, each field's converter, constants and defaults in place. Keys
        and converters are passed in as names (never pasted into the source), and any exception
        sends the item to the general path, which counts it under its reason.
        """
        if self._plan is None or self.record not in _MADE:
            return None
        cls = _MADE[self.record]
        plan = {name: (keys, convert) for name, keys, convert in self._plan}
        ns: dict[str, Any] = {"R": cls}
        exprs: list[str] = []
        for i, f in enumerate(msgspec.structs.fields(cls)):
            name, default = _OURS.get(f.name, f.name), f.default
            if name in plan:
                keys, convert = plan[name]
                ns[f"c{i}"] = convert
                index = ""
                for j, key in enumerate(keys):
                    ns[f"k{i}_{j}"] = key
                    index += f"[k{i}_{j}]"
                exprs.append(f"c{i}(item{index})")
            elif name in self.constants or default is not msgspec.NODEFAULT:
                ns[f"v{i}"] = self.constants.get(name, default)
                exprs.append(f"v{i}")
            else:
                return None  # a required field with no path and no static value: the general path names it
        exec(f"def make(item):\n    return R({', '.join(exprs)})\n", ns)  # names only, see above
        make: Callable[[Any], Record] = ns["make"]
        return make

    def _converter(self, name: str) -> Callable[[Any], Any]:
        if name in _NUMERIC:
            scale, offset = self.scale.get(name, (1.0, 0.0))
            if (scale, offset) == (1.0, 0.0):
                return float  # None, objects and lists raise TypeError: the general path names them
            return lambda v: float(v) * scale + offset
        choices = _CHOICES.get((self.record, name))
        if choices is not None:
            allowed = frozenset(choices)

            def choice(v: Any) -> str:
                text = str(v)
                if text not in allowed:
                    raise ValueError(text)
                return text

            return choice
        if name == "id" and self.spec.id_format:
            fmt = self.spec.id_format
            return lambda v: fmt.replace("{}", _text(v))
        return _text

    def value(self, name: str, item: Any, topic: tuple[str, ...]) -> Any:
        """One field's value (raises ``FieldError``); ``None`` for an absent optional field."""
        spec = self.spec
        path = self.paths.get(name)
        value: Any = None
        if path is not None:
            try:
                value = path.resolve(item, topic)
            except PathError as exc:
                if not path.optional and name not in spec.static:
                    raise FieldError("field_missing", name, f"path {exc}") from None
        if value is None:
            value = spec.static.get(name)
            if value is None:
                if name in self.required:
                    raise FieldError("field_missing", name, "no value and no static default")
                return None
        table = spec.lookup.get(name)
        if table is not None:
            key = str(value)
            if key in table:
                value = table[key]
            elif name in spec.static:
                value = spec.static[name]
            else:
                known = ", ".join(list(table)[:8])
                raise FieldError("bad_value", name, f"{key!r} is not in lookup.{name} ({known})")
        if name == "time":
            return _time(name, value, spec.time_format)
        if name in _NUMERIC:
            number = _number(name, value)
            if name in self.scale:
                scale, offset = self.scale[name]
                number = number * scale + offset
            return number
        text = str(value)
        choices = _CHOICES.get((self.record, name))
        if choices is not None and text not in choices:
            raise FieldError(
                "bad_value", name, f"{text!r}; expected one of {', '.join(choices)} (use lookup.{name})"
            )
        if name == "id" and spec.id_format:
            text = spec.id_format.replace("{}", text)
        return text

    def values(self, item: Any, topic: tuple[str, ...]) -> dict[str, Any]:
        plan = self._plan
        if plan is not None:
            try:
                out = dict(self.constants)
                for name, keys, convert in plan:
                    node = item
                    for key in keys:
                        node = node[key]
                    out[name] = convert(node)
                return out
            except Exception:
                pass
        out = dict(self.constants)
        value = self.value
        for name in self.dynamic:
            v = value(name, item, topic)
            if v is not None:
                out[name] = v
        return out

    def record_of(self, item: Any, topic: tuple[str, ...], now: float) -> Record:
        v = self.values(item, topic)
        if self.record == "position":
            return Position(
                v["id"], v["kind"], v["lon"], v["lat"], v.get("heading", 0.0), v.get("speed", 0.0),
                v.get("status", "normal"),
            )  # fmt: skip
        if self.record == "sensor":
            return SensorReading(
                v["id"], v["kind"], v["value"], v["lon"], v["lat"], v.get("unit", ""), v.get("status", "ok")
            )
        if self.record == "metric":
            return MetricPoint(v["name"], v["value"], v.get("time", now), v.get("unit", ""))
        severity = int(v["severity"])
        if not 1 <= severity <= 4:
            raise FieldError("bad_value", "severity", f"{severity}; expected 1 to 4 (use lookup.severity)")
        return Incident(
            v["id"], v["type"], severity, v["lon"], v["lat"], [], v.get("text", ""), v.get("status", "new"),
            v.get("time", now),
        )  # fmt: skip

    def aggregate(self, items: list[Any], topic: tuple[str, ...], now: float, result: MapResult) -> None:
        """One metric from many items (e.g. the share of trips at most 5 min late)."""
        values: list[float] = []
        for item in items:
            try:
                values.append(self.value("value", item, topic))
            except FieldError as exc:
                if exc.reason == "field_missing" and self.paths["value"].optional:
                    continue
                result.reject(exc.reason, f"map[{self.index}] {exc}")
        spec = self.spec
        if not values and spec.aggregate != "count":
            return
        how = spec.aggregate
        if how == "mean":
            agg = sum(values) / len(values)
        elif how == "max":
            agg = max(values)
        elif how == "min":
            agg = min(values)
        elif how == "sum":
            agg = sum(values)
        elif how == "count":
            agg = float(len(values) if "value" in self.paths else len(items))
        else:
            limit = spec.at_most if spec.at_most is not None else 0.0
            agg = 100.0 * sum(1 for x in values if x <= limit) / len(values)
        base = items[0] if items else {}
        try:
            name = self.value("name", base, topic)
            unit = self.value("unit", base, topic) or ""
        except FieldError as exc:
            result.reject(exc.reason, f"map[{self.index}] {exc}")
            return
        result.add("metric", spec.crs, MetricPoint(name, agg, now, unit))


def topic_matches(pattern: str, topic: str, kind: str) -> bool:
    """MQTT filters (``+`` one level, ``#`` the rest) or NATS subjects (``*``, ``>``); GTFS-RT: equal."""
    if kind == "gtfs-rt":
        return pattern == topic
    sep, one, rest = ("/", "+", "#") if kind == "mqtt" else (".", "*", ">")
    p = pattern.split(sep)
    t = topic.split(sep)
    for i, part in enumerate(p):
        if part == rest:
            return True
        if i >= len(t) or (part != one and part != t[i]):
            return False
    return len(p) == len(t)


class Mapper:
    """All of a source's maps; ``apply`` one upstream message's items."""

    def __init__(self, source: SourceConfig) -> None:
        self.source = source
        self.maps = [CompiledMap(m, i) for i, m in enumerate(source.map)]
        self._by_topic: dict[str, list[CompiledMap]] = {}
        self._levels: dict[str, tuple[str, ...]] = {}
        self._fast: dict[str, tuple[tuple[str, str], Callable[[Any], Record]] | tuple[()]] = {}
        self._sep = "/" if source.kind == "mqtt" else "."

    def maps_for(self, topic: str) -> list[CompiledMap]:
        found = self._by_topic.get(topic)
        if found is None:
            found = [m for m in self.maps if topic_matches(m.spec.match, topic, self.source.kind)]
            if len(self._by_topic) < 10_000:
                self._by_topic[topic] = found
        return found

    def apply_json(self, messages: list[tuple[str, bytes]], now: float, result: MapResult) -> None:
        """Decode and map a batch of JSON messages into ``result``: what a bridge does per batch.

        The common message (one object on a topic whose single map has a generated ``make``) is
        mapped inline, with no per-message call into ``apply``; anything else (an array, several
        maps, an aggregate, an item the generated code cannot map) takes ``apply`` as before, so
        every refusal is still counted under its reason.
        """
        fast, records = self._fast, result.records
        #: topic → (the batch's list for that map's records, the map's maker); () for the general path
        here: dict[str, tuple[list[Record], Callable[[Any], Record]] | tuple[()]] = {}
        matched = 0
        decode = json_decode
        for topic, payload in messages:
            route = here.get(topic)
            if route is None:
                found = fast.get(topic)
                if found is None:
                    found = self._fast_route(topic)
                route = here[topic] = (records.setdefault(found[0], []), found[1]) if found else ()
            if route:
                try:
                    item = decode(payload)
                    if type(item) is dict:
                        route[0].append(route[1](item))
                        matched += 1
                        continue
                except Exception:  # decoded again below, which counts the reason
                    pass
            try:
                items = json_items(payload)
            except PayloadError as exc:
                result.reject(exc.reason, f"{topic}: {exc.detail}")
                continue
            self.apply(topic, items, now, result)
        result.matched += matched

    def _fast_route(self, topic: str) -> tuple[tuple[str, str], Callable[[Any], Record]] | tuple[()]:
        maps = self.maps_for(topic)
        route: tuple[tuple[str, str], Callable[[Any], Record]] | tuple[()] = ()
        if len(maps) == 1 and maps[0].make is not None and not maps[0].spec.aggregate:
            route = ((maps[0].record, maps[0].spec.crs), maps[0].make)
        if len(self._fast) < 10_000:
            self._fast[topic] = route
        return route

    def apply(self, topic: str, items: list[Any], now: float, result: MapResult | None = None) -> MapResult:
        """Map one message's items (into ``result`` when given: a bridge collects a whole batch)."""
        result = MapResult() if result is None else result
        maps = self.maps_for(topic)
        if not maps:
            result.reject("unmatched", f"no map matches {topic!r}", len(items) or 1)
            return result
        levels = self._levels.get(topic)
        if levels is None:
            levels = tuple(topic.split(self._sep))
            if len(self._levels) < 10_000:
                self._levels[topic] = levels
        result.matched += len(items)
        for cm in maps:
            if cm.spec.aggregate:
                cm.aggregate(items, levels, now, result)
                continue
            out = result.records.setdefault((cm.record, cm.spec.crs), [])
            make = cm.make
            for item in items:
                if make is not None:
                    try:
                        out.append(make(item))
                        continue
                    except Exception:  # the general path below says what was wrong
                        pass
                try:
                    out.append(cm.record_of(item, levels, now))
                except FieldError as exc:
                    result.reject(exc.reason, f"map[{cm.index}] ({cm.spec.match}) {exc}")
                except (msgspec.ValidationError, TypeError, ValueError) as exc:
                    result.reject("bad_value", f"map[{cm.index}] ({cm.spec.match}) {exc}")
        return result
