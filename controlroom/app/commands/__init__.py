"""The CLI's sub-commands, one module each with ``register(subparsers)`` (see app/cli.py)."""
