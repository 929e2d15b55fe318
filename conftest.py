def pytest_configure(config):
    # argon2 is the real hasher (test_login checks it with the production
    # list); other tests only need a signed-in user, so use a fast one.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Test-only: lets Django empty the audit table between tests on SQLite,
    # past its append-only trigger (stillhere/audit/triggers.py). Never in production.
    settings.AUDIT_ALLOW_FLUSH_FOR_TESTS = True
