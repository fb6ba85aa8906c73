from django import forms
from django.contrib.auth.forms import SetPasswordForm


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
