"""Display names for codes that come from data (panel ids, incident types, metrics …), translatable.

lupdate only sees string literals inside ``tr``/``translate``/``QT_TRANSLATE_NOOP`` calls, so the
names of codes defined in Qt-free layers (``layouts.spec.PANEL_IDS``, ``core.protocol``) are
marked here once; ``tests/qt/test_translations.py`` fails when a new code has no entry.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Mark ``text`` for lupdate in ``context``; translated where shown (PySide6's returns object)."""
    return text


# Panel titles: the values of controlroom.layouts.spec.PANEL_IDS, looked up by wall_window/preview.
PANEL_TITLES: dict[str, str] = {
    "map3d": QT_TRANSLATE_NOOP("PanelIds", "3D city map"),
    "object_info": QT_TRANSLATE_NOOP("PanelIds", "Selection details"),
    "kpi": QT_TRANSLATE_NOOP("PanelIds", "City vital signs"),
    "video_grid": QT_TRANSLATE_NOOP("PanelIds", "Camera video grid"),
    "incidents": QT_TRANSLATE_NOOP("PanelIds", "Incidents and dispatch"),
    "alarms": QT_TRANSLATE_NOOP("PanelIds", "Alarm list"),
    "feed_status": QT_TRANSLATE_NOOP("PanelIds", "Feed status"),
    "briefing": QT_TRANSLATE_NOOP("PanelIds", "Leader's summary"),
    "status": QT_TRANSLATE_NOOP("PanelIds", "Clock, site title, connection"),
    "flood": QT_TRANSLATE_NOOP("PanelIds", "Flood what-if"),
}

# A panel's short title, for a dock tab too narrow for its whole title (the tooltip gives the whole).
PANEL_SHORT_TITLES: dict[str, str] = {
    "map3d": QT_TRANSLATE_NOOP("PanelShort", "Map"),
    "object_info": QT_TRANSLATE_NOOP("PanelShort", "Selection"),
    "kpi": QT_TRANSLATE_NOOP("PanelShort", "Vital signs"),
    "video_grid": QT_TRANSLATE_NOOP("PanelShort", "Cameras"),
    "incidents": QT_TRANSLATE_NOOP("PanelShort", "Incidents"),
    "alarms": QT_TRANSLATE_NOOP("PanelShort", "Alarms"),
    "feed_status": QT_TRANSLATE_NOOP("PanelShort", "Feeds"),
    "briefing": QT_TRANSLATE_NOOP("PanelShort", "Summary"),
    "status": QT_TRANSLATE_NOOP("PanelShort", "Status"),
    "flood": QT_TRANSLATE_NOOP("PanelShort", "What-if"),
}

INCIDENT_TYPES: dict[str, str] = {
    "garbage_piled_up": QT_TRANSLATE_NOOP("IncidentType", "Garbage piled up"),
    "street_vending": QT_TRANSLATE_NOOP("IncidentType", "Street vending"),
    "illegal_parking": QT_TRANSLATE_NOOP("IncidentType", "Illegal parking"),
    "road_damage": QT_TRANSLATE_NOOP("IncidentType", "Road damage"),
    "manhole_cover_missing": QT_TRANSLATE_NOOP("IncidentType", "Manhole cover missing"),
    "illegal_construction": QT_TRANSLATE_NOOP("IncidentType", "Illegal construction"),
    "waterlogging": QT_TRANSLATE_NOOP("IncidentType", "Waterlogging"),
    "fallen_tree": QT_TRANSLATE_NOOP("IncidentType", "Fallen tree"),
}

INCIDENT_STATUSES: dict[str, str] = {
    "new": QT_TRANSLATE_NOOP("IncidentStatus", "New"),
    "acknowledged": QT_TRANSLATE_NOOP("IncidentStatus", "Acknowledged"),
    "dispatched": QT_TRANSLATE_NOOP("IncidentStatus", "Dispatched"),
    "on_scene": QT_TRANSLATE_NOOP("IncidentStatus", "On scene"),
    "resolved": QT_TRANSLATE_NOOP("IncidentStatus", "Resolved"),
    "closed": QT_TRANSLATE_NOOP("IncidentStatus", "Closed"),
}

