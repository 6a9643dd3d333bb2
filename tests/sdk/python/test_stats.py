"""Stats and the ledger (CONTRACT §9) through the Python SDK: get_message_stats,
get_all_project_stats, get_ledger_usage and get_ledger_usage_by_initiator.

Every answer is checked against the SDK-derived schema by the transport (every documented field
present, of its type); on top of that these tests check the facts the SDK's types state
(`totals` only the statuses present, `byDay` newest date first, rates 0-100, charges negative and
`unitPrice` positive, `payments`/`adjustments` empty and `totalPaymentAmount` 0, initiators
largest spend first, `actual_cost` a numeric string with 4 decimals), the identities between the
parts of an answer and between endpoints (`summary.totalMessages` = the `byDay` counts; ledger
totals = the lines; by-initiator total = the usage total of the same scope; the organizations of
a tree add up to the tree), the filters (`organizationId` is exactly that organization, not its
descendants; `brandId`/`campaignId`), the date rules as the SDK raises them, and the live numbers
a simulated send and an analysis add to today.

The read tests share one sandbox of this module's own whose clock never moves (`box`): today is
the clock start, 2026-11-03, and the numbers are the seeded 180 days of history and nothing else.
The send and the analysis each run on a sandbox of their own (sendkit.Fresh), as in test_sends.py.
Amounts are dollars rounded to 1/10,000 (CONTRACT §9, "87.1926"), so sums are compared in those
units, each rounded term allowed its half unit.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Callable, Iterator

import pytest

from listkit import analysis_done, detail_fields, import_ready, raises
from projectkit import data
from sendkit import HOUR, TIMEZONE, Fresh, project_over_mixed, unmetered
from support import CLOCK_START, RecordingClient, ValidatingTransport, parse_ts

TODAY = CLOCK_START[:10]  # a fresh sandbox's today: its clock starts at 2026-11-03T18:00Z
# MessageStats.totals: "Keyed by delivery status (unsent, queued, sending, sent, delivered, failed,
# received, on_hold). Only statuses present in the range appear."
STATUSES = ("unsent", "queued", "sending", "sent", "delivered", "failed", "received", "on_hold")
PROJECT_STATUSES = ("draft", "awaiting_test", "scheduled", "sending", "paused", "completed")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# ProjectStatsRow.actual_cost: "Numeric string in dollars, e.g. "87.1926"."
ACTUAL_COST = re.compile(r"^\d+\.\d{4}$")
# AllProjectStats.summary.messageStats, named after the row's counters.
ROW_COUNTERS = {"sent": "messages_sent", "delivered": "messages_delivered", "failed": "messages_failed",
                "opted_out": "messages_opted_out", "replies": "replies_received", "clicks": "total_url_clicks"}
# ProjectStats.metrics (GET /projects/{id}/stats) → the row's counter of the same number.
METRIC_OF_ROW = {"messages_sent": "sent", "messages_delivered": "delivered", "messages_failed": "undeliverable",
                 "messages_opted_out": "opt_outs", "replies_received": "replies", "total_url_clicks": "clicks_total",
                 "unique_url_clicks": "clicks_unique"}
# The oldest start each endpoint takes (GetMessageStatsQuery and the ledger queries: "no older
# than 180 days"; GetAllProjectStatsQuery: "no older than 90 days").
MAX_AGE = {"get_message_stats": 180, "get_ledger_usage": 180, "get_ledger_usage_by_initiator": 180,
           "get_all_project_stats": 90}


def day(offset: int) -> str:
    return (date.fromisoformat(TODAY) + timedelta(days=offset)).isoformat()


def units(dollars: float) -> int:
    """Dollars in the API's unit, 1/10,000 of a dollar."""
    return round(dollars * 10_000)


def assert_sum(total: float, parts: list[float], what: str) -> None:
    """`total` is the sum of `parts`, each of them (and the total) rounded to 1/10,000."""
    diff = abs(units(total) - sum(units(p) for p in parts))
    assert diff <= (len(parts) + 1) // 2, f"{what}: {total} is not the sum of {parts}"


def ranges(max_age: int = 180) -> list[tuple[str, str]]:
    """The ranges the read tests walk: the longest ending today, today alone, the oldest allowed,
    yesterday, the future, and a dozen drawn from a fixed seed."""
    out = [(day(-30), TODAY), (TODAY, TODAY), (day(-max_age), day(-max_age + 30)), (day(-1), day(-1)),
           (day(3), day(9))]
    rng = random.Random(20261103)
    for _ in range(12):
        start = rng.randint(-max_age, 0)
        out.append((day(start), day(min(start + rng.randint(0, 30), 5))))
    return out


# ---------------------------------------------------------------------------
# What every answer must satisfy
# ---------------------------------------------------------------------------


