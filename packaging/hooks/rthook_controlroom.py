"""Runtime hook of a per-site build: settings the frozen app needs before anything imports Qt."""

import os

# pyvistaqt picks its Qt binding through qtpy; the build only carries PySide6.
os.environ.setdefault("QT_API", "pyside6")
