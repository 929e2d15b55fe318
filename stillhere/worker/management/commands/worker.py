from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from stillhere.lib.stopping import graceful_stop
from stillhere.worker import loop
from stillhere.worker.clock import Clock
from stillhere.worker.health import serve_in_background


class Command(BaseCommand):
    help = ("Run the practice's scheduled work in one long-running process: each practice's morning scan at "
            "its set time, the outreach tick every minute, daily expiries and clean-up. Run one on each of "
            "two machines if you like: only one acts at a time. Ctrl-C or SIGTERM finishes the job in hand.")

    def add_arguments(self, parser):
        parser.add_argument("--health", metavar="HOST:PORT",
                            help="also answer GET /healthz here (JSON for monitoring, no client data)")
        parser.add_argument("--start-at", metavar="DATE-TIME",
                            help="rehearsal: act as if it were this moment (ISO date-time; UTC unless it has an "
                                 "offset) and let time run on from there")
        parser.add_argument("--speed", type=float, default=1.0,
                            help="rehearsal, with --start-at: minutes of the moved clock per real minute")
        parser.add_argument("--clock-origin", type=float, help=(
            "rehearsal: the real moment (seconds since 1970) the moved clock reads --start-at, so two "
            "workers share one moved clock"))

    def handle(self, *args, health=None, start_at=None, speed=1.0, clock_origin=None, **opts):
        if (speed != 1.0 or clock_origin is not None) and not start_at:
            raise CommandError("--speed and --clock-origin move the clock: give --start-at too.")
        if speed <= 0:
            raise CommandError("--speed must be above 0.")
        start = None
        if start_at:
            try:
                start = datetime.fromisoformat(start_at)
            except ValueError:
                raise CommandError(f"--start-at {start_at!r} is not a date-time like 2026-03-10T05:58.") from None
            if start.tzinfo is None:
                from datetime import timezone

                start = start.replace(tzinfo=timezone.utc)
        clock = Clock(start, speed, clock_origin)

        def say(line):
            self.stdout.write(line)
            self.stdout.flush()

        server = None
        if health:
            try:
                server = serve_in_background(health)
            except (OSError, ValueError) as e:
                raise CommandError(f"--health {health}: cannot listen there ({e}).") from None
        with graceful_stop(say=say) as stop:
            say(f"worker: started{' with the clock at ' + start.isoformat() if start else ''}"
                f"{', health at http://' + health + '/healthz' if health else ''}; Ctrl-C to stop")
            try:
                loop.run(clock, stop, say)
            finally:
                if server:
                    server.shutdown()
