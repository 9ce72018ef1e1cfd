"""layouts layer (see DESIGN.md §2)."""
