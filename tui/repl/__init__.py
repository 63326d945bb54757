"""The prompt-toolkit REPL (`coalign chat`)."""
