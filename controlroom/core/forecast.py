"""Early warning: when will a short, noisy series cross its threshold, and how sure are we?

Sensor series behind an alarm are short (minutes of samples) and noisy, with the odd spike, so
the trend is fitted with the Theil–Sen estimator (``scipy.stats.theilslopes``: the median of
pairwise slopes, robust to up to ~29 % outliers) and its confidence interval. A crossing is
predicted only when the whole slope interval points towards the threshold (noise around a flat
level never qualifies), and its time comes with a range from the interval's two ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Crossing:
    """A forecast crossing: seconds from ``now`` (best guess and interval), trend and fitted level."""

    eta_s: float
    eta_lo_s: float
    eta_hi_s: float
    slope_per_s: float
    level_now: float


def forecast_crossing(
    t: F64,
    v: F64,
    threshold: float,
    direction: int,
    now: float,
    horizon_s: float,
    *,
    min_points: int = 8,
    min_span_s: float = 30.0,
    confidence: float = 0.95,
) -> Crossing | None:
    """The predicted crossing of ``threshold`` within ``horizon_s`` or None.

    ``direction`` is +1 for an upper limit (rising towards it) and -1 for a lower one. None when
    there are too few samples, the samples span too little time, the trend's confidence interval
    includes a flat or opposite trend, or the crossing lies beyond the horizon.
    """
    from scipy.stats import theilslopes

    if t.size < min_points or float(t[-1] - t[0]) < min_span_s:
        return None
    t0 = float(t[0])
    res = theilslopes(v, t - t0, alpha=confidence)
    slope, intercept = float(res.slope), float(res.intercept)
    lo, hi = sorted((float(res.low_slope), float(res.high_slope)))
    toward_lo, toward_hi = sorted((direction * lo, direction * hi))
    if not toward_lo > 0.0:  # the interval admits a flat or opposite trend: not a warning
        return None
    level = intercept + slope * (now - t0)
    gap = direction * (threshold - level)
    if gap <= 0.0:
        return Crossing(0.0, 0.0, 0.0, slope, level)
    eta = gap / (direction * slope)
    if eta > horizon_s or not math.isfinite(eta):
        return None
    return Crossing(eta, gap / toward_hi, gap / toward_lo, slope, level)
