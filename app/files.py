"""Files and folders only the server's own user may read: the data directory, the SQLite database and the job
folders (datasets, model replies and engine configs live there). One helper each, whatever the process umask."""
from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)
DIR_MODE = 0o700
FILE_MODE = 0o600


def _narrow(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except PermissionError:  # not ours (a directory an operator made): say so, do not stop the server
        log.warning("Cannot make %s private (mode %o): it belongs to another user", path, mode)


def private_dir(path: Path) -> Path:
    """``path`` as a directory of mode 0700, with any missing parents made 0700 too; an existing one is narrowed."""
    path = Path(path)
    for missing in reversed([p for p in (path, *path.parents) if not p.exists()]):
        missing.mkdir(mode=DIR_MODE, exist_ok=True)
    _narrow(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file of mode 0600, created empty when missing (never truncated); an existing one is narrowed.
    A missing folder is left missing: whoever opens the file next reports it."""
    path = Path(path)
    if not path.parent.is_dir():
        return path
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    _narrow(path, FILE_MODE)
    return path
