"""Textual widgets the screens are made of."""
