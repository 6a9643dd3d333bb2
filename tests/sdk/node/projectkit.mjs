// Helpers shared by the project tests and the in-use deletes (CONTRACT §7, §5, §6); the twin of
// ../python/projectkit.py. Everything a valid create body needs is found through the API, as a
// client would: a campaign, its own active 10DLC numbers (owned by the campaign's org, not
// `shared`) that no scheduled, sending or paused project holds, and a ready list of that org.

import { idPattern } from "./support.mjs";

export const PROJECT_ID = idPattern("proj");
export const TEST_MESSAGE_ID = idPattern("tmsg");
export const UNKNOWN_PROJECT = "proj_00000000000000000000000000";
export const HOLDING = ["scheduled", "sending", "paused"];
export const STATUSES = ["draft", "awaiting_test", "scheduled", "sending", "paused", "completed"];
// A short GSM-7 text with a standard merge tag: one segment even with the "STOP=END" footer.
export const MESSAGE = "Hi {first_name|there}, the rally is Saturday at 10am.";
export const COMPLETENESS_DRAFT = { has_list: false, has_message: true, has_phone_number: true, ready_to_test: false };
export const COMPLETENESS_READY = { has_list: true, has_message: true, has_phone_number: true, ready_to_test: true };
export const METRICS = ["sent", "delivered", "undeliverable", "clicks_total", "clicks_unique", "replies", "opt_outs"];
export const TEST_COUNTERS = ["sent", "delivered", "failed", "replies", "clicks_total", "clicks_unique"];
export const zeros = (keys) => Object.fromEntries(keys.map((k) => [k, 0]));

const data = (response) => {
  if (response?.success !== true) throw new Error(`not a success: ${JSON.stringify(response)}`);
  return response.data;
};

/** The numbers of every scheduled, sending or paused project the key can see. */
export async function heldNumbers(client) {
  const held = new Set();
  for (const row of data(await client.listProjects())) {
    if (HOLDING.includes(row.status)) for (const n of data(await client.getProject(row.id)).phone_number_ids) held.add(n);
  }
  return held;
}

/**
 * The first active campaign (that `accept` takes) with `numbers` free numbers of its own and a
 * ready list of its org: { org_id, brand_id, campaign_id, numbers, list_id, body(name, extra) },
 * `body` a CreateProjectRequest.
 */
export async function findSendable(client, { numbers = 1, orgId, accept = async () => true } = {}) {
  const held = await heldNumbers(client);
  const lists = data(await client.listContactLists());
  for (const campaign of data(await client.listCampaigns())) {
    if (campaign.campaign_status !== "ACTIVE" || (orgId && campaign.org_id !== orgId)) continue;
    if (!(await accept(campaign))) continue;
    const free = data(await client.listPhoneNumbers({ channel: "10dlc", campaign_id: campaign.id }))
      .filter((n) => n.org_id === campaign.org_id && !n.shared && n.status === "active" && !held.has(n.id))
      .map((n) => n.id);
    if (free.length < numbers) continue;
    let listId;
    for (const row of lists.filter((l) => l.org_id === campaign.org_id)) {
      if (data(await client.getContactList(row.id)).import.status === "ready") {
        listId = row.id;
        break;
      }
    }
    if (!listId) continue;
    return {
      org_id: campaign.org_id,
      brand_id: campaign.brand_id,
      campaign_id: campaign.id,
      numbers: free,
      list_id: listId,
      body(name, extra = {}) {
        return {
          organization_id: campaign.org_id, brand_id: campaign.brand_id, campaign_id: campaign.id,
          phone_number_ids: free.slice(0, 1), name, protocol: "sms", message_text: MESSAGE,
          contact_list_ids: [listId], ...extra,
        };
      },
    };
  }
  throw new Error(`no campaign with ${numbers} free numbers and a ready list (org ${orgId}, held ${[...held]})`);
}

/** CONTRACT §7: `sent_to` masked like +1555****100 (first five characters, last three). */
export const mask = (e164) => `${e164.slice(0, 5)}****${e164.slice(-3)}`;
