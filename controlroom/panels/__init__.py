"""panels layer (see DESIGN.md §2)."""
