"""The Sync Flow's settings in the admin: texts per locale, visible accounts per platform, every change.

Two pages hang off proxy models (so the admin index lists them) and replace their change lists.
They read Codat live: these settings exist only at Codat and apply to every merchant, so an
operator must see what merchants see, never a cached copy. Codat being down is a message on
the page, never a 500. Operators without ``integrations.change_sync_flow_settings`` get a 403.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from commerce_portal.admin import ReadOnlyAdmin

from .codat import (
    SYNC_FLOW_ACCOUNTS,
    SYNC_FLOW_ACCOUNTS_BY_KEY,
    CodatAuthError,
    CodatBadRequestError,
    CodatConnectionError,
    CodatError,
    CodatNotFoundError,
    CodatRateLimitedError,
    CodatServerError,
    CodatTimeoutError,
)
from .forms import SyncFlowAccountsForm, SyncFlowTextFormSet
from .models import SyncFlowChange, SyncFlowText, SyncFlowVisibleAccounts
from .services.sync_flow_settings import (
    LOCALES,
    SYNC_FLOW_PERMISSION,
    ClientIdProblem,
    RequiredAccountsHidden,
    SyncFlowAccountState,
    TextStatus,
    sync_flow_changes,
    sync_flow_client_id,
    sync_flow_platforms,
    sync_flow_text_statuses,
    sync_flow_texts_read,
    sync_flow_texts_update,
    sync_flow_visible_accounts_read,
    sync_flow_visible_accounts_update,
)

LOCALE_NAMES = {"en-us": "English (US)", "fr-fr": "French"}
ACCOUNT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")

# Texts grouped as the Sync Flow shows them, by the start of their key; anything else is "Other".
TEXT_GROUPS = [
    ("configure-setupSidebar", "Title and steps"),
    ("configure-misc-", "Buttons and indicators"),
    ("configure-required-", "Buttons and indicators"),
    ("configure-content-sales", "Sales stage"),
    ("configure-content-fees", "Fees stage"),
    ("configure-content-payments", "Payments stage"),
]


def codat_problem(exc: CodatError, *, writing: bool) -> str:
    """What went wrong with Codat, for an operator, with the evidence Codat's support asks for."""
    if isinstance(exc, CodatTimeoutError) and writing:
        what = (
            "Codat did not answer in time. The change may have been made all the same: reload this page "
            "to see what Codat has now before saving again."
        )
    elif isinstance(exc, CodatConnectionError):
        what = "Codat could not be reached" + (
            ": the change was most likely not made. Reload this page to check before saving again."
            if writing
            else ", so its current settings cannot be shown. Try again in a minute."
        )
    elif isinstance(exc, CodatAuthError):
        what = "Codat refused the portal's API key (CODAT_API_KEY): nothing can be read or changed until it is fixed."
    elif isinstance(exc, (CodatServerError, CodatRateLimitedError)):
        what = "Codat is not answering normally right now" + (
            ": nothing was saved. Your edits are kept below; try again in a minute."
            if writing
            else ". Try again in a minute."
        )
    else:
        what = "Codat's answer could not be used" + (": nothing was saved." if writing else ".")
    return f"{what} Details for Codat support: {exc}"


class _SyncFlowPage(admin.ModelAdmin):
    """A page in place of a change list: the settings live at Codat, not in a table here."""

    page_template = ""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(SYNC_FLOW_PERMISSION)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.page_view), name=name)]

    def page_view(self, request):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(SYNC_FLOW_PERMISSION):
            raise PermissionDenied
        return self.serve(request)

    def serve(self, request):
        raise NotImplementedError

    def page_url(self, **query) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return f"{url}?{urlencode(query)}" if query else url

    def render_page(self, request, context: dict, *, status: int = 200):
        return TemplateResponse(
            request,
            self.page_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": self.opts.verbose_name_plural,
                "history_url": reverse("admin:integrations_syncflowchange_changelist"),
                "read_at": timezone.now(),
                **context,
            },
            status=status,
        )


