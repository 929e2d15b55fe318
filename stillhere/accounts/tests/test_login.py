from django.contrib.auth import get_user_model
from django.test import override_settings

from stillhere import settings as production
from stillhere.test import PASSWORD, BaseTestCase


@override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS)
class LoginTestCase(BaseTestCase):
    def test_it_stores_new_passwords_with_argon2_and_signs_in(self):
        user = get_user_model().objects.create_user("erin", "erin@example.org", PASSWORD)
        self.assertTrue(user.password.startswith("argon2$"))
        self.alice.practice.members.create(user=user, role="clinician")
        r = self.client.post("/login/", {"username": "erin", "password": PASSWORD})
        self.assertRedirects(r, "/")
        self.assertContains(self.client.get("/"), "Riverside Practice")

    def test_it_rejects_a_wrong_password_with_a_clear_message(self):
        r = self.client.post("/login/", {"username": "alice", "password": "nope"})
        self.assertContains(r, "do not match", status_code=200)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_anonymous_visitors_are_sent_to_sign_in(self):
        r = self.client.get("/")
        self.assertRedirects(r, "/login/?next=/")

    def test_sign_out_ends_the_session(self):
        self.login(self.alice)
        self.client.post("/logout/")
        self.assertRedirects(self.client.get("/"), "/login/?next=/")

    def test_a_user_without_a_practice_is_refused(self):
        get_user_model().objects.create_user("drifter", "d@example.org", PASSWORD)
        self.client.login(username="drifter", password=PASSWORD)
        self.assertEqual(self.client.get("/").status_code, 403)
