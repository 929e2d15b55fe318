"""One round of the tick: what `stillhere tick` and `stillhere worker` both run.

Outreach steps first, then outgoing webhooks (so a round's state changes are
announced in the same round), then import housekeeping (abandoned web imports
settled, expired import reports purged). One function, so a practice that runs
the worker gets exactly what a practice that runs the tick from cron gets.
"""


def tick_round(now, log=lambda line: None, should_stop=lambda: False) -> int:
    """Run one round; returns how many units of work were done."""
    from stillhere.api import webhooks
    from stillhere.ingest.uploads import housekeeping
    from stillhere.outreach.sending import run_once

    done = run_once(now, log=log, should_stop=should_stop)
    done += webhooks.run_once(now, log=log, should_stop=should_stop)
    housekeeping()
    return done
