"""A seekable front for a file being zipped, so that zipfile's seeks cost nothing.

zipfile writes each member's header, then its data, then seeks back to rewrite the
header with the sizes and CRC: on a file, three seeks and buffer flushes a member. A
Spool keeps what zipfile may still seek into in memory and hands the rest to the file
in large pieces; commit() (between members) says that nothing before is sought again.
"""

from __future__ import annotations

import io
from typing import BinaryIO

COMMIT_BYTES = 1 << 20  # hand over to the file once this much is held


class Spool(io.RawIOBase):
    """Bytes for handle: those since the last commit in memory, the others written."""

    def __init__(self, handle: BinaryIO) -> None:
        super().__init__()
        self._handle = handle
        self._held = io.BytesIO()
        self._start = 0  # the file position of the first byte held

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self._held.write(data)

    def tell(self) -> int:
        return self._start + self._held.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET or offset < self._start:
            raise io.UnsupportedOperation("a Spool seeks only into what it holds")
        self._held.seek(offset - self._start)
        return offset

    def commit(self, at_least: int = COMMIT_BYTES) -> None:
        """Write what is held to the file once it is at_least bytes (0: whatever it is);
        only between zip members, when no seek goes back before the end."""
        held = self._held.tell()
        if held >= at_least and held == self._held.getbuffer().nbytes:
            self._handle.write(self._held.getbuffer())
            self._start += held
            self._held = io.BytesIO()

    def flush(self) -> None:
        self.commit(0)
        self._handle.flush()
