"""Files only Tocsin's own user may read: the per-install secret and the SQLite database.

They are created with mode 0600 from their first byte. Creating a file and then
narrowing its mode leaves a moment in which anyone on the host may open it, and an open
descriptor keeps working after the chmod.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

log = logging.getLogger("tocsin")

PRIVATE = 0o600


def create_private(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists; True when this call made it.
    SQLite gives its -wal and -shm files the mode of the database file, so a database
    created here keeps all three private."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        warn_if_shared(path)
        return False
    os.close(fd)
    return True


def warn_if_shared(path: Path) -> None:
    """Say so when an existing private file can be read or written by other users (an
    install from before files were created private, or a copy made without care)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        log.warning(
            "file is readable or writable by other users; run chmod 600 on it",
            extra={"path": str(path), "mode": oct(mode)},
        )


def read_or_create_secret(path: Path) -> str:
    """The secret stored at `path`, made on first use: written to a private temporary
    file, then linked into place, so a reader never sees half a secret and two
    processes starting together agree on one."""
    try:
        secret = path.read_text().strip()
    except FileNotFoundError:
        pass
    else:
        if not secret:  # never half-written (see below): someone emptied it
            raise ValueError(f"{path} is empty: remove it to have a new secret made")
        warn_if_shared(path)
        return secret
    fresh = secrets.token_urlsafe(32)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        os.write(fd, (fresh + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)
    except FileExistsError:  # another process published its secret first: use that one
        return read_or_create_secret(path)
    finally:
        temporary.unlink()
    return fresh
