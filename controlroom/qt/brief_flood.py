"""The leader's brief's flood what-if page: the city under water, the totals, where to evacuate.

Plain data in (``FloodImpact.summary()`` and a rendered PNG), HTML out for the brief's
``QTextDocument``; the words go through Qt's translation (context ``BriefFlood``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QCoreApplication

IMAGE_URL = "brief-flood.png"
TOP_GRIDS = 12


def _row(cells: list[str], header: bool = False) -> str:
    tag = "th" if header else "td"
    style = " style='background:#e8eef5'" if header else ""
    return "<tr>" + "".join(f"<{tag}{style}>{escape(str(c))}</{tag}>" for c in cells) + "</tr>"


def _table(title: str, header: list[str], rows: list[list[str]], empty: str) -> str:
    body = (
        "".join(_row(r) for r in rows) or f"<tr><td colspan='{len(header)}'><i>{escape(empty)}</i></td></tr>"
    )
    return (
        f"<h3>{escape(title)}</h3><table width='100%' border='1' cellspacing='0' cellpadding='4'>"
        f"{_row(header, header=True)}{body}</table>"
    )


def flood_section(summary: dict[str, Any], has_image: bool, number: Any) -> str:
    """The page: heading, picture, totals, by district, the grids with most people affected."""
    b = summary["buildings"]
    heading = QCoreApplication.translate("BriefFlood", "Flood what-if: water at {0} m").format(
        number(summary["level_m"], 2)
    )
    parts = [f"<h2 style='page-break-before: always'>{escape(heading)}</h2>"]
    if summary.get("message"):
        nothing = QCoreApplication.translate("BriefFlood", "Nothing floods at this level.")
        parts.append(f"<p><b>{escape(nothing)}</b></p>")
    if has_image:
        parts.append(f"<p><img src='{IMAGE_URL}' width='560'/></p>")
    totals = [
        (
            QCoreApplication.translate("BriefFlood", "Flooded area"),
            QCoreApplication.translate("BriefFlood", "{0} km²").format(number(summary["area_km2"], 2)),
        ),
        (QCoreApplication.translate("BriefFlood", "Buildings flooded"), str(b["flooded"])),
        (QCoreApplication.translate("BriefFlood", "Buildings wet"), str(b["wet"])),
        (QCoreApplication.translate("BriefFlood", "People affected"), str(summary["people"])),
        (
            QCoreApplication.translate("BriefFlood", "Roads cut"),
            QCoreApplication.translate("BriefFlood", "{0} km").format(number(summary["roads_cut_km"], 1)),
        ),
        (QCoreApplication.translate("BriefFlood", "Cameras in water"), str(summary["cameras"])),
        (QCoreApplication.translate("BriefFlood", "Underground sites"), str(len(summary["underground"]))),
    ]
    parts.append(
        _table(
            QCoreApplication.translate("BriefFlood", "Totals"),
            [
                QCoreApplication.translate("BriefFlood", "Measure"),
                QCoreApplication.translate("BriefFlood", "Value"),
            ],
            [[k, v] for k, v in totals],
            "",
        )
    )
    header = [
        QCoreApplication.translate("BriefFlood", "Area"),
        QCoreApplication.translate("BriefFlood", "Flooded"),
        QCoreApplication.translate("BriefFlood", "Wet"),
        QCoreApplication.translate("BriefFlood", "People"),
        QCoreApplication.translate("BriefFlood", "Roads cut (km)"),
    ]

    def rows(by: dict[str, dict[str, Any]], limit: int | None = None) -> list[list[str]]:
        items = sorted(by.items(), key=lambda kv: (-kv[1]["people"], -kv[1]["flooded"], kv[0]))
        return [
            [name, str(v["flooded"]), str(v["wet"]), str(v["people"]), number(v["roads_cut_km"], 1)]
            for name, v in items[:limit]
        ]

    none = QCoreApplication.translate("BriefFlood", "No building is affected.")
    parts.append(
        _table(
            QCoreApplication.translate("BriefFlood", "By district"),
            header,
            rows(summary.get("by_district", {})),
            none,
        )
    )
    grids = summary.get("by_grid", {})
    title = QCoreApplication.translate(
        "BriefFlood", "Grids with the most people affected (first {0} of {1})"
    ).format(min(TOP_GRIDS, len(grids)), len(grids))
    parts.append(_table(title, header, rows(grids, TOP_GRIDS), none))
    return "".join(parts)
