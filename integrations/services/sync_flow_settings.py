"""The Sync Flow's settings, read live from Codat and changed by operators, every change recorded.

These settings are the same for every merchant and exist only at Codat, so the operator pages
read them live (never cached: an operator must see what merchants see) and each change is
recorded as a ``SyncFlowChange`` with what Codat answered before and after it.

Codat's API does not say whether a text is its default: the status shown comes from the
changes recorded here (see ``TextStatus``).
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass
from typing import Iterable

from django.conf import settings

from ..codat import (
    REQUIRED_ACCOUNT_KEYS,
    SYNC_FLOW_ACCOUNTS,
    CodatClient,
    Locale,
    get_codat_client,
)
from ..models import Integration, SyncFlowChange

logger = logging.getLogger(__name__)

SYNC_FLOW_PERMISSION = "integrations.change_sync_flow_settings"
LOCALES = tuple(locale.value for locale in Locale)

Setting, Action = SyncFlowChange.Setting, SyncFlowChange.Action


# --- texts -------------------------------------------------------------------------------------


class TextStatus(enum.StrEnum):
    DEFAULT = "default"  # never changed here, or last reset here and unchanged since
    CUSTOMISED = "customised"  # last set here, unchanged since
    SHOWS_NOTHING = "shows_nothing"  # last set to "" here, unchanged since
    CHANGED_ELSEWHERE = "changed_elsewhere"  # Codat has something other than what was last set here

    @property
    def label(self) -> str:
        return {
            "default": "Default",
            "customised": "Customised",
            "shows_nothing": "Shows nothing",
            "changed_elsewhere": "Changed outside this portal",
        }[self.value]


@dataclass(frozen=True)
class SyncFlowTextState:
    key: str
    text: str | None
    required: bool
    status: TextStatus


def sync_flow_text_statuses(*, locale: str, texts: dict[str, str | None]) -> dict[str, TextStatus]:
    """Each text's status from the last change recorded here for its key and what Codat has now."""
    last: dict[str, SyncFlowChange] = {}
    for change in SyncFlowChange.objects.filter(setting=Setting.TEXT, locale=locale, key__in=list(texts)):
        last.setdefault(change.key, change)  # newest first
    statuses = {}
    for key, text in texts.items():
        change = last.get(key)
        if change is None:
            statuses[key] = TextStatus.DEFAULT
        elif change.after != text:
            statuses[key] = TextStatus.CHANGED_ELSEWHERE
        else:
            statuses[key] = {
                Action.RESET: TextStatus.DEFAULT,
                Action.SHOW_NOTHING: TextStatus.SHOWS_NOTHING,
            }.get(change.action, TextStatus.CUSTOMISED)
    return statuses


def sync_flow_texts_read(*, locale: str, codat: CodatClient | None = None) -> list[SyncFlowTextState]:
    """Every text of ``locale`` as Codat has it now, in Codat's order. Raises CodatError."""
    info = (codat or get_codat_client()).get_config_text_sync_flow(locale=locale)
    statuses = sync_flow_text_statuses(locale=locale, texts={key: t.text for key, t in info.texts.items()})
    return [
        SyncFlowTextState(key=key, text=t.text, required=t.required, status=statuses[key])
        for key, t in info.texts.items()
    ]


def sync_flow_texts_update(
    *, locale: str, changes: dict[str, str | None], user, codat: CodatClient | None = None
) -> list[SyncFlowChange]:
    """Send only ``changes`` to Codat (a text, "" for nothing, None for the default) and record each.

    Raises CodatError (CodatBadRequestError with Codat's per-key reasons): then nothing is recorded.
    """
    codat = codat or get_codat_client()
    before = codat.get_config_text_sync_flow(locale=locale).texts
    after = codat.update_config_text_sync_flow(locale=locale, texts=changes).texts
    actions = {None: Action.RESET, "": Action.SHOW_NOTHING}
    records = [
        SyncFlowChange(
            user=user,
            username=user.get_username(),
            setting=Setting.TEXT,
            locale=locale,
            key=key,
            action=actions.get(value, Action.SET),
            before=before[key].text if key in before else None,
            after=after[key].text if key in after else value,
        )
        for key, value in changes.items()
    ]
    logger.info("sync flow texts (%s) changed by %s: %s", locale, user.get_username(), ", ".join(changes))
    return SyncFlowChange.objects.bulk_create(records)


# --- visible accounts ----------------------------------------------------------------------------


class RequiredAccountsHidden(ValueError):
    """An attempt to hide account types Codat requires: refused before Codat is called."""

    def __init__(self, keys: Iterable[str]):
        self.keys = sorted(keys)
        super().__init__(f"Codat requires these account types; they cannot be hidden: {', '.join(self.keys)}.")


@dataclass(frozen=True)
class SyncFlowAccountState:
    key: str
    name: str
    stage: str
    required: bool
    visible: bool
    documented: bool = True  # False: Codat lists it but its docs do not (shown, never required)


