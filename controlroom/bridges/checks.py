"""``doctor``'s sources check: every map is tried on the source's sample, naming the field that fails.

Without a sample the schema check is all we can do (a mapping cannot be proven against messages
nobody recorded), so a source without one gets a warning saying how to add it.
"""

from __future__ import annotations

from controlroom.bridges.decode import PayloadError
from controlroom.bridges.mapping import FieldError, Mapper, topic_matches
from controlroom.bridges.samples import load_sample
from controlroom.core.doctor import DoctorOptions
from controlroom.core.issues import Issue
from controlroom.core.site import Site
from controlroom.core.source_config import SourceConfig

_PATH_HELP = (
    "a path that resolves in the sample (dotted keys, [n] for list items, '?' at the end if optional)"
)


def check_source_sample(site: Site, index: int, source: SourceConfig) -> list[Issue]:
    """Issues for one source: its sample is readable and every map's fields resolve in it."""
    file = str(site.path)
    key = f"sources[{index}]"
    if source.sample is None:
        return [
            Issue(
                file,
                f"{key}.sample",
                "(none)",
                "a recorded message file to check the maps against",
                severity="warning",
                fix="record a message (mosquitto_sub -C 1, curl the GTFS-RT URL) and set sample = 'file'",
            )
        ]
    try:
        messages = load_sample(source)
    except OSError as exc:
        return [Issue(file, f"{key}.sample", f"{source.sample}: {exc.strerror or exc}", "a readable file")]
    except PayloadError as exc:
        return [
            Issue(file, f"{key}.sample", f"{source.sample}: {exc.detail}", f"a {source.kind} sample message")
        ]
    mapper = Mapper(source)
    issues: list[Issue] = []
    for cm in mapper.maps:
        mkey = f"{key}.map[{cm.index}]"
        seen = [
            (n, topic, items)
            for n, (topic, items) in enumerate(messages, 1)
            if topic is None or topic_matches(cm.spec.match, topic, source.kind)
        ]
        if not seen:
            issues.append(
                Issue(
                    file,
                    f"{mkey}.match",
                    f"{cm.spec.match!r} matches none of the {len(messages)} message(s)"
                    f" in {source.sample.name}",
                    "a topic / subject / GTFS-RT part that occurs in the sample",
                    severity="warning",
                )
            )
            continue
        failed: set[str] = set()
        for n, topic, items in seen:
            for item in items:
                names = ("value",) if cm.spec.aggregate else cm.field_names
                for name in names:
                    if name in failed:
                        continue
                    try:
                        cm.value(
                            name, item, tuple((topic or "").split("/" if source.kind == "mqtt" else "."))
                        )
                    except FieldError as exc:
                        if cm.spec.aggregate and cm.paths.get("value") and cm.paths["value"].optional:
                            continue
                        failed.add(name)
                        table = "fields" if name in cm.paths else "static"
                        where = f"in {source.sample.name}, message {n}" + (f" on {topic!r}" if topic else "")
                        issues.append(
                            Issue(
                                file,
                                f"{mkey}.{table}.{name}",
                                f"{exc.detail} ({where})",
                                _PATH_HELP if exc.reason == "field_missing" else "a value this field accepts",
                            )
                        )
    return issues


def check_sources(site: Site, options: DoctorOptions) -> list[Issue]:
    issues: list[Issue] = []
    for i, source in enumerate(site.sources):
        issues += check_source_sample(site, i, source)
    return issues