def check_message_stats(m: dict, start: str, end: str) -> None:
    assert m["dateRange"] == {"startDate": start, "endDate": end}
    rows = m["byDay"]
    for r in rows:
        assert DATE.match(r["date"]) and start <= r["date"] <= end, r
        assert r["status"] in STATUSES and r["count"] > 0 and r["totalCost"] >= 0, r
    keys = [(r["date"], r["status"]) for r in rows]
    assert len(set(keys)) == len(keys), "byDay: one row per date + status"
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True), f"byDay: newest date first: {dates}"
    totals = m["totals"]
    assert set(totals) == {r["status"] for r in rows}, f"totals: only the statuses present: {sorted(totals)}"
    for status, bucket in totals.items():
        mine = [r for r in rows if r["status"] == status]
        assert bucket["count"] == sum(r["count"] for r in mine) > 0, status
        assert_sum(bucket["totalCost"], [r["totalCost"] for r in mine], f"totals.{status}.totalCost")
    total = sum(r["count"] for r in rows)
    s = m["summary"]
    assert s["totalMessages"] == total, "summary.totalMessages = the byDay counts"
    assert s["statusBreakdown"] == {k: b["count"] for k, b in totals.items()}
    assert_sum(s["totalCost"], [b["totalCost"] for b in totals.values()], "summary.totalCost")
    assert s["projectCount"] >= 0 and s["organizationCount"] >= 0
    assert (s["organizationCount"] == 0) == (total == 0), s
    r = m["deliveryRates"]
    count = lambda status: totals.get(status, {}).get("count", 0)  # noqa: E731
    assert (r["totalMessages"], r["deliveredCount"], r["failedCount"]) == (total, count("delivered"), count("failed"))
    assert 0 <= r["successfulCount"] <= total
    for rate, part in (("deliveryRate", r["deliveredCount"]), ("failureRate", r["failedCount"]),
                       ("successRate", r["successfulCount"])):
        assert 0 <= r[rate] <= 100, f"{rate} is a percentage 0-100: {r}"
        assert abs(r[rate] - (100 * part / total if total else 0)) <= 0.005 + 1e-9, f"{rate}: {r}"


def check_line(line: dict) -> None:
    assert line["unitPrice"] > 0, f"unitPrice is positive: {line}"
    assert line["totalAmount"] < 0, f"charges are negative: {line}"
    assert line["quantity"] > 0 and line["transactionCount"] >= 1, line


def check_priced(line: dict) -> None:
    """A line of one paying organization: "Positive unit rate; direction lives on totalAmount", so
    totalAmount = -quantity x unitPrice (the unit rounded to 1/10,000 too). By-initiator lines are
    per paying organization too (`organizationId`), so they hold it as well."""
    check_line(line)
    assert abs(line["totalAmount"] + line["quantity"] * line["unitPrice"]) <= 0.00005 * line["quantity"] + 0.0001, line


def check_usage(u: dict, start: str, end: str, names: dict[str, str]) -> None:
    assert (u["startDate"], u["endDate"]) == (start, end)
    ids = [o["organizationId"] for o in u["organizations"]]
    assert len(set(ids)) == len(ids), ids
    quantities: Counter[str] = Counter()
    transactions = 0
    for o in u["organizations"]:
        where = o["organizationId"]
        assert where in names, f"an organization outside the key's tree: {where}"
        assert o["organizationName"] == names[where]
        assert o["tier"] is None or o["tier"] >= 1, o["tier"]
        assert (o["payments"], o["adjustments"], o["totalPaymentAmount"]) == ([], [], 0), where
        pairs = [(line["productCode"], line["eventType"]) for line in o["usage"]]
        assert len(set(pairs)) == len(pairs), f"{where}: one line per product and event type: {pairs}"
        for line in o["usage"]:
            check_priced(line)
            quantities[line["productCode"]] += line["quantity"]
            transactions += line["transactionCount"]
        assert_sum(o["totalUsageAmount"], [line["totalAmount"] for line in o["usage"]], f"{where} totalUsageAmount")
    assert u["totalPaymentAmount"] == 0
    assert_sum(u["totalUsageAmount"], [o["totalUsageAmount"] for o in u["organizations"]], "totalUsageAmount")
    assert u["totalQuantity"] == sum(quantities.values())
    assert u["serviceTotals"] == dict(quantities), "serviceTotals: the quantity per product code"


