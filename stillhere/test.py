"""The shared cast every test uses, so each view gets the same access checks.

Riverside Practice (Europe/London):
- Alice is a clinician; Ana Abbott is her client.
- Bob is a clinician; Ben Baker is his client.
- Dora is the clinical director and sees the whole practice.
- Adam is the practice admin.
- Cora is a consultant and must see nothing identifiable.
Hillside Practice:
- Charlie is a clinician there, with Cleo Costa; he must see nothing of Riverside.
"""

from datetime import date, datetime, timezone

from django.contrib.auth import get_user_model
from django.test import TestCase

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Appointment, Client, Episode

PASSWORD = "correct horse battery"


def make_member(practice, username, role, first_name=""):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", PASSWORD,
                                                first_name=first_name or username.title())
    return Membership.objects.create(practice=practice, user=user, role=role)


def make_client(practice, clinician, ext, first, last, **fields):
    client = Client.objects.create(practice=practice, external_id=ext, first_name=first, last_name=last,
                                   email=f"{ext}@example.org", phone="+15555550100", **fields)
    episode = Episode.objects.create(practice=practice, client=client, clinician=clinician,
                                     started=date(2026, 1, 5))
    Appointment.objects.create(practice=practice, episode=episode, external_id=f"{ext}-1",
                               start=datetime(2026, 1, 5, 10, tzinfo=timezone.utc),
                               status=Appointment.Status.ATTENDED, session_number=1)
    Appointment.objects.create(practice=practice, episode=episode, external_id=f"{ext}-2",
                               start=datetime(2026, 1, 12, 10, tzinfo=timezone.utc),
                               status=Appointment.Status.NO_SHOW)
    return client


def clients_named(first, last=None, practice=None) -> list:
    """Clients with this first (and last) name, compared after decryption:
    names are encrypted at rest, so the database cannot be asked."""
    qs = Client.objects.all() if practice is None else Client.objects.filter(practice=practice)
    return [c for c in qs.order_by("id") if c.first_name == first and (last is None or c.last_name == last)]


class BaseTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        Role = Membership.Role
        cls.riverside = Practice.objects.create(name="Riverside Practice", slug="riverside",
                                                timezone="Europe/London")
        cls.alice = make_member(cls.riverside, "alice", Role.CLINICIAN)
        cls.bob = make_member(cls.riverside, "bob", Role.CLINICIAN)
        cls.dora = make_member(cls.riverside, "dora", Role.DIRECTOR)
        cls.adam = make_member(cls.riverside, "adam", Role.ADMIN)
        cls.cora = make_member(cls.riverside, "cora", Role.CONSULTANT)
        cls.hillside = Practice.objects.create(name="Hillside Practice", slug="hillside", timezone="America/Chicago")
        cls.charlie = make_member(cls.hillside, "charlie", Role.CLINICIAN)

        cls.ana = make_client(cls.riverside, cls.alice, "r-001", "Ana", "Abbott")
        cls.ben = make_client(cls.riverside, cls.bob, "r-002", "Ben", "Baker")
        cls.cleo = make_client(cls.hillside, cls.charlie, "h-001", "Cleo", "Costa")

    def login(self, member):
        self.client.force_login(member.user)
