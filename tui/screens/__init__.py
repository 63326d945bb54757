"""Textual screens and widgets of the coalign TUI."""
