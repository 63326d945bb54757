"""Plain text for terminals, shared by the CLI, the REPL and the TUI's plain-text paths."""
