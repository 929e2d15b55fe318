"""The web app for a WSGI server (gunicorn through `stillhere serve`)."""

import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
application = get_wsgi_application()


def warm_tone_check() -> None:
    """Load the tone check's model in the background (from the data folder,
    or trained and stored there the first time: a few seconds), so the first
    clinician to open the composer does not wait for it. Called in each
    server process once it runs (gunicorn's post_worker_init): a thread
    started before the fork would leave its import locks held in the child."""

    def train():
        from stillhere.outreach import tone_model

        tone_model.model()

    threading.Thread(target=train, name="warm-tone-check", daemon=True).start()
