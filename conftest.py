def pytest_configure(config):
    # argon2 is the real hasher (test_login checks it with the production
    # list); other tests only need a signed-in user, so use a fast one.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
