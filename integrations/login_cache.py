"""Logins kept in the shared cache, so a warm page costs no database query for who is asking.

A merchant page needs the login with its membership, merchant, Codat company and connection
snapshot (integrations.auth loads them in one query). That row changes rarely next to how often it
is read, so with a shared cache (Redis: every process and instance sees the same entries) it is
kept there, beside a per-login token:

* ``login:<id>`` holds (token, user): the user as loaded, its relations and, for a login without
  a merchant, its permissions;
* ``login-token:<id>`` holds the token. A write to anything the entry holds deletes the token
  once the write commits; the next read makes a new one, so the old entry no longer matches.

A reader takes the token before it queries, so an entry written from a row read before a write
carries the old token and is never served (the usual delete-then-set race). Both keys expire
after ENTRY_SECONDS, which bounds what a process that died between its commit and its delete
could leave behind. With per-process caches (local memory) nothing is kept: a write in one
process could not reach the others.

Writes are heard through signals for saves and deletes, and through MerchantStateQuerySet for
the UPDATEs the snapshot and binding services make (they never call save()).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from merchants.models import Membership, Merchant

ENTRY_SECONDS = 300


def _keys(user_id) -> tuple[str, str]:
    return f"login-token:{user_id}", f"login:{user_id}"


def cached_login(user_id, load: Callable[[], object | None]):
    """The login ``user_id`` from the shared cache, else ``load()`` (kept for the next request)."""
    if not settings.SHARED_CACHE:
        return load()
    token_key, entry_key = _keys(user_id)
    found = cache.get_many([token_key, entry_key])
    token, entry = found.get(token_key), found.get(entry_key)
    if token is not None and entry is not None and entry[0] == token:
        return entry[1]  # unpickled from the cache: this request's own copy
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(token_key, token, ENTRY_SECONDS):
            token = None  # another request made one meanwhile: it will fill the entry
    user = load()
    if user is not None and token is not None:
        if not getattr(user, "membership", None):
            user.get_all_permissions()  # staff and operators: their permissions travel with them
        cache.set(entry_key, (token, user), ENTRY_SECONDS)
    return user


def logins_changed(user_ids: Iterable) -> None:
    """Forget these logins' entries once the current transaction commits (at once outside one)."""
    keys = [_keys(user_id)[0] for user_id in set(user_ids)]
    if keys and settings.SHARED_CACHE:
        transaction.on_commit(lambda: cache.delete_many(keys))


def merchants_changed(merchant_ids: Iterable) -> None:
    """Forget the entries of every login of these merchants."""
    merchant_ids = set(merchant_ids)
    if merchant_ids and settings.SHARED_CACHE:
        logins_changed(Membership.objects.filter(merchant_id__in=merchant_ids).values_list("user_id", flat=True))


class MerchantStateQuerySet(models.QuerySet):
    """For per-merchant rows whose primary key is the merchant's (snapshot, company binding):
    an UPDATE or DELETE through the queryset forgets those merchants' logins too."""

    def update(self, **kwargs):
        merchant_ids = self._merchant_ids()
        rows = super().update(**kwargs)
        if rows:
            merchants_changed(merchant_ids)
        return rows

    def delete(self):
        merchants_changed(self._merchant_ids())
        return super().delete()

    def _merchant_ids(self) -> list:
        return list(self.values_list("pk", flat=True)) if settings.SHARED_CACHE else []


# --- what a login's entry holds, written through save() and delete() ------------------------


def _user_saved(sender, instance, **kwargs):
    logins_changed([instance.pk])


def _membership_saved(sender, instance, **kwargs):
    logins_changed([instance.user_id])


def _merchant_saved(sender, instance, **kwargs):
    merchants_changed([instance.pk])


def _merchant_state_saved(sender, instance, **kwargs):
    merchants_changed([instance.pk])


def _permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A login's groups or permissions, or a group's members or permissions, from either side.
    Before and after the change: a clear() names no keys, so who was concerned is read first."""
    User = get_user_model()
    named = set(pk_set or ())
    if sender is Group.permissions.through:
        groups = named if reverse else {instance.pk}
        users = set(User.objects.filter(groups__in=groups).values_list("pk", flat=True))
    elif reverse:  # a group's members, or a permission's users
        users = named | set(sender.objects.filter(**{_other_side(sender, User): instance.pk})
                            .values_list("user_id", flat=True))
    else:
        users = {instance.pk}
    logins_changed(users)


def _other_side(through, User) -> str:
    return "group_id" if through is User.groups.through else "permission_id"


def _group_deleted(sender, instance, **kwargs):
    logins_changed(get_user_model().objects.filter(groups=instance).values_list("pk", flat=True))


def connect_signals(merchant_state_models) -> None:
    """Called once from IntegrationsConfig.ready()."""
    User = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(_user_saved, sender=User, dispatch_uid="login_cache_user")
        signal.connect(_membership_saved, sender=Membership, dispatch_uid="login_cache_membership")
        signal.connect(_merchant_saved, sender=Merchant, dispatch_uid="login_cache_merchant")
        for model in merchant_state_models:
            signal.connect(_merchant_state_saved, sender=model, dispatch_uid=f"login_cache_{model.__name__}")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_permissions_changed, sender=through, dispatch_uid=f"login_cache_{through.__name__}")
    pre_delete.connect(_group_deleted, sender=Group, dispatch_uid="login_cache_group")
