"""The shared cast with an API token each, and a way to call the API as them."""

import json
from datetime import datetime, timedelta, timezone

from django.utils import timezone as dj_tz

from stillhere.api.models import ApiToken
from stillhere.outreach.models import OutreachStep, Sequence
from stillhere.test import BaseTestCase


def make_step(client, status, key="message", channel="email", position=1):
    episode = client.episodes.get()
    seq = Sequence.objects.filter(episode=episode, status=Sequence.Status.RUNNING).first() or Sequence.objects.create(
        practice=client.practice, client=client, episode=episode, anchor=dj_tz.now(), started=dj_tz.now())
    return OutreachStep.objects.create(
        sequence=seq, practice=client.practice, client=client, episode=episode, position=position, key=key,
        template=key, channel=channel, due=dj_tz.now() - timedelta(hours=1), status=status,
        subject="Checking in", body="Hi, I noticed we missed each other. The door is open; reply any time.")


class ApiTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.secrets = {}
        for who in ("alice", "bob", "dora", "adam", "cora", "charlie"):
            _, cls.secrets[who] = ApiToken.issue(getattr(cls, who), f"{who}'s script")
        revoked, cls.secrets["revoked"] = ApiToken.issue(cls.alice, "old script")
        revoked.revoked = datetime(2026, 1, 1, tzinfo=timezone.utc)
        revoked.save()
        cls.secrets["none"] = None

    def call(self, method, path, who, body=None, **headers):
        secret = self.secrets[who]
        if secret:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        kwargs = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method.lower())(f"/api/v1{path}", **kwargs, **headers)
