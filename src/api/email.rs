//! The `/email` surface. Production answers every email operation with 403 `EMAIL_EARLY_ACCESS`
//! until the product reaches general availability, so the sandbox does too: the 22 operations of
//! the SDK are routed (so other methods on these paths are 405s and other paths 404s), and each
//! answers that error after auth, rate limiting and scope checks, exactly like production.

use actix_web::HttpResponse;

use crate::error::{ApiError, Code};
use crate::http::routes::{ExampleContext, Method, Routes};
use serde_json::Value;

async fn early_access() -> Result<HttpResponse, ApiError> {
    Err(ApiError::EmailEarlyAccess)
}

/// The 22 email operations of the SDK: method, path, `operationId`, summary.
pub const OPERATIONS: &[(Method, &str, &str, &str)] = &[
    (
        Method::Get,
        "/email/domains",
        "listEmailDomains",
        "List sending domains",
    ),
    (
        Method::Get,
        "/email/domains/{id}",
        "getEmailDomain",
        "Get a sending domain",
    ),
    (
        Method::Get,
        "/email/senders",
        "listEmailSenders",
        "List senders",
    ),
    (
        Method::Get,
        "/email/senders/{id}",
        "getEmailSender",
        "Get a sender",
    ),
    (
        Method::Get,
        "/email/lists",
        "listEmailLists",
        "List email lists",
    ),
    (
        Method::Post,
        "/email/lists",
        "createEmailList",
        "Create an email list",
    ),
    (
        Method::Post,
        "/email/lists/import",
        "importEmailList",
        "Import an email list",
    ),
    (
        Method::Get,
        "/email/lists/{id}",
        "getEmailList",
        "Get an email list",
    ),
    (
        Method::Get,
        "/email/lists/{id}/contacts",
        "listEmailListContacts",
        "List an email list's contacts",
    ),
    (
        Method::Post,
        "/email/lists/{id}/contacts",
        "addEmailListContacts",
        "Add contacts to an email list",
    ),
    (
        Method::Get,
        "/email/suppressions",
        "listEmailSuppressions",
        "List suppressions",
    ),
    (
        Method::Post,
        "/email/suppressions",
        "addEmailSuppressions",
        "Add suppressions",
    ),
    (
        Method::Delete,
        "/email/suppressions",
        "removeEmailSuppressions",
        "Remove suppressions",
    ),
    (
        Method::Get,
        "/email/campaigns",
        "listEmailCampaigns",
        "List email campaigns",
    ),
    (
        Method::Post,
        "/email/campaigns",
        "createEmailCampaign",
        "Create an email campaign",
    ),
    (
        Method::Get,
        "/email/campaigns/{id}",
        "getEmailCampaign",
        "Get an email campaign",
    ),
    (
        Method::Post,
        "/email/campaigns/{id}/schedule",
        "scheduleEmailCampaign",
        "Schedule an email campaign",
    ),
    (
        Method::Post,
        "/email/campaigns/{id}/unschedule",
        "unscheduleEmailCampaign",
        "Unschedule an email campaign",
    ),
    (
        Method::Get,
        "/email/campaigns/{id}/stats",
        "getEmailCampaignStats",
        "Get an email campaign's stats",
    ),
    (
        Method::Get,
        "/email/templates",
        "listEmailTemplates",
        "List email templates",
    ),
    (
        Method::Post,
        "/email/templates",
        "createEmailTemplate",
        "Create an email template",
    ),
    (
        Method::Get,
        "/email/templates/{id}",
        "getEmailTemplate",
        "Get an email template",
    ),
];

fn any_id(_: &ExampleContext) -> Option<Value> {
    Some(Value::String("email_01JC0000000000000000000000".into()))
}

pub fn configure(r: &mut Routes) {
    r.tag("Email (early access)");
    for (method, path, id, summary) in OPERATIONS {
        let op = r
            .add(*method, path, early_access)
            .op(id, summary)
            .describe("Answers 403 EMAIL_EARLY_ACCESS, as production does until email is generally available.")
            .errors(&[Code::EmailEarlyAccess]);
        if path.contains("{id}") {
            op.path_param("id", "Email resource id", any_id);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn routes_exactly_the_22_sdk_operations() {
        assert_eq!(super::OPERATIONS.len(), 22);
        let mut ids: Vec<&str> = super::OPERATIONS.iter().map(|o| o.2).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 22);
    }
}
