"""The one-click brief as an A4 PDF: cover, incident map, vital signs, incidents, alarms, response.

Built as HTML in a ``QTextDocument`` printed by ``QPdfWriter``: text stays text (selectable and
searchable, Chinese included; Qt embeds the subset of glyphs used from a copy of Noto Sans CJK
SC whose cmap gives ideographs rather than radicals, see ``cjk_font``; its SIL Open Font Licence
allows both), tables paginate by themselves, and charts are small images drawn
with QPainter. Every label goes through ``tr()``, numbers and times through ``QLocale``, so the
brief speaks the language the app was started in.
"""

from __future__ import annotations

import getpass
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, QLocale, QMarginsF, QObject, QPointF, QSizeF, Qt, QTimeZone, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QTextDocument,
    QTextOption,
)

from controlroom.core.period_stats import Durations, IncidentRecord
from controlroom.feed.brief_data import BriefData, MetricSummary
from controlroom.qt.site_words import metric_title, place_name, profile_name, site_title
from controlroom.qt.strings import (
    entity_kind_label,
    incident_status_label,
    incident_type_label,
    metric_unit_label,
    sensor_kind_label,
    sensor_status_label,
    severity_label,
)

if TYPE_CHECKING:
    from controlroom.core.site import Site

# Latin and digits from DejaVu, Chinese from Noto Sans CJK SC: with Noto CJK alone, Qt's PDF
# ToUnicode map loses the digits (pdftotext and search cannot find "19" or an incident id).
# Chinese comes first from the derived copy of Noto CJK whose text layer gives ideographs, not
# Kangxi radicals (controlroom.qt.cjk_font); the system family stays as a fallback.
LATIN_FAMILY = "DejaVu Sans"
MAX_LISTED = 30  # incidents listed in full (open ones first); the rest are counted: 2–3 pages
ACCENT = "#1769aa"
SEVERITY_HTML = {4: "#c2185b", 3: "#d32f2f", 2: "#ef6c00", 1: "#b08900"}


def _e(text: object) -> str:
    return html.escape(str(text))


