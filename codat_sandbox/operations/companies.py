"""create-company and list-companies, and finding the company a path names."""

from __future__ import annotations

import json
import re
import uuid

from .. import lifecycle
from ..messages import Reply, SandboxRequest, SandboxResponse, json_response
from ..models import SandboxCompany
from ..paging import paged
from ..routing import route
from ..wire import company_json

# CreateCompany in the spec: name's pattern, at most 10 tags, keys of 1-27 characters, values of at most 100.
_NAME = re.compile(r"[A-Za-z0-9\s\-',&@.,?!\s]+")
_TAG_KEY = re.compile(r".{1,27}")
MAX_TAGS = 10
MAX_TAG_VALUE = 100


def company_or_404(company_id: str) -> SandboxCompany:
    """The company a path's ``{companyId}`` names; an unknown or malformed id is a 404, as at Codat."""
    try:
        return SandboxCompany.objects.get(pk=uuid.UUID(company_id))
    except (ValueError, SandboxCompany.DoesNotExist):
        raise Reply(404, f"No company was found with ID {company_id[:64]}.", "ClientsApi")


def _problems(body) -> list[tuple[str, str]]:
    """(item, message) for each way ``body`` breaks CreateCompany."""
    if not isinstance(body, dict):
        return [("body", "The request body must be a JSON object.")]
    problems = []
    name = body.get("name")
    if not isinstance(name, str) or not name:
        problems.append(("name", "Company name is required."))
    elif not _NAME.fullmatch(name):
        problems.append(("name", "Company name may contain only letters, digits, spaces and - ' , & @ . ? !"))
    if "description" in body and not isinstance(body["description"], str):
        problems.append(("description", "Description must be a string."))
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, dict):
            problems.append(("tags", "Tags must be an object of names to strings."))
            return problems
        if len(tags) > MAX_TAGS:
            problems.append(("tags", f"A company can have at most {MAX_TAGS} tags."))
        for key, value in tags.items():
            if not _TAG_KEY.fullmatch(key):
                problems.append(("tags", f"Tag name {key[:40]!r} must be 1 to 27 characters."))
            if not isinstance(value, str) or len(value) > MAX_TAG_VALUE:
                problems.append(
                    ("tags", f"Tag {key[:40]!r} must be a string of at most {MAX_TAG_VALUE} characters.")
                )
    return problems


@route("POST", r"companies", "create-company")
def create_company(request: SandboxRequest, *, fault=None) -> SandboxResponse:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise Reply(400, "The request body is not valid JSON.")
    problems = _problems(body)
    if problems:
        raise Reply(
            400,
            " ".join(message for _, message in problems),
            validation=[
                {"itemId": item, "message": message, "validatorName": "CreateCompany"} for item, message in problems
            ],
        )
    company = lifecycle.company_create(
        name=body["name"], description=body.get("description", ""), tags=body.get("tags")
    )
    return json_response(200, company_json(company, request.origin))


@route("GET", r"companies", "list-companies")
def list_companies(request: SandboxRequest, *, fault=None) -> SandboxResponse:
    # Codat's docs: `query` does not work on companies, so it is ignored here too.
    return paged(
        request, SandboxCompany.objects.all(), "/companies", lambda company: company_json(company, request.origin)
    )
