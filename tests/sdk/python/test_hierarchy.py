"""The hierarchy surface (CONTRACT §4) through the Python SDK, every method with and without each filter.

The unfiltered reads of the root org's `elevated` key describe the whole main
tree; each filtered read must return exactly the matching subset of it.
Every response is also schema-checked by the validating transport.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from support import CLOCK_START, id_pattern, parse_ts

CHANNELS = ("10dlc", "toll-free", "short-code", "rcs")
OWNER_TYPES = ("campaign", "toll_free_registration", "short_code", "unassigned")
TFV_STATUSES = ("draft", "In Progress", "Verified", "Rejected")
# 18:00 UTC on 2026-11-03 is 10:00 in Los Angeles (PST after 2026-11-01).
PACIFIC_DAY = "2026-11-03"

ORG_ID = id_pattern("org")
BRAND_ID = id_pattern("brand")
CAMPAIGN_ID = id_pattern("camp")
PHONE_ID = id_pattern("pn")
TFV_ID = id_pattern("tfv")
DOMAIN_ID = id_pattern("td")


def data(response: dict):
    assert response.get("success") is True, response
    return response["data"]


def row_keys(rows: list[dict]) -> Counter:
    """Rows as a multiset of (id, org_id): a shared number appears once per org it reaches."""
    return Counter((r["id"], r.get("org_id")) for r in rows)


@dataclass
class World:
    """The main tree as the root org's key sees it, unfiltered."""

    root_org_id: str
    hierarchy: dict
    nodes: dict[str, dict]
    parent: dict[str, str | None]
    orgs: list[dict]
    brands: list[dict]
    campaigns: list[dict]
    phones: list[dict]
    tfvs: list[dict]
    domains: list[dict]

    def subtree(self, org_id: str) -> set[str]:
        out, todo = set(), [self.nodes[org_id]]
        while todo:
            node = todo.pop()
            out.add(node["id"])
            todo.extend(node["childOrganizations"])
        return out

    def ancestors(self, org_id: str) -> list[str]:
        out, cur = [], self.parent[org_id]
        while cur is not None:
            out.append(cur)
            cur = self.parent[cur]
        return out

    def depth(self, org_id: str) -> int:
        return len(self.ancestors(org_id))


@pytest.fixture(scope="module")
def world(api, keys) -> World:
    hierarchy = data(api.get_hierarchy())
    nodes: dict[str, dict] = {}
    parent: dict[str, str | None] = {}
    todo = [(hierarchy, None)]
    while todo:
        node, parent_id = todo.pop()
        assert node["id"] not in nodes, f"org {node['id']} appears twice in the hierarchy"
        nodes[node["id"]] = node
        parent[node["id"]] = parent_id
        todo.extend((child, node["id"]) for child in node["childOrganizations"])
    return World(
        root_org_id=keys["elevated"]["organization_id"],
        hierarchy=hierarchy,
        nodes=nodes,
        parent=parent,
        orgs=data(api.list_organizations()),
        brands=data(api.list_brands()),
        campaigns=data(api.list_campaigns()),
        phones=data(api.list_phone_numbers()),
        tfvs=data(api.list_toll_free_verifications()),
        domains=data(api.list_tracking_domains()),
    )


# ---------------------------------------------------------------------------
# Organizations and hierarchy
# ---------------------------------------------------------------------------


def test_root_and_elevated_keys_belong_to_the_same_root_org(keys, world):
    assert keys["root"]["organization_id"] == keys["elevated"]["organization_id"] == world.root_org_id
    assert world.hierarchy["id"] == world.root_org_id


def test_list_organizations_returns_the_whole_tree_with_documented_fields(world):
    orgs = world.orgs
    ids = [o["id"] for o in orgs]
    assert len(ids) == len(set(ids)), "duplicate organizations"
    assert set(ids) == set(world.nodes), "list_organizations and get_hierarchy disagree on the tree"
    names = {o["id"]: o["display_name"] for o in orgs}
    for org in orgs:
        assert ORG_ID.match(org["id"]), org["id"]
        assert isinstance(org["display_name"], str) and org["display_name"]
        assert isinstance(org["status"], str) and org["status"]
        parse_ts(org["created_at"])
        parent_id = world.parent[org["id"]]
        if parent_id is None:
            assert org["parent_org_name"] is None, "the root organization has a parent name"
        else:
            assert org["parent_org_name"] == names[parent_id], org
    assert [o for o in orgs if o["parent_org_name"] is None] == [o for o in orgs if o["id"] == world.root_org_id]