# The gateway's dispatch detail knows one status the feed protocol has not (shown as closed there).
DISPATCH_STATUSES: dict[str, str] = {
    "cancelled": QT_TRANSLATE_NOOP("IncidentStatus", "Cancelled"),
}

# What a desk did, as the incident's timeline lists it (core.dispatch_model.COMMAND_KINDS).
ORDER_KINDS: dict[str, str] = {
    "create": QT_TRANSLATE_NOOP("OrderKind", "Created"),
    "acknowledge": QT_TRANSLATE_NOOP("OrderKind", "Acknowledged"),
    "assign": QT_TRANSLATE_NOOP("OrderKind", "Assigned"),
    "unit_status": QT_TRANSLATE_NOOP("OrderKind", "Unit status"),
    "comment": QT_TRANSLATE_NOOP("OrderKind", "Comment"),
    "resolve": QT_TRANSLATE_NOOP("OrderKind", "Resolved"),
    "close": QT_TRANSLATE_NOOP("OrderKind", "Closed"),
    "cancel": QT_TRANSLATE_NOOP("OrderKind", "Cancelled"),
    "alarm": QT_TRANSLATE_NOOP("OrderKind", "Alarm"),
}

# An order a desk sent, as the order strip and the refused list name it (imperative: it may be refused).
ORDERS: dict[str, str] = {
    "create": QT_TRANSLATE_NOOP("Order", "Create"),
    "acknowledge": QT_TRANSLATE_NOOP("Order", "Acknowledge"),
    "assign": QT_TRANSLATE_NOOP("Order", "Dispatch"),
    "unit_status": QT_TRANSLATE_NOOP("Order", "Unit status"),
    "comment": QT_TRANSLATE_NOOP("Order", "Comment"),
    "resolve": QT_TRANSLATE_NOOP("Order", "Resolve"),
    "close": QT_TRANSLATE_NOOP("Order", "Close"),
    "cancel": QT_TRANSLATE_NOOP("Order", "Cancel"),
    "alarm": QT_TRANSLATE_NOOP("Order", "Alarm action"),
}

# Who an unacknowledged alarm escalates to: the default [alarms] escalation_chain (a site's own
# chain names its roles through [names]).
ROLES: dict[str, str] = {
    "operator": QT_TRANSLATE_NOOP("Role", "operator"),
    "duty officer": QT_TRANSLATE_NOOP("Role", "duty officer"),
    "shift leader": QT_TRANSLATE_NOOP("Role", "shift leader"),
}

ENTITY_KINDS: dict[str, str] = {
    "bus": QT_TRANSLATE_NOOP("EntityKind", "Bus"),
    "muck_truck": QT_TRANSLATE_NOOP("EntityKind", "Muck truck"),
    "police": QT_TRANSLATE_NOOP("EntityKind", "Police"),
    "city_management": QT_TRANSLATE_NOOP("EntityKind", "City management"),
    "taxi": QT_TRANSLATE_NOOP("EntityKind", "Taxi"),
    "ambulance": QT_TRANSLATE_NOOP("EntityKind", "Ambulance"),
    "fire_engine": QT_TRANSLATE_NOOP("EntityKind", "Fire engine"),
    "sanitation": QT_TRANSLATE_NOOP("EntityKind", "Sanitation"),
    "other": QT_TRANSLATE_NOOP("EntityKind", "Other"),
}