class BriefWriter(QObject):
    """Turns ``BriefData`` (+ a map PNG) into a PDF file."""

    def __init__(
        self,
        data: BriefData,
        map_png: Path | None,
        author: str | None = None,
        flood: tuple[dict[str, Any], Path | None] | None = None,
        site: Site | None = None,
    ) -> None:
        super().__init__()
        self.data = data
        self.map_png = map_png
        self.flood = flood  # a flood what-if's summary and its picture, for a page of its own
        self.site = site  # for its names in the brief's language (title, districts, the desk's user)
        self.author = author or (profile_name(site) if site is not None else None) or getpass.getuser()
        self.site_title = site_title(site) if site is not None else data.site_title
        self.locale = QLocale()
        self.zone = QTimeZone(data.timezone.encode())

    # ------------------------------------------------------------------ formatting
    def period_label(self) -> str:
        labels = {"today": self.tr("Today"), "24h": self.tr("Last 24 hours"), "7d": self.tr("Last 7 days")}
        return labels.get(self.data.period, self.data.period)

    def when(self, t: float | None) -> str:
        if t is None:
            return "—"
        dt = QDateTime.fromMSecsSinceEpoch(int(t * 1000), self.zone)
        return dt.toString("yyyy-MM-dd HH:mm")  # ISO, in the site's zone: never 12/6/26 1:28 PM

    def number(self, value: float, decimals: int = 1) -> str:
        return self.locale.toString(float(value), "f", decimals)

    def minutes(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        return self.tr("{0} min").format(self.number(seconds / 60.0, 1))

    def labels(self) -> dict[str, str]:
        """Labels used inside HTML f-strings (lupdate cannot see tr() calls within f-strings)."""
        return {
            "City operations brief": self.tr("City operations brief"),
            "Period": self.tr("Period"),
            "Prepared": self.tr("Prepared"),
            "Prepared by": self.tr("Prepared by"),
            "Data": self.tr("Data"),
            "Open incidents on the map": self.tr("Open incidents on the map"),
            "Vital signs": self.tr("Vital signs"),
            "Incidents by type": self.tr("Incidents by type"),
            "Type": self.tr("Type"),
            "Count": self.tr("Count"),
            "Median response": self.tr("Median response"),
            "Incidents by district": self.tr("Incidents by district"),
            "District": self.tr("District"),
            "Response statistics": self.tr("Response statistics"),
            "Measure": self.tr("Measure"),
            "Incidents": self.tr("Incidents"),
            "Median": self.tr("Median"),
            "90th percentile": self.tr("90th percentile"),
            "Raised → acknowledged": self.tr("Raised → acknowledged"),
            "Raised → closed": self.tr("Raised → closed"),
            "Open incidents by priority": self.tr("Open incidents by priority"),
            "Open sensor alarms": self.tr("Open sensor alarms"),
            "Sensor": self.tr("Sensor"),
            "Kind": self.tr("Kind"),
            "Value": self.tr("Value"),
            "Status": self.tr("Status"),
            "Units in service": self.tr("Units in service"),
            "Unit": self.tr("Unit"),
            "In service": self.tr("In service"),
            "… and {0} more incidents.": self.tr("… and {0} more incidents."),
            "Incidents and their timelines": self.tr("Incidents and their timelines"),
            "No incidents in this period.": self.tr("No incidents in this period."),
        }

    # ------------------------------------------------------------------ sections
    def cover(self) -> str:
        t = self.labels()
        d = self.data
        source = {
            "recording": self.tr("Feed recording: {0}").format(Path(d.source_detail).name),
            "live": self.tr("Live feed of {0}").format(self.site_title),
            "history": self.tr("Recorded history: {0}").format(d.source_detail),
        }.get(d.source, self.tr("No live data: the feed was not reachable, figures below are empty."))
        return (
            f"<h1 style='color:{ACCENT}; font-size:26pt'>{_e(t['City operations brief'])}</h1>"
            f"<p style='font-size:18pt'><b>{_e(self.site_title)}</b></p>"
            f"<table cellpadding='4' style='font-size:11pt'>"
            f"<tr><td><b>{_e(t['Period'])}</b></td><td>{_e(self.period_label())}: "
            f"{_e(self.when(d.stats.start))} – {_e(self.when(d.stats.end))}</td></tr>"
            f"<tr><td><b>{_e(t['Prepared'])}</b></td><td>{_e(self.when(d.now))}</td></tr>"
            f"<tr><td><b>{_e(t['Prepared by'])}</b></td><td>{_e(self.author)}</td></tr>"
            f"<tr><td><b>{_e(t['Data'])}</b></td><td>{_e(source)}</td></tr></table>" + self.headline()
        )

    def headline(self) -> str:
        s = self.data.stats
        items = [
            (self.tr("Incidents"), self.locale.toString(s.total)),
            (self.tr("Still open"), self.locale.toString(s.open_count)),
            (self.tr("Median response"), self.minutes(s.response.median_s)),
            (self.tr("Median time to close"), self.minutes(s.closing.median_s)),
            (self.tr("Units in service"), self.locale.toString(sum(self.data.units_in_service.values()))),
        ]
        cells = "".join(
            f"<td align='center' style='padding:8px'><span style='font-size:20pt; color:{ACCENT}'>"
            f"<b>{_e(v)}</b></span><br/>{_e(k)}</td>"
            for k, v in items
        )
        return f"<br/><table width='100%' border='1' cellspacing='0'><tr>{cells}</tr></table>"

    def map_section(self) -> str:
        t = self.labels()
        if self.map_png is None:
            return ""
        return (
            f"<h2>{_e(t['Open incidents on the map'])}</h2>"
            f"<p><img src='brief-map.png' width='560'/></p>"
            f"<p style='font-size:9pt'>{_e(self.legend())}</p>"
        )

    def legend(self) -> str:
        return self.tr("Pins: open incidents, coloured by severity ({0}).").format(
            ", ".join(severity_label(s) for s in (4, 3, 2, 1))
        )

    def vital_signs(self) -> str:
        t = self.labels()
        head = self._row(
            [
                self.tr("Vital sign"),
                self.tr("Now"),
                self.tr("Trend"),
                self.tr("Low"),
                self.tr("High"),
                self.tr("Mean"),
            ],
            header=True,
        )
        rows = []
        for i, m in enumerate(self.data.metrics):
            unit = metric_unit_label(m.unit) if m.unit else ""
            arrow = "▲" if m.trend > 0.02 else "▼" if m.trend < -0.02 else "▶"
            rows.append(
                self._row(
                    [
                        metric_title(m.name, self.site),
                        f"{self.number(m.latest)} {unit}".strip(),
                        f"{arrow} {self.number(100 * m.trend, 0)} %",
                        self.number(m.low),
                        self.number(m.high),
                        self.number(m.mean),
                    ]
                )
                + f"<tr><td colspan='6'><img src='chart-{i}.png' width='600' height='50'/></td></tr>"
            )
        body = "".join(rows) or self._empty_row(6, self.tr("No vital signs in this period."))
        return (
            f"<h2 style='page-break-before: always'>{_e(t['Vital signs'])}</h2>"
            f"<table width='100%' border='1' cellspacing='0' cellpadding='4'>{head}{body}</table>"
        )

    def incidents_by(self) -> str:
        t = self.labels()
        s = self.data.stats
        by_type = "".join(
            self._row(
                [
                    incident_type_label(t),
                    self.locale.toString(n),
                    self.minutes(s.response_by_type[t].median_s),
                ]
            )
            for t, n in s.by_type.items()
        ) or self._empty_row(3, self.tr("No incidents in this period."))
        by_district = "".join(
            self._row([self.place(d) if d else self.tr("Outside the districts"), self.locale.toString(n)])
            for d, n in s.by_district.items()
        ) or self._empty_row(2, self.tr("No incidents in this period."))
        return self._side_by_side(
            self._section_table(
                t["Incidents by type"], [t["Type"], t["Count"], t["Median response"]], by_type
            ),
            self._section_table(t["Incidents by district"], [t["District"], t["Count"]], by_district),
        )

    def response(self) -> str:
        t = self.labels()
        s = self.data.stats

        def line(label: str, d: Durations) -> str:
            return self._row(
                [label, self.locale.toString(d.count), self.minutes(d.median_s), self.minutes(d.p90_s)]
            )

        return self._section_table(
            t["Response statistics"],
            [t["Measure"], t["Incidents"], t["Median"], t["90th percentile"]],
            line(t["Raised → acknowledged"], s.response) + line(t["Raised → closed"], s.closing),
        )

    def open_by_priority(self) -> str:
        t = self.labels()
        s = self.data.stats
        cells = "".join(
            f"<td align='center' style='color:{SEVERITY_HTML[sev]}'><b>{_e(self.locale.toString(n))}</b><br/>"
            f"{_e(severity_label(sev))}</td>"
            for sev, n in s.open_by_severity.items()
        )
        alarms = "".join(
            self._row([sid, sensor_kind_label(kind), self.number(value), sensor_status_label(status)])
            for sid, kind, value, status in self.data.sensor_alarms
        ) or self._empty_row(4, self.tr("No sensor alarms."))
        units = "".join(
            self._row([entity_kind_label(k), self.locale.toString(n)])
            for k, n in self.data.units_in_service.items()
        )
        return (
            f"<h2>{_e(t['Open incidents by priority'])}</h2>"
            f"<table width='100%' border='1' cellspacing='0' cellpadding='6'><tr>{cells}</tr></table>"
            + self._side_by_side(
                self._section_table(
                    t["Open sensor alarms"], [t["Sensor"], t["Kind"], t["Value"], t["Status"]], alarms
                ),
                self._section_table(t["Units in service"], [t["Unit"], t["In service"]], units),
            )
        )

    @staticmethod
    def _side_by_side(left: str, right: str) -> str:
        """Two sections in one row: a dense page, not a long white one."""
        return (
            "<table width='100%' cellspacing='0' cellpadding='0'><tr>"
            f"<td width='50%' valign='top' style='padding-right:8px'>{left}</td>"
            f"<td width='50%' valign='top'>{right}</td></tr></table>"
        )

    def incident_list(self) -> str:
        t = self.labels()
        records = sorted(self.data.stats.records, key=lambda r: (not r.is_open, -r.severity, -r.raised_at))
        rows = "".join(self._incident_row(r) for r in records[:MAX_LISTED])
        more = len(records) - MAX_LISTED
        tail = (
            f"<p>{_e(t['… and {0} more incidents.'].format(self.locale.toString(more)))}</p>"
            if more > 0
            else ""
        )
        header = self._row(
            [
                self.tr("Incident"),
                self.tr("Type"),
                self.tr("Priority"),
                self.tr("District"),
                self.tr("Status"),
                self.tr("Raised"),
                self.tr("Response"),
                self.tr("To close"),
            ],
            header=True,
            widths=(16, 15, 9, 12, 13, 15, 10, 10),  # % of the page: no column squeezed to letters
        )
        return (
            f"<h2>{_e(t['Incidents and their timelines'])}</h2>"
            f"<table width='100%' border='1' cellspacing='0' cellpadding='2' style='font-size:8pt'>"
            f"<thead>{header}</thead>"
            f"{rows or self._empty_row(8, t['No incidents in this period.'])}</table>{tail}"
        )

    def _incident_row(self, r: IncidentRecord) -> str:
        return self._row(
            [
                r.id,
                incident_type_label(r.type),
                severity_label(r.severity),
                self.place(r.district) if r.district else "—",
                incident_status_label(r.status),
                self.when(r.raised_at),
                self.minutes(r.response_s),
                self.minutes(r.closing_s),
            ],
            nowrap=(0, 2, 4, 5, 6, 7),  # ids, codes, times and durations stay in one piece
        )

    def place(self, name: str) -> str:
        """A district's name in the brief's language (the site's ``[names]``)."""
        return place_name(self.site, name)

    @staticmethod
    def _row(
        cells: list[str], header: bool = False, nowrap: tuple[int, ...] = (), widths: tuple[int, ...] = ()
    ) -> str:
        """One table row; cells in ``nowrap`` stay in one piece (no id or time split over lines);
        ``widths`` (a header's, in % of the table) fix the columns."""
        tag = "th" if header else "td"

        def style(i: int) -> str:
            css = ("background:#e8eef5;" if header else "") + ("white-space:nowrap;" if i in nowrap else "")
            width = f" width='{widths[i]}%'" if i < len(widths) else ""
            return (f" style='{css}'" if css else "") + width

        return "<tr>" + "".join(f"<{tag}{style(i)}>{_e(c)}</{tag}>" for i, c in enumerate(cells)) + "</tr>"

    @classmethod
    def _section_table(cls, title: str, header: list[str], body: str, width: str = "100%") -> str:
        """A titled data table with a header row: the one look every section table shares."""
        return (
            f"<h2>{_e(title)}</h2>"
            f"<table width='{width}' border='1' cellspacing='0' cellpadding='4'>"
            f"<thead>{cls._row(header, header=True)}</thead>{body}</table>"
        )

    @staticmethod
    def _empty_row(span: int, text: str) -> str:
        return f"<tr><td colspan='{span}'><i>{_e(text)}</i></td></tr>"

    # ------------------------------------------------------------------ output
    def html(self) -> str:
        flood = ""
        if self.flood is not None:
            from controlroom.qt.brief_flood import flood_section

            flood = flood_section(self.flood[0], self.flood[1] is not None, self.number)
        return (
            self.cover()
            + self.map_section()
            + flood
            + self.vital_signs()
            + self.open_by_priority()
            + self.incidents_by()
            + self.response()
            + self.incident_list()
        )

    def write(self, out: Path) -> Path:
        t = self.labels()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        writer = QPdfWriter(str(out))
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(15, 15, 15, 15),
                QPageLayout.Unit.Millimeter,
            )
        )
        writer.setResolution(300)
        writer.setTitle(f"{t['City operations brief']} — {self.site_title}")
        writer.setCreator("controlroom")
        doc = QTextDocument()
        # Lay out on the page's printable width (CSS pixels at 96 per inch): without it, "100 %"
        # tables took about two thirds of the width and long columns broke words.
        printable = writer.pageLayout().paintRect(QPageLayout.Unit.Point)
        doc.setPageSize(QSizeF(printable.width() * 96 / 72, printable.height() * 96 / 72))
        font = QFont()
        font.setFamilies(font_families())
        font.setPointSizeF(10.0)
        # no "ﬃ" ligatures: the text layer must read "Traffic" for search and copy
        font.setFeature(QFont.Tag("liga"), 0)
        doc.setDefaultFont(font)
        # lines break between words only: a word wider than its column widens the column instead
        # of breaking ("Priorit / y" in a table header)
        option = doc.defaultTextOption()
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        doc.setDefaultTextOption(option)
        if self.map_png is not None:
            doc.addResource(
                QTextDocument.ResourceType.ImageResource, QUrl("brief-map.png"), QImage(str(self.map_png))
            )
        if self.flood is not None and self.flood[1] is not None:
            from controlroom.qt.brief_flood import IMAGE_URL

            doc.addResource(
                QTextDocument.ResourceType.ImageResource, QUrl(IMAGE_URL), QImage(str(self.flood[1]))
            )
        for i, m in enumerate(self.data.metrics):
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"chart-{i}.png"), chart(m))
        doc.setHtml(self.html())
        doc.print_(writer)
        return out