def test_get_hierarchy_is_a_camelcase_tree_at_least_three_levels_deep(world):
    root = world.hierarchy
    assert root["parentId"] is None
    assert max(world.depth(org_id) for org_id in world.nodes) >= 2, "the tree is less than three levels deep"
    for org_id, node in world.nodes.items():
        assert node["parentId"] == world.parent[org_id]
        assert isinstance(node["name"], str) and node["name"]
        assert isinstance(node["status"], str) and node["status"]
        for field in ("contactEmail", "contactFirstName", "contactLastName"):
            assert node[field] is None or isinstance(node[field], str)
        assert parse_ts(node["createdAt"]) <= parse_ts(node["updatedAt"])
        for brand in node["brands"]:
            assert BRAND_ID.match(brand["id"])
            assert brand["organizationId"] == org_id
            parse_ts(brand["createdAt"])
            parse_ts(brand["updatedAt"])
            for campaign in brand["campaigns"]:
                assert CAMPAIGN_ID.match(campaign["id"])
                parse_ts(campaign["createdAt"])


def test_get_hierarchy_brands_and_campaigns_match_the_list_endpoints(world):
    tree_brands = {b["id"]: (org_id, b) for org_id, n in world.nodes.items() for b in n["brands"]}
    assert set(tree_brands) == {b["id"] for b in world.brands}
    for brand in world.brands:
        org_id, tree_brand = tree_brands[brand["id"]]
        assert brand["org_id"] == org_id
        assert {c["id"] for c in tree_brand["campaigns"]} == {
            c["id"] for c in world.campaigns if c["brand_id"] == brand["id"]
        }


@pytest.mark.parametrize("level", [1, 2])
def test_get_hierarchy_of_a_descendant_returns_its_subtree(api, world, level):
    candidates = sorted(o for o in world.nodes if world.depth(o) == level)
    assert candidates, f"no organization at level {level}"
    org_id = max(candidates, key=lambda o: len(world.subtree(o)))
    sub = data(api.get_hierarchy(organization_id=org_id))
    assert sub["id"] == org_id
    assert sub["parentId"] is None, "parentId is null for the root of the returned tree"
    ids, todo = set(), [sub]
    while todo:
        node = todo.pop()
        ids.add(node["id"])
        todo.extend(node["childOrganizations"])
    assert ids == world.subtree(org_id)
    assert {b["id"] for b in sub["brands"]} == {b["id"] for b in world.nodes[org_id]["brands"]}


# ---------------------------------------------------------------------------
# Brands and campaigns
# ---------------------------------------------------------------------------


def test_list_brands_documented_fields(world):
    names = {o["id"]: o["display_name"] for o in world.orgs}
    assert world.brands, "the main tree has no brands"
    assert len({b["org_id"] for b in world.brands}) >= 2, "brands sit in fewer than two organizations"
    for brand in world.brands:
        assert BRAND_ID.match(brand["id"])
        assert isinstance(brand["brand_name"], str) and brand["brand_name"]
        assert brand["org_name"] == names[brand["org_id"]]
        assert brand["tcr_brand_id"] is None or isinstance(brand["tcr_brand_id"], str)
        assert brand["identity_status"] is None or isinstance(brand["identity_status"], str)
        assert isinstance(brand["status"], str) and brand["status"]
        parse_ts(brand["created_at"])


def test_list_brands_filtered_by_each_organization(api, world):
    for org_id in world.nodes:
        rows = data(api.list_brands(organization_id=org_id))
        assert all(r["org_id"] == org_id for r in rows), f"organization_id={org_id} returned other orgs' brands"
        assert row_keys(rows) == row_keys([b for b in world.brands if b["org_id"] == org_id])


def test_list_campaigns_documented_fields(world):
    brands = {b["id"]: b for b in world.brands}
    assert world.campaigns, "the main tree has no campaigns"
    for campaign in world.campaigns:
        assert CAMPAIGN_ID.match(campaign["id"])
        assert isinstance(campaign["name"], str) and campaign["name"]
        brand = brands[campaign["brand_id"]]
        assert campaign["brand_name"] == brand["brand_name"]
        assert campaign["org_id"] == brand["org_id"]
        assert campaign["org_name"] == brand["org_name"]
        assert isinstance(campaign["campaign_status"], str) and campaign["campaign_status"]
        parse_ts(campaign["created_at"])


