"""Merchants, the logins that belong to them, and the one-time sign-in links staff hand out."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Merchant(models.Model):
    name = models.CharField(max_length=200)
    # Stable, unique, may hold spaces and punctuation: what the POS calls this merchant.
    identifier = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("identifier"), name="merchant_identifier_ci_unique")
        ]

    def __str__(self):
        return f"{self.name} ({self.identifier})"


class Membership(models.Model):
    """Each user belongs to at most one merchant."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")

    def __str__(self):
        return f"{self.user} → {self.merchant}"


class SignInLink(models.Model):
    """A one-time way in for a merchant's user: it lets them set a password, once, before it expires.

    Only a SHA-256 of the token is kept; the token itself is shown once, to the
    staff member who issued it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True, help_text="Replaced by a newer link.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            # Issuing a link voids the older ones: at most one is ever open per user.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="one_open_sign_in_link_per_user",
            )
        ]

    def __str__(self):
        return f"Sign-in link {self.pk} for {self.user}"
