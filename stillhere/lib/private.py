"""Files and folders that hold client data, made readable by their owner only.

The data folder, the SQLite database, backups, exports and uploaded import
files are created 0700 (folders) and 0600 (files) from the first moment,
never created with the usual 0644 and tightened afterwards. The `stillhere`
command also sets a umask of 077 for everything else it writes (reports,
snapshots); the services in deploy/ set `UMask=0077` too.
"""

import os
from pathlib import Path

OWNER_ONLY_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """Make `path` and any missing parent folders 0700; an existing folder is left as it is."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            continue
        d.chmod(0o700)  # mkdir's mode is filtered by the umask; say it exactly
    return path


def create_private_file(path: Path) -> Path:
    """Create an empty file 0600 if it does not exist (e.g. the SQLite database
    before SQLite opens it, so its journal and WAL files inherit 0600)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    os.fchmod(fd, 0o600)
    os.close(fd)
    return path


def write_private(path: Path, data: bytes | str) -> Path:
    """Write a whole file that is 0600 from its creation (an existing file is made 0600 too)."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(data.encode() if isinstance(data, str) else data)
    return path
