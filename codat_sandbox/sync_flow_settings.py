"""The Sync Flow's texts (per locale) and visible accounts (per commerce platform): read, checked, changed.

Shared by the API operations, the controls and the stand-in Sync Flow, so that what the API
answers is exactly what the stand-in shows.

Requests are read in the spec's shapes (``{key: {"text": …}}``, ``{"visibleAccounts": […]}``);
a text's flat form from Codat's docs (``{key: "…" | "" | null}``) is accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.safestring import mark_safe

from .data import Platform
from .models import SandboxSyncFlowText, SandboxVisibleAccounts
from .sync_flow_data import (
    ACCOUNT_KEYS,
    ACCOUNTS,
    LOCALES,
    MAX_TEXT_LENGTH,
    REQUIRED_ACCOUNT_KEYS,
    REQUIRED_TEXT_KEYS,
    TEXT_KEYS,
    default_text,
)

_UNSET = object()


@dataclass
class Problems:
    """What is wrong with a request, as Codat's ``validation.errors`` items."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, item: str, message: str) -> None:
        self.items.append((item, message))

    def __bool__(self) -> bool:
        return bool(self.items)


# --- texts ----------------------------------------------------------------------------


def texts(locale: str) -> dict[str, str]:
    """Every text of ``locale``, in Codat's order: the default unless one was set."""
    stored = dict(SandboxSyncFlowText.objects.filter(locale=locale).values_list("key", "text"))
    return {key: stored.get(key, default_text(locale, key)) for key in TEXT_KEYS}


def texts_json(locale: str) -> dict:
    """LocalizationInfo: ``{key: {"text", "required"}}``."""
    return {key: {"text": text, "required": key in REQUIRED_TEXT_KEYS} for key, text in texts(locale).items()}


def texts_check(body) -> tuple[dict[str, str | None], Problems]:
    """The changes a PATCH body asks for (``None``: back to the default) and what is wrong with it."""
    problems = Problems()
    if not isinstance(body, dict):
        problems.add("body", "The request body must be a JSON object of text keys.")
        return {}, problems
    changes: dict[str, str | None] = {}
    for key, value in body.items():
        if key not in TEXT_KEYS:
            problems.add(key, f"{key[:200]!r} is not a text key of the Sync Flow.")
            continue
        text = value.get("text", _UNSET) if isinstance(value, dict) else value
        if text is _UNSET:
            problems.add(key, "Give the new text as {\"text\": ...}: a string, \"\" to show nothing, or null for the default.")
        elif text is not None and not isinstance(text, str):
            problems.add(key, "The text must be a string, \"\" to show nothing, or null for the default.")
        elif text == "" and key in REQUIRED_TEXT_KEYS:
            problems.add(key, "This text is required: the Sync Flow cannot show nothing here.")
        elif text is not None and len(text) > MAX_TEXT_LENGTH:
            problems.add(key, f"The text is {len(text)} characters long; at most {MAX_TEXT_LENGTH} are allowed.")
        else:
            changes[key] = text
    return changes, problems


def texts_apply(locale: str, changes: dict[str, str | None]) -> None:
    with transaction.atomic():
        for key, text in changes.items():
            if text is None:
                SandboxSyncFlowText.objects.filter(locale=locale, key=key).delete()
            else:
                SandboxSyncFlowText.objects.update_or_create(locale=locale, key=key, defaults={"text": text})


# --- visible accounts -----------------------------------------------------------------


def visible_accounts(platform_key: str) -> list[str]:
    """The accounts shown for a platform, in Codat's order: all by default, the required ones always."""
    stored = SandboxVisibleAccounts.objects.filter(pk=platform_key).first()
    if stored is None:
        return list(ACCOUNT_KEYS)
    shown = set(stored.accounts) | REQUIRED_ACCOUNT_KEYS
    return [key for key in ACCOUNT_KEYS if key in shown]