def test_list_campaigns_filtered_by_organization_brand_and_both(api, world):
    for org_id in world.nodes:
        rows = data(api.list_campaigns(organization_id=org_id))
        assert all(r["org_id"] == org_id for r in rows)
        assert row_keys(rows) == row_keys([c for c in world.campaigns if c["org_id"] == org_id])
    for brand in world.brands:
        rows = data(api.list_campaigns(brand_id=brand["id"]))
        assert all(r["brand_id"] == brand["id"] for r in rows)
        assert row_keys(rows) == row_keys([c for c in world.campaigns if c["brand_id"] == brand["id"]])
        both = data(api.list_campaigns(organization_id=brand["org_id"], brand_id=brand["id"]))
        assert row_keys(both) == row_keys(rows)
    # Filters combine with AND: a brand with another org's id matches nothing.
    brand = world.brands[0]
    other_org = next(o for o in world.nodes if o != brand["org_id"])
    assert data(api.list_campaigns(organization_id=other_org, brand_id=brand["id"])) == []


def test_campaign_throughput_for_every_campaign(api, world):
    metered = unmetered = 0
    for campaign in world.campaigns:
        tp = data(api.get_campaign_throughput(campaign["id"]))
        assert tp["campaign_id"] == campaign["id"]
        assert tp["carrier_metered"] == (tp["t_mobile"] is not None or tp["att"] is not None), tp
        if tp["t_mobile"] is not None:
            t = tp["t_mobile"]
            assert t["daily_cap"] > 0
            assert t["pacific_day"] == PACIFIC_DAY, f"sandbox clock starts at {CLOCK_START}"
            if t["used_today"] is not None and t["remaining_today"] is not None:
                assert t["used_today"] >= 0
                assert t["remaining_today"] == max(0, t["daily_cap"] - t["used_today"]), t
        if tp["att"] is not None:
            for rate in (tp["att"]["sms_tpm"], tp["att"]["mms_tpm"]):
                assert rate is None or rate > 0
        if tp["carrier_metered"]:
            metered += tp["t_mobile"] is not None
        else:
            unmetered += 1
    assert metered, "no campaign with a T-Mobile daily cap"
    assert unmetered, "no unmetered (political) campaign"


def test_campaign_throughput_of_an_unknown_campaign_is_404(api):
    from political_comms import PoliticalCommsError

    with pytest.raises(PoliticalCommsError) as err:
        api.get_campaign_throughput("camp_00000000000000000000000000")
    assert err.value.status_code == 404
    assert err.value.code.endswith("NOT_FOUND"), err.value.code


# ---------------------------------------------------------------------------
# Tracking domains
# ---------------------------------------------------------------------------


def test_list_tracking_domains_documented_fields(world):
    assert world.domains, "the main tree has no tracking domains"
    for domain in world.domains:
        assert domain["source"] in ("own", "inherited")
        assert DOMAIN_ID.match(domain["id"])
        assert isinstance(domain["domain"], str) and "." in domain["domain"]
        if domain["source"] == "own":
            assert domain["status"] == "active", "only active domains are listed"
            parse_ts(domain["created_at"])
            if domain["verified_at"] is not None:
                parse_ts(domain["verified_at"])


def test_list_tracking_domains_filtered_by_each_organization(api, world):
    owner: dict[str, str] = {}
    inherited: list[tuple[str, dict]] = []
    for org_id in world.nodes:
        for row in data(api.list_tracking_domains(organization_id=org_id)):
            if row["source"] == "own":
                assert row["id"] not in owner, f"domain {row['id']} owned by two orgs"
                owner[row["id"]] = org_id
            else:
                inherited.append((org_id, row))
    unfiltered_own = {d["id"] for d in world.domains if d["source"] == "own"}
    assert set(owner) == unfiltered_own, "per-org own domains do not add up to the unfiltered list"
    assert inherited, "no organization inherits a tracking domain"
    domains = {d["id"]: d["domain"] for d in world.domains}
    for org_id, row in inherited:
        assert row["id"] in owner, f"inherited domain {row['id']} is not owned by any org of the tree"
        assert owner[row["id"]] in world.ancestors(org_id), "a domain can only be inherited from an ancestor"
        assert row["domain"] == domains[row["id"]]


