"""The Chinese UI is complete: every string in the code has a finished zh_CN translation."""

from __future__ import annotations

import shutil
from pathlib import Path

from controlroom.core.alarms.lifecycle import STATES as ALARM_STATES
from controlroom.core.dispatch_model import REFUSALS
from controlroom.core.protocol import (
    ENTITY_KINDS,
    ENTITY_STATUSES,
    INCIDENT_STATUSES,
    INCIDENT_TYPES,
    SENSOR_STATUSES,
)
from controlroom.dispatch.link import LINK_PROBLEMS
from controlroom.layouts.spec import PANEL_IDS
from controlroom.qt import strings
from controlroom.qt.translations import (
    TRANSLATED_LANGUAGES,
    compile_ts,
    problems,
    read_ts,
    run_lupdate,
    ts_path,
)
from controlroom.render import hover_words


def test_every_ui_string_has_a_finished_translation(tmp_path: Path) -> None:
    """Fresh lupdate over controlroom/ into a copy of the .ts: nothing unfinished, no {n} lost."""
    for lang in TRANSLATED_LANGUAGES:
        fresh = tmp_path / ts_path(lang).name
        shutil.copy(ts_path(lang), fresh)
        run_lupdate(fresh)
        messages = read_ts(fresh)
        assert len(messages) > 200
        todo = problems(messages)
        assert not todo, (
            f"{len(todo)} UI strings lack a finished {lang} translation; run scripts/update-translations.sh, "
            "translate them in translations/*.ts (Qt Linguist or by hand), run it again:\n  "
            + "\n  ".join(todo)
        )


def test_problems_names_unfinished_and_broken_placeholders(tmp_path: Path) -> None:
    ts = tmp_path / "controlroom_zh_CN.ts"
    ts.write_text(
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1" language="zh_CN">'
        "<context><name>X</name>"
        '<message><source>Open</source><translation type="unfinished"></translation></message>'
        "<message><source>Loading {0}…</source><translation>正在加载…</translation></message>"
        "<message><source>Fine {0}</source><translation>好 {0}</translation></message>"
        '<message><source>Gone</source><translation type="vanished">没了</translation></message>'
        "</context></TS>",
        encoding="utf-8",
    )
    found = problems(read_ts(ts))
    assert found == ["unfinished: [X] 'Open'", "placeholders differ: [X] 'Loading {0}…' → '正在加载…'"]


def test_the_translation_compiles(tmp_path: Path) -> None:
    qm = compile_ts(ts_path("zh_CN"), tmp_path / "controlroom_zh_CN.qm")
    assert qm.stat().st_size > 4000


def test_codes_from_data_all_have_display_names() -> None:
    """New panel ids or protocol codes must be added to qt/strings.py, or they show untranslated."""
    assert {k: v for k, v in strings.PANEL_TITLES.items()} == PANEL_IDS
    assert set(strings.PANEL_SHORT_TITLES) == set(PANEL_IDS)
    assert strings.REFUSALS == REFUSALS  # the gateway's reason templates, word for word
    assert strings.LINK_PROBLEMS == LINK_PROBLEMS  # the desk's link diagnoses, word for word
    assert set(strings.INCIDENT_TYPES) == set(INCIDENT_TYPES)
    assert set(strings.INCIDENT_STATUSES) == set(INCIDENT_STATUSES)
    assert set(strings.ENTITY_KINDS) == set(ENTITY_KINDS)
    assert set(strings.ENTITY_STATUSES) == set(ENTITY_STATUSES)
    assert set(strings.SENSOR_STATUSES) == set(SENSOR_STATUSES)
    assert set(strings.ALARM_STATES) == set(ALARM_STATES)


def test_every_map_hover_phrase_is_marked_for_translation() -> None:
    """The render layer's hover phrases have no tr() around them; qt/strings.py marks each one."""
    assert set(strings.HOVER_PHRASES) == set(hover_words.PHRASES)
