"""Import pages: upload, preview, check or import with a progress bar, report.

Only a director or admin imports (an import writes practice-wide data); an
import run belongs to its practice, and another practice's run is a 404.
"""

from functools import wraps

from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stillhere.accounts.decorators import member_required
from stillhere.accounts.models import Membership
from stillhere.audit.events import ImportPreviewed, record
from stillhere.clients.models import Appointment

from . import uploads
from .forms import CsvUploadForm, FhirUploadForm, IcsUploadForm
from .models import ImportRun


def importer_required(view):
    @member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.sees_whole_practice:
            return HttpResponseForbidden("Only a practice admin or clinical director can import data.")
        return view(request, *args, **kwargs)

    return wrapper


def _clinicians(practice):
    ms = Membership.objects.filter(practice=practice, role=Membership.Role.CLINICIAN).select_related("user")
    return [(m.user.email, f"{m.name} <{m.user.email}>") for m in ms if m.user.email]


def _run(request, code) -> ImportRun:
    try:
        return ImportRun.objects.select_related("practice").get(code=code, practice=request.membership.practice)
    except (ImportRun.DoesNotExist, ValueError):
        raise Http404("No such import.")


@importer_required
def start(request):
    m = request.membership
    forms = {"csv": CsvUploadForm(prefix="csv"), "fhir": FhirUploadForm(prefix="fhir"),
             "ics": IcsUploadForm(prefix="ics", clinicians=_clinicians(m.practice))}
    if request.method == "POST":
        kind = request.POST.get("kind")
        if kind not in forms:
            raise Http404
        cls = type(forms[kind])
        extra = {"clinicians": _clinicians(m.practice)} if kind == "ics" else {}
        form = forms[kind] = cls(request.POST, request.FILES, prefix=kind, **extra)
        if form.is_valid():
            run = ImportRun.objects.create(practice=m.practice, created_by=request.user, kind=kind)
            run.options = _store(run, kind, form, request.FILES.getlist(f"{kind}-files"))
            run.save(update_fields=["options"])
            return redirect("ingest:run", code=run.code)
    uploads.housekeeping()
    recent = ImportRun.objects.filter(practice=m.practice)[:10]
    return render(request, "ingest/start.html", {"forms": forms, "recent": recent})


def _store(run, kind, form, fhir_files) -> dict:
    files, names = {}, {}
    if kind == "fhir":
        target = uploads.folder(run) / "fhir"
        target.mkdir(exist_ok=True, mode=0o700)
        for f in fhir_files:
            stored = uploads.save(run, "fhir", f)
            (uploads.folder(run) / stored).rename(target / stored.removeprefix("fhir-"))
        return {"files": {}, "names": {}}
    for role in ("appointments", "clients", "measures", "mapping", "calendar"):
        f = form.cleaned_data.get(role)
        if f:
            files[role] = uploads.save(run, role, f)
            names[role] = f.name[:100]
    options = {"files": files, "names": names}
    for key in ("preset", "clinician", "client_from", "pattern"):
        if form.cleaned_data.get(key):
            options[key] = form.cleaned_data[key]
    return options


@importer_required
def run_page(request, code):
    run = _run(request, code)
    if uploads.settle_abandoned(run):
        run.refresh_from_db()
    rows, found = ([], None)
    if run.status in (ImportRun.Status.UPLOADED, ImportRun.Status.CHECKED):
        rows, found = uploads.preview(run)
        labels = dict(Appointment.Status.choices)
        for r in rows:
            r["status_label"] = labels.get(r["status"], r["status"])
        # The preview shows clients' names from the file: say which of the
        # practice's clients it showed (those already here), and how many rows.
        from stillhere.clients.models import Client

        ext = {str(r.get("client", "")) for r in rows} - {""}
        known = Client.objects.filter(practice=run.practice).with_record_numbers(ext).values_list("pk", flat=True)
        record(ImportPreviewed(practice=run.practice, actor=request.user, run=run, rows=len(rows),
                               clients=list(known)))
    return render(request, "ingest/run.html", {"run": run, "rows": rows, "found": found,
                                               "tz": run.practice.tz, "progress": uploads.progress(run)})


@require_POST
@importer_required
def begin(request, code):
    run = _run(request, code)
    uploads.start(run, dry_run=request.POST.get("dry_run") == "1")
    run.refresh_from_db()
    return render(request, "ingest/progress.html", {"run": run, "progress": uploads.progress(run)})


@importer_required
def progress(request, code):
    run = _run(request, code)
    if uploads.settle_abandoned(run):
        run.refresh_from_db()
    return render(request, "ingest/progress.html", {"run": run, "progress": uploads.progress(run)})
