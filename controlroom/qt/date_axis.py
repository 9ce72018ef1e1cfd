"""A time axis whose weekday and month names are in the app's language.

pyqtgraph's ``DateAxisItem`` writes its ticks with ``strftime``, so a chart spanning midnight
reads "Mon 07" and one spanning months "Jan" whatever the language (a Chinese wall showed "Mon 07"
under every vital sign after midnight). The names come from the app's locale instead; the numbers
and the layout of each tick stay pyqtgraph's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pyqtgraph as pg
from PySide6.QtCore import QLocale

_NAMED = ("%a", "%b")


class LocalDateAxis(pg.DateAxisItem):
    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        spec = next((s for s in self.zoomLevel.tickSpecs if s.spacing == spacing), None)
        if spec is None or not any(n in spec.format for n in _NAMED):
            return list(super().tickStrings(values, scale, spacing))
        zone = timezone(timedelta(seconds=-(self.utcOffset or 0)))
        short = QLocale.FormatType.ShortFormat
        locale = QLocale()
        out = []
        for v in values:
            try:
                at = datetime.fromtimestamp(v, zone)
            except (OverflowError, ValueError, OSError):
                out.append("")
                continue
            fmt = spec.format.replace("%a", locale.dayName(at.isoweekday(), short).replace("%", "%%"))
            out.append(at.strftime(fmt.replace("%b", locale.monthName(at.month, short).replace("%", "%%"))))
        return out