ENTITY_STATUSES: dict[str, str] = {
    "normal": QT_TRANSLATE_NOOP("EntityStatus", "Normal"),
    "idle": QT_TRANSLATE_NOOP("EntityStatus", "Idle"),
    "available": QT_TRANSLATE_NOOP("EntityStatus", "Available"),
    "dispatched": QT_TRANSLATE_NOOP("EntityStatus", "Dispatched"),
    "en_route": QT_TRANSLATE_NOOP("EntityStatus", "En route"),
    "on_scene": QT_TRANSLATE_NOOP("EntityStatus", "On scene"),
    "out_of_service": QT_TRANSLATE_NOOP("EntityStatus", "Out of service"),
    "alarm": QT_TRANSLATE_NOOP("EntityStatus", "Alarm"),
}

SENSOR_STATUSES: dict[str, str] = {
    "ok": QT_TRANSLATE_NOOP("SensorStatus", "OK"),
    "warning": QT_TRANSLATE_NOOP("SensorStatus", "Warning"),
    "alarm": QT_TRANSLATE_NOOP("SensorStatus", "Alarm"),
    "fault": QT_TRANSLATE_NOOP("SensorStatus", "Fault"),
}

SENSOR_KINDS: dict[str, str] = {
    "river_level": QT_TRANSLATE_NOOP("SensorKind", "River level"),
    "aqi": QT_TRANSLATE_NOOP("SensorKind", "Air quality"),
    "noise": QT_TRANSLATE_NOOP("SensorKind", "Noise"),
    "rain": QT_TRANSLATE_NOOP("SensorKind", "Rainfall"),
    "water_level": QT_TRANSLATE_NOOP("SensorKind", "Water level"),
}

# Keys: the ``category`` of core.alarms.rules.Rule as the sample sites and docs use them.
ALARM_CATEGORIES: dict[str, str] = {
    "general": QT_TRANSLATE_NOOP("AlarmCategory", "General"),
    "flood": QT_TRANSLATE_NOOP("AlarmCategory", "Flood"),
    "environment": QT_TRANSLATE_NOOP("AlarmCategory", "Environment"),
    "enforcement": QT_TRANSLATE_NOOP("AlarmCategory", "Enforcement"),
    "patrol": QT_TRANSLATE_NOOP("AlarmCategory", "Patrol"),
    "system": QT_TRANSLATE_NOOP("AlarmCategory", "System"),
    "incident": QT_TRANSLATE_NOOP("AlarmCategory", "Incident"),
    "traffic": QT_TRANSLATE_NOOP("AlarmCategory", "Traffic"),
    "fire": QT_TRANSLATE_NOOP("AlarmCategory", "Fire"),
}

# The incident panel's table headers (panels/incidents/tables.py looks them up through ``_tr``).
INCIDENT_TABLE_HEADERS: tuple[str, ...] = (
    QT_TRANSLATE_NOOP("IncidentTables", "Sev"),
    QT_TRANSLATE_NOOP("IncidentTables", "Age"),
    QT_TRANSLATE_NOOP("IncidentTables", "Type"),
    QT_TRANSLATE_NOOP("IncidentTables", "District"),
    QT_TRANSLATE_NOOP("IncidentTables", "Status"),
    QT_TRANSLATE_NOOP("IncidentTables", "Id"),
    QT_TRANSLATE_NOOP("IncidentTables", "Unit"),
    QT_TRANSLATE_NOOP("IncidentTables", "Name"),
    QT_TRANSLATE_NOOP("IncidentTables", "Kind"),
    QT_TRANSLATE_NOOP("IncidentTables", "Incident"),
)

