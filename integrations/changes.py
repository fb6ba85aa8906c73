"""Who hears that a merchant's state changed: the logins kept in the shared cache (login_cache) and
staff's merchant list (staff.list_cache). Saves and deletes are heard through Django's model signals;
the services write snapshots, bindings and attempts with UPDATEs, which send none, so these models'
querysets send ``merchants_changed`` themselves.
"""

from django.conf import settings
from django.db import models
from django.dispatch import Signal

# Sent with ``merchant_ids``: the merchants concerned, or None when nobody asked which (only with a
# shared cache are they read: per-process caches keep nothing that could go stale).
merchants_changed = Signal()


class MerchantStateQuerySet(models.QuerySet):
    """For per-merchant rows: an UPDATE or DELETE through the queryset sends merchants_changed.

    ``merchant_field`` names the merchant's id (the primary key of a snapshot or binding); None
    spares the read (an attempt: no cached login holds it, and the merchant list needs no ids)."""

    merchant_field: str | None = "pk"

    def update(self, **kwargs):
        merchant_ids = self._merchant_ids()
        rows = super().update(**kwargs)
        if rows:
            merchants_changed.send(sender=self.model, merchant_ids=merchant_ids)
        return rows

    def delete(self):
        merchant_ids = self._merchant_ids()
        result = super().delete()
        merchants_changed.send(sender=self.model, merchant_ids=merchant_ids)
        return result

    def _merchant_ids(self) -> set | None:
        if self.merchant_field is None or not settings.SHARED_CACHE:
            return None
        return set(self.values_list(self.merchant_field, flat=True))


class AttemptQuerySet(MerchantStateQuerySet):
    merchant_field = None


def _state_saved(sender, instance, **kwargs):
    merchants_changed.send(sender=sender, merchant_ids={instance.merchant_id})


def _history_saved(sender, instance, **kwargs):
    merchants_changed.send(sender=sender, merchant_ids=None)


def connect_signals(*, state, history) -> None:
    """Saves and deletes send merchants_changed too: of ``state`` models (what a merchant page
    shows: snapshot, binding) naming the merchant; of ``history`` (attempts) naming none."""
    for signal in (models.signals.post_save, models.signals.post_delete):
        for model in state:
            signal.connect(_state_saved, sender=model, dispatch_uid=f"merchants_changed_{model.__name__}")
        for model in history:
            signal.connect(_history_saved, sender=model, dispatch_uid=f"merchants_changed_{model.__name__}")
