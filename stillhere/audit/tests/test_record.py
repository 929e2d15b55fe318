import inspect
from pathlib import Path

from stillhere.audit import events
from stillhere.audit.models import AppendOnlyError, AuditEvent
from stillhere.test import BaseTestCase

DOCS = Path(__file__).resolve().parents[3] / "docs" / "audit.md"


class RecordTestCase(BaseTestCase):
    def test_it_stores_an_event_with_actor_and_client(self):
        e = events.record(events.ClientViewed(practice=self.riverside, actor=self.alice.user, client=self.ana))
        self.assertEqual((e.verb, e.target_type, e.target_id), ("client-viewed", "client", str(self.ana.pk)))

    def test_events_cannot_be_changed_or_deleted(self):
        e = events.record(events.ClientViewed(practice=self.riverside, actor=self.alice.user, client=self.ana))
        e.verb = "something-else"
        with self.assertRaises(AppendOnlyError):
            e.save()
        with self.assertRaises(AppendOnlyError):
            e.delete()
        self.assertEqual(AuditEvent.objects.get(pk=e.pk).verb, "client-viewed")


def test_every_event_has_a_docstring_and_is_documented():
    text = DOCS.read_text()
    for cls in events.EVENTS:
        assert inspect.getdoc(cls), cls
        assert f"name: {cls.name}" in cls.__doc__, cls
        assert f"`{cls.name}`" in text, f"{cls.name} missing from docs/audit.md"


def test_every_event_class_is_registered():
    found = {c for c in vars(events).values()
             if inspect.isclass(c) and issubclass(c, events.Event) and c is not events.Event}
    assert found == set(events.EVENTS)