# The map's hover labels (render.hover_words.PHRASES; the render layer has no Qt to mark them).
HOVER_PHRASES: tuple[str, ...] = (
    QT_TRANSLATE_NOOP("MapHover", "just now"),
    QT_TRANSLATE_NOOP("MapHover", "{0:.0f} s ago"),
    QT_TRANSLATE_NOOP("MapHover", "{0:.0f} min ago"),
    QT_TRANSLATE_NOOP("MapHover", "{id} · {kind} · {status}\n{speed:.0f} km/h · heard {ago}"),
    QT_TRANSLATE_NOOP("MapHover", "{id} · {type} · {severity}\n{status} · raised {ago}"),
    QT_TRANSLATE_NOOP("MapHover", "{id} · {kind}\n{value} {unit} · {status} · {ago}"),
    QT_TRANSLATE_NOOP("MapHover", "{0} cameras · click to zoom in"),
    QT_TRANSLATE_NOOP("MapHover", "{name}\n{id} · click for live video"),
    QT_TRANSLATE_NOOP("MapHover", "{name}\n{id} · PTZ · click for live video"),
    QT_TRANSLATE_NOOP("MapHover", "{id} · {0} unit(s) assigned"),
    QT_TRANSLATE_NOOP("MapHover", "{unit} → {incident}\n{km:.1f} km by road"),
    QT_TRANSLATE_NOOP("MapHover", "{unit} → {incident}\n{km:.1f} km in a straight line"),
    QT_TRANSLATE_NOOP("MapHover", "{priority} · {title}\n{message}\n{state} · {ago}"),
    QT_TRANSLATE_NOOP("MapHover", "FORECAST · {priority} · {title}\n{message}\n{state} · {ago}"),
    QT_TRANSLATE_NOOP("MapHover", "{id} · water {depth:.2f} m at the ground floor"),
)

# The simulator's and the sample sites' vital signs; other metric names show as sent.
METRICS: dict[str, str] = {
    "congestion_index": QT_TRANSLATE_NOOP("Metric", "Congestion index"),
    "aqi": QT_TRANSLATE_NOOP("Metric", "Air quality index"),
    "power_load_mw": QT_TRANSLATE_NOOP("Metric", "Power load"),
    "hotline_calls_per_hour": QT_TRANSLATE_NOOP("Metric", "Hotline calls"),
}

METRIC_UNITS: dict[str, str] = {
    "MW": QT_TRANSLATE_NOOP("MetricUnit", "MW"),
    "AQI": QT_TRANSLATE_NOOP("MetricUnit", "AQI"),
    "calls/h": QT_TRANSLATE_NOOP("MetricUnit", "calls/h"),
}

# Building attributes the map can colour by (sample site, CityJSON and OSM names); others show tidied.
BUILDING_ATTRIBUTES: dict[str, str] = {
    "height": QT_TRANSLATE_NOOP("BuildingAttribute", "Height"),
    "type": QT_TRANSLATE_NOOP("BuildingAttribute", "Type"),
    "lod": QT_TRANSLATE_NOOP("BuildingAttribute", "LoD"),
    "floors": QT_TRANSLATE_NOOP("BuildingAttribute", "Floors"),
    "population": QT_TRANSLATE_NOOP("BuildingAttribute", "Population"),
    "residents": QT_TRANSLATE_NOOP("BuildingAttribute", "Residents"),
    "use": QT_TRANSLATE_NOOP("BuildingAttribute", "Use"),
    "function": QT_TRANSLATE_NOOP("BuildingAttribute", "Function"),
    "district": QT_TRANSLATE_NOOP("BuildingAttribute", "District"),
    "district_code": QT_TRANSLATE_NOOP("BuildingAttribute", "District code"),
    "name": QT_TRANSLATE_NOOP("BuildingAttribute", "Name"),
    "name_en": QT_TRANSLATE_NOOP("BuildingAttribute", "English name"),
    "building": QT_TRANSLATE_NOOP("BuildingAttribute", "Building type"),
    "building:levels": QT_TRANSLATE_NOOP("BuildingAttribute", "Floors"),
    "storeysAboveGround": QT_TRANSLATE_NOOP("BuildingAttribute", "Floors"),
    "measuredHeight": QT_TRANSLATE_NOOP("BuildingAttribute", "Measured height"),
    "roofType": QT_TRANSLATE_NOOP("BuildingAttribute", "Roof type"),
    "yearOfConstruction": QT_TRANSLATE_NOOP("BuildingAttribute", "Year built"),
}