def check_by_initiator(b: dict, start: str, end: str, names: dict[str, str], usage: dict) -> None:
    """A by-initiator answer, and its identities with the usage answer of the same scope."""
    assert (b["startDate"], b["endDate"]) == (start, end)
    ids = [i["initiatingOrganizationId"] for i in b["initiators"]]
    assert len(set(ids)) == len(ids), ids
    quantities: Counter[str] = Counter()
    for i in b["initiators"]:
        where = i["initiatingOrganizationId"]
        # An agency's key can initiate what its client pays for: the child key's answers name its
        # ancestor, which that key cannot list.
        if where in names:
            assert i["initiatingOrganizationName"] == names[where]
        keys = [(line["date"], line["productCode"], line["eventType"], line["organizationId"]) for line in i["usage"]]
        assert len(set(keys)) == len(keys), f"{where}: one line per day, product, event type and payer"
        for line in i["usage"]:
            assert DATE.match(line["date"]) and start <= line["date"] <= end, line
            check_priced(line)
            quantities[line["productCode"]] += line["quantity"]
        assert_sum(i["totalAmount"], [line["totalAmount"] for line in i["usage"]], f"{where} totalAmount")
        assert i["totalQuantity"] == sum(line["quantity"] for line in i["usage"])
        assert i["transactionCount"] == sum(line["transactionCount"] for line in i["usage"])
    spend = [-i["totalAmount"] for i in b["initiators"]]
    assert spend == sorted(spend, reverse=True), f"initiators: largest spend first: {spend}"
    assert_sum(b["totalAmount"], [i["totalAmount"] for i in b["initiators"]], "totalAmount")
    assert b["totalQuantity"] == sum(i["totalQuantity"] for i in b["initiators"])
    assert b["totalTransactionCount"] == sum(i["transactionCount"] for i in b["initiators"])
    # The same charges as /ledger/usage, grouped by who initiated them.
    assert units(b["totalAmount"]) == units(usage["totalUsageAmount"]), "by-initiator total = usage total"
    assert b["totalQuantity"] == usage["totalQuantity"]
    assert dict(quantities) == usage["serviceTotals"]
    assert b["totalTransactionCount"] == sum(line["transactionCount"] for o in usage["organizations"] for line in o["usage"])


def check_project_stats(p: dict, start: str, end: str, *, limit: int = 100, offset: int = 0) -> None:
    assert p["dateRange"] == {"startDate": start, "endDate": end}
    rows, page, s = p["projects"], p["pagination"], p["summary"]
    total = page["totalCount"]
    assert (page["limit"], page["offset"], s["totalProjects"]) == (limit, offset, total), page
    assert len(rows) == max(0, min(limit, total - offset)), page
    assert page["hasMore"] == (offset + len(rows) < total), page
    assert sum(s["statusBreakdown"].values()) == total, s
    for row in rows:
        where = f"{row['id']} {row['actual_cost']!r}"
        assert ACTUAL_COST.match(row["actual_cost"]), f"actual_cost is a numeric string in dollars: {where}"
        assert row["status"] in PROJECT_STATUSES, where
        assert row["messages_delivered"] + row["messages_failed"] <= row["messages_sent"], where
        assert row["unique_url_clicks"] <= row["total_url_clicks"], where
        assert parse_ts(row["created_at"]) <= parse_ts(row["updated_at"]), where
    if offset == 0 and len(rows) == total:
        # The whole set on one page: the summary is the rows'.
        assert s["statusBreakdown"] == dict(Counter(r["status"] for r in rows))
        assert s["organizationCount"] == len({r["organization_id"] for r in rows})
        assert s["brandCount"] == len({r["brand_id"] for r in rows if r["brand_id"]})
        assert s["campaignCount"] == len({r["campaign_id"] for r in rows if r["campaign_id"]})
        for key, value in s["messageStats"].items():
            assert key in ROW_COUNTERS, f"summary.messageStats.{key}"
            assert value == sum(r[ROW_COUNTERS[key]] for r in rows), key
        created = [r["created_at"] for r in rows]
        earliest, latest = (min(created), max(created)) if rows else (None, None)
        assert s["dateRange"] == {"earliestProject": earliest, "latestProject": latest}


# ---------------------------------------------------------------------------
# A sandbox whose clock never moves
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def box(validator) -> Iterator[Fresh]:
    f = Fresh(validator)
    yield f
    f.stop()


@pytest.fixture(scope="module")
def client(box):
    """The agency's elevated key (100,000 requests/hour): these tests read a lot."""
    return box.client("elevated")


@pytest.fixture(scope="module")
def names(client) -> dict[str, str]:
    """The key's organizations: id → display name."""
    return {o["id"]: o["display_name"] for o in data(client.list_organizations())}


@pytest.fixture(scope="module")
def world(client) -> dict[str, list[dict]]:
    return {"brands": data(client.list_brands()), "campaigns": data(client.list_campaigns()),
            "projects": data(client.list_projects())}


def test_the_clock_of_the_read_tests_stands_at_its_start(box):
    assert box.now() == CLOCK_START


