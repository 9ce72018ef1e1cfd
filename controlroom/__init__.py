"""controlroom: a desktop app for city operations centres."""

__version__ = "0.1.0"
