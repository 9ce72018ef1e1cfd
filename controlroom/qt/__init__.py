"""qt layer (see DESIGN.md §2)."""
