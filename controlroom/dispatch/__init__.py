"""dispatch layer (see DESIGN.md §2)."""