# Their common values (the sample site's ``use``, OSM ``building`` and CityJSON types).
BUILDING_VALUES: dict[str, str] = {
    "residential": QT_TRANSLATE_NOOP("BuildingValue", "Residential"),
    "commercial": QT_TRANSLATE_NOOP("BuildingValue", "Commercial"),
    "industrial": QT_TRANSLATE_NOOP("BuildingValue", "Industrial"),
    "public": QT_TRANSLATE_NOOP("BuildingValue", "Public"),
    "office": QT_TRANSLATE_NOOP("BuildingValue", "Office"),
    "retail": QT_TRANSLATE_NOOP("BuildingValue", "Retail"),
    "mixed": QT_TRANSLATE_NOOP("BuildingValue", "Mixed use"),
    "school": QT_TRANSLATE_NOOP("BuildingValue", "School"),
    "hospital": QT_TRANSLATE_NOOP("BuildingValue", "Hospital"),
    "yes": QT_TRANSLATE_NOOP("BuildingValue", "Building"),
    "other": QT_TRANSLATE_NOOP("BuildingValue", "Other"),
    "Building": QT_TRANSLATE_NOOP("BuildingValue", "Building"),
    "BuildingPart": QT_TRANSLATE_NOOP("BuildingValue", "Building part"),
}

SEVERITIES: dict[int, str] = {
    1: QT_TRANSLATE_NOOP("Severity", "Low"),
    2: QT_TRANSLATE_NOOP("Severity", "Medium"),
    3: QT_TRANSLATE_NOOP("Severity", "High"),
    4: QT_TRANSLATE_NOOP("Severity", "Critical"),
}


# The alarm panel (panels/alarms/style.py, table.py) translates through a module-level ``tr`` in
# context "AlarmsPanel", which lupdate files under an empty context; marked here so the runtime
# lookup finds them. Keys: core.alarms.rules.Priority and core.alarms.lifecycle.STATES.
ALARM_PRIORITIES: dict[str, str] = {
    "critical": QT_TRANSLATE_NOOP("AlarmsPanel", "Critical"),
    "high": QT_TRANSLATE_NOOP("AlarmsPanel", "High"),
    "medium": QT_TRANSLATE_NOOP("AlarmsPanel", "Medium"),
    "low": QT_TRANSLATE_NOOP("AlarmsPanel", "Low"),
}

ALARM_STATES: dict[str, str] = {
    "new": QT_TRANSLATE_NOOP("AlarmsPanel", "New"),
    "acknowledged": QT_TRANSLATE_NOOP("AlarmsPanel", "Acknowledged"),
    "in_progress": QT_TRANSLATE_NOOP("AlarmsPanel", "In progress"),
    "cleared": QT_TRANSLATE_NOOP("AlarmsPanel", "Cleared"),
    "closed": QT_TRANSLATE_NOOP("AlarmsPanel", "Closed"),
}

ALARM_WORDS: tuple[str, ...] = (
    QT_TRANSLATE_NOOP("AlarmsPanel", "Forecast"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "FORECAST"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "forecast: crossing expected"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "forecast: crossing in {0:.0f} min ± {1:.0f}"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "forecast: crossing in {0:.0f} min"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "Priority"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "State"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "Category"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "District"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "Time"),
    QT_TRANSLATE_NOOP("AlarmsPanel", "Message"),
)


def _label(context: str, table: dict[Any, str], code: object) -> str:
    text = table.get(code)
    return QCoreApplication.translate(context, text) if text else str(code)


def panel_title(panel_id: str) -> str:
    return _label("PanelIds", PANEL_TITLES, panel_id)


def panel_short_title(panel_id: str) -> str:
    """A panel's short title (a narrow dock tab), its whole title where it declares none."""
    if panel_id in PANEL_SHORT_TITLES:
        return _label("PanelShort", PANEL_SHORT_TITLES, panel_id)
    return panel_title(panel_id)


def incident_type_label(code: str) -> str:
    return _label("IncidentType", INCIDENT_TYPES, code)


