import os
from pathlib import Path

from stillhere.lib.paths import data_dir


def use_fresh_demo_database() -> Path:
    """Point this process at a new, empty SQLite file under the data dir."""
    db = data_dir() / "demo.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    # The demo's emails and texts go to the local outbox (a staff page shows
    # them), never to a real mail server or SMS provider.
    os.environ["EMAIL_BACKEND"] = "stillhere.channels.outbox.EmailBackend"
    os.environ["SMS_PROVIDER"] = "outbox"
    return db