# --- texts ------------------------------------------------------------------------------------------


def _describe_text(value) -> str:
    if value is None:
        return "(no text)"
    return f"“{value}”" if value else "(nothing shown)"


@admin.register(SyncFlowText)
class SyncFlowTextAdmin(_SyncFlowPage):
    page_template = "admin/integrations/sync_flow/texts.html"

    def serve(self, request):
        locale = request.GET.get("locale", LOCALES[0])
        if locale not in LOCALES:
            problem = f"There are no Sync Flow texts for {locale[:20]!r}: choose {' or '.join(LOCALES)}."
            return self.render_page(
                request, {"locale": None, "locales": self._locales(None), "problem": problem}, status=400
            )
        if request.method == "POST":
            return self.save(request, locale)
        try:
            states = sync_flow_texts_read(locale=locale)
        except CodatError as exc:
            return self.render_page(request, self._context(locale, None, codat_problem(exc, writing=False)), status=503)
        formset = SyncFlowTextFormSet(
            prefix="texts",
            initial=[
                {"key": s.key, "original": s.text or "", "required": s.required, "text": s.text or "", "mode": "text"}
                for s in states
            ],
        )
        return self.render_page(request, self._context(locale, formset))

    def save(self, request, locale: str):
        formset = SyncFlowTextFormSet(request.POST, prefix="texts")
        if not formset.is_valid():
            problem = "Some of the form could not be read, so nothing was sent to Codat. Reload the page and try again."
            return self.render_page(request, self._context(locale, formset, problem), status=400)
        changes = {}
        for form in formset:
            changed, value = form.change()
            if changed:
                changes[form.cleaned_data["key"]] = value
        if not changes:
            self.message_user(request, "Nothing to save: no text was changed.", messages.INFO)
            return redirect(self.page_url(locale=locale))
        try:
            sync_flow_texts_update(locale=locale, changes=changes, user=request.user)
        except CodatBadRequestError as exc:
            unplaced = self._place_codat_errors(formset, exc)
            problem = "Codat refused the change, so nothing was saved. Its reasons are shown next to each text; your edits are kept."
            if unplaced:
                problem += f" Codat also said: {unplaced}"
            return self.render_page(request, self._context(locale, formset, problem), status=400)
        except CodatError as exc:
            return self.render_page(request, self._context(locale, formset, codat_problem(exc, writing=True)), status=503)
        self.message_user(
            request,
            f"Saved {len(changes)} change(s) to the {LOCALE_NAMES[locale]} texts. The Sync Flow shows them from now on.",
            messages.SUCCESS,
        )
        return redirect(self.page_url(locale=locale))

    @staticmethod
    def _place_codat_errors(formset, exc: CodatBadRequestError) -> str:
        """Codat's validation errors next to their keys; what fits no key is returned."""
        forms_by_key = {form.cleaned_data["key"]: form for form in formset}
        errors = (exc.body.get("validation") or {}).get("errors") if isinstance(exc.body, dict) else None
        unplaced = []
        for item in errors or []:
            if not isinstance(item, dict):
                continue
            message = str(item.get("message") or exc.error or "Refused by Codat.")
            form = forms_by_key.get(item.get("itemId"))
            if form is not None:
                form.add_error("text", f"Codat: {message}")
            else:
                unplaced.append(message)
        if not errors:
            unplaced.append(str(exc))
        return " ".join(unplaced)

    def _locales(self, current):
        return [
            {"code": code, "name": LOCALE_NAMES[code], "url": self.page_url(locale=code), "current": code == current}
            for code in LOCALES
        ]

    def _context(self, locale: str, formset, problem: str = "") -> dict:
        groups: dict[str, list] = {}
        if formset is not None:
            # From the forms (not Codat): the same rows whether Codat answered, refused or is down.
            keys = {form.prefix: (form["key"].value() or "", form["original"].value() or "") for form in formset}
            statuses = sync_flow_text_statuses(locale=locale, texts=dict(keys.values()))
            for form in formset:
                key, original = keys[form.prefix]
                group = next((title for start, title in TEXT_GROUPS if key.startswith(start)), "Other")
                groups.setdefault(group, []).append(
                    {
                        "form": form,
                        "anchor": f"text-{form.prefix}",
                        "key": key,
                        "required": form["required"].value() in (True, "True", "on"),
                        "status": statuses.get(key, TextStatus.DEFAULT),
                    }
                )
        changes = sync_flow_changes(locale=locale)
        rows = [row for _, group_rows in groups.items() for row in group_rows]
        return {
            "refused": [row for row in rows if row["form"].errors],
            "locale": locale,
            "locale_name": LOCALE_NAMES[locale],
            "locales": self._locales(locale),
            "formset": formset,
            "groups": list(groups.items()),
            "problem": problem,
            "changes": [
                {"change": c, "before": _describe_text(c.before), "after": _describe_text(c.after)} for c in changes
            ],
        }


