from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

from .models import Membership


class ChoosePasswordForm(SetPasswordForm):
    """Django's form (and so AUTH_PASSWORD_VALIDATORS), with plainer labels."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Type it again"
        self.fields["new_password1"].error_messages["required"] = "Choose a password."
        self.fields["new_password2"].error_messages["required"] = "Type your password again."

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        # A weak password is a problem with the password itself, not with its confirmation.
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)


class MerchantPasswordResetForm(PasswordResetForm):
    """Django's reset by email, for merchants' logins only, sent by the task worker.

    Staff and operators never get a reset link from the public page (as sign-in links are
    never issued for them): an inbox would otherwise be a way into an account that can act
    for every merchant. The answer page is the same whatever the address, so it tells no one
    who has an account.
    """

    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        error_messages={"required": "Enter your email address.", "invalid": "Enter an email address like name@example.com."},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email):
        for user in super().get_users(email):
            if not (user.is_staff or user.is_superuser) and Membership.objects.filter(user=user).exists():
                yield user

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None):
        # Email is background work; the token is made by the worker, so no secret waits in the queue.
        from .tasks import send_password_reset_email

        send_password_reset_email.enqueue(user_id=context["user"].pk, origin=f"{context['protocol']}://{context['domain']}")
