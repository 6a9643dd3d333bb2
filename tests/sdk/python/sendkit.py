"""Helpers of the send-engine tests (CONTRACT §3 magic numbers, §8 sends, §9 conversations).

A send changes a sandbox for good (opt-outs, threads, the event log) and moves its clock by hours,
so every test in test_sends.py runs on a sandbox of its own (`Fresh`), started with the session's
arguments (manual clock, seed 1) plus any of its own (`--send-rate`, `--fixtures`). Bodies come from
what the API lists, as in projectkit: a campaign of the organization with a free number of its own,
and the bundled contacts-mixed.csv imported into that organization from the sandbox's hosted files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from listkit import MIXED_COUNTERS, MIXED_PHONE_COLUMN, import_ready
from projectkit import data, find_sendable
from support import ContractValidator, RecordingClient, Sandbox, ValidatingTransport, all_events, id_pattern

MINUTE = 60
HOUR = 3600
CONVERSATION_ID = id_pattern("conv")
MESSAGE_ID = id_pattern("msg")
UNKNOWN_CONVERSATION = "conv_00000000000000000000000000"

# CONTRACT §3, for a contact list's send: what each magic number of contacts-mixed.csv does.
# 0001 is rejected at import and 0009 is already opted out, so neither gets a message.
DELIVERED = ("+15005550000", "+15005550003", "+15005550005", "+15005550006", "+15005550007")
FAILED = {"+15005550002": "300", "+15005550004": "012"}
NO_RECEIPT = "+15005550008"
STOPS = "+15005550005"
SAYS_YES = "+15005550006"
CLICKS = "+15005550007"
NEVER_SENT = ("+15005550001", "+15005550009")
YES_TEXT = "Yes, count me in!"

LINK_MESSAGE = "Hi {first_name|there}! Find your polling place: {link}"
DESTINATION = "https://vote.example.org/find"
TIMEZONE = "America/New_York"


class Fresh:
    """A sandbox of one test's own: its control plane, its clock and SDK clients of its keys."""

    def __init__(self, validator: ContractValidator, extra_args: Sequence[str] = ()) -> None:
        self.validator = validator
        self.box = Sandbox(extra_args)
        self._clients: list[RecordingClient] = []
        try:
            self.keys: dict[str, dict] = {}
            for record in self.control("GET", "/keys"):
                self.keys.setdefault(record["role"], record)
            self.files = {f["name"]: f for f in self.control("GET", "/files")}
        except BaseException:
            self.box.stop()
            raise

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return self.box.control(self.validator, method, path, body)

    def advance(self, seconds: int) -> str:
        """POST /_sandbox/clock/advance: runs every job due by then; the new sandbox time."""
        return self.control("POST", "/clock/advance", {"seconds": seconds})["now"]

    def advance_to(self, moment: str) -> str:
        return self.control("POST", "/clock/advance", {"to": moment})["now"]

    def now(self) -> str:
        return self.control("GET", "/clock")["now"]

    def events(self) -> list[dict]:
        return all_events(self.control)

    def client(self, role: str) -> RecordingClient:
        client = RecordingClient(api_key=self.keys[role]["key"], base_url=self.box.base_url, max_retries=0,
                                 timeout=10.0, transport=ValidatingTransport(self.validator))
        self._clients.append(client)
        return client

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self.box.stop()


@dataclass
class Broadcast:
    """A broadcast project over a freshly imported contacts-mixed.csv, still awaiting_test."""

    project_id: str
    org_id: str
    campaign_id: str
    list_id: str
    number: str  # the sending number, E.164
    recipients: int
    domain: Optional[str]  # the tracking domain's host when link tracking is on


def unmetered(client) -> Callable[[dict], bool]:
    return lambda campaign: not data(client.get_campaign_throughput(campaign["id"]))["carrier_metered"]


