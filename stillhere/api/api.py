"""The API object: /api/v1/, its routers, auth, errors and docs."""

from functools import partial

from ninja import NinjaAPI, Swagger
from ninja.openapi.views import openapi_view

from stillhere.accounts.decorators import member_required

from . import appointments, clients, consultation, episodes, errors, imports, measures, outreach, scans, webhooks_api
from .auth import TokenAuth

DESCRIPTION = """\
The same data and actions as the stillhere web app, for an EHR, a telehealth
platform or a practice manager's script.

**Sign in** with an API token: make one on your *API tokens* settings page
(an admin can make a service token for an integration) and send it as
`Authorization: Bearer <token>`. A token sees exactly what its member sees on
the web: a clinician their own caseload, a director or admin the practice, a
consultant nothing that identifies a client. Every read and write of client
data is recorded in the practice's audit trail.

**Creating requests** (POST) accept an `Idempotency-Key` header: send the same
key again and you get the first answer back, with nothing created twice.

**Errors** are JSON: `code` (for programs), `message` (in words) and `field`
(what caused it, when one field did).

**Pages**: lists return `next_cursor`; pass it back as `cursor` for the next page.
"""

api = NinjaAPI(title="stillhere API", version="1", description=DESCRIPTION, auth=TokenAuth(),
               urls_namespace="api", docs_url="/docs", openapi_url="/openapi.json",
               # The operations are the page; the schema list below them only repeats them.
               docs=Swagger(settings={"defaultModelsExpandDepth": -1, "persistAuthorization": False}))
# The schema is public (it names no one); the docs page, which can send
# requests with a token, is for signed-in staff (urls.py puts it first).
docs_page = member_required(partial(openapi_view, api=api))
errors.install(api)
for module in (clients, episodes, appointments, measures, outreach, imports, scans, webhooks_api, consultation):
    api.add_router("/", module.router)