def incident_status_label(code: str) -> str:
    return _label("IncidentStatus", INCIDENT_STATUSES, code)


def dispatch_status_label(code: str) -> str:
    """An incident's dispatch status (the feed's statuses plus ``cancelled``)."""
    if code in DISPATCH_STATUSES:
        return _label("IncidentStatus", DISPATCH_STATUSES, code)
    return incident_status_label(code)


def order_kind_label(code: str) -> str:
    return _label("OrderKind", ORDER_KINDS, code)


def entity_kind_label(code: str) -> str:
    return _label("EntityKind", ENTITY_KINDS, code)


def entity_status_label(code: str) -> str:
    return _label("EntityStatus", ENTITY_STATUSES, code)


def sensor_status_label(code: str) -> str:
    return _label("SensorStatus", SENSOR_STATUSES, code)


def alarm_priority_label(code: str) -> str:
    return _label("AlarmsPanel", ALARM_PRIORITIES, code)


def alarm_state_label(code: str) -> str:
    return _label("AlarmsPanel", ALARM_STATES, code)


def metric_label(name: str) -> str:
    return _label("Metric", METRICS, name)


def metric_unit_label(unit: str) -> str:
    return _label("MetricUnit", METRIC_UNITS, unit)


def severity_label(severity: int) -> str:
    return _label("Severity", SEVERITIES, severity)


def sensor_kind_label(code: str) -> str:
    return _label("SensorKind", SENSOR_KINDS, code)


def alarm_category_label(code: str) -> str:
    return _label("AlarmCategory", ALARM_CATEGORIES, code)


# Why the gateway refused an order (core.dispatch_model.REFUSALS, the same English templates).
REFUSALS: dict[str, str] = {
    "role_leader": QT_TRANSLATE_NOOP(
        "Refusal", "user '{user}' has role leader (view only); orders need an operator or supervisor"
    ),
    "close_needs_supervisor": QT_TRANSLATE_NOOP(
        "Refusal", "closing an incident needs role supervisor; user '{user}' is an operator"
    ),
    "override_needs_supervisor": QT_TRANSLATE_NOOP(
        "Refusal", "taking a unit from another incident needs role supervisor; user '{user}' is an operator"
    ),
    "create_needs_id": QT_TRANSLATE_NOOP("Refusal", "create needs an incident_id"),
    "incident_exists": QT_TRANSLATE_NOOP("Refusal", "incident {incident} already exists (status {status})"),
    "unknown_type": QT_TRANSLATE_NOOP(
        "Refusal", "incident type {type} is unknown; expected one of {expected}"
    ),
    "severity_range": QT_TRANSLATE_NOOP(
        "Refusal", "severity {severity} is out of range; expected 1 (low) to 4 (critical)"
    ),
    "bad_location": QT_TRANSLATE_NOOP(
        "Refusal", "location ({lon}, {lat}) is not a WGS 84 lon/lat: {problem}"
    ),
    "bad_time": QT_TRANSLATE_NOOP(
        "Refusal", "raised_at {raised_at} is not a time (seconds since 1970, or 0 for now)"
    ),
    "text_too_long": QT_TRANSLATE_NOOP("Refusal", "text is {length} characters; the limit is {limit}"),
    "no_incident": QT_TRANSLATE_NOOP("Refusal", "no incident {incident}"),
    "comment_empty": QT_TRANSLATE_NOOP("Refusal", "a comment needs some text"),
    "comment_too_long": QT_TRANSLATE_NOOP("Refusal", "comment is {length} characters; the limit is {limit}"),
    "acknowledge_not_new": QT_TRANSLATE_NOOP(
        "Refusal", "incident {incident} is {status}; only a new incident can be acknowledged"
    ),
    "resolve_not_yet": QT_TRANSLATE_NOOP(
        "Refusal", "incident {incident} is {status}; cannot resolve (acknowledge or dispatch it first)"
    ),
    "resolve_not_open": QT_TRANSLATE_NOOP(
        "Refusal", "incident {incident} is {status}; cannot resolve (it is no longer open)"
    ),
    "close_not_resolved": QT_TRANSLATE_NOOP(
        "Refusal", "incident {incident} is {status}; only a resolved incident can be closed"
    ),
    "cancel_not_open": QT_TRANSLATE_NOOP(
        "Refusal", "incident {incident} is {status}; only an open incident can be cancelled"
    ),
    "cancel_needs_reason": QT_TRANSLATE_NOOP("Refusal", "cancelling needs a reason (text)"),
    "unknown_kind": QT_TRANSLATE_NOOP("Refusal", "unknown command kind {kind}; expected one of {expected}"),
    "assign_not_open": QT_TRANSLATE_NOOP(
        "Refusal", "incident {incident} is {status}; units go only to open incidents"
    ),
    "no_unit": QT_TRANSLATE_NOOP("Refusal", "no unit {unit}"),
    "unit_out_of_service": QT_TRANSLATE_NOOP("Refusal", "unit {unit} is out of service"),
    "unit_already_here": QT_TRANSLATE_NOOP(
        "Refusal", "unit {unit} is already assigned to incident {incident}"
    ),
    "unit_taken": QT_TRANSLATE_NOOP(
        "Refusal",
        "unit {unit} is already assigned to incident {holder} ({unit_status}); a supervisor can override",
    ),
    "unit_status_unknown": QT_TRANSLATE_NOOP(
        "Refusal", "unit status {status} is not one to report; expected one of {expected}"
    ),
    "unit_busy": QT_TRANSLATE_NOOP(
        "Refusal", "unit {unit} is assigned to incident {holder}; make it available first"
    ),
    "unit_unassigned": QT_TRANSLATE_NOOP(
        "Refusal", "unit {unit} is not assigned to any incident; assign it first"
    ),
    "unit_elsewhere": QT_TRANSLATE_NOOP(
        "Refusal", "unit {unit} is assigned to incident {holder}, not {incident}"
    ),
    "unit_on_scene": QT_TRANSLATE_NOOP("Refusal", "unit {unit} is already on scene"),
}


