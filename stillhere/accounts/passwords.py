"""Signing in, forgetting a password and setting one from an emailed link.

Django's own views do the work (tokens that expire after
PASSWORD_RESET_TIMEOUT and die once used); these subclasses add the audit
rows, let an invited colleague who lost their invitation ask again, and say
in words what went wrong at sign-in. Throttling and a second factor are the
security helper's (issue 17) and wrap these views, not replace them.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.urls import reverse_lazy

from stillhere.audit.events import PasswordResetRequested, PasswordSet, record

User = get_user_model()


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "That sign-in name and password do not match an account. Check both (passwords are "
                         "case-sensitive) and try again, or use “Forgot your password?”.",
        "inactive": "This account has been deactivated. Ask your practice's director or admin.",
    }

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username and password:
            # A deactivated account fails authenticate() like a wrong password;
            # with the right password, saying why is no leak.
            user = User.objects.filter(username__iexact=username.strip(), is_active=False).first()
            if user and user.check_password(password):
                raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
        return super().clean()


class SignInView(auth_views.LoginView):
    form_class = SignInForm

    def get_context_data(self, **kwargs):
        from stillhere.practice.first_run import is_empty

        return super().get_context_data(**kwargs) | {"first_run": is_empty()}


class ForgotForm(PasswordResetForm):
    email = forms.EmailField(label="Your email address", max_length=254,
                             error_messages={"invalid": "That is not an email address; check for a typo.",
                                             "required": "Enter the email address you sign in with."})

    def get_users(self, email):
        """Active accounts with this address, including a colleague invited
        but not yet signed in (no usable password yet)."""
        return (u for u in User.objects.filter(email__iexact=email, is_active=True))


class ForgotView(auth_views.PasswordResetView):
    form_class = ForgotForm
    template_name = "registration/forgot.html"
    email_template_name = "registration/forgot_email.txt"
    subject_template_name = "registration/forgot_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_extra_email_context(self):
        return {"timeout_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}

    @property
    def extra_email_context(self):
        return self.get_extra_email_context()

    def form_valid(self, form):
        users = list(form.get_users(form.cleaned_data["email"]))
        for u in users:
            m = u.memberships.select_related("practice").first()
            if m:
                record(PasswordResetRequested(practice=m.practice, actor=None, sent=True))
        return super().form_valid(form)


class ForgotDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/forgot_done.html"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "registration/set_password.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("engagement:inbox")

    def form_valid(self, form):
        response = super().form_valid(form)
        m = form.user.memberships.select_related("practice").first()
        if m:
            record(PasswordSet(practice=m.practice, actor=form.user))
        return response
