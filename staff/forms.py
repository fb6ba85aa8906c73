from django import forms

from merchants.services import email_validate_unused, validate_identifier


class OnboardForm(forms.Form):
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
    contact_name = forms.CharField(
        label="Their first user’s full name",
        max_length=150,
        error_messages={"required": "Enter the person’s name."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label="Their first user’s email address",
        max_length=254,
        help_text="It becomes their username.",
        error_messages={
            "required": "Enter an email address.",
            "invalid": "Enter an email address in the form name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )

    def clean_identifier(self):
        return validate_identifier(self.cleaned_data["identifier"])

    def clean_email(self):
        return email_validate_unused(self.cleaned_data["email"])
