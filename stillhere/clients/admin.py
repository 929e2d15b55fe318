from django.contrib import admin
from django.contrib.admin.utils import unquote

from .models import Appointment, Client, Episode, SessionMarker


def _owner(obj) -> tuple[int | None, int | None]:
    """(practice id, client id) of a row of client data."""
    if isinstance(obj, Client):
        return obj.practice_id, obj.pk
    if getattr(obj, "client_id", None) is not None:
        return getattr(obj, "practice_id", None) or obj.client.practice_id, obj.client_id
    for link in ("episode", "appointment"):
        related = getattr(obj, link, None)
        if related is not None:
            return _owner(related)
    return None, None


def audit_admin_view(request, model, objs, object_id="") -> None:
    """One `admin-viewed` event per practice whose clients the page showed."""
    from stillhere.accounts.models import Practice
    from stillhere.audit.events import AdminViewed, record

    by_practice: dict = {}
    for obj in objs:
        practice_id, client_id = _owner(obj)
        if practice_id is not None:
            by_practice.setdefault(practice_id, set()).add(client_id)
    label = model._meta.label_lower
    for practice in Practice.objects.filter(pk__in=by_practice):
        ids = sorted(i for i in by_practice[practice.pk] if i is not None)
        record(AdminViewed(practice=practice, actor=request.user, model=label, object_id=str(object_id),
                           client=Client(pk=ids[0]) if object_id and len(ids) == 1 else None, clients=ids))


class ClientDataAdmin(admin.ModelAdmin):
    """A Django admin page over client data audits what it showed, as the app's own pages do."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None:
            audit_admin_view(request, self.model, list(cl.result_list))
        return response

    def _audit_one(self, request, object_id, response):
        if getattr(response, "status_code", 0) == 200 and object_id:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                audit_admin_view(request, self.model, [obj], object_id=object_id)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._audit_one(request, object_id, super().change_view(request, object_id, form_url, extra_context))

    def history_view(self, request, object_id, extra_context=None):
        return self._audit_one(request, object_id, super().history_view(request, object_id, extra_context))

    def delete_view(self, request, object_id, extra_context=None):
        return self._audit_one(request, object_id, super().delete_view(request, object_id, extra_context))


@admin.register(Client)
class ClientAdmin(ClientDataAdmin):
    """Searched by name or record number through the name index (the columns
    are encrypted, so the admin's own LIKE search would find nothing), and
    not sortable by them (sorting ciphertext orders nothing)."""

    list_display = ("external_id", "practice")
    search_fields = ("external_id",)  # shows the search box; get_search_results answers it
    sortable_by = ("practice",)
    search_help_text = "Find a client by the beginning of a name, or by their whole record number."

    def get_search_results(self, request, queryset, search_term):
        from .name_index import matches, matching_clients, query_words

        words = query_words(search_term[:200])
        if not words:
            return queryset, False
        where = matching_clients(None, words, whole=search_term)
        rows = queryset.filter(where) if where is not None else queryset
        ids = [pk for pk, *names in rows.values_list("id", "first_name", "last_name", "preferred_name",
                                                     "external_id").iterator(chunk_size=2000)
               if matches(words, *names, whole=search_term)]
        return queryset.filter(pk__in=ids), False


admin.site.register(Episode, ClientDataAdmin)
admin.site.register(Appointment, ClientDataAdmin)
admin.site.register(SessionMarker, ClientDataAdmin)
