"""`coalign bench`: speed and memory of the raw loop, the engine, the TUI and start-up."""
