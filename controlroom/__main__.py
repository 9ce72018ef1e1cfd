"""``python -m controlroom`` runs the command line."""

from controlroom.app.cli import main

raise SystemExit(main())
