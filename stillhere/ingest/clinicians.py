"""Find the clinician a file names (by email or by name), or add them.

A clinician the practice does not have yet gets an account with no usable
password and a clinician membership: they are invited later, and nobody can
sign in as them meanwhile. Every one added is listed in the import report.
"""

import re

from django.contrib.auth import get_user_model
from django.db.models import Q

from stillhere.accounts.models import Membership, Practice


def _name_key(name: str) -> str:
    return " ".join(name.lower().split())


class Clinicians:
    def __init__(self, practice: Practice, report=None):
        self.practice, self.report = practice, report
        self._by_email: dict[str, int] = {}
        self._by_name: dict[str, int] = {}
        for m in Membership.objects.filter(practice=practice).select_related("user"):
            self._remember(m)

    def _remember(self, m: Membership) -> None:
        u = m.user
        for e in {u.email.lower(), u.username.lower()} - {""}:
            if "@" in e:
                self._by_email.setdefault(e, m.pk)
        for n in {m.display_name, u.get_full_name(), u.username} - {""}:
            self._by_name.setdefault(_name_key(n), m.pk)

    def find(self, who: str) -> int | None:
        return (self._by_email if "@" in who else self._by_name).get(who.lower() if "@" in who else _name_key(who))

    def resolve(self, who: str, name: str = "") -> int:
        """Membership id for an email or a name, adding the clinician if new."""
        found = self.find(who)
        if found:
            return found
        User = get_user_model()
        if "@" in who:
            email, display = who.lower(), name
            user = User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).first()
        else:
            email, display, user = "", " ".join(who.split()), None
        if user is None:
            first, _, last = (display or "").partition(" ")
            user = User(username=self._username(email or display), email=email, first_name=first[:150],
                        last_name=last[:150])
            user.set_unusable_password()
            user.save()
        m = Membership.objects.create(practice=self.practice, user=user, role=Membership.Role.CLINICIAN,
                                      display_name=display[:200])
        self._remember(m)
        if self.report is not None:
            self.report.new_clinicians.append({"email": email, "name": display})
        return m.pk

    @staticmethod
    def _username(seed: str) -> str:
        User = get_user_model()
        base = (re.sub(r"[^\w.@+-]+", "-", seed.lower()).strip("-") or "clinician")[:140]
        name, n = base, 1
        while User.objects.filter(username=name).exists():
            n += 1
            name = f"{base}-{n}"
        return name
