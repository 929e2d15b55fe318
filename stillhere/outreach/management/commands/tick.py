from contextlib import nullcontext

from django.core.management.base import BaseCommand
from django.utils import timezone

from stillhere.lib.stopping import StopRequest, graceful_stop, sleep_unless_stopped
from stillhere.outreach.round import tick_round
from stillhere.outreach.timeparse import parse_as_of


class Command(BaseCommand):
    help = ("Send due outreach: start sequences for new missed and lapsed episodes, draft steps, "
            "send approved ones at most once. Run from cron, or with --loop under a supervisor.")
    # Django's checks import every URL and so every view (the API, the PDF
    # report, the de-identifier): seconds of imports a cron job never uses.
    # `stillhere check` and every web start still run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="act as if it were this date/time (UTC unless an offset is given)")
        parser.add_argument("--loop", action="store_true",
                            help="keep running, checking every few seconds; Ctrl-C or SIGTERM finishes the "
                                 "step in hand and stops")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds with --loop")

    def handle(self, *args, as_of=None, loop=False, interval=5.0, **options):
        frozen = parse_as_of(as_of)

        def now():
            return frozen or timezone.now()

        # Only a loop reads a stop flag, so only a loop takes over the signals;
        # a single round (cron, the demo, a test) leaves them as they were.
        scope = graceful_stop(say=self.stdout.write) if loop else nullcontext(StopRequest())
        total = 0
        with scope as stop:
            if loop:
                self.stdout.write(f"tick: running every {interval:g} s; Ctrl-C to stop", ending="\n")
                self.stdout.flush()
            while True:
                total += tick_round(now, log=self.stdout.write, should_stop=lambda: bool(stop))
                if not loop or stop:
                    break
                sleep_unless_stopped(interval, stop)
        self.stdout.write(f"tick: {total} unit(s) of work done")
