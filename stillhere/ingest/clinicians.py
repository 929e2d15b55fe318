"""Find the clinician a file names (by email or by name), or add them.

A clinician the practice does not have yet gets an account with no usable
password and a clinician membership: they are invited later, and nobody can
sign in as them meanwhile. Every one added is listed in the import report.
"""

import re

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower

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

    def prepare(self, wanted) -> None:
        """(who, name) pairs a batch names: those the practice does not have
        yet are found or added all at once, in a handful of queries for the
        whole batch instead of four or five for each (a large practice's
        first import names hundreds). `resolve` then finds each in memory."""
        new = {}
        for who, name in wanted:
            if self.find(who) is None:
                new.setdefault(who.lower() if "@" in who else _name_key(who), (who, name))
        if len(new) < 2:
            return   # resolve() does one alone as well
        User = get_user_model()
        emails = [k for k in new if "@" in k]
        users = {}
        if emails:   # as resolve(): the first user (by id) whose username or email is this address
            for u in (User.objects.annotate(_e=Lower("email"), _u=Lower("username"))
                      .filter(Q(_e__in=emails) | Q(_u__in=emails)).order_by("-pk")):
                for k in {u._e, u._u} & set(emails):
                    users[k] = u
        fresh, order = [], []
        seeds = {k: (k if "@" in k else " ".join(who.split())) for k, (who, _) in new.items() if k not in users}
        bases = {k: self._base(seed) for k, seed in seeds.items()}
        taken = set()   # usernames a new account must not take: its base and base-2, base-3, … in use
        if bases:
            cond = Q()
            for base in set(bases.values()):
                cond |= Q(username__startswith=base)
            taken.update(User.objects.filter(cond).values_list("username", flat=True))
        for k, (who, name) in new.items():
            email, display = (k, name) if "@" in k else ("", " ".join(who.split()))
            if k not in users:
                username, n = bases[k], 1
                while username in taken:
                    n += 1
                    username = f"{bases[k]}-{n}"
                taken.add(username)
                first, _, last = (display or "").partition(" ")
                user = User(username=username, email=email, first_name=first[:150], last_name=last[:150])
                user.set_unusable_password()
                users[k] = user
                fresh.append(user)
            order.append((k, email, display))
        User.objects.bulk_create(fresh)
        made, members = set(), []
        for k, email, display in order:
            user = users[k]
            if user.pk in made:   # two of the file's names are one person's account
                continue
            made.add(user.pk)
            members.append((Membership(practice=self.practice, user=user, role=Membership.Role.CLINICIAN,
                                       display_name=display[:200]), email, display))
        Membership.objects.bulk_create([m for m, _, _ in members])
        for m, email, display in members:
            self._remember(m)
            if self.report is not None:
                self.report.new_clinicians.append({"email": email, "name": display})
        for k, (who, _) in new.items():   # a second name of the same account
            if self.find(who) is None:
                self.resolve(who, new[k][1])

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
    def _base(seed: str) -> str:
        return (re.sub(r"[^\w.@+-]+", "-", seed.lower()).strip("-") or "clinician")[:140]

    @classmethod
    def _username(cls, seed: str) -> str:
        User = get_user_model()
        base = cls._base(seed)
        name, n = base, 1
        while User.objects.filter(username=name).exists():
            n += 1
            name = f"{base}-{n}"
        return name