# ---------------------------------------------------------------------------
# Phone numbers
# ---------------------------------------------------------------------------

E164 = r"^\+1[2-9]\d{9}$"
TOLL_FREE = r"^\+18(00|33|44|55|66|77|88)\d{7}$"


def test_list_phone_numbers_documented_fields(world):
    import re

    names = {o["id"]: o["display_name"] for o in world.orgs}
    tfvs = {t["id"]: t for t in world.tfvs}
    campaigns = {c["id"]: c for c in world.campaigns}
    assert world.phones, "the main tree has no phone numbers"
    for pn in world.phones:
        assert PHONE_ID.match(pn["id"])
        assert pn["channel"] in CHANNELS, pn
        assert pn["owner_type"] in OWNER_TYPES, pn
        assert pn["org_name"] == names[pn["org_id"]]
        assert isinstance(pn["status"], str) and pn["status"]
        parse_ts(pn["created_at"])
        if pn["channel"] == "toll-free":
            assert re.match(TOLL_FREE, pn["number"]), pn["number"]
        elif pn["channel"] == "10dlc":
            assert re.match(E164, pn["number"]), pn["number"]
        if pn["shared"] is True:
            assert isinstance(pn["nickname"], str) and pn["nickname"], "a shared number needs a nickname"
            assert pn["brand_id"] is None and pn["brand_name"] is None, "owner names are null on shared rows"
        else:
            assert pn["shared"] is False
            assert pn["nickname"] is None, "nickname is null on owned rows"
        if pn["owner_type"] == "campaign":
            assert pn["campaign_id"] in campaigns, pn
            if not pn["shared"]:
                assert pn["campaign_name"] == campaigns[pn["campaign_id"]]["name"]
                assert pn["brand_id"] == campaigns[pn["campaign_id"]]["brand_id"]
        if pn["owner_type"] == "toll_free_registration":
            assert pn["toll_free_verification_id"] in tfvs, pn
        if pn["owner_type"] == "unassigned":
            assert pn["campaign_id"] is None and pn["toll_free_verification_id"] is None, pn
        if pn["toll_free_verification_id"] is not None:
            assert pn["tf_verification_status"] == tfvs[pn["toll_free_verification_id"]]["status"]


def test_main_tree_has_shared_numbers(world):
    shared = [p for p in world.phones if p["shared"]]
    assert shared, "no shared number in the main tree"
    for pn in shared:
        owners = [p["org_id"] for p in world.phones if p["number"] == pn["number"] and not p["shared"]]
        assert len(owners) == 1, f"shared {pn['number']} has owners {owners}"
        assert owners[0] in world.ancestors(pn["org_id"]), "numbers are shared by an ancestor organization"


@pytest.mark.parametrize("channel", CHANNELS)
def test_list_phone_numbers_filtered_by_channel(api, world, channel):
    rows = data(api.list_phone_numbers(channel=channel))
    assert rows, f"no {channel} number in the main tree"
    assert all(r["channel"] == channel for r in rows)
    assert row_keys(rows) == row_keys([p for p in world.phones if p["channel"] == channel])


@pytest.mark.parametrize("owner_type", OWNER_TYPES)
def test_list_phone_numbers_filtered_by_owner_type(api, world, owner_type):
    rows = data(api.list_phone_numbers(owner_type=owner_type))
    assert rows, f"no number with owner_type {owner_type} in the main tree"
    assert all(r["owner_type"] == owner_type for r in rows)
    assert row_keys(rows) == row_keys([p for p in world.phones if p["owner_type"] == owner_type])


