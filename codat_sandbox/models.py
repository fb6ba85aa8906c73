"""The sandbox's state, in the database so that every worker and process shares it."""

import uuid

from django.db import models


class SandboxCompany(models.Model):
    """What Codat creates on the first Sync Flow start for a merchant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    merchant_identifier = models.CharField(max_length=255, unique=True)
    commerce_key = models.CharField(max_length=16)
    accounting_key = models.CharField(max_length=16)
    created = models.DateTimeField(auto_now_add=True)
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "sandbox companies"

    def __str__(self):
        return self.merchant_identifier


class SyncFlowCode(models.Model):
    """A single-use Sync Flow code. Only its hash is kept."""

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, db_index=True)
    commerce_key = models.CharField(max_length=16)
    accounting_key = models.CharField(max_length=16)
    redirect_url = models.TextField(blank=True)
    issued_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when the code is accepted: lets that one browser press Finish.
    finish_token_hash = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)


class Fault(models.Model):
    """A deterministic misbehaviour for the next matching call(s)."""

    operation = models.CharField(
        max_length=64, help_text="An operationId, 'branding-image', or '*' for every call."
    )
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    retry_after = models.CharField(max_length=64, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    code_age = models.FloatField(null=True, blank=True, help_text="Seconds a minted code is already old.")
    body = models.TextField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body_size = models.PositiveIntegerField(null=True, blank=True)
    remaining = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: every call.")

    class Meta:
        ordering = ["id"]


class Call(models.Model):
    """Every call the sandbox answered, for tests and benchmarks to count."""

    operation = models.CharField(max_length=64, db_index=True)
    status = models.PositiveSmallIntegerField()
    path = models.CharField(max_length=500)
    at = models.DateTimeField(auto_now_add=True)
