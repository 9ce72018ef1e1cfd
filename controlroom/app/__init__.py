"""app layer (see DESIGN.md §2)."""
