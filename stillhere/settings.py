"""Settings for stillhere, driven by the environment.

One settings module serves the laptop, the group practice and CI: SQLite under
STILLHERE_DATA_DIR unless DATABASE_URL names another database.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

from stillhere.lib.paths import data_dir

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


DATA_DIR = data_dir()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a random key kept in the data dir.

    Generating it once and keeping it (mode 0600) means a solo therapist never
    has to handle a secret, and sessions survive restarts. It never enters git.
    """
    key = os.getenv("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        from stillhere.lib.private import write_private

        write_private(path, secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", "False")
ALLOWED_HOSTS = os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "stillhere.accounts",
    "stillhere.clients",
    "stillhere.audit",
    "stillhere.engagement",
    "stillhere.measures",
    "stillhere.risk",
    "stillhere.outreach",
    "stillhere.reflection",
    "stillhere.analytics",
    "stillhere.desk",
    "stillhere.simulator",
    "stillhere.ingest",
    "stillhere.worker",
    "stillhere.api",
    "ninja",  # after stillhere.api, whose templates/ninja/ dresses the docs page; serves Swagger UI locally
    "stillhere.security",
    "stillhere.practice",
    # Sign-in security (issue 17): throttling, the second step, the CSP header.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "stillhere.security.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "stillhere.accounts.middleware.MembershipMiddleware",
    "stillhere.accounts.twostep.TwoStepMiddleware",
    "stillhere.security.middleware.RefuseNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "stillhere.urls"
WSGI_APPLICATION = "stillhere.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "stillhere" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stillhere.outreach.views.outbox_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{DATA_DIR / 'stillhere.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", "0"),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The database file is created 0600 before SQLite first opens it, so it
    # (and its -wal and -shm files, which SQLite gives the same mode) is the
    # service account's only.
    _name = str(DATABASES["default"].get("NAME") or "")
    if _name and _name != ":memory:" and not _name.startswith("file:") and Path(_name).parent.is_dir():
        from stillhere.lib.private import create_private_file

        create_private_file(Path(_name))
    # WAL lets the web app read while a scan or import writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
if os.getenv("TEST_DB_NAME"):
    # Lets several test runs share one PostgreSQL server without colliding.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DB_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# argon2 first: new and upgraded passwords are hashed with it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "engagement:inbox"
LOGOUT_REDIRECT_URL = "login"
# Invitation and forgot-password links work once, for this long.
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", str(3 * 86400))

# Sessions end after a working day of inactivity, and with the browser.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "False")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind the HTTPS reverse proxy of deploy/ (SECURE_COOKIES=True): trust its
# X-Forwarded-Proto, which only it can set (gunicorn listens on loopback),
# and tell browsers to use HTTPS only, for HSTS_SECONDS.
if SESSION_COOKIE_SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS is on whenever cookies are secure (a year unless HSTS_SECONDS says
# otherwise; HSTS_SECONDS=0 turns it off), off on plain-http laptops.
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", "31536000" if SESSION_COOKIE_SECURE else "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", "False")
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"  # stored times are UTC; each practice displays in its own zone
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "stillhere" / "static"]
# Serve static files straight from the package: nothing to collect for a laptop install.
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No client data in logs: exception messages withheld, query strings cut
    # (stillhere/lib/redact.py), for our loggers and Django's access log alike.
    "formatters": {"redacted": {"()": "stillhere.lib.redact.RedactingFormatter",
                                "format": "%(levelname)s %(name)s %(message)s"},
                   "server": {"()": "stillhere.lib.redact.RedactingFormatter", "format": "[%(asctime)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "redacted"},
                 "server": {"class": "logging.StreamHandler", "formatter": "server"}},
    "loggers": {"django.server": {"handlers": ["server"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}

# Outreach (stillhere/outreach, stillhere/channels). Each channel is enabled
# by its settings; without them its transport fails with a clear message.
# Days a web import keeps its report (problems by row and column), then purged.
IMPORT_REPORT_DAYS = envint("IMPORT_REPORT_DAYS", "30")
# Stored risk scores are kept as changes (risk/history.py); changes older than
# this are removed by the worker's daily housekeeping, except each episode's
# and appointment's newest score.
SCORE_HISTORY_DAYS = envint("SCORE_HISTORY_DAYS", "730")
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000")
# Fernet keys for client data encrypted at rest (contact details, notes,
# drafts, replies, letters, import reports, reflections), newest first;
# empty: one derived from SECRET_KEY. See stillhere/lib/crypto.py.
FIELD_ENCRYPTION_KEYS = [k for k in os.getenv("FIELD_ENCRYPTION_KEYS", "").split(",") if k.strip()]
# Key for the blind indexes (keyed digests an SMS reply's number is matched
# on); empty: derived from SECRET_KEY. After changing it run `rotatekeys`.
BLIND_INDEX_KEY = os.getenv("BLIND_INDEX_KEY", "")
# SMTP unless told otherwise; `make demo` chooses the local outbox
# (stillhere.channels.outbox.EmailBackend, SMS_PROVIDER=outbox).
EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "stillhere@localhost")
EMAIL_MESSAGE_ID_DOMAIN = os.getenv("EMAIL_MESSAGE_ID_DOMAIN", "stillhere.invalid")
REPLY_EMAIL_ADDRESS = os.getenv("REPLY_EMAIL_ADDRESS", "")     # e.g. replies@in.example.org (+tag per message)
INBOUND_EMAIL_SECRET = os.getenv("INBOUND_EMAIL_SECRET", "")   # HMAC key for the inbound email webhook
SMS_PROVIDER = os.getenv("SMS_PROVIDER", "twilio")   # or "outbox": texts kept in the local outbox
TWILIO_ACCOUNT = os.getenv("TWILIO_ACCOUNT", "")
TWILIO_AUTH = os.getenv("TWILIO_AUTH", "")
TWILIO_FROM = os.getenv("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = os.getenv("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_URL = os.getenv("TWILIO_API_URL", "https://api.twilio.com")

# Error pages in plain words (stillhere/templates/403.html, 404.html, 500.html).
CSRF_FAILURE_VIEW = "stillhere.lib.errors.csrf_failure"

# The REST API (stillhere/api). Requests per token per minute; webhooks go
# to https:// addresses only, plain http to this machine only where allowed.
API_RATE_LIMIT = envint("API_RATE_LIMIT", "600")
WEBHOOK_ALLOW_HTTP_LOOPBACK = envbool("WEBHOOK_ALLOW_HTTP_LOOPBACK", "False")

# Sign-in security (issue 17; stillhere/accounts/signin.py, twostep.py).
# django-axes: after AXES_FAILURE_LIMIT wrong passwords for one sign-in name
# from one address, that pair is refused for AXES_COOLOFF_MINUTES (every further
# try restarts the wait); an admin can lift it sooner (admin "Access attempts",
# or `stillhere axes_reset`). The sign-in page says so in words.
AUTHENTICATION_BACKENDS = [
    "stillhere.accounts.signin.ThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = __import__("datetime").timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "stillhere.accounts.signin.lockout_response"
AXES_USERNAME_CALLABLE = "stillhere.accounts.signin.attempted_username"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "code"]
AXES_CLIENT_IP_CALLABLE = "stillhere.accounts.signin.client_address"
# django-otp: the second step. Directors and admins must use one; a practice
# may require it of everyone (Practice.require_two_step).
OTP_TOTP_ISSUER = os.getenv("OTP_TOTP_ISSUER", "stillhere")

# Content-Security-Policy (django-csp): scripts and styles from our own
# static files only (htmx is vendored), no inline code, no framing.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],   # data: for the sign-in QR code drawn as SVG
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
