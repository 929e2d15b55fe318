"""Engagement defaults, kept free of Django so the feature layer can run
anywhere (a benchmark, a Spark job) without a configured project."""

# After a missed session, give the client a few days to get in touch before
# reaching out; longer can feel like abandonment (DESIGN.md, stance 2).
DEFAULT_WAITING_DAYS = 3
# A client is "lapsed" when the gap since their last contact passes their own
# usual gap between sessions times this factor, with no future booking.
DEFAULT_LAPSE_FACTOR = 2.0
# PostgreSQL's default 4 MB of sort/hash memory makes a practice-wide scan spill
# to disk; the scan's own session asks for more.
PG_WORK_MEM = "256MB"