def test_message_stats_answer_the_documented_facts(client, names):
    seen = Counter()
    for start, end in ranges():
        m = data(client.get_message_stats(start, end))
        check_message_stats(m, start, end)
        assert m["summary"]["organizationCount"] <= len(names)
        seen.update(m["totals"].keys())
    # The seeded history has traffic: delivered, failed, sent without a receipt, replies.
    assert {"delivered", "failed", "sent", "received"} <= set(seen), seen
    longest = data(client.get_message_stats(day(-30), day(-1)))
    assert longest["summary"]["totalMessages"] > 0 and longest["totals"]["delivered"]["totalCost"] > 0
    assert len({r["date"] for r in longest["byDay"]}) >= 20, "most days of a month carry traffic"
    # Nothing has happened after the clock start of a sandbox whose clock never moved.
    for start, end in ((TODAY, TODAY), (day(3), day(9))):
        empty = data(client.get_message_stats(start, end))
        assert (empty["totals"], empty["byDay"], empty["summary"]["totalMessages"]) == ({}, [], 0), empty
        assert {k: empty["deliveryRates"][k] for k in ("deliveryRate", "failureRate", "successRate")} == {
            "deliveryRate": 0, "failureRate": 0, "successRate": 0}


def test_ledger_usage_and_by_initiator_answer_the_documented_facts(client, names, box):
    products = set()
    for start, end in ranges():
        u = data(client.get_ledger_usage(start, end))
        check_usage(u, start, end, names)
        check_by_initiator(data(client.get_ledger_usage_by_initiator(start, end)), start, end, names, u)
        products |= set(u["serviceTotals"])
    assert {"sms", "carrier_lookup", "10dlc_campaign_monthly"} <= products, products
    # Tier: the organization's depth in its tree (the agency is a root).
    u = data(client.get_ledger_usage(day(-30), day(-1)))
    tiers = {o["organizationId"]: o["tier"] for o in u["organizations"]}
    assert tiers, u
    agency = box.keys["root"]["organization_id"]
    assert tiers.get(agency, 1) == 1 and all(t >= 2 for o, t in tiers.items() if o != agency), tiers
    by = data(client.get_ledger_usage_by_initiator(day(-30), day(-1)))
    assert len(by["initiators"]) >= 2 and by["totalAmount"] < 0, by


def test_organization_id_is_exactly_that_organization(client, names, box):
    start, end = day(-30), TODAY
    tree_m = data(client.get_message_stats(start, end))
    tree_u = data(client.get_ledger_usage(start, end))
    tree_p = data(client.get_all_project_stats(start, end))
    by_org = {o["organizationId"]: o for o in tree_u["organizations"]}
    statuses: Counter[str] = Counter()
    counted = projects = 0
    for org in names:
        m = data(client.get_message_stats(start, end, organization_id=org))
        check_message_stats(m, start, end)
        assert m["summary"]["organizationCount"] <= 1
        statuses.update({k: b["count"] for k, b in m["totals"].items()})
        counted += m["summary"]["totalMessages"]
        u = data(client.get_ledger_usage(start, end, organization_id=org))
        check_usage(u, start, end, names)
        # Exactly the org's own lines: what the tree's answer says of it, descendants left out.
        assert u["organizations"] == ([by_org[org]] if org in by_org else []), org
        b = data(client.get_ledger_usage_by_initiator(start, end, organization_id=org))
        check_by_initiator(b, start, end, names, u)
        p = data(client.get_all_project_stats(start, end, organization_id=org))
        check_project_stats(p, start, end)
        assert {r["organization_id"] for r in p["projects"]} <= {org}
        projects += p["pagination"]["totalCount"]
    # The organizations of the tree add up to the tree: nobody counted twice, nobody left out.
    assert counted == tree_m["summary"]["totalMessages"]
    assert dict(statuses) == tree_m["summary"]["statusBreakdown"]
    assert projects == tree_p["pagination"]["totalCount"]

    # The child key: its subtree only; the agency above it is 403 ORG_ACCESS_DENIED.
    child = box.client("child")
    child_names = {o["id"]: o["display_name"] for o in data(child.list_organizations())}
    assert set(child_names) < set(names)
    u = data(child.get_ledger_usage(start, end))
    check_usage(u, start, end, child_names)
    assert u["organizations"] == [by_org[o] for o in by_org if o in child_names]
    check_by_initiator(data(child.get_ledger_usage_by_initiator(start, end)), start, end, child_names, u)
    m = data(child.get_message_stats(start, end))
    assert m["summary"]["totalMessages"] == sum(
        data(child.get_message_stats(start, end, organization_id=o))["summary"]["totalMessages"] for o in child_names)
    agency = box.keys["root"]["organization_id"]
    for call in (child.get_message_stats, child.get_ledger_usage, child.get_ledger_usage_by_initiator,
                 child.get_all_project_stats):
        raises(lambda: call(start, end, organization_id=agency), 403, "ORG_ACCESS_DENIED")


