import io
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.bulk import load_practice
from stillhere.lib.stopping import terminate_like_interrupt
from stillhere.measures.bulk import load_measures
from stillhere.simulator.generate import simulate
from stillhere.simulator.stories import story_frames

DEMO_PASSWORD = "stillhere-demo"
DEMO_PRACTICE = "Riverside Therapy Collective"


class Command(BaseCommand):
    help = ("Serve a demo practice on a fresh SQLite file. 6 clinicians, 300 simulated clients with "
            "two years of history and the four stories of DESIGN.md as named clients; logins printed.")

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=300)
        parser.add_argument("--clinicians", type=int, default=6)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
        parser.add_argument("--no-serve", action="store_true", help="set up and print logins, do not serve")

    def handle(self, *args, **opts):
        import os

        from django.conf import settings

        if not os.getenv("SITE_URL"):  # links in the outbox open this demo server
            settings.SITE_URL = f"http://{opts['addr']}"
        call_command("migrate", verbosity=0, interactive=False)
        logins = self.build(opts["clients"], opts["clinicians"], opts["seed"])
        # The morning routine, so the inbox opens on today's work: states and
        # risks first, then outreach drafts and call tasks (nothing is sent
        # without a clinician's approval).
        call_command("scan", stdout=io.StringIO(), stderr=io.StringIO())
        call_command("tick", stdout=io.StringIO(), stderr=io.StringIO())
        host = opts["addr"]
        self.stdout.write(self.style.SUCCESS(f"\nstillhere demo ready: http://{host}/"))
        self.stdout.write(f"  emails and texts are kept in the local outbox: http://{host}/outreach/outbox/")
        for role, username in logins:
            self.stdout.write(f"  {role:<11} {username}  password: {DEMO_PASSWORD}")
        self.stdout.write("")
        if not opts["no_serve"]:
            with terminate_like_interrupt():
                call_command("runserver", host, use_reloader=False,
                             shutdown_message="\nstillhere demo stopped. Goodbye.")

    @transaction.atomic
    def build(self, n_clients: int, n_clinicians: int, seed: int) -> list[tuple[str, str]]:
        today = date.today()
        practice = Practice.objects.create(name=DEMO_PRACTICE, slug="riverside", timezone="Europe/London")
        sim = simulate(n_clients, seed=seed, as_of=today, timezone=practice.timezone, n_clinicians=n_clinicians)
        load_practice(practice, sim.clinicians, sim.clients, sim.episodes, sim.appointments)
        load_measures(practice, sim.measures)
        lead = sim.clinicians["clinician"].iloc[0]
        stories = story_frames(today, lead, practice.timezone)
        load_practice(practice, stories["clinicians"], stories["clients"], stories["episodes"],
                      stories["appointments"])
        load_measures(practice, stories["measures"])

        User = get_user_model()
        clinician = User.objects.get(username=lead)
        director = User.objects.create_user("director@practice.example", "director@practice.example",
                                            first_name="Rowan", last_name="Hale")
        Membership.objects.create(practice=practice, user=director, role=Membership.Role.DIRECTOR)
        consultant = User.objects.create_user("consultant@practice.example", "consultant@practice.example",
                                              first_name="Sasha", last_name="Moyo")
        Membership.objects.create(practice=practice, user=consultant, role=Membership.Role.CONSULTANT)
        for user in (clinician, director, consultant):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return [("clinician", clinician.username), ("director", director.username),
                ("consultant", consultant.username)]
