"""Helpers for talking to the sandbox's API in-process, as the transport and the views do."""

import json

import pytest

from codat_sandbox import api

AUTH = {"authorization": "Basic c2FuZGJveA=="}  # base64("sandbox")
ORIGIN = "http://portal.test"


def call(path, query=None, headers=AUTH, method="GET", body=None):
    """(response, parsed JSON body or raw bytes) for one request to the sandbox."""
    response = api.handle(
        api.SandboxRequest(
            method=method,
            path=path if path.startswith("/sandbox/") else f"/sandbox/codat{path}",
            query=query or {},
            headers=headers,
            origin=ORIGIN,
            body=json.dumps(body).encode() if body is not None else b"",
        )
    )
    is_json = "json" in response.headers.get("Content-Type", "")
    return response, json.loads(response.body) if is_json else response.body


def start(commerce_key="lqai", accounting_key="gbol", merchant_identifier="Bean & Leaf, Ltd. #42", **query):
    """Mint a Sync Flow URL, as the portal does before each hand-off; returns the URL."""
    response, body = call(
        f"/config/sync/commerce/{commerce_key}/{accounting_key}/start",
        {"merchantIdentifier": merchant_identifier, **query},
    )
    assert response.status == 200, body
    return body["url"]


@pytest.fixture
def company(db):
    """A company made through create-company, as the portal makes one per merchant."""
    response, body = call("/companies", method="POST", body={"name": "Bean & Leaf", "description": "merchant 42"})
    assert response.status == 200, body
    return body