def test_brand_and_campaign_filters(client, names, world):
    start, end = day(-30), day(-1)
    tree = data(client.get_message_stats(start, end))
    tree_u = data(client.get_ledger_usage(start, end))
    by_brand = 0
    sms_by_brand = 0
    for brand in world["brands"]:
        m = data(client.get_message_stats(start, end, brand_id=brand["id"]))
        check_message_stats(m, start, end)
        campaigns = [c["id"] for c in world["campaigns"] if c["brand_id"] == brand["id"]]
        # A brand's messages are its campaigns' messages.
        parts = [data(client.get_message_stats(start, end, campaign_id=c)) for c in campaigns]
        for c, part in zip(campaigns, parts):
            check_message_stats(part, start, end)
        assert m["summary"]["totalMessages"] == sum(p["summary"]["totalMessages"] for p in parts), brand["id"]
        by_brand += m["summary"]["totalMessages"]
        u = data(client.get_ledger_usage(start, end, brand_id=brand["id"]))
        check_usage(u, start, end, names)
        assert {o["organizationId"] for o in u["organizations"]} <= set(names)
        # Lines without a brand (carrier lookups) drop out of a brand's usage (README, Stats).
        assert "carrier_lookup" not in u["serviceTotals"], u["serviceTotals"]
        sms_by_brand += u["serviceTotals"].get("sms", 0)
        for c in campaigns:
            cu = data(client.get_ledger_usage(start, end, campaign_id=c))
            check_usage(cu, start, end, names)
            assert set(cu["serviceTotals"]) <= {"sms", "mms", "10dlc_campaign_monthly"}, cu["serviceTotals"]
        p = data(client.get_all_project_stats(start, end, brand_id=brand["id"]))
        check_project_stats(p, start, end)
        assert {r["brand_id"] for r in p["projects"]} <= {brand["id"]}
        for c in campaigns:
            cp = data(client.get_all_project_stats(start, end, campaign_id=c))
            assert {r["campaign_id"] for r in cp["projects"]} <= {c}
    # Every message and every sms part belongs to one brand's campaign.
    assert by_brand == tree["summary"]["totalMessages"]
    assert sms_by_brand == tree_u["serviceTotals"]["sms"]
    # An organization and a brand of it together: that brand's share of that organization.
    brand = next(b for b in world["brands"] if data(client.get_message_stats(start, end, brand_id=b["id"]))["byDay"])
    both = data(client.get_message_stats(start, end, organization_id=brand["org_id"], brand_id=brand["id"]))
    assert both == data(client.get_message_stats(start, end, brand_id=brand["id"]))


def test_all_project_stats_rows_are_the_projects(client, names, world):
    start, end = day(-30), TODAY
    p = data(client.get_all_project_stats(start, end))
    check_project_stats(p, start, end)
    assert p["pagination"]["totalCount"] >= 4, p["pagination"]
    listed = {row["id"]: row for row in world["projects"]}
    brand_names = {b["id"]: b["brand_name"] for b in world["brands"]}
    campaign_names = {c["id"]: c["name"] for c in world["campaigns"]}
    costs = []
    for row in p["projects"]:
        where = row["id"]
        project = listed[where]
        assert (row["name"], row["status"], row["type"], row["channel"], row["organization_id"], row["brand_id"],
                row["campaign_id"], row["created_at"]) == (
            project["name"], project["status"], project["type"], project["channel"], project["org_id"],
            project["brand_id"], project["campaign_id"], project["created_at"]), where
        assert row["organization_name"] == names[row["organization_id"]] == project["org_name"]
        assert row["brand_name"] == brand_names.get(row["brand_id"]) == project["brand_name"], where
        assert row["campaign_name"] == campaign_names.get(row["campaign_id"]) == project["campaign_name"], where
        detail = data(client.get_project(where))
        assert (row["protocol"], row["total_recipients"], row["updated_at"]) == (
            detail["protocol"], detail["total_recipients"], detail["updated_at"]), where
        metrics = data(client.get_project_stats(where))["metrics"]
        assert {k: row[k] for k in METRIC_OF_ROW} == {k: metrics[m] for k, m in METRIC_OF_ROW.items()}, where
        assert (row["completed_at"] is not None) == (row["status"] == "completed"), where
        cost = Decimal(row["actual_cost"])
        assert (cost > 0) == (row["messages_delivered"] > 0), f"{where}: {cost} for {row['messages_delivered']} delivered"
        costs.append(cost)
    assert max(costs) > 0, "a seeded project that sent has a cost"
    # Rows newest first (README, Stats).
    created = [row["created_at"] for row in p["projects"]]
    assert created == sorted(created, reverse=True)


