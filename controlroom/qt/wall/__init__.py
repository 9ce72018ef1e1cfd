"""The video wall: windows per monitor, their manager, preview, theme and remote control."""
