"""What the small benches share: a scratch SQLite database of their own
(migrated, in a temporary folder, so no bench touches a real practice) and
the best of a few timed runs."""

import os
import tempfile
import time


def scratch_database() -> str:
    """Point Django at a fresh SQLite file (unless DATABASE_URL names one),
    set it up and migrate it; returns the folder."""
    tmp = tempfile.mkdtemp()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ["STILLHERE_DATA_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return tmp


def best(fn, n=5):
    """The fastest of n timed runs after one warm-up, and the last result."""
    fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out
