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


# --- the Sync Flow's settings (admin) ---------------------------------------------------------

# Codat's text keys are camelCase words joined by "-" (and one "=", sic, in Codat's docs).
TEXT_KEY = r"^[A-Za-z0-9][A-Za-z0-9_.=-]{0,199}$"


class SyncFlowTextForm(forms.Form):
    """One Sync Flow text: what Codat had when the page was shown, and what to do with it."""

    MODES = [("text", "Use this text"), ("default", "Reset to default"), ("nothing", "Show nothing")]

    key = forms.RegexField(regex=TEXT_KEY, widget=forms.HiddenInput)
    original = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    required = forms.BooleanField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(required=False, max_length=2000)
    mode = forms.ChoiceField(choices=MODES, initial="text", widget=forms.RadioSelect)

    def change(self) -> tuple[bool, str | None]:
        """(changed, what to send): a text, "" for nothing, None for Codat's default."""
        data = self.cleaned_data
        if data["mode"] == "default":
            return True, None
        new = "" if data["mode"] == "nothing" else data["text"]
        return new != data["original"], new


SyncFlowTextFormSet = forms.formset_factory(SyncFlowTextForm, extra=0, max_num=500, absolute_max=500)


class SyncFlowAccountsForm(forms.Form):
    """The account types to show; those Codat requires can only be on."""

    visible = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visible"].choices = [(account.key, account.name) for account in accounts]
        self.required_keys = {account.key: account.name for account in accounts if account.required}

    def clean_visible(self):
        visible = self.cleaned_data["visible"]
        missing = [name for key, name in self.required_keys.items() if key not in visible]
        if missing:
            raise forms.ValidationError(
                f"Codat requires these account types, so they cannot be hidden: {', '.join(missing)}."
            )
        return visible