# What the desk says about its gateway link (dispatch.link.LINK_PROBLEMS, the same English templates).
LINK_PROBLEMS: dict[str, str] = {
    "key_refused": QT_TRANSLATE_NOOP(
        "GatewayLink",
        "the gateway at {endpoint} refuses this desk's key (ZAP status {status}): its "
        "public key is not among the site's [[dispatch.users]]; send it to the site "
        "administrator",
    ),
    "plain_desk": QT_TRANSLATE_NOOP(
        "GatewayLink",
        "the security handshake with the gateway at {endpoint} fails: the gateway "
        "requires CURVE keys and this desk talks plain text (set [dispatch] "
        "server_public_key and client_secret_key in the desk's site file)",
    ),
    "plain_gateway": QT_TRANSLATE_NOOP(
        "GatewayLink",
        "the security handshake with the gateway at {endpoint} fails: this desk uses "
        "CURVE keys but the gateway runs without them (no server_secret_key)",
    ),
    "wrong_server_key": QT_TRANSLATE_NOOP(
        "GatewayLink",
        "the security handshake with the gateway at {endpoint} fails: [dispatch] "
        "server_public_key ({key}) is probably not this gateway's key",
    ),
    "protocol_error": QT_TRANSLATE_NOOP(
        "GatewayLink",
        "the security handshake with the gateway at {endpoint} fails (ZMTP protocol error"
        " {error}): is it a controlroom gateway of the same version?",
    ),
    "silent_but_connected": QT_TRANSLATE_NOOP(
        "GatewayLink",
        "no answer from the gateway at {endpoint} for {seconds} s: it accepted the "
        "connection but does not answer (overloaded or stuck?)",
    ),
    "connection_lost": QT_TRANSLATE_NOOP(
        "GatewayLink",
        "no answer from the gateway at {endpoint} for {seconds} s: the connection was "
        "lost and it does not come back (gateway down or unreachable)",
    ),
    "never_connected": QT_TRANSLATE_NOOP(
        "GatewayLink",
        "no answer from the gateway at {endpoint} for {seconds} s: nothing completes a "
        "connection there (gateway down, wrong [dispatch] endpoint, or it refuses this "
        "desk's key: check [dispatch] server_public_key and the desk's client key)",
    ),
}


