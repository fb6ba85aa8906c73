"""Logins kept in the shared cache, so a warm page costs no database query for who is asking.

A merchant page needs the login with its membership, merchant, Codat company and connection
snapshot (integrations.auth loads them in one query). That row changes rarely next to how often it
is read, so with a shared cache it is kept there (commerce_portal.token_cache), under a token per
login that every write to anything the entry holds drops. A login without a merchant (staff,
operators) keeps its permissions in the entry too.

Writes are heard through signals: Django's for saves and deletes of logins, memberships, merchants,
groups and permissions; changes.merchants_changed for snapshots and bindings (whose services write
with UPDATEs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from commerce_portal import token_cache
from merchants.models import Membership, Merchant

from . import changes
from .services.connections import snapshot_parse_ahead


def token_key(user_id) -> str:
    return f"login-token:{user_id}"


def cached_login(user_id, load: Callable[[], object | None]):
    """The login ``user_id`` from the shared cache, else ``load()`` (kept for the next request)."""
    if not settings.SHARED_CACHE:
        return load()

    def build():
        user = load()
        membership = getattr(user, "membership", None) if user is not None else None
        if user is not None and membership is None:
            user.get_all_permissions()  # staff and operators: their permissions travel with them
        snapshot = getattr(membership.merchant, "connection_snapshot", None) if membership else None
        if snapshot is not None:
            snapshot_parse_ahead(snapshot)  # and a merchant's standing, parsed
        return user

    return token_cache.cached(token_key(user_id), f"login:{user_id}", build)


def logins_changed(user_ids: Iterable) -> None:
    """Forget these logins' entries once the current transaction commits."""
    if settings.SHARED_CACHE:
        token_cache.drop(token_key(user_id) for user_id in user_ids)


def merchants_changed(merchant_ids: Iterable) -> None:
    """Forget the entries of every login of these merchants."""
    merchant_ids = set(merchant_ids)
    if merchant_ids and settings.SHARED_CACHE:
        logins_changed(Membership.objects.filter(merchant_id__in=merchant_ids).values_list("user_id", flat=True))


# --- what a login's entry holds, written through save() and delete() ------------------------


def _user_saved(sender, instance, **kwargs):
    logins_changed([instance.pk])


def _membership_saved(sender, instance, **kwargs):
    logins_changed([instance.user_id])


def _merchant_saved(sender, instance, **kwargs):
    merchants_changed([instance.pk])


def _merchant_state_changed(sender, merchant_ids, **kwargs):
    if merchant_ids is not None:  # None: an attempt, which no entry holds
        merchants_changed(merchant_ids)


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


def connect_signals() -> None:
    """Called once from IntegrationsConfig.ready()."""
    User = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(_user_saved, sender=User, dispatch_uid="login_cache_user")
        signal.connect(_membership_saved, sender=Membership, dispatch_uid="login_cache_membership")
        signal.connect(_merchant_saved, sender=Merchant, dispatch_uid="login_cache_merchant")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_permissions_changed, sender=through, dispatch_uid=f"login_cache_{through.__name__}")
    pre_delete.connect(_group_deleted, sender=Group, dispatch_uid="login_cache_group")
    changes.merchants_changed.connect(_merchant_state_changed, dispatch_uid="login_cache_merchant_state")