def project_over_mixed(f: Fresh, client, *, org_id: str, name: str, link_tracking: bool = True,
                       accept: Callable[[dict], bool] = lambda campaign: True) -> Broadcast:
    """Imports contacts-mixed.csv into `org_id` and creates a project over it (with `{link}` and
    link tracking on the org's first usable tracking domain, unless `link_tracking` is false)."""
    imported = import_ready(client, f.advance, f.files["contacts-mixed.csv"]["url"], f"{name} list",
                            MIXED_PHONE_COLUMN, organization_id=org_id)
    assert imported["import"]["status"] == "ready", imported["import"]
    assert {k: imported["import"][k] for k in MIXED_COUNTERS} == MIXED_COUNTERS, imported["import"]
    s = find_sendable(client, org_id=org_id, accept=accept)
    extra: dict[str, Any] = {"contact_list_ids": [imported["list_id"]]}
    domain = None
    if link_tracking:
        # Owned domains carry a status; inherited ones (shared down by an ancestor) are usable as they are.
        active = [d for d in data(client.list_tracking_domains(organization_id=org_id))
                  if d["source"] == "inherited" or d["status"] == "active"]
        assert active, f"no usable tracking domain for {org_id}"
        domain = active[0]["domain"]
        extra.update(message_text=LINK_MESSAGE, link_tracking_enabled=True, link_tracking_destination_url=DESTINATION,
                     link_tracking_domain_id=active[0]["id"])
    project = data(client.create_project(**s.body(name, **extra)))
    assert project["status"] == "awaiting_test", project
    assert project["total_recipients"] == MIXED_COUNTERS["clean_contacts"], project
    number = next(n["number"] for n in data(client.list_phone_numbers(campaign_id=s.campaign_id))
                  if n["id"] == s.numbers[0])
    return Broadcast(project["id"], org_id, s.campaign_id, imported["list_id"], number, project["total_recipients"],
                     domain)


def of_project(events: list[dict], project_id: str) -> list[dict]:
    return [e for e in events if e["data"].get("project_id") == project_id]


def contact_of(event: dict) -> str:
    """The contact an event is about: `to` of outbound steps, `from` of replies, `contact_phone` of clicks."""
    kind = event["event_type"]
    if kind == "message.replied":
        return event["data"]["from"]
    if kind == "link.clicked":
        return event["data"]["contact_phone"]
    return event["data"]["to"]


def story(events: list[dict]) -> dict[str, list[str]]:
    """Event types per contact, in order; a failure carries its error code, a reply its text."""
    out: dict[str, list[str]] = {}
    for e in events:
        label = e["event_type"]
        if e["data"].get("error_code") is not None:
            label += f":{e['data']['error_code']}"
        if label == "message.replied":
            label += f":{e['data']['text']}"
        out.setdefault(contact_of(e), []).append(label)
    return out


def rejected(events: list[dict]) -> int:
    """Messages refused before they reached a carrier: a message.failed with no message.sent."""
    sent = {e["data"]["message_id"] for e in events if e["event_type"] == "message.sent"}
    return sum(1 for e in events if e["event_type"] == "message.failed" and e["data"]["message_id"] not in sent)


def threads_of(client, project_id: str, **filters) -> list[dict]:
    """Every conversation of a project (one page of 200 is plenty for a 23-contact list)."""
    page = data(client.list_conversations(project_id=project_id, limit=200, **filters))
    assert page["has_more"] is False and page["next_cursor"] is None, page
    return page["data"]


def thread_with(client, project_id: str, contact: str, *, test: bool = False) -> dict:
    rows = [t for t in threads_of(client, project_id, include_test=test) if t["to"] == contact and t["is_test"] == test]
    assert len(rows) == 1, f"{len(rows)} {'test ' if test else ''}threads with {contact}"
    return rows[0]


def messages_of(client, conversation_id: str) -> list[dict]:
    page = data(client.list_conversation_messages(conversation_id, limit=200))
    assert page["has_more"] is False, page
    return page["data"]