def refusal_label(reason: str) -> str:
    """A refusal the gateway's state machine wrote, in the app's language: its code's template
    translated, the statuses in it too. In English, and for any other text (a gateway's own
    refusal, an older gateway's wording), the reason shows as the gateway wrote it."""
    from controlroom.core.dispatch_model import refusal_parts

    parts = refusal_parts(reason)
    if parts is not None:
        code, fields = parts
        if "status" in fields and code != "unit_status_unknown":
            fields["status"] = dispatch_status_label(fields["status"])
        if "unit_status" in fields:
            fields["unit_status"] = entity_status_label(fields["unit_status"])
    return _templated("Refusal", REFUSALS, reason, parts)


def link_problem_label(problem: str) -> str:
    """What the desk says about its gateway link, in the app's language (as it came otherwise)."""
    from controlroom.dispatch.link import LINK_WORDS

    return _templated("GatewayLink", LINK_PROBLEMS, problem, LINK_WORDS.parts(problem))


def _templated(
    context: str, table: dict[str, str], text: str, parts: tuple[str, dict[str, str]] | None
) -> str:
    """``text`` said again through its template's translation, when it has both."""
    if parts is None or parts[0] not in table:
        return text
    code, fields = parts
    template = QCoreApplication.translate(context, table[code])
    return text if template == table[code] else template.format(**fields)


#: Every kind of data code a panel shows, with its table's lupdate context and table.
CODE_TABLES: dict[str, tuple[str, dict[Any, str]]] = {
    "panel": ("PanelIds", PANEL_TITLES),
    "incident_type": ("IncidentType", INCIDENT_TYPES),
    "incident_status": ("IncidentStatus", INCIDENT_STATUSES),
    "entity_kind": ("EntityKind", ENTITY_KINDS),
    "entity_status": ("EntityStatus", ENTITY_STATUSES),
    "sensor_kind": ("SensorKind", SENSOR_KINDS),
    "sensor_status": ("SensorStatus", SENSOR_STATUSES),
    "alarm_category": ("AlarmCategory", ALARM_CATEGORIES),
    "alarm_priority": ("AlarmsPanel", ALARM_PRIORITIES),
    "alarm_state": ("AlarmsPanel", ALARM_STATES),
    "metric": ("Metric", METRICS),
    "metric_unit": ("MetricUnit", METRIC_UNITS),
    "severity": ("Severity", SEVERITIES),
    "building_attribute": ("BuildingAttribute", BUILDING_ATTRIBUTES),
    "building_value": ("BuildingValue", BUILDING_VALUES),
    "order": ("Order", ORDERS),
    "role": ("Role", ROLES),
}


def code_label(kind: str, code: object) -> str:
    """The one way to show a data code in the app's language: ``code_label("incident_status", "new")``.

    ``kind`` names a table of ``CODE_TABLES``; a code the table lacks is shown tidied
    (``"illegal_dumping"`` → ``"illegal dumping"``) so new codes from a feed stay readable. The
    ``*_label`` functions above are this for one kind each.
    """
    try:
        context, table = CODE_TABLES[kind]
    except KeyError:
        raise KeyError(f"code kind '{kind}': expected one of {', '.join(CODE_TABLES)}") from None
    if kind == "severity":
        try:
            code = int(str(code))
        except ValueError:
            return str(code)
    text = table.get(code)
    if text:
        return QCoreApplication.translate(context, text)
    return str(code).replace("_", " ") if isinstance(code, str) else str(code)
