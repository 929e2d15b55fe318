import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Serve the web app for a practice under gunicorn, with production settings (never Django's "
            "development server). Put it behind a reverse proxy that does HTTPS: see deploy/.")

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.getenv("STILLHERE_BIND", "127.0.0.1:8000"),
                            help="HOST:PORT to listen on (default 127.0.0.1:8000: only the proxy on this "
                                 "machine reaches it)")
        parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
        parser.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
        parser.add_argument("--timeout", type=int, default=60, help="seconds before a stuck request is ended")

    def handle(self, *args, bind, workers, threads, timeout, **opts):
        if settings.DEBUG:
            raise CommandError("DEBUG is on: its error pages show client data. Unset DEBUG to serve.")
        from gunicorn.app.base import BaseApplication

        from stillhere.wsgi import application, warm_tone_check

        options = {
            "bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread",
            "timeout": timeout, "graceful_timeout": 30,
            # Requests are logged by the proxy; gunicorn logs only its own
            # start, stop and errors. A request line would carry client URLs.
            "accesslog": None, "errorlog": "-", "loglevel": "info",
            "forwarded_allow_ips": "127.0.0.1,::1", "proc_name": "stillhere-web",
            "post_worker_init": lambda worker: warm_tone_check(),
        }

        class Server(BaseApplication):
            def load_config(self):
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        self.stdout.write(f"stillhere: serving on http://{bind}/ with {workers} x {threads} threads; "
                          "Ctrl-C or SIGTERM stops it")
        self.stdout.flush()
        Server().run()
