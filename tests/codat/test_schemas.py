"""Parsing Codat's answers: strict about what the spec requires, lenient about the rest."""

import json
from datetime import datetime, timezone

import pytest

from integrations.codat import (
    Company,
    CompanySyncStatus,
    Configuration,
    Connection,
    DataConnectionError,
    SyncSchedule,
    parse_datetime,
)
from integrations.codat.schemas import Page, SchemaError, parse_list

UTC = timezone.utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022-10-27T10:22:43.6464237Z", datetime(2022, 10, 27, 10, 22, 43, 646423, tzinfo=UTC)),  # 7 digits
        ("2022-10-27T09:53:29Z", datetime(2022, 10, 27, 9, 53, 29, tzinfo=UTC)),
        ("2022-01-01T12:00:00.000Z", datetime(2022, 1, 1, 12, tzinfo=UTC)),
        ("2021-11-15T01:00:00-05:00", datetime(2021, 11, 15, 6, tzinfo=UTC)),  # converted to UTC
        ("2021-11-15T01:00:00", datetime(2021, 11, 15, 1, tzinfo=UTC)),  # no zone: taken as UTC
        ("2022-10-23", datetime(2022, 10, 23, tzinfo=UTC)),  # a bare date: midnight UTC
        (" 2022-10-23T00:00:00Z ", datetime(2022, 10, 23, tzinfo=UTC)),
    ],
)
def test_codat_datetimes_become_aware_utc(text, expected):
    parsed = parse_datetime(text)
    assert parsed == expected and parsed.tzinfo == UTC


@pytest.mark.parametrize("value", [None, "", "soon", "2022-13-01", 1666862563, {"date": "2022-10-23"}])
def test_unreadable_datetimes_are_none(value):
    assert parse_datetime(value) is None


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"enable": True}, True),  # the spec's spelling
        ({"enabled": False}, False),  # the docs' spelling
        ({"enable": False, "enabled": True}, False),  # both: the spec wins
        ({}, None),  # missing is unknown, not false
        ({"enable": "true"}, None),  # not a boolean: unknown
        ({"enable": None}, None),
    ],
)
def test_configuration_enable_flag(data, expected):
    assert Configuration.from_json(data).enable is expected


def test_configuration_missing_fields_are_unknown():
    configuration = Configuration.from_json({})
    assert (configuration.configured, configuration.schedule, configuration.accounting_software_company_name) == (
        None,
        None,
        "",
    )


def test_schedule_is_parsed_leniently():
    schedule = SyncSchedule.from_json({"selectedFrequency": "Daily", "syncHour": True, "startDate": "2024-01-01"})
    assert (schedule.selected_frequency, schedule.sync_hour, schedule.time_zone) == ("Daily", None, "")
    assert schedule.start_date == datetime(2024, 1, 1, tzinfo=UTC)


SPEC_CONNECTION = {  # the spec's own example, with an error added
    "id": "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd",
    "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
    "integrationKey": "dfxm",
    "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee",
    "platformName": "Basiq",
    "linkUrl": "https://link-api.codat.io/companies/86bd88cb/connections/ee2eb431/start",
    "status": "Linked",
    "lastSync": "2022-10-27T10:22:43.6464237Z",
    "created": "2022-10-27T09:53:29Z",
    "sourceType": "Banking",
    "dataConnectionErrors": [
        {"statusCode": "403", "statusText": "Forbidden", "errorMessage": "no", "erroredOnUtc": "2022-10-28", "status": None},
        "not an object",
    ],
}


def test_connection_from_the_spec_example():
    connection = Connection.from_json(SPEC_CONNECTION)
    assert (connection.id, connection.integration_key, connection.platform_name) == (
        "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd",
        "dfxm",
        "Basiq",
    )
    assert connection.last_sync == datetime(2022, 10, 27, 10, 22, 43, 646423, tzinfo=UTC)
    assert connection.errors == (
        DataConnectionError("403", "Forbidden", "no", datetime(2022, 10, 28, tzinfo=UTC), None, None),
    )


@pytest.mark.parametrize(
    "status, expected", [("pendingAuth", "PendingAuth"), ("LINKED", "Linked"), ("Archived", "Archived")]
)
def test_connection_status_takes_the_spec_spelling_and_keeps_new_ones(status, expected):
    assert Connection.from_json({**SPEC_CONNECTION, "status": status}).status == expected


@pytest.mark.parametrize("missing", ["id", "platformName", "status", "created", "sourceType"])
def test_connection_without_a_required_field_is_refused(missing):
    data = {key: value for key, value in SPEC_CONNECTION.items() if key != missing}
    with pytest.raises(SchemaError, match=f"connection.{missing} is missing"):
        Connection.from_json(data)


def test_connection_without_optional_fields():
    minimal = {k: SPEC_CONNECTION[k] for k in ("id", "platformName", "status", "created", "sourceType")}
    connection = Connection.from_json({**minimal, "dataConnectionErrors": None})
    assert (connection.integration_key, connection.last_sync, connection.errors) == ("", None, ())


def test_company_requires_id_and_name_and_keeps_string_tags():
    company = Company.from_json({"id": "c1", "name": "Bean", "tags": {"a": "1", "b": 2}, "description": None})
    assert (company.tags, company.description, company.created) == ({"a": "1"}, "", None)
    with pytest.raises(SchemaError):
        Company.from_json({"id": "c1"})
    with pytest.raises(SchemaError, match="company is not a JSON object"):
        Company.from_json(["c1"])


def test_sync_status_needs_its_code_and_reads_nulls_as_empty():
    sync = CompanySyncStatus.from_json(
        {"syncStatusCode": 2040, "syncStatus": None, "errorMessage": None, "syncId": None, "syncUtc": "2023-01-24T14:15:22Z"}
    )
    assert (sync.status_code, sync.status, sync.error_message, sync.sync_id, sync.data_pushed) == (2040, "", "", "", None)
    with pytest.raises(SchemaError, match="syncStatusCode"):
        CompanySyncStatus.from_json({"syncStatus": "Complete"})
    with pytest.raises(SchemaError, match="syncStatusCode"):
        CompanySyncStatus.from_json({"syncStatusCode": "2000"})


def test_page_and_bare_list_shapes():
    page = Page.from_json(
        {"pageNumber": 1, "pageSize": 2, "totalResults": 0, "_links": {"self": {"href": "/"}, "current": {"href": "/"}}},
        Company.from_json,
    )
    assert (page.results, page.next_href) == ([], None)
    with pytest.raises(SchemaError, match="page is not a JSON object"):
        Page.from_json([], Company.from_json)
    with pytest.raises(SchemaError, match="syncs is not a JSON array"):
        parse_list({}, CompanySyncStatus.from_json, "syncs")


RECORDS = [
    Company("c1", "Bean & Leaf", "merchant 42", datetime(2022, 1, 1, 12, tzinfo=UTC), {"merchant": "42"}),
    Company("c2", "No date"),
    Connection.from_json(SPEC_CONNECTION),
    Connection("x", "gbol", "Xero", "Accounting", "PendingAuth", None),
    Configuration("c1", "Bean Ltd", True, None, SyncSchedule("Daily", datetime(2024, 1, 1, tzinfo=UTC), 2, "Europe/London")),
    Configuration(),
    CompanySyncStatus("s1", 4000, "PushError", "bad", "MapError", datetime(2023, 1, 24, 14, 15, 22, 123456, tzinfo=UTC), False),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda record: type(record).__name__)
def test_to_json_round_trips_through_json(record):
    stored = json.loads(json.dumps(record.to_json()))
    assert type(record).from_json(stored) == record
