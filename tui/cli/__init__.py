"""The `coalign` subcommands that are not a chat: models, history, usage, profiles, diary."""
