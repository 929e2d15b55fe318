"""Errors as JSON a person can act on: a code for programs, a message in
words, and the field that caused it.

Nothing from the request or the database is echoed back (a bad value could
be a client's name), and an unexpected failure says only that it happened:
its traceback goes to the log without any values.
"""

import logging
import traceback

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

log = logging.getLogger(__name__)
NO_TOKEN = "A valid API token is needed: send it in the Authorization header as “Bearer <token>”."


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers=None,
                 existing: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}
        self.existing = existing


class FieldError(Schema):
    field: str | None = None
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    errors: list[FieldError] = []
    # On a 409 "exists": the address of the record already there (only when the caller may see it),
    # so a sync script can update it instead of creating it again.
    existing: str | None = None


# Every endpoint can answer with these; declaring them keeps the schema honest.
COMMON = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
          429: ErrorOut}


def error_response(status, code, message, field=None, errors=None, headers=None, existing=None) -> JsonResponse:
    body = {"code": code, "message": message, "field": field, "errors": errors or []}
    if existing:
        body["existing"] = existing
    resp = JsonResponse(body, status=status)
    for k, v in (headers or {}).items():
        resp[k] = v
    return resp


def _field(loc) -> str | None:
    # loc is like ("body", "payload", "start") or ("query", "limit"): keep the caller's own name.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", "file", "payload")]
    return ".".join(parts) or None


def _words(err: dict) -> str:
    msg = err.get("msg", "is not valid")
    if err.get("type") == "missing":
        msg = "is required"
    return msg[0].lower() + msg[1:] if msg else msg


def install(api) -> None:
    @api.exception_handler(ApiError)
    def api_error(request, exc):
        return error_response(exc.status, exc.code, exc.message, exc.field, headers=exc.headers, existing=exc.existing)

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        errors = [{"field": _field(e.get("loc", ())), "message": _words(e)} for e in exc.errors]
        first = errors[0] if errors else {"field": None, "message": "is not valid"}
        where = f"“{first['field']}” " if first["field"] else "The request "
        return error_response(422, "invalid", f"{where}{first['message']}.", first["field"], errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return error_response(401, "no_token", NO_TOKEN, "Authorization", headers={"WWW-Authenticate": "Bearer"})

    @api.exception_handler(Http404)
    def not_found(request, exc):
        msg = str(exc) if str(exc).startswith("No ") else "Nothing here that you can see."
        return error_response(404, "not_found", msg)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return error_response(403, "forbidden", str(exc) or "Your role does not allow this.")

    @api.exception_handler(DjangoValidationError)
    def refused(request, exc):
        if hasattr(exc, "error_dict"):
            errors = [{"field": None if k == "__all__" else k, "message": m}
                      for k, msgs in exc.message_dict.items() for m in msgs]
        else:
            errors = [{"field": None, "message": m} for m in exc.messages]
        return error_response(409, "refused", " ".join(e["message"] for e in errors), errors[0]["field"], errors)

    @api.exception_handler(MultiPartParserError)
    def unreadable(request, exc):
        return error_response(400, "unreadable", "The upload could not be read: send it as multipart/form-data "
                              "with a boundary, as an HTTP library does for file uploads.")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return error_response(exc.status_code, "bad_request", str(exc))

    @api.exception_handler(Exception)
    def defect(request, exc):
        # A defect, not bad input: the type and where, never the values.
        log.error("API %s %s failed with %s\n%s", request.method, request.resolver_match.route
                  if request.resolver_match else "", exc.__class__.__name__,
                  "".join(traceback.format_tb(exc.__traceback__)))
        return error_response(500, "internal_error", "Something went wrong on our side, and what you sent was "
                              "not saved. Please try again; if it keeps happening, tell your administrator.")


def json_404(request, rest=""):
    """Unknown addresses under /api/v1/ answer in JSON too."""
    return error_response(404, "not_found", "There is no such address in the API; see /api/v1/docs.")
