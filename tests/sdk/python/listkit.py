"""Helpers shared by the contact-list and media tests (CONTRACT §3 magic numbers, §5, §6)."""

from __future__ import annotations

import csv
import io
import re
from typing import Callable

import pytest
from political_comms import PoliticalCommsError

from support import id_pattern, poll

LIST_ID = id_pattern("cl")
MEDIA_ID = id_pattern("med")
E164 = re.compile(r"^\+1\d{10}$")
UNKNOWN_LIST = "cl_00000000000000000000000000"
UNKNOWN_MEDIA = "med_00000000000000000000000000"

# CONTRACT §3: the magic numbers' line types. 0001 is rejected at import as a
# bad number and 0009 is already opted out, so neither is ever in a list.
MAGIC_LINE_TYPE = {
    "+15005550000": "mobile",
    "+15005550002": "landline",
    "+15005550003": "voip",
    "+15005550004": "mobile",
    "+15005550005": "mobile",
    "+15005550006": "mobile",
    "+15005550007": "mobile",
    "+15005550008": "mobile",
}
MAGIC_BAD = "+15005550001"
MAGIC_OPTED_OUT = "+15005550009"
ANALYZED_COLUMNS = ["phone_type", "carrier", "is_mobile", "opted_out", "city", "state"]
COUNTERS = ("total_rows", "total_contacts", "clean_contacts", "duplicate_count", "bad_number_count", "opted_out_count")

# contacts-mixed.csv as the lead documented it: 33 rows, 6 bad (5 malformed + the
# magic +15005550001), 3 duplicates, 1 already opted out (+15005550009).
MIXED_COUNTERS = {
    "total_rows": 33,
    "bad_number_count": 6,
    "total_contacts": 27,
    "duplicate_count": 3,
    "opted_out_count": 1,
    "clean_contacts": 23,
}
MIXED_PHONE_COLUMN = "Phone Number"


def raises(call: Callable[[], object], status: int, code: str) -> PoliticalCommsError:
    with pytest.raises(PoliticalCommsError) as info:
        call()
    err = info.value
    assert (err.status_code, err.code) == (status, code), f"expected {status} {code}, got {err.status_code} {err.code}: {err}"
    assert isinstance(err.body, dict) and err.body.get("statusCode") == status
    return err


def raises_404(call: Callable[[], object]) -> PoliticalCommsError:
    """A 404 with a NOT_FOUND-style code (CONTRACT §2: `NOT_FOUND` or the resource's own code)."""
    with pytest.raises(PoliticalCommsError) as info:
        call()
    err = info.value
    assert err.status_code == 404 and err.code.endswith("NOT_FOUND"), f"expected a 404, got {err.status_code} {err.code}"
    return err


def detail_fields(err: PoliticalCommsError) -> list[str]:
    details = err.body.get("details")
    assert isinstance(details, list) and details, f"no details: {err.body}"
    return [d["field"] for d in details]


def normalize(raw: str) -> str | None:
    """US E.164 as CONTRACT §5 describes it (10 digits, or 11 starting with 1); None if not a number."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return "+1" + digits


def expected_contacts(csv_text: str, phone_column: str) -> dict[str, dict]:
    """The clean contacts of a CSV, worked out independently of the server: E.164 -> first row."""
    out: dict[str, dict] = {}
    for row in csv.DictReader(io.StringIO(csv_text, newline="")):
        phone = normalize(row[phone_column] or "")
        if phone is None or phone in (MAGIC_BAD, MAGIC_OPTED_OUT) or phone in out:
            continue
        out[phone] = row
    return out


def parse_csv(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows, "empty CSV"
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body), "rows with another column count than the header"
    return header, body


def phone_column_of(header: list[str], rows: list[list[str]]) -> int:
    """Index of the column holding the contacts' E.164 numbers (every value E.164)."""
    for i in range(len(header)):
        if rows and all(E164.match(r[i]) for r in rows):
            return i
    raise AssertionError(f"no column of E.164 numbers in {header}")


def import_ready(client, advance, source_url: str, name: str, phone_column: str, **kwargs) -> dict:
    """Import, then poll get_contact_list until the import is ready or failed; returns the last detail."""
    list_id = client.import_contact_list(source_url, name, phone_column, **kwargs)["data"]["list_id"]
    states = poll(
        lambda: client.get_contact_list(list_id)["data"],
        advance,
        lambda d: d["import"]["status"] in ("ready", "failed"),
    )
    return states[-1]


def analysis_done(client, advance, list_id: str) -> dict:
    """Poll get_contact_list until the analysis is complete or failed; returns the last detail."""
    return poll(
        lambda: client.get_contact_list(list_id)["data"],
        advance,
        lambda d: d["analysis"]["status"] in ("complete", "failed"),
    )[-1]
