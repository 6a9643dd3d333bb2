//! The catalogue of error codes: each code is named once here with its HTTP status, what it means
//! and where it comes from. Handlers refer to codes by name, the envelope writes `code` and
//! `statusCode` from here, and the OpenAPI document lists each operation's codes from here, so a
//! code cannot drift between the answer and its documentation.

macro_rules! catalogue {
    ($($variant:ident => $wire:literal, $status:literal, $origin:ident, $meaning:literal;)+) => {
        /// Every error code the sandbox answers with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant),+
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The wire spelling (`code` of the envelope).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $wire),+ }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status),+ }
            }

            /// What the code means, for the OpenAPI document and the README.
            pub fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning),+ }
            }

            /// Where the code comes from.
            pub fn origin(self) -> Origin {
                match self { $(Code::$variant => Origin::$origin),+ }
            }
        }
    };
}

/// Whether a public source names a code, or the sandbox defined it where the sources are silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Named by the docs or the official SDKs.
    Documented,
    /// Defined by the sandbox (listed as such in the README).
    Sandbox,
}

catalogue! {
    InvalidApiKey => "INVALID_API_KEY", 401, Documented,
        "The X-API-Key header is missing, malformed, unknown or revoked.";
    OrgAccessDenied => "ORG_ACCESS_DENIED", 403, Documented,
        "An organization filter names an organization outside the key's tree.";
    PermissionDenied => "PERMISSION_DENIED", 403, Documented,
        "The key lacks the scope the method needs (`write` for POST, PATCH, PUT and DELETE).";
    RateLimitExceeded => "RATE_LIMIT_EXCEEDED", 429, Documented,
        "The key's rate-limit window is used up; see Retry-After and retryAfter.";
    NotFound => "NOT_FOUND", 404, Documented,
        "No such resource in the key's tree (or no such route).";
    ValidationError => "VALIDATION_ERROR", 400, Documented,
        "The request is invalid; details lists every problem as {field, message}.";
    InsufficientBalance => "INSUFFICIENT_BALANCE", 402, Documented,
        "The organization's balance does not cover the work.";
    BrandOrgMismatch => "BRAND_ORG_MISMATCH", 400, Documented,
        "The brand belongs to another organization than organization_id.";
    EmailEarlyAccess => "EMAIL_EARLY_ACCESS", 403, Documented,
        "Email is in early access and not available to this organization.";
    OnboardingIncomplete => "ONBOARDING_INCOMPLETE", 403, Documented,
        "The organization's setup grace window is over and its profile or funding step is missing; details: {missingSteps, onboardingUrl}.";
    SendingPaused => "SENDING_PAUSED", 409, Documented,
        "Sending is paused for the organization or platform-wide; details: {scope}.";
    PhoneNumberUnavailable => "PHONE_NUMBER_UNAVAILABLE", 409, Documented,
        "A phone number is released or in use by another project.";
    ListAnalysisInProgress => "LIST_ANALYSIS_IN_PROGRESS", 409, Documented,
        "A contact list on the project is being analyzed; wait for analysis.status complete.";
    InvalidLinkPlaceholder => "INVALID_LINK_PLACEHOLDER", 400, Documented,
        "The tracking destination's placeholder does not match link_tracking_param_field (or a fallback URL was given without a whole-URL placeholder).";
    ProjectNotEditable => "PROJECT_NOT_EDITABLE", 409, Documented,
        "Only draft and awaiting_test projects can be edited.";
    ContactListInUse => "CONTACT_LIST_IN_USE", 409, Documented,
        "Projects use this contact list; details.projects lists them.";
    ConversationNotFound => "CONVERSATION_NOT_FOUND", 404, Documented,
        "No conversation with an inbound message and this id in the key's tree.";
    InvalidDateFormat => "INVALID_DATE_FORMAT", 400, Documented,
        "startDate and endDate must be dates in YYYY-MM-DD format.";
    RangeTooLarge => "RANGE_TOO_LARGE", 400, Documented,
        "The date range is longer than 31 days.";
    RangeTooOld => "RANGE_TOO_OLD", 400, Documented,
        "The range starts too far back: 180 days for message stats and the ledger, 90 for project stats.";
    ContactOptedOut => "CONTACT_OPTED_OUT", 409, Documented,
        "The contact of this conversation opted out; the organization may not text them.";
    ConversationNotSendable => "CONVERSATION_NOT_SENDABLE", 409, Documented,
        "This thread cannot take a reply (in the sandbox: a thread of test messages, or one no project sends on).";
    ProjectDeleted => "PROJECT_DELETED", 409, Documented,
        "The project this conversation belongs to no longer exists.";
    SendEnqueueFailed => "SEND_ENQUEUE_FAILED", 503, Documented,
        "The message could not be queued; nothing was sent or charged, so retrying the same call is safe (in the sandbox, only under a fault).";
    MediaInUse => "MEDIA_IN_USE", 409, Documented,
        "Projects use this media file; details.projects lists them.";
    MethodNotAllowed => "METHOD_NOT_ALLOWED", 405, Sandbox,
        "The path exists but not with this method; the Allow header lists the methods it takes.";
    InvalidJson => "INVALID_JSON", 400, Sandbox,
        "The request body is not valid JSON.";
    PayloadTooLarge => "PAYLOAD_TOO_LARGE", 413, Sandbox,
        "The request body is larger than the endpoint accepts.";
    FilesQuotaExceeded => "FILES_QUOTA_EXCEEDED", 413, Sandbox,
        "Hosted uploads together would exceed the sandbox's quota; delete some first.";
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE", 415, Sandbox,
        "The request body is not application/json.";
    ProjectNotReady => "PROJECT_NOT_READY", 409, Sandbox,
        "A draft project needs a contact list, a message and a phone number before it can be tested or scheduled.";
    ProjectSending => "PROJECT_SENDING", 409, Sandbox,
        "The project is sending; pause it first.";
    ProjectCompleted => "PROJECT_COMPLETED", 409, Sandbox,
        "The project has completed; copy it to send again.";
    ProjectNotPausable => "PROJECT_NOT_PAUSABLE", 409, Sandbox,
        "Only scheduled or sending projects can be paused.";
    ListNotReady => "LIST_NOT_READY", 409, Sandbox,
        "The contact list's import has not finished (or failed).";
    AnalysisNotComplete => "ANALYSIS_NOT_COMPLETE", 409, Sandbox,
        "The analyzed download exists once the list's analysis is complete.";
    IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED", 422, Sandbox,
        "The Idempotency-Key was used before with another method, path or body.";
    IdempotencyKeyInProgress => "IDEMPOTENCY_KEY_IN_PROGRESS", 409, Sandbox,
        "A request with this Idempotency-Key is still running.";
    ClockBackwards => "CLOCK_BACKWARDS", 400, Sandbox,
        "The sandbox clock never moves backwards.";
    ClockOutOfRange => "CLOCK_OUT_OF_RANGE", 400, Sandbox,
        "The sandbox clock stops at 9999-12-31T23:59:59.999Z.";
    SignatureDoesNotMatch => "SIGNATURE_DOES_NOT_MATCH", 403, Sandbox,
        "The hosted file's X-Amz-Signature is not valid for it.";
    RequestExpired => "REQUEST_EXPIRED", 403, Sandbox,
        "The presigned URL's X-Amz-Date + X-Amz-Expires has passed on the sandbox clock.";
    SignatureRequired => "SIGNATURE_REQUIRED", 403, Sandbox,
        "With a control token, hosted files are served only by their signed URL.";
    Unauthorized => "UNAUTHORIZED", 401, Sandbox,
        "The control plane needs Authorization: Bearer <control token>.";
    BadRequest => "BAD_REQUEST", 400, Sandbox,
        "The HTTP request itself is malformed.";
    RequestTimeout => "REQUEST_TIMEOUT", 408, Sandbox,
        "The request was not received in time.";
    LengthRequired => "LENGTH_REQUIRED", 411, Sandbox,
        "The request needs a Content-Length.";
    RequestHeaderFieldsTooLarge => "REQUEST_HEADER_FIELDS_TOO_LARGE", 431, Sandbox,
        "The request's headers are too large.";
    ImportsBusy => "IMPORTS_BUSY", 503, Sandbox,
        "Every import slot is busy fetching and parsing (--max-concurrent-imports); retry shortly.";
    InternalError => "INTERNAL_ERROR", 500, Sandbox,
        "A fault of the sandbox itself (a bug: please report it).";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_upper_snake_case_errors() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert!(c
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_'));
            assert!((400..600).contains(&c.status()), "{c:?}");
            assert!(!c.meaning().is_empty());
        }
    }
}