# --- visible accounts -------------------------------------------------------------------------------


def _describe_accounts(change: SyncFlowChange) -> str:
    if change.action == SyncFlowChange.Action.RESET:
        return "Reset to Codat's default: every account type shown."
    before, after = set(change.before or []), set(change.after or [])

    def names(keys):
        return ", ".join(SYNC_FLOW_ACCOUNTS_BY_KEY[k].name if k in SYNC_FLOW_ACCOUNTS_BY_KEY else k for k in sorted(keys))

    parts = []
    if before - after:
        parts.append(f"Hid {names(before - after)}.")
    if after - before:
        parts.append(f"Showed {names(after - before)}.")
    return " ".join(parts) or "No difference."


@admin.register(SyncFlowVisibleAccounts)
class SyncFlowVisibleAccountsAdmin(_SyncFlowPage):
    page_template = "admin/integrations/sync_flow/visible_accounts.html"

    def serve(self, request):
        platforms = sync_flow_platforms()
        context = {"platforms": platforms, "connector_type": settings.CODAT_CONNECTOR_TYPE}
        if not platforms:
            return self.render_page(request, {**context, "no_platforms": True})
        key = request.GET.get("platform") or platforms[0].key
        platform = next((p for p in platforms if p.key == key), None)
        if platform is None:
            problem = f"{key[:20]!r} is not a commerce platform whose visible accounts this portal sets."
            return self.render_page(request, {**context, "problem": problem}, status=400)
        context["platform"] = platform
        context["changes"] = [
            {"change": c, "summary": _describe_accounts(c)} for c in sync_flow_changes(platform_key=platform.key)
        ]
        client_id = sync_flow_client_id()
        if isinstance(client_id, ClientIdProblem):
            # Reading visible accounts needs Codat's client id: explain, rather than fail.
            return self.render_page(request, {**context, "client_id_problem": client_id})
        if request.method == "POST":
            return self.save(request, context, client_id)
        try:
            state = sync_flow_visible_accounts_read(client_id=client_id, platform_key=platform.key)
        except CodatError as exc:
            problem = codat_problem(exc, writing=False)
            if isinstance(exc, CodatNotFoundError):
                problem = (
                    f"Codat has no visible accounts for client {client_id} and platform {platform.key}: check "
                    f"CODAT_CLIENT_ID and that {platform.key} is a commerce platform. Details: {exc}"
                )
            return self.render_page(request, {**context, "problem": problem}, status=503)
        form = SyncFlowAccountsForm(accounts=state.accounts, initial={"visible": state.visible})
        return self.render_page(request, {**context, **self._form_context(form, state.accounts, state.visible)})

    def save(self, request, context: dict, client_id: str):
        platform = context["platform"]
        action = request.POST.get("action")
        if action not in ("save", "reset"):
            return self.render_page(request, {**context, "problem": "Choose Save or Reset."}, status=400)
        visible = None
        if action == "save":
            accounts = self._submitted_accounts(request.POST.getlist("visible"))
            form = SyncFlowAccountsForm(request.POST, accounts=accounts)
            if not form.is_valid():
                submitted = [key for key in request.POST.getlist("visible") if ACCOUNT_KEY.match(key)]
                return self.render_page(
                    request, {**context, **self._form_context(form, accounts, submitted)}, status=400
                )
            visible = [a.key for a in accounts if a.key in form.cleaned_data["visible"]]
        try:
            change = sync_flow_visible_accounts_update(
                client_id=client_id, platform_key=platform.key, visible=visible, user=request.user
            )
        except RequiredAccountsHidden as exc:
            return self._refused(request, context, str(exc), visible, status=400)
        except CodatBadRequestError as exc:
            problem = f"Codat refused the change, so nothing was saved: {exc.error or exc}"
            return self._refused(request, context, problem, visible, status=400)
        except CodatError as exc:
            return self._refused(request, context, codat_problem(exc, writing=True), visible, status=503)
        if change is None:
            self.message_user(request, "Nothing to save: the same account types are already shown.", messages.INFO)
        elif action == "reset":
            self.message_user(
                request, f"Reset {platform.name}'s visible accounts to Codat's default: every account type is shown.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, f"Saved {platform.name}'s visible accounts. {_describe_accounts(change)}", messages.SUCCESS)
        return redirect(self.page_url(platform=platform.key))

    def _refused(self, request, context: dict, problem: str, visible: list[str] | None, *, status: int):
        """The page again with ``problem``, and the boxes as the operator left them (none after a reset)."""
        if visible is None:
            return self.render_page(request, {**context, "problem": problem}, status=status)
        accounts = self._submitted_accounts(visible)
        form = SyncFlowAccountsForm(accounts=accounts, initial={"visible": visible})
        return self.render_page(
            request, {**context, "problem": problem, **self._form_context(form, accounts, visible)}, status=status
        )

    @staticmethod
    def _submitted_accounts(keys) -> list[SyncFlowAccountState]:
        """The documented account types, plus any other well-formed key the form sent back (Codat judges those)."""
        accounts = [SyncFlowAccountState(a.key, a.name, a.stage, a.required, False) for a in SYNC_FLOW_ACCOUNTS]
        known = {a.key for a in accounts}
        accounts += [
            SyncFlowAccountState(key, key, "Other", False, False, documented=False)
            for key in dict.fromkeys(keys)
            if key not in known and ACCOUNT_KEY.match(key)
        ]
        return accounts

    @staticmethod
    def _form_context(form, accounts, checked) -> dict:
        checked = set(checked)
        stages: dict[str, list] = {}
        for number, account in enumerate(accounts):
            stages.setdefault(account.stage, []).append(
                {"account": account, "id": f"account-{number}", "checked": account.required or account.key in checked}
            )
        shown = sum(row["checked"] for rows in stages.values() for row in rows)
        return {"form": form, "stages": list(stages.items()), "shown": shown, "total": len(accounts)}


# --- the record ---------------------------------------------------------------------------------------


@admin.register(SyncFlowChange)
class SyncFlowChangeAdmin(ReadOnlyAdmin):
    """Every change operators made to the Sync Flow's settings; never edited."""

    list_display = ["at", "username", "setting", "where", "key", "action", "before_shown", "after_shown"]
    list_filter = ["setting", "action", "locale", "platform_key"]
    search_fields = ["username", "key"]
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm(SYNC_FLOW_PERMISSION)

    @admin.display(description="Locale or platform")
    def where(self, obj):
        return obj.locale or obj.platform_key

    @admin.display(description="Before")
    def before_shown(self, obj):
        if obj.setting == SyncFlowChange.Setting.TEXT:
            return _describe_text(obj.before)
        return f"{len(obj.before or [])} account types shown"

    @admin.display(description="After")
    def after_shown(self, obj):
        if obj.setting == SyncFlowChange.Setting.TEXT:
            return _describe_text(obj.after)
        return f"{len(obj.after or [])} account types shown. {_describe_accounts(obj)}"
