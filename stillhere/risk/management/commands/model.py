from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stillhere.accounts.models import Practice
from stillhere.engagement.management.commands.scan import parse_as_of
from stillhere.features.sources import from_django
from stillhere.risk.fitted import explain, fit, rows, store


class Command(BaseCommand):
    help = ("Fit a dropout model to a practice's own history (fit), or describe the latest one (show). "
            "The scan uses it only when it beats the standard model on held-out weeks.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["fit", "show"])
        parser.add_argument("--practice", required=True, help="practice slug")
        parser.add_argument("--as-of", help="date (YYYY-MM-DD); default now: learn only from before it")

    def handle(self, *args, **opts):
        try:
            practice = Practice.objects.get(slug=opts["practice"])
        except Practice.DoesNotExist:
            raise CommandError(f"No practice called {opts['practice']!r}.")
        if opts["action"] == "fit":
            as_of = parse_as_of(opts["as_of"], practice.tz) if opts["as_of"] else timezone.now()
            src = from_django(practice.pk)
            data = rows.training_rows(src, int(as_of.timestamp()))
            row = store.save(practice, fit.fit(data))
            self.stdout.write(f"Fitted {row.version} on {len(data)} past moments.")
        row = store.latest(practice)
        self.stdout.write(explain.card_text(row))