def test_all_project_stats_limit_and_offset_go_as_strings_and_page_every_row(box, validator):
    class Recording(ValidatingTransport):
        """Keeps the query string of every GET /projects/stats the SDK sends."""

        queries: list[str]

        def handle_request(self, request):
            if request.url.path.endswith("/projects/stats"):
                self.queries.append(request.url.query.decode())
            return super().handle_request(request)

    transport = Recording(validator)
    transport.queries = []
    client = RecordingClient(api_key=box.keys["elevated"]["key"], base_url=box.box.base_url, max_retries=0,
                             timeout=10.0, transport=transport)
    try:
        start, end = day(-30), TODAY
        everything = data(client.get_all_project_stats(start, end))
        assert "limit=" not in transport.queries[-1] and "offset=" not in transport.queries[-1]
        check_project_stats(everything, start, end)  # the defaults: limit 100, offset 0
        total = everything["pagination"]["totalCount"]
        seen = []
        offset = 0
        while True:
            page = data(client.get_all_project_stats(start, end, limit=2, offset=offset))
            # get_all_project_stats sends str(limit) / str(offset), as the API reads them.
            assert transport.queries[-1] == f"startDate={start}&endDate={end}&limit=2&offset={offset}"
            check_project_stats(page, start, end, limit=2, offset=offset)
            assert page["summary"] == everything["summary"], "the summary covers every row, not the page"
            seen += page["projects"]
            if not page["pagination"]["hasMore"]:
                break
            offset += 2
        assert seen == everything["projects"], "pages of 2 visit every row once, in order"
        past = data(client.get_all_project_stats(start, end, limit=1000, offset=total))
        check_project_stats(past, start, end, limit=1000, offset=total)
        assert past["projects"] == [] and past["pagination"]["hasMore"] is False
        one = data(client.get_all_project_stats(start, end, limit=1, offset=total - 1))
        assert one["projects"] == everything["projects"][-1:]
        for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
            err = raises(lambda: client.get_all_project_stats(start, end, **bad), 400, "VALIDATION_ERROR")
            assert detail_fields(err) == list(bad), err.body
    finally:
        client.close()


def test_all_project_stats_status_filter(client):
    start, end = day(-30), TODAY
    everything = data(client.get_all_project_stats(start, end))
    breakdown = everything["summary"]["statusBreakdown"]
    assert len(breakdown) >= 4, breakdown
    # ProjectStatsStatusFilter: 'draft' | 'active' | 'completed' | 'paused' | 'all';
    # active = scheduled or sending (CONTRACT §9 / README).
    expect = {"draft": {"draft"}, "active": {"scheduled", "sending"}, "completed": {"completed"},
              "paused": {"paused"}, "all": set(PROJECT_STATUSES)}
    for status, matches in expect.items():
        p = data(client.get_all_project_stats(start, end, status=status))
        check_project_stats(p, start, end)
        assert p["projects"] == [r for r in everything["projects"] if r["status"] in matches], status
        assert p["pagination"]["totalCount"] == sum(n for s, n in breakdown.items() if s in matches), status
    err = raises(lambda: client.get_all_project_stats(start, end, status="sideways"), 400, "VALIDATION_ERROR")
    assert detail_fields(err) == ["status"]


# ---------------------------------------------------------------------------
# The date rules, as the SDK raises them
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(MAX_AGE))
def test_the_date_rules(client, method):
    call: Callable[..., dict] = getattr(client, method)
    max_age = MAX_AGE[method]
    ok = lambda start, end: data(call(start, end))  # noqa: E731

    def refused(start, end, status, code):
        err = raises(lambda: call(start, end), status, code)
        assert str(err) == err.body["error"] and err.body["error"], "the SDK's message is the API's error"
        return err

    # At most 31 days, both ends included.
    ok(day(-30), TODAY)
    ok(day(-15), day(15))
    refused(day(-31), TODAY, 400, "RANGE_TOO_LARGE")
    refused(day(-100), day(-60), 400, "RANGE_TOO_LARGE")
    # A start at most 180 days back (90 for GET /projects/stats), relative to the sandbox clock.
    ok(day(-max_age), day(-max_age + 1))
    refused(day(-max_age - 1), day(-max_age + 1), 400, "RANGE_TOO_OLD")
    refused(day(-400), day(-390), 400, "RANGE_TOO_OLD")
    if max_age == 90:
        # The SDK's split: what the messages and the ledger take, projects refuse.
        assert data(client.get_message_stats(day(-91), day(-90)))["dateRange"]["startDate"] == day(-91)
        refused(day(-91), day(-90), 400, "RANGE_TOO_OLD")
    # Today alone and the future are fine.
    ok(TODAY, TODAY)
    ok(day(1), day(31))
    # An end before the start.
    err = refused(TODAY, day(-1), 400, "VALIDATION_ERROR")
    assert detail_fields(err) == ["endDate"], err.body
    # Not YYYY-MM-DD, in either parameter, or missing.
    for bad in ("2026-11-3", "11/03/2026", "2026/11/03", "20261103", "2026-02-30", "2026-13-01", "today",
                "2026-11-03T00:00:00Z", " 2026-11-03"):
        refused(bad, TODAY, 400, "INVALID_DATE_FORMAT")
        refused(day(-1), bad, 400, "INVALID_DATE_FORMAT")
    refused(None, TODAY, 400, "INVALID_DATE_FORMAT")
    refused(TODAY, None, 400, "INVALID_DATE_FORMAT")


