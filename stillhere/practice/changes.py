"""Save a settings form and audit what changed, old and new, in one place."""

from stillhere.audit.events import SettingsChanged, record


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def save_audited(request, section: str, objects_and_fields) -> dict:
    """`objects_and_fields` is [(model instance, {field: new value}), ...].
    Each instance is saved only if a value differs; one audit row names every
    changed field with its old and new value. Returns the changes."""
    changes = {}
    for obj, values in objects_and_fields:
        dirty = []
        for name, new in values.items():
            old = getattr(obj, name)
            if old != new:
                changes[name] = [_plain(old), _plain(new)]
                setattr(obj, name, new)
                dirty.append(name)
        if dirty:
            obj.save(update_fields=dirty)
    if changes:
        record(SettingsChanged(practice=request.membership.practice, actor=request.user, section=section,
                               changes=changes))
    return changes
