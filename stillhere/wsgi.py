"""The web app for a WSGI server (gunicorn through `stillhere serve`)."""

import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
application = get_wsgi_application()


def _warm_tone_check() -> None:
    # The tone check's model trains on first use (a few seconds); do it while the server starts so the
    # first clinician to open the composer does not wait for it.
    from stillhere.outreach import tone_model

    tone_model.model()


threading.Thread(target=_warm_tone_check, name="warm-tone-check", daemon=True).start()
