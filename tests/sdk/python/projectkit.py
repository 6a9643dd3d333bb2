"""Helpers shared by the project tests and the in-use deletes (CONTRACT §7, §5, §6).

Everything a valid create body needs is found through the API, as a client would: a
campaign, its own active 10DLC numbers (owned by the campaign's org, not `shared`) that no
scheduled, sending or paused project holds, and a ready contact list of that org.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from support import id_pattern

PROJECT_ID = id_pattern("proj")
TEST_MESSAGE_ID = id_pattern("tmsg")
UNKNOWN_PROJECT = "proj_00000000000000000000000000"
HOLDING = ("scheduled", "sending", "paused")
STATUSES = ("draft", "awaiting_test", "scheduled", "sending", "paused", "completed")
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage",
         "Pacific/Honolulu")
# A short GSM-7 text with a standard merge tag: one segment even with the "STOP=END" footer.
MESSAGE = "Hi {first_name|there}, the rally is Saturday at 10am."


def data(response: dict):
    assert response.get("success") is True, response
    return response["data"]


@dataclass
class Sendable:
    """What a create body needs, all of one organization."""

    org_id: str
    brand_id: str
    campaign_id: str
    numbers: list[str]
    list_id: str
    spare_lists: list[str] = field(default_factory=list)

    def body(self, name: str, *, numbers: int = 1, with_list: bool = True, **extra) -> dict:
        """Keyword arguments for the Python SDK's create_project."""
        assert len(self.numbers) >= numbers, f"only {len(self.numbers)} free numbers: {self}"
        args = {
            "organization_id": self.org_id,
            "name": name,
            "protocol": "sms",
            "message_text": MESSAGE,
            "phone_number_ids": self.numbers[:numbers],
            "brand_id": self.brand_id,
            "campaign_id": self.campaign_id,
        }
        if with_list:
            args["contact_list_ids"] = [self.list_id]
        args.update(extra)
        return args


def held_numbers(client) -> set[str]:
    """The numbers of every scheduled, sending or paused project the key can see."""
    held: set[str] = set()
    for row in data(client.list_projects()):
        if row["status"] in HOLDING:
            held.update(data(client.get_project(row["id"]))["phone_number_ids"])
    return held


def find_sendable(client, *, numbers: int = 1, org_id: Optional[str] = None, min_lists: int = 1,
                  accept: Callable[[dict], bool] = lambda campaign: True) -> Sendable:
    """The first active campaign (that `accept` takes) with `numbers` free numbers of its own
    and `min_lists` ready lists of its organization."""
    held = held_numbers(client)
    lists = data(client.list_contact_lists())
    for campaign in data(client.list_campaigns()):
        if campaign["campaign_status"] != "ACTIVE" or (org_id is not None and campaign["org_id"] != org_id):
            continue
        if not accept(campaign):
            continue
        free = [
            n["id"] for n in data(client.list_phone_numbers(channel="10dlc", campaign_id=campaign["id"]))
            if n["org_id"] == campaign["org_id"] and not n["shared"] and n["status"] == "active" and n["id"] not in held
        ]
        ready = [
            row["id"] for row in lists
            if row["org_id"] == campaign["org_id"]
            and data(client.get_contact_list(row["id"]))["import"]["status"] == "ready"
        ]
        if len(free) >= numbers and len(ready) >= min_lists:
            return Sendable(campaign["org_id"], campaign["brand_id"], campaign["id"], free, ready[0], ready[1:])
    raise AssertionError(f"no campaign with {numbers} free numbers and {min_lists} ready lists "
                         f"(org {org_id}, held {sorted(held)})")


def offset_for(local: str, zone: str) -> str:
    """`local` (YYYY-MM-DDTHH:MM:SS, no offset) with the UTC offset `zone` has at that moment."""
    moment = datetime.strptime(local, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=ZoneInfo(zone))
    offset = moment.strftime("%z")
    return f"{local}{offset[:3]}:{offset[3:]}"


def mask(e164: str) -> str:
    """CONTRACT §7: `sent_to` masked like +1555****100 (first five characters, last three)."""
    return f"{e164[:5]}****{e164[-3:]}"