# An empty date is a date not in YYYY-MM-DD, like a missing one (CONTRACT §9).
@pytest.mark.parametrize("method", sorted(MAX_AGE))
def test_an_empty_date_is_invalid_date_format(client, method):
    call: Callable[..., dict] = getattr(client, method)
    raises(lambda: call("", TODAY), 400, "INVALID_DATE_FORMAT")
    raises(lambda: call(day(-1), ""), 400, "INVALID_DATE_FORMAT")


# ---------------------------------------------------------------------------
# Live numbers: a simulated send and an analysis, each on a sandbox of its own
# ---------------------------------------------------------------------------


@pytest.fixture
def fresh(validator) -> Iterator[Callable[..., Fresh]]:
    started: list[Fresh] = []

    def start(*extra_args: str) -> Fresh:
        box = Fresh(validator, extra_args)
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()


def lines_of(usage: dict, org: str, product: str) -> list[dict]:
    return [line for o in usage["organizations"] if o["organizationId"] == org for line in o["usage"]
            if line["productCode"] == product]


def initiated(by: dict, initiator: str, product: str, on: str) -> list[dict]:
    return [line for i in by["initiators"] if i["initiatingOrganizationId"] == initiator for line in i["usage"]
            if line["productCode"] == product and line["date"] == on]


def total(lines: list[dict], field: str) -> float:
    return sum(line[field] for line in lines)


