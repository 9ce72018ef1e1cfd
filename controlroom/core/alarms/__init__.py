"""Alarms: rules, the engine, lifecycle, audit, tones, fences and back-tests (Qt-free)."""
