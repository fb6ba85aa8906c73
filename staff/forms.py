from django import forms

from integrations.services.sync_requests import DateRangeError, sync_range
from merchants.services import email_validate_unused, validate_identifier


class LoginForm(forms.Form):
    """Another login for an existing merchant: a person and their email address (their username)."""

    contact_name = forms.CharField(
        label="Their full name",
        max_length=150,
        error_messages={"required": "Enter the person’s name."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label="Their email address",
        max_length=254,
        help_text="It becomes their username. Each login has its own address.",
        error_messages={
            "required": "Enter an email address.",
            "invalid": "Enter an email address in the form name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )

    def clean_email(self):
        return email_validate_unused(self.cleaned_data["email"])


class OnboardForm(LoginForm):
    """A new merchant and its first login."""

    field_order = ["merchant_name", "identifier", "contact_name", "email"]
    merchant_name = forms.CharField(
        label="Merchant name",
        max_length=200,
        error_messages={"required": "Enter the merchant’s name."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Not stripped: validate_identifier says so rather than silently changing what Codat will receive.
    identifier = forms.CharField(
        label="Merchant identifier",
        strip=False,
        help_text="Sent to Codat to recognise this merchant; it can’t be changed later. "
        "Use the merchant’s ID in your POS. Spaces and punctuation are fine.",
        error_messages={"required": "Enter a merchant identifier."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_name"].label = "Their first user’s full name"
        self.fields["email"].label = "Their first user’s email address"
        self.fields["email"].help_text = "It becomes their username."

    def clean_identifier(self):
        return validate_identifier(self.cleaned_data["identifier"])


class SyncRequestForm(forms.Form):
    """Sync now: only the one-time token that makes a second submit of this form send nothing."""

    token = forms.UUIDField(widget=forms.HiddenInput, error_messages={"required": "", "invalid": ""})

    def clean(self):
        if self.errors.get("token"):
            # Hidden: not the user's mistake, so not a field error they could fix.
            del self.errors["token"]
            raise forms.ValidationError(
                "This form is out of date or incomplete: open it again from the merchant’s page.", code="token"
            )
        return super().clean()


class SyncRangeForm(SyncRequestForm):
    """Sync a date range: whole sync days, checked against Codat's rules (integrations' sync_range)."""

    start = forms.DateField(
        label="First day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter the first day to sync.", "invalid": "Enter the first day as a date, like 2025-05-01."},
    )
    finish = forms.DateField(
        label="Last day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter the last day to sync.", "invalid": "Enter the last day as a date, like 2025-05-07."},
    )

    def __init__(self, *args, standing, **kwargs):
        super().__init__(*args, **kwargs)
        self.standing = standing
        self.sync_range = None

    def clean(self):
        cleaned = super().clean()
        start, finish = cleaned.get("start"), cleaned.get("finish")
        if start is None or finish is None:
            return cleaned
        try:
            self.sync_range = sync_range(self.standing, first_day=start, last_day=finish)
        except DateRangeError as error:
            for field, message in error.problems.items():
                self.add_error(field, message)
        return cleaned
