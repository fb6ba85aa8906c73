from django import forms


class LinkForm(forms.Form):
    # Checked against the catalogue by the hand-off service, which says why it refuses.
    platform_key = forms.CharField(max_length=64)


class PasswordRecheckForm(forms.Form):
    """The logged-in person's own password, once more, before a change to a connection."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password isn’t right. Enter the password you log in with.")
        return password
