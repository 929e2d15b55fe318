"""Engagement defaults, kept free of Django so the feature layer can run
anywhere (a benchmark, a Spark job) without a configured project."""

# After a missed session, give the client a few days to get in touch before
# reaching out; longer can feel like abandonment (DESIGN.md, stance 2).
DEFAULT_WAITING_DAYS = 3
# A client is "lapsed" when the gap since their last contact passes their own
# usual gap between sessions times this factor, with no future booking.
DEFAULT_LAPSE_FACTOR = 2.0
# A past session still marked scheduled is "outcome not recorded" for this
# many days (an export that lags, a session not written up yet): not a miss,
# no lapse, no outreach. After that it counts as usual.
DEFAULT_OUTCOME_DAYS = 7
# Without an episode id in the imported record, an appointment this many days
# or more after the last attended session, with nothing booked between, is a
# return: the earlier episode ended without goodbye at that session, and a new
# episode begins (ingest/silence.py).
DEFAULT_LONG_SILENCE_DAYS = 120
# PostgreSQL's default 4 MB of sort/hash memory makes a practice-wide scan spill
# to disk; the scan's own session asks for more. Its JIT compiler spends
# seconds compiling the scan's many expressions (2.7 s of a 3 s scan of 20,000
# clients) and wins nothing back on a query that runs once.
PG_WORK_MEM = "256MB"
# And it reads every row, so a cursor should be planned for all of them, not
# for a quick first few (a plan that took minutes instead of 30 s at 1M clients).
PG_SESSION = f"SET work_mem = '{PG_WORK_MEM}'; SET jit = off; SET cursor_tuple_fraction = 1.0"
