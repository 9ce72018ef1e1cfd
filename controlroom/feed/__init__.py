"""feed layer (see DESIGN.md §2)."""
