"""The bundled demo site: a Pearl-River-delta district generated from a fixed seed.

Shipping real city data is a licensing problem, so the demo builds its own: a meandering river
with canals, arterials with bridges and a street grid, ~23,000 buildings in the blocks between
them (a CBD of towers by the river), four nested admin levels, POIs declared in GCJ-02 (so the
China-frame path is exercised on every demo start), and camera / unit registries. The same seed
gives byte-identical files, so tests and screenshots are reproducible.

    python -m controlroom.app.sample_site --out FOLDER

The demo's copy lives in the user's cache (``default_folder()``): it is made again from the seed
whenever it is missing, and an installed package has no writable folder of its own. The site file
it writes and the alarm rules it copies ship in ``controlroom/data/sample-site/``.

The package: ``params`` (seed, extent, river, names), ``plan`` (water, roads, admin levels),
``buildings``, ``registries`` (POIs, cameras, units), ``site_file`` (site.toml) and ``writer``
(files on disk); this module keeps the demo's copy current.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from controlroom.app.sample_site.params import DATA_FILES, GENERATOR_VERSION, HALF_H, HALF_W, SEED
from controlroom.app.sample_site.site_file import names_toml, site_toml
from controlroom.app.sample_site.writer import data_stamp, generate, move_aside

__all__ = [
    "DATA_FILES",
    "GENERATOR_VERSION",
    "HALF_H",
    "HALF_W",
    "SEED",
    "data_stamp",
    "default_folder",
    "demo_site",
    "ensure_sample_site",
    "generate",
    "move_aside",
    "names_toml",
    "site_toml",
]


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def default_folder() -> Path:
    """Where the demo's sample site is generated: ``sample-site`` in the user's cache folder."""
    from controlroom.core.user_dirs import cache_dir

    return cache_dir("sample-site")


def ensure_sample_site(folder: Path, report: Callable[[str], None] = _to_stderr) -> Path:
    """The sample site's site.toml, generating data (and the site file) only when missing or stale.

    Data from another sample-data version (older, newer, or unstamped) is not overwritten: it is
    moved to ``data.old-<stamp>`` and ``report`` says so; so is a site.toml that differs from the
    one this version writes (the user's edits stay readable next to the new file).
    """
    folder = Path(folder)
    data = folder / "data"
    site_file = folder / "site.toml"
    stamp = data_stamp(data)
    if stamp == GENERATOR_VERSION:
        if all((data / f).is_file() for f in DATA_FILES) and site_file.is_file():
            return site_file
        return generate(folder)  # this version's data with a file missing: fill it in again
    if stamp is not None:
        moved = move_aside(data, stamp)
        report(
            f"sample site: {data} holds sample data version {stamp}; this controlroom makes version "
            f"{GENERATOR_VERSION}. Moved the old data to {moved}; generating version {GENERATOR_VERSION} now."
        )
    if site_file.is_file() and site_file.read_text(encoding="utf-8") != site_toml():
        moved = move_aside(site_file, stamp or "edited")
        report(
            f"sample site: {site_file} differs from the one this controlroom writes; "
            f"kept it as {moved} (copy your changes over if you need them)."
        )
    return generate(folder)


def demo_site(report: Callable[[str], None] = _to_stderr) -> Path:
    """The demo's sample site (``default_folder()``) with the shipped alarm rules beside it.

    A changed ``alarms.toml`` there is kept aside (``alarms.toml.old-edited``) and ``report`` says so,
    as for the site file, so an upgrade brings the current rules without losing the user's.
    """
    from controlroom.core.shipped import shipped_path

    folder = default_folder()
    site_file = ensure_sample_site(folder, report)
    rules, shipped = folder / "alarms.toml", shipped_path("sample-site", "alarms.toml").read_bytes()
    if rules.is_file() and rules.read_bytes() != shipped:
        moved = move_aside(rules, "edited")
        report(f"sample site: {rules} differs from the shipped rules; kept it as {moved}.")
    if not rules.is_file():
        rules.write_bytes(shipped)
    return site_file
