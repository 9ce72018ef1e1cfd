"""Bridges: other protocols (MQTT, GTFS-Realtime, NATS) turned into our feed at the edge (docs/sources.md)."""
