"""The application layer: every action's behaviour, once, for every front end."""