def font_families() -> list[str]:
    """DejaVu Sans for Latin and digits, then the CJK family whose text layer stays searchable."""
    from controlroom.qt.cjk_font import SOURCE_FAMILY, pdf_cjk_family

    return list(dict.fromkeys([LATIN_FAMILY, pdf_cjk_family(), SOURCE_FAMILY]))


def chart(m: MetricSummary, size: tuple[int, int] = (1200, 180)) -> QImage:
    """A sparkline of one metric over the period (line + light fill), drawn for print."""
    w, h = size
    img = QImage(w, h, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    if len(m.v) < 2:
        return img
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    t0, t1 = m.t[0], m.t[-1]
    lo, hi = m.low, m.high
    span_t, span_v = (t1 - t0) or 1.0, (hi - lo) or 1.0
    pad = 10

    def pt(t: float, v: float) -> QPointF:
        return QPointF(pad + (w - 2 * pad) * (t - t0) / span_t, h - pad - (h - 2 * pad) * (v - lo) / span_v)

    step = max(1, len(m.v) // 600)
    pts = [pt(t, v) for t, v in zip(m.t[::step], m.v[::step], strict=True)]
    path = QPainterPath(pts[0])
    for q in pts[1:]:
        path.lineTo(q)
    fill = QPainterPath(path)
    fill.lineTo(QPointF(pts[-1].x(), h - pad))
    fill.lineTo(QPointF(pts[0].x(), h - pad))
    fill.closeSubpath()
    p.fillPath(fill, QColor(23, 105, 170, 40))
    p.setPen(QPen(QColor(ACCENT), 3, Qt.PenStyle.SolidLine))
    p.drawPath(path)
    p.setPen(QPen(QColor("#b0bccb"), 1))
    p.drawRect(0, 0, w - 1, h - 1)
    p.end()
    return img
