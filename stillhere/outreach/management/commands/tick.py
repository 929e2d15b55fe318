import signal
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from stillhere.outreach.sending import run_once
from stillhere.outreach.timeparse import parse_as_of


class Command(BaseCommand):
    help = ("Send due outreach: start sequences for new missed and lapsed episodes, draft steps, "
            "send approved ones at most once. Run from cron, or with --loop under a supervisor.")

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="act as if it were this date/time (UTC unless an offset is given)")
        parser.add_argument("--loop", action="store_true", help="keep running, checking every few seconds")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds with --loop")

    def on_signal(self, signum, frame):
        self.stdout.write(f"{signal.strsignal(signum)}, finishing the current step...")
        self.shutdown = True

    def handle(self, *args, as_of=None, loop=False, interval=5.0, **options):
        frozen = parse_as_of(as_of)
        self.shutdown = False
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)

        def now():
            return frozen or timezone.now()

        total = 0
        while True:
            total += run_once(now, log=self.stdout.write, should_stop=lambda: self.shutdown)
            if not loop or self.shutdown:
                break
            time.sleep(interval)
        self.stdout.write(f"tick: {total} unit(s) of work done")
