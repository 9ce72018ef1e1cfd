"""geo layer (see DESIGN.md §2)."""
