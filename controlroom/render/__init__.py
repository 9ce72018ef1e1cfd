"""render layer (see DESIGN.md §2)."""
