import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def data_dir() -> Path:
    """Where stillhere keeps its SQLite file, secret key and outputs.

    STILLHERE_DATA_DIR if set, else `.stillhere` beside the code: a solo
    therapist never has to choose, a practice server sets it explicitly.
    """
    from stillhere.lib.private import private_dir

    # Owner-only (0700) when stillhere creates it: it holds the database,
    # the secret key, backups, exports and uploaded imports.
    return private_dir(Path(os.getenv("STILLHERE_DATA_DIR", REPO_ROOT / ".stillhere")).resolve())