def visible_accounts_check(body) -> tuple[list[str] | None, Problems]:
    """The accounts a POST body asks to show (``None``: back to the default) and what is wrong with it."""
    problems = Problems()
    if not isinstance(body, dict):
        problems.add("body", "The request body must be a JSON object.")
        return None, problems
    unknown = sorted(set(body) - {"visibleAccounts"})
    if unknown:
        problems.add(unknown[0], f"Unknown field(s): {', '.join(name[:60] for name in unknown)}.")
    accounts = body.get("visibleAccounts")
    if accounts is None:  # {} (the docs' reset) or the spec's nullable visibleAccounts
        return None, problems
    if not isinstance(accounts, list) or not all(isinstance(item, str) for item in accounts):
        problems.add("visibleAccounts", "visibleAccounts must be an array of account keys.")
        return None, problems
    for item in accounts:
        if item not in ACCOUNT_KEYS:
            problems.add("visibleAccounts", f"{item[:100]!r} is not an account key of the Sync Flow.")
    return list(dict.fromkeys(accounts)), problems


def visible_accounts_set(platform_key: str, accounts: list[str] | None) -> None:
    if accounts is None:
        SandboxVisibleAccounts.objects.filter(pk=platform_key).delete()
    else:
        SandboxVisibleAccounts.objects.update_or_create(pk=platform_key, defaults={"accounts": accounts})


def reset() -> None:
    """Every text and every platform's accounts back to Codat's defaults."""
    SandboxSyncFlowText.objects.all().delete()
    SandboxVisibleAccounts.objects.all().delete()


# --- what the stand-in Sync Flow shows --------------------------------------------------


def locale_of(requested: str | None) -> str:
    return requested if requested in LOCALES else LOCALES[0]


def page(locale: str, commerce: Platform, accounting: Platform) -> dict:
    """The stand-in's set-up page in ``locale``: its title, steps, stages and buttons.

    Texts that show nothing are left out (and so are steps and buttons made of them).
    """
    names = {"{commerce}": commerce.name, "{accounting}": accounting.name}

    def text(key: str) -> str:
        value = current[key]
        for placeholder, name in names.items():
            value = value.replace(placeholder, name)
        return value

    current = texts(locale)
    shown = set(visible_accounts(commerce.key))
    stages = []
    order = ("sales", "fees", "payments", "schedule")  # the set-up page ends with the schedule and Finish
    for position, stage in enumerate(order[:-1]):
        sections = []
        for section in dict.fromkeys(a.section for a in ACCOUNTS if a.stage == stage):
            title_key = f"configure-content-{stage}-{section}-title"
            description_key = f"configure-content-{stage}-{section}-description"
            sections.append(
                {
                    "title": text(title_key) if title_key in current else "",
                    "description": text(description_key) if description_key in current else "",
                    "accounts": [
                        {
                            "label": text(account.text_key) if account.text_key in current else account.name,
                            "required": account.required,
                        }
                        for account in ACCOUNTS
                        if account.stage == stage and account.section == section and account.key in shown
                    ],
                }
            )
        stages.append(
            {
                "slug": stage,
                "previous": order[position - 1] if position else None,
                "next": order[position + 1],
                "title": text(f"configure-content-{stage}-title"),
                "description": text(f"configure-content-{stage}-description"),
                "sections": sections,
            }
        )
    steps = [
        text(key)
        for key in TEXT_KEYS
        if key.startswith(("configure-setupSidebar-checkboxes-", "configure-setupSidebar=checkboxes-"))
    ]
    lang = locale.split("-")[0]
    return {
        "lang": lang,
        # The stand-in's own sentences and buttons are English whatever the locale.
        "own_lang": mark_safe(' lang="en"') if lang != "en" else "",
        "title": text("configure-setupSidebar-title"),
        "steps": [step for step in steps if step],
        "stages": stages,
        "schedule": text("configure-setupSidebar=checkboxes-syncSchedule"),
        "previous": text("configure-misc-previousButton"),
        "next": text("configure-misc-nextButton"),
        "required_indicator": text("configure-required-indicator"),
    }
