import sys

from django.core.management.base import BaseCommand

from stillhere.audit.chain import verify


class Command(BaseCommand):
    help = ("Check the audit trail: `stillhere audit verify` walks every event and names any that was "
            "edited, deleted or reordered since it was written.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every event's seal and its place in the chain")

    def handle(self, *args, **opts):
        report = verify()
        if report.checked == 0:
            self.stdout.write("The audit trail is empty: nothing to check.")
        for line in report.problems:
            self.stdout.write(f"- {line}")
        if report.ok:
            if report.checked:
                self.stdout.write(f"The audit trail is intact: {report.checked} event(s), "
                                  f"from event {report.first} to event {report.last}, each sealed and in order.")
            return
        self.stderr.write(f"The audit trail has been tampered with: {len(report.problems)} problem(s) "
                          f"in {report.checked} event(s) checked.")
        sys.exit(1)
