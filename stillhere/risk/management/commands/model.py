from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stillhere.accounts.models import Practice
from stillhere.engagement.management.commands.scan import parse_as_of
from stillhere.risk.fitted import card, store


class Command(BaseCommand):
    help = ("Fit the dropout model and the no-show score to a practice's own history (fit), or describe the "
            "latest dropout model (show). "
            "The scan uses it only when it beats the standard model on held-out weeks.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["fit", "show"])
        parser.add_argument("--practice", required=True, help="practice slug")
        parser.add_argument("--as-of", help="date (YYYY-MM-DD); default now: learn only from before it")
        parser.add_argument("--step-days", type=int, default=None,
                            help="days between the past moments learned from (default 7)")

    def handle(self, *args, **opts):
        try:
            practice = Practice.objects.get(slug=opts["practice"])
        except Practice.DoesNotExist:
            raise CommandError(f"No practice called {opts['practice']!r}.")
        if opts["action"] == "fit":
            as_of = parse_as_of(opts["as_of"], practice.tz) if opts["as_of"] else timezone.now()
            row, n = store.fit_practice(practice, int(as_of.timestamp()), opts["step_days"])
            self.stdout.write(f"Fitted {row.version} on {n:,} past moments.")
            # The no-show score too, on the same history (with any signals the imports brought).
            from stillhere.risk.calibration import refit

            self.stdout.write(f"No-show score: {refit(practice, as_of).verdict}")
        self.stdout.write(card.text(card.build(practice)))
