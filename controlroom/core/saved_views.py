"""Saved views: named cameras with their layers and colouring, from the site and from the user.

The installer ships views that matter to everyone in ``site.toml`` (``[[views]]``); an operator
or leader saves their own here, as versioned JSON per site in the config folder. Views are kept
in lon/lat (not local metres) like the site's, so a user view can be pasted into the site file
unchanged (``to_toml``) and survives a change of the site's origin. Qt-free.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from controlroom.core.preferences import config_dir
from controlroom.core.site import Site, View

VIEWS_VERSION = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SavedView:
    name: str
    lon: float
    lat: float
    distance_m: float = 3000.0
    azimuth_deg: float = 0.0
    elevation_deg: float = 45.0
    color_by: str | None = None
    layers: dict[str, bool] = field(default_factory=dict)
    origin: Literal["site", "user"] = "user"

    @classmethod
    def from_site_view(cls, view: View) -> SavedView:
        return cls(
            view.name,
            view.lon,
            view.lat,
            view.distance_m,
            view.azimuth_deg,
            view.elevation_deg,
            view.color_by,
            dict(view.layers),
            "site",
        )

    def as_site_view(self) -> View:
        elevation = max(5.0, min(90.0, self.elevation_deg))
        return View(
            name=self.name,
            lon=self.lon,
            lat=self.lat,
            distance_m=self.distance_m,
            azimuth_deg=self.azimuth_deg,
            elevation_deg=elevation,
            color_by=self.color_by,
            layers=self.layers,
        )

    def to_toml(self) -> str:
        """A ``[[views]]`` block to share this view with everyone through the site file."""
        lines = [
            "[[views]]",
            f"name = {json.dumps(self.name, ensure_ascii=False)}",
            f"lon = {self.lon:.6f}",
            f"lat = {self.lat:.6f}",
            f"distance_m = {self.distance_m:.1f}",
            f"azimuth_deg = {self.azimuth_deg:.1f}",
            f"elevation_deg = {self.elevation_deg:.1f}",
        ]
        if self.color_by:
            lines.append(f"color_by = {json.dumps(self.color_by)}")
        if self.layers:
            inner = ", ".join(f"{json.dumps(k)} = {str(v).lower()}" for k, v in sorted(self.layers.items()))
            lines.append(f"layers = {{ {inner} }}")
        return "\n".join(lines) + "\n"


def views_path(site_name: str) -> Path:
    return config_dir() / "views" / f"{site_name}.json"


def _from_json(item: Any) -> SavedView:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
        raise ValueError('each view needs a non-empty "name"')
    layers = item.get("layers") or {}
    if not isinstance(layers, dict) or not all(isinstance(v, bool) for v in layers.values()):
        raise ValueError(f"view '{item['name']}': \"layers\" must map layer keys to true/false")
    return SavedView(
        name=item["name"],
        lon=float(item["lon"]),
        lat=float(item["lat"]),
        distance_m=float(item.get("distance_m", 3000.0)),
        azimuth_deg=float(item.get("azimuth_deg", 0.0)),
        elevation_deg=float(item.get("elevation_deg", 45.0)),
        color_by=item.get("color_by"),
        layers=dict(layers),
        origin="user",
    )


class ViewStore:
    """The site's views followed by the user's; a user view with a site view's name hides it."""

    def __init__(self, site: Site, path: Path | None = None) -> None:
        self.site = site
        self.path = path or views_path(site.site.name)
        self.load_error: str | None = None
        self._user: list[SavedView] = self._load()

    def _load(self) -> list[SavedView]:
        if not self.path.is_file():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != VIEWS_VERSION:
                raise ValueError(f'expected an object with "version": {VIEWS_VERSION}')
            return [_from_json(item) for item in data.get("views", [])]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.load_error = f"{self.path}: saved views not read: {exc}"
            log.warning("%s", self.load_error)
            return []

    def all(self) -> list[SavedView]:
        user_names = {v.name for v in self._user}
        site = [SavedView.from_site_view(v) for v in self.site.views if v.name not in user_names]
        return site + list(self._user)

    def names(self) -> list[str]:
        return [v.name for v in self.all()]

    def find(self, name: str) -> SavedView | None:
        return next((v for v in self.all() if v.name == name), None)

    def user_views(self) -> list[SavedView]:
        return list(self._user)

    def save(self, view: SavedView) -> Path:
        """Add or replace the user's view of that name, and write the file atomically."""
        if not view.name.strip():
            raise ValueError("a saved view needs a name")
        view = replace(view, origin="user")
        self._user = [v for v in self._user if v.name != view.name] + [view]
        return self._write()

    def delete(self, name: str) -> bool:
        """Remove a user view (site views belong to the installer); False if there was none."""
        before = len(self._user)
        self._user = [v for v in self._user if v.name != name]
        if len(self._user) == before:
            return False
        self._write()
        return True

    def _write(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        views = [{k: v for k, v in asdict(view).items() if k != "origin"} for view in self._user]
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps(
                {"version": VIEWS_VERSION, "site": self.site.site.name, "views": views},
                indent=2,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        tmp.replace(self.path)
        return self.path
