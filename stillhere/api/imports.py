"""/imports: upload CSV files, FHIR R4 files or a calendar (.ics), poll
progress, read the report. The same import run as the web upload page: one transaction, nothing written when a
row is bad, a report with each problem's file, line, column and reason."""

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from ninja import File, Form, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from stillhere.ingest import uploads
from stillhere.ingest.forms import CsvUploadForm, FhirUploadForm, IcsUploadForm
from stillhere.ingest.models import ImportRun
from stillhere.ingest.views import _clinicians, _store

from .errors import COMMON, ApiError
from .idempotency import idempotent
from .schemas import ImportOut

router = Router(tags=["imports"])


def _importer(m):
    if not m.sees_whole_practice:
        raise PermissionDenied("Only a practice admin or clinical director can import data.")


def _out(run) -> dict:
    return {"id": run.code, "kind": run.kind, "status": run.status, "dry_run": run.dry_run,
            "progress": 1.0 if run.finished else uploads.progress(run), "created": run.created,
            "finished": run.finished, "report": run.report}


@router.post("/imports", response={202: ImportOut, **COMMON}, summary="Upload CSV files and start the import")
@idempotent
def start_import(request, appointments: File[UploadedFile], clients: File[UploadedFile] = None,
                 measures: File[UploadedFile] = None, preset: Form[str] = "", dry_run: Form[bool] = False):
    m = request.membership
    _importer(m)
    files = {k: v for k, v in (("appointments", appointments), ("clients", clients), ("measures", measures)) if v}
    form = CsvUploadForm({"preset": preset}, files)
    if not form.is_valid():
        field, msgs = next(iter(form.errors.items()))
        raise ApiError(422, "invalid", f"{field}: {' '.join(msgs)}", field)
    run = ImportRun.objects.create(practice=m.practice, created_by=request.user, kind=ImportRun.Kind.CSV)
    run.options = _store(run, "csv", form, [])
    run.save(update_fields=["options"])
    transaction.on_commit(lambda: uploads.start(run, dry_run=dry_run))
    return Status(202, ImportOut(**_out(run)))


def _begin(request, kind: str, form, fhir_files=(), dry_run: bool = False):
    """Validate as the web page does, store the files, start the run once committed."""
    m = request.membership
    if not form.is_valid():
        field, msgs = next(iter(form.errors.items()))
        raise ApiError(422, "invalid", f"{field}: {' '.join(msgs)}", field)
    run = ImportRun.objects.create(practice=m.practice, created_by=request.user, kind=kind)
    run.options = _store(run, kind, form, list(fhir_files))
    run.save(update_fields=["options"])
    transaction.on_commit(lambda: uploads.start(run, dry_run=dry_run))
    return Status(202, ImportOut(**_out(run)))


@router.post("/imports/fhir", response={202: ImportOut, **COMMON},
             summary="Upload FHIR R4 files (Bundle .json or bulk .ndjson) and start the import")
@idempotent
def start_fhir_import(request, files: File[list[UploadedFile]], dry_run: Form[bool] = False):
    _importer(request.membership)
    form = FhirUploadForm(data={}, files=_multi("files", files))   # the form's field reads a list
    return _begin(request, ImportRun.Kind.FHIR, form, files, dry_run)


@router.post("/imports/calendar", response={202: ImportOut, **COMMON},
             summary="Upload one clinician's calendar (.ics) and start the import")
@idempotent
def start_calendar_import(request, calendar: File[UploadedFile], clinician: Form[str],
                          client_from: Form[str] = "attendee", pattern: Form[str] = "",
                          dry_run: Form[bool] = False):
    """`clinician` is the email of the clinician whose calendar it is;
    `client_from` says where each event names its client: `attendee` (the
    invited guest, else the title), `summary` (the title) or `description`."""
    m = request.membership
    _importer(m)
    form = IcsUploadForm({"clinician": clinician, "client_from": client_from, "pattern": pattern},
                         {"calendar": calendar}, clinicians=_clinicians(m.practice))
    return _begin(request, ImportRun.Kind.ICS, form, (), dry_run)


def _multi(key, files):
    from django.utils.datastructures import MultiValueDict

    return MultiValueDict({key: list(files)})


@router.get("/imports/{code}", response={200: ImportOut, **COMMON}, summary="An import's progress and report")
def get_import(request, code: UUID):
    m = request.membership
    _importer(m)
    run = ImportRun.objects.filter(code=code, practice=m.practice).first()
    if run is None:
        raise Http404("No such import.")
    return _out(run)
