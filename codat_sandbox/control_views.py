"""The sandbox's controls over HTTP, for tests and demos served by another process.

Authenticated with the sandbox key exactly like the API. Bodies are JSON objects with
Codat's camelCase names; bad input answers 400 (404 for an unknown company or
connection) with Codat's error body, never 500.

    POST|DELETE /sandbox/control/faults                      inject a fault | clear them
    GET|DELETE  /sandbox/control/calls                       calls answered, by operation | forget
    GET         /sandbox/control/companies                   every company, with its state
    GET|DELETE  /sandbox/control/sync-flow-settings          texts and visible accounts changed | reset all
    POST        /sandbox/control/companies/{id}/{control}    one of COMPANY_CONTROLS below
    GET         /sandbox/control/webhooks                    the webhooks sent, with their outcome
    POST        /sandbox/control/webhooks/{id}/redeliver     send one again ({"url"?}): same id, new signature
"""

from __future__ import annotations

import functools
import inspect
import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from . import api, controls, faults
from .views import http_response, sandbox_request

# control -> (function, {body field: keyword argument}); the company id comes from the path.
COMPANY_CONTROLS = {
    "link": (
        controls.link,
        {"accountingKey": "accounting_key", "tenantName": "tenant_name", "commerceKey": "commerce_key"},
    ),
    "cancel": (controls.cancel, {"accountingKey": "accounting_key"}),
    "connection-status": (
        controls.set_connection_status,
        {"status": "status", "connectionId": "connection_id", "platformKey": "platform_key"},
    ),
    "syncs": (
        controls.push_sync,
        {
            "statusCode": "status_code",
            "errorMessage": "error_message",
            "dataPushed": "data_pushed",
            "syncExceptionMessage": "sync_exception_message",
        },
    ),
    "configuration": (
        controls.set_configuration,
        {
            "enable": "enable",
            "configured": "configured",
            "accountingSoftwareCompanyName": "accounting_software_company_name",
            "schedule": "schedule",
        },
    ),
    "tenant-name": (controls.set_tenant_name, {"tenantName": "tenant_name"}),
    "sync-script": (
        controls.script_syncs,
        {
            "statusCode": "status_code",
            "errorMessage": "error_message",
            "syncExceptionMessage": "sync_exception_message",
            "dataPushed": "data_pushed",
            "completeAfterSeconds": "complete_after_seconds",
        },
    ),
    "complete-sync": (
        controls.complete_sync,
        {
            "syncId": "sync_id",
            "statusCode": "status_code",
            "errorMessage": "error_message",
            "syncExceptionMessage": "sync_exception_message",
            "dataPushed": "data_pushed",
        },
    ),
}


def _error(status: int, message: str = "") -> HttpResponse:
    return http_response(api.error_response(status, message))


def _authenticated(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not api.authorised(sandbox_request(request)):
            return _error(401)
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
@_authenticated
def control_faults(request):
    if request.method == "DELETE":
        faults.clear()
        return HttpResponse(status=204)
    try:
        spec = _json_object(request.body)
        if "operation" not in spec:
            raise faults.BadFault("operation is required")
        operation = spec.pop("operation")
        times = spec.pop("times", None)
        fault = faults.inject(operation, times=times, **spec)
    except (ValueError, TypeError) as exc:  # BadFault is a ValueError; unknown fields a TypeError
        return _error(400, f"Bad fault: {exc}")
    return JsonResponse({"id": fault.pk}, status=201)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "DELETE"])
@_authenticated
def control_calls(request):
    if request.method == "DELETE":
        faults.reset()
        return HttpResponse(status=204)
    return JsonResponse({"calls": faults.call_counts()})


@csrf_exempt
@require_safe
@_authenticated
def control_companies(request):
    return JsonResponse({"companies": controls.companies(f"{request.scheme}://{request.get_host()}")})


@csrf_exempt
@require_http_methods(["GET", "HEAD", "DELETE"])
@_authenticated
def control_sync_flow_settings(request):
    if request.method == "DELETE":
        controls.reset_sync_flow_settings()
        return HttpResponse(status=204)
    return JsonResponse(controls.sync_flow_settings_changed())


@csrf_exempt
@require_http_methods(["POST"])
@_authenticated
def control_company(request, company_id: str, control: str):
    if control not in COMPANY_CONTROLS:
        return _error(404, f"No control {control[:40]!r}; there are {', '.join(COMPANY_CONTROLS)}.")
    function, fields = COMPANY_CONTROLS[control]
    try:
        function(company_id, **_arguments(request.body, function, fields))
    except controls.ControlError as exc:
        return _error(exc.status, str(exc))
    return JsonResponse(controls.describe(company_id, f"{request.scheme}://{request.get_host()}"))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _json_object(body: bytes) -> dict:
    """A JSON object, strictly: not NaN or Infinity (Python's json accepts them), not a list."""
    try:
        data = json.loads(body or b"{}", parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body must be JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    if "\\u0000" in json.dumps(data):  # how json writes NUL (and a literal \\u0000: refused too)
        raise ValueError("NUL characters are not accepted")  # PostgreSQL's text columns cannot hold them
    return data


def _arguments(body: bytes, function, fields: dict[str, str]) -> dict:
    """The body's fields as ``function``'s keyword arguments; unknown or missing ones are a ControlError."""
    try:
        data = json.loads(body or b"{}", parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise controls.ControlError("The body must be JSON.") from None
    if not isinstance(data, dict):
        raise controls.ControlError("The body must be a JSON object.")
    if "\\u0000" in json.dumps(data):  # how json writes NUL (and a literal \\u0000: refused too)
        raise controls.ControlError("NUL characters are not accepted.")  # PostgreSQL's text columns cannot hold them
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise controls.ControlError(
            f"Unknown field(s) {', '.join(unknown)}; expected some of {', '.join(fields)}."
        )
    parameters = inspect.signature(function).parameters
    required = [name for name, argument in fields.items() if parameters[argument].default is inspect.Parameter.empty]
    missing = [name for name in required if name not in data]
    if missing:
        raise controls.ControlError(f"Missing field(s) {', '.join(missing)}.")
    return {fields[name]: value for name, value in data.items()}


@csrf_exempt
@require_safe
@_authenticated
def control_webhooks(request):
    return JsonResponse({"messages": controls.webhook_messages()})


@csrf_exempt
@require_http_methods(["POST"])
@_authenticated
def control_webhook_redeliver(request, message_id: str):
    try:
        return JsonResponse(controls.redeliver(message_id, **_arguments(request.body, controls.redeliver, {"url": "url"})))
    except controls.ControlError as exc:
        return _error(exc.status, str(exc))
