"""Errors a user can act on: each carries one line that names the thing and the fix."""


class CoalignError(Exception):
    """A problem to show the user as one line, never as a traceback."""


class ModelError(CoalignError):
    """The model file is missing, unreadable, not a GGUF, or failed to load."""


class DataDirError(CoalignError):
    """The data directory cannot be created or written."""


class RemoteError(CoalignError):
    """An OpenAI-compatible server could not be reached, refused the request, or failed."""


class StreamInterrupted(RemoteError):
    """The server's answer stopped part-way (dropped, stalled, or an error mid-stream);
    the text received until then is kept."""


class ControlVectorError(CoalignError):
    """A control-vector file is missing, unreadable, or made for another model."""
