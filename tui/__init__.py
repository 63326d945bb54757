"""coalign: a terminal research assistant for co-constructing alignment with local models."""

__version__ = "0.1.0"
