"""Per-site builds: stage a site, freeze the app with PyInstaller, write a manifest, archive.

Split by concern: ``staging`` (which site files travel, secrets, internal-only data),
``freeze`` (the PyInstaller run), ``manifest`` (sha256 of every file, deterministic),
``archive`` (tar.zst / zip, deterministic), ``entry`` (how a built app finds its bundled site).
"""
