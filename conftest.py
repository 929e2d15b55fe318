def pytest_configure(config):
    # argon2 is the real hasher (test_login checks it with the production
    # list); other tests only need a signed-in user, so use a fast one.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Test-only: lets Django empty the audit table between tests on SQLite,
    # past its append-only trigger (stillhere/audit/triggers.py). Never in production.
    settings.AUDIT_ALLOW_FLUSH_FOR_TESTS = True


def pytest_sessionstart(session):
    # force_login() signs a person in as a real sign-in ends: a director or
    # admin (or anyone with a second step) has passed the second step too.
    # The step itself is tested through its pages (stillhere/security/tests).
    from django.test import client as test_client

    original = test_client.ClientMixin.force_login
    if getattr(original, "_second_step", False):
        return

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from stillhere.security.testing import force_login_verified

        force_login_verified(self, user)

    force_login._second_step = True
    test_client.ClientMixin.force_login = force_login