def test_list_phone_numbers_filtered_by_organization_brand_and_campaign(api, world):
    for org_id in world.nodes:
        rows = data(api.list_phone_numbers(organization_id=org_id))
        assert all(r["org_id"] == org_id for r in rows)
        assert row_keys(rows) == row_keys([p for p in world.phones if p["org_id"] == org_id])
    for brand_id in sorted({p["brand_id"] for p in world.phones if p["brand_id"]}):
        rows = data(api.list_phone_numbers(brand_id=brand_id))
        assert rows and all(r["brand_id"] == brand_id for r in rows)
        assert row_keys(rows) == row_keys([p for p in world.phones if p["brand_id"] == brand_id])
    campaign_ids = sorted({p["campaign_id"] for p in world.phones if p["campaign_id"]})
    assert campaign_ids, "no number belongs to a campaign"
    for campaign_id in campaign_ids:
        rows = data(api.list_phone_numbers(campaign_id=campaign_id))
        assert rows and all(r["campaign_id"] == campaign_id for r in rows)
        assert row_keys(rows) == row_keys([p for p in world.phones if p["campaign_id"] == campaign_id])


def test_list_phone_numbers_filters_combine(api, world):
    rows = data(api.list_phone_numbers(channel="10dlc", owner_type="campaign"))
    expected = [p for p in world.phones if p["channel"] == "10dlc" and p["owner_type"] == "campaign"]
    assert expected, "no 10dlc campaign number"
    assert row_keys(rows) == row_keys(expected)
    org_id = expected[0]["org_id"]
    rows = data(api.list_phone_numbers(organization_id=org_id, channel="toll-free"))
    assert row_keys(rows) == row_keys(
        [p for p in world.phones if p["org_id"] == org_id and p["channel"] == "toll-free"]
    )


# ---------------------------------------------------------------------------
# Toll-free verifications
# ---------------------------------------------------------------------------


def test_list_toll_free_verifications_documented_fields(world):
    names = {o["id"]: o["display_name"] for o in world.orgs}
    assert {t["status"] for t in world.tfvs} >= set(TFV_STATUSES), "not every toll-free status is seeded"
    for tfv in world.tfvs:
        assert TFV_ID.match(tfv["id"])
        assert tfv["status"] in TFV_STATUSES, tfv["status"]
        assert isinstance(tfv["name"], str) and tfv["name"]
        assert tfv["org_name"] == names[tfv["org_id"]]
        assert isinstance(tfv["phone_number_count"], int) and tfv["phone_number_count"] >= 0
        parse_ts(tfv["created_at"])
        for field in ("submitted_at", "verified_at"):
            if tfv[field] is not None:
                parse_ts(tfv[field])
        if tfv["status"] == "draft":
            assert tfv["submitted_at"] is None and tfv["verified_at"] is None, tfv
        if tfv["status"] == "Verified":
            assert tfv["verified_at"] is not None, tfv


@pytest.mark.parametrize("status", TFV_STATUSES)
def test_list_toll_free_verifications_filtered_by_status(api, world, status):
    rows = data(api.list_toll_free_verifications(status=status))
    assert rows, f"no {status!r} verification"
    assert all(r["status"] == status for r in rows)
    assert row_keys(rows) == row_keys([t for t in world.tfvs if t["status"] == status])


def test_list_toll_free_verifications_filtered_by_organization(api, world):
    for org_id in world.nodes:
        rows = data(api.list_toll_free_verifications(organization_id=org_id))
        assert all(r["org_id"] == org_id for r in rows)
        assert row_keys(rows) == row_keys([t for t in world.tfvs if t["org_id"] == org_id])
    tfv = world.tfvs[0]
    both = data(api.list_toll_free_verifications(organization_id=tfv["org_id"], status=tfv["status"]))
    assert row_keys(both) == row_keys(
        [t for t in world.tfvs if t["org_id"] == tfv["org_id"] and t["status"] == tfv["status"]]
    )


def test_get_toll_free_verification_detail_matches_the_list_and_the_numbers(api, world):
    for row in world.tfvs:
        detail = data(api.get_toll_free_verification(row["id"]))
        for field, value in row.items():
            assert detail[field] == value, f"{row['id']}: detail {field}={detail[field]!r}, list {value!r}"
        assert len(detail["phone_number_ids"]) == detail["phone_number_count"]
        assert all(PHONE_ID.match(p) for p in detail["phone_number_ids"])
        owned = {p["id"] for p in world.phones if p["toll_free_verification_id"] == row["id"] and not p["shared"]}
        assert set(detail["phone_number_ids"]) == owned, f"{row['id']}: numbers differ from /phone-numbers"
        assert parse_ts(detail["updated_at"]) >= parse_ts(detail["created_at"])
        if detail["status"] == "Rejected":
            assert isinstance(detail["rejection_reason"], str) and detail["rejection_reason"]