def test_a_send_adds_its_messages_and_its_cost_to_today(fresh):
    f = fresh()
    client = f.client("child")
    agency_client = f.client("elevated")
    child, agency = f.keys["child"]["organization_id"], f.keys["root"]["organization_id"]
    today = f.now()[:10]
    b = project_over_mixed(f, client, org_id=child, name="Stats send (python)", accept=unmetered(client))
    before = data(client.get_message_stats(today, today, organization_id=child))
    usage_before = data(client.get_ledger_usage(today, today, organization_id=child, campaign_id=b.campaign_id))
    agency_before = data(agency_client.get_ledger_usage_by_initiator(today, today, organization_id=agency))
    row_before = next(r for r in data(client.get_all_project_stats(today, today, campaign_id=b.campaign_id))["projects"]
                      if r["id"] == b.project_id)
    assert (row_before["status"], row_before["messages_sent"], row_before["actual_cost"]) == ("awaiting_test", 0, "0.0000")

    data(client.schedule_project(b.project_id, f.now(), TIMEZONE))
    f.advance(3 * HOUR)
    assert f.now()[:10] == today, "the send stays on the clock start's day"
    assert data(client.get_project(b.project_id))["status"] == "completed"
    metrics = data(client.get_project_stats(b.project_id))["metrics"]
    assert metrics["delivered"] >= 5 and metrics["undeliverable"] >= 2, metrics

    # Today's message counts grow by the project's metrics, each message once under its status.
    after = data(client.get_message_stats(today, today, organization_id=child))
    check_message_stats(after, today, today)
    grew = lambda status: (after["totals"].get(status, {}).get("count", 0)  # noqa: E731
                           - before["totals"].get(status, {}).get("count", 0))
    assert grew("delivered") == metrics["delivered"], (after["totals"], metrics)
    assert grew("failed") == metrics["undeliverable"], (after["totals"], metrics)
    assert grew("sent") == metrics["sent"] - metrics["delivered"] - metrics["undeliverable"], "no receipt: still sent"
    assert grew("received") >= metrics["replies"]
    assert set(after["totals"]) <= {"sent", "delivered", "failed", "received"}, "nothing left in flight"
    assert after["summary"]["projectCount"] >= 1 and after["summary"]["organizationCount"] == 1
    assert [r["date"] for r in after["byDay"]] == [today] * len(after["byDay"])

    # The project's row: its metrics, and what its organization was charged.
    stats = data(client.get_all_project_stats(today, today, campaign_id=b.campaign_id, status="completed"))
    check_project_stats(stats, today, today)
    row = next(r for r in stats["projects"] if r["id"] == b.project_id)
    assert {k: row[k] for k in METRIC_OF_ROW} == {k: metrics[m] for k, m in METRIC_OF_ROW.items()}, row
    # total_recipients is get_project's (both drop 0005 once its STOP opted it out).
    detail = data(client.get_project(b.project_id))
    assert (row["status"], row["organization_id"], row["campaign_id"], row["total_recipients"]) == (
        "completed", child, b.campaign_id, detail["total_recipients"]), row
    assert b.recipients - 1 <= row["total_recipients"] <= b.recipients
    assert row["completed_at"] is not None and parse_ts(row["completed_at"]) <= parse_ts(f.now())
    assert ACTUAL_COST.match(row["actual_cost"]), row["actual_cost"]
    cost = float(row["actual_cost"])
    assert cost > 0, "a send that delivered costs something"
    delivered_cost = after["totals"]["delivered"]["totalCost"] - before["totals"].get("delivered", {}).get("totalCost", 0)
    assert units(delivered_cost) == units(cost), "the delivered messages cost what the organization paid"

    # The ledger: the campaign's sms lines today are the project's actual_cost, negative.
    usage = data(client.get_ledger_usage(today, today, organization_id=child, campaign_id=b.campaign_id))
    check_usage(usage, today, today, {child: row["organization_name"]})
    sms, sms_before = lines_of(usage, child, "sms"), lines_of(usage_before, child, "sms")
    charged = total(sms, "totalAmount") - total(sms_before, "totalAmount")
    assert units(charged) == -units(cost), f"{charged} charged for an actual_cost of {cost}"
    parts = total(sms, "quantity") - total(sms_before, "quantity")
    assert parts >= metrics["delivered"], "every delivered message is at least one part"
    # Each ancestor pays for the same parts at its own rate, initiated by the child's key.
    agency_after = data(agency_client.get_ledger_usage_by_initiator(today, today, organization_id=agency))
    from_child = initiated(agency_after, child, "sms", today)
    assert total(from_child, "quantity") - total(initiated(agency_before, child, "sms", today), "quantity") == parts
    assert all(line["unitPrice"] > 0 > line["totalAmount"] for line in from_child), from_child


def test_an_analysis_is_one_carrier_lookup_charge_and_a_replayed_retry_adds_none(fresh):
    f = fresh()
    client = f.client("child")
    agency_client = f.client("elevated")
    child, agency = f.keys["child"]["organization_id"], f.keys["root"]["organization_id"]
    today = f.now()[:10]
    list_id = import_ready(client, f.advance, f.files["contacts-clean.csv"]["url"], "Stats analysis (python)", "phone",
                           organization_id=child)["list_id"]

    def lookups() -> tuple[list[dict], list[dict], list[dict]]:
        mine = data(client.get_ledger_usage(today, today, organization_id=child))
        above = data(agency_client.get_ledger_usage(today, today, organization_id=agency))
        by = data(agency_client.get_ledger_usage_by_initiator(today, today, organization_id=agency))
        return (lines_of(mine, child, "carrier_lookup"), lines_of(above, agency, "carrier_lookup"),
                initiated(by, child, "carrier_lookup", today))

    before = lookups()
    first = data(client.analyze_contact_list(list_id, idempotency_key="sdk-py-stats-analysis"))
    queued = first["analysis"]["numbers_queued"]
    assert queued == 25 and first["cost_cents"] > 0, first
    charged = lookups()
    delta = lambda i, field: total(charged[i], field) - total(before[i], field)  # noqa: E731
    # One charge to the organization: the numbers queued, at cost_cents, negative.
    assert (delta(0, "quantity"), delta(0, "transactionCount")) == (queued, 1), charged[0]
    assert units(delta(0, "totalAmount")) == -first["cost_cents"] * 100, (charged[0], first["cost_cents"])
    # And one to the agency above it, at the agency's own rate, initiated by the child's key.
    assert (delta(1, "quantity"), delta(1, "transactionCount")) == (queued, 1), charged[1]
    assert delta(1, "totalAmount") < 0
    assert (delta(2, "quantity"), delta(2, "transactionCount")) == (queued, 1), charged[2]

    # The same Idempotency-Key replays the answer and charges nothing more; neither does completion.
    assert data(client.analyze_contact_list(list_id, idempotency_key="sdk-py-stats-analysis")) == first
    assert lookups() == charged
    assert analysis_done(client, f.advance, list_id)["analysis"]["analyzed_numbers"] == queued
    assert lookups() == charged
