"""PyInstaller entry point of a per-site build (see controlroom.app.packager.entry)."""

import multiprocessing
import sys

from controlroom.app.packager.entry import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # child processes (demo services) re-enter here on Windows
    sys.exit(main())
