from django import forms


class LinkForm(forms.Form):
    # Checked against the catalogue by the hand-off service, which says why it refuses.
    platform_key = forms.CharField(max_length=64)
