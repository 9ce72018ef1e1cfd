"""The bundled demo site: a Pearl-River-delta district generated from a fixed seed.

``python -m controlroom.app.sample_site --out FOLDER`` writes it anywhere (default: the demo's folder).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from controlroom.app.sample_site import default_folder
from controlroom.app.sample_site.params import SEED
from controlroom.app.sample_site.writer import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m controlroom.app.sample_site", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for site.toml and data/ (default: the demo's, in the user cache folder)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = default_folder()
    t0 = time.perf_counter()
    site = generate(args.out, args.seed)
    n = sum(1 for _ in (args.out / "data").iterdir())
    print(f"wrote {site} and {n} files in {args.out / 'data'} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