@dataclass(frozen=True)
class SyncFlowAccountsState:
    platform_key: str
    accounts: list[SyncFlowAccountState]

    @property
    def visible(self) -> list[str]:
        return [account.key for account in self.accounts if account.visible]

    @property
    def hidden_count(self) -> int:
        return sum(not account.visible for account in self.accounts)


@dataclass(frozen=True)
class SyncFlowPlatform:
    key: str
    name: str


@dataclass(frozen=True)
class ClientIdProblem:
    """Why the visible accounts cannot be read: CODAT_CLIENT_ID is missing or not a UUID."""

    value: str  # what is set: empty when missing

    @property
    def missing(self) -> bool:
        return not self.value


def sync_flow_client_id() -> str | ClientIdProblem:
    """Codat's client id from CODAT_CLIENT_ID, or what is wrong with it."""
    value = settings.CODAT_CLIENT_ID.strip()
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ClientIdProblem(value=value)


def sync_flow_platforms() -> list[SyncFlowPlatform]:
    """The commerce platforms whose visible accounts operators set.

    Codat's docs: the accounts' platform key is the *commerce* one. A commerce connector has
    one, itself (CODAT_CONNECTOR_KEY); an accounting connector's merchants each bring theirs,
    so it is every commerce platform of the cached catalogue.
    """
    if settings.CODAT_CONNECTOR_TYPE == "commerce":
        key = settings.CODAT_CONNECTOR_KEY
        name = Integration.objects.filter(pk=key).values_list("name", flat=True).first()
        return [SyncFlowPlatform(key=key, name=name or key)] if key else []
    return [
        SyncFlowPlatform(key=key, name=name)
        for key, name in Integration.objects.filter(source_type="Commerce").values_list("key", "name")
    ]


def _accounts_state(platform_key: str, visible: tuple[str, ...] | None) -> SyncFlowAccountsState:
    # None: Codat did not list them, which is its default: every account type shown.
    shown = set(visible) if visible is not None else {account.key for account in SYNC_FLOW_ACCOUNTS}
    accounts = [
        SyncFlowAccountState(a.key, a.name, a.stage, a.required, a.key in shown or a.required)
        for a in SYNC_FLOW_ACCOUNTS
    ]
    documented = {a.key for a in SYNC_FLOW_ACCOUNTS}
    accounts += [
        SyncFlowAccountState(key, key, "Other", False, True, documented=False)
        for key in (visible or ())
        if key not in documented
    ]
    return SyncFlowAccountsState(platform_key=platform_key, accounts=accounts)


def sync_flow_visible_accounts_read(
    *, client_id: str, platform_key: str, codat: CodatClient | None = None
) -> SyncFlowAccountsState:
    """The account types merchants of ``platform_key`` may map, as Codat has them now. Raises CodatError."""
    answer = (codat or get_codat_client()).get_visible_accounts(client_id=client_id, platform_key=platform_key)
    return _accounts_state(platform_key, answer.visible_accounts)


def sync_flow_visible_accounts_update(
    *,
    client_id: str,
    platform_key: str,
    visible: list[str] | None,
    user,
    codat: CodatClient | None = None,
) -> SyncFlowChange | None:
    """Show exactly ``visible`` (None: Codat's default, ``{}``) and record it; None if nothing changed.

    Refuses (RequiredAccountsHidden) a list that leaves out an account type Codat requires,
    even though Codat would show it anyway: an operator must not believe it hidden.
    """
    if visible is not None:
        hidden_required = REQUIRED_ACCOUNT_KEYS - set(visible)
        if hidden_required:
            raise RequiredAccountsHidden(hidden_required)
    codat = codat or get_codat_client()
    before = sync_flow_visible_accounts_read(client_id=client_id, platform_key=platform_key, codat=codat).visible
    if visible is not None and set(visible) == set(before):
        return None
    answer = codat.update_visible_accounts_sync_flow(platform_key=platform_key, visible_accounts=visible)
    logger.info(
        "sync flow visible accounts (%s) %s by %s", platform_key, "reset" if visible is None else "set", user.get_username()
    )
    return SyncFlowChange.objects.create(
        user=user,
        username=user.get_username(),
        setting=Setting.VISIBLE_ACCOUNTS,
        platform_key=platform_key,
        action=Action.RESET if visible is None else Action.SET,
        before=before,
        after=_accounts_state(platform_key, answer.visible_accounts).visible,
    )


def sync_flow_changes(*, locale: str | None = None, platform_key: str | None = None, limit: int = 20):
    """The latest changes recorded for one locale's texts or one platform's visible accounts."""
    if locale is not None:
        queryset = SyncFlowChange.objects.filter(setting=Setting.TEXT, locale=locale)
    else:
        queryset = SyncFlowChange.objects.filter(setting=Setting.VISIBLE_ACCOUNTS, platform_key=platform_key)
    return list(queryset[:limit])
