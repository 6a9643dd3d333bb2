use pc_sandbox::sim::clock::ClockMode;
use pc_sandbox::{Config, Sandbox};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The clock start every test world is anchored at.
pub const START: &str = "2026-11-03T18:00:00Z";

pub const ROOT: &str = "pc_test_SandboxRootKey0000000000";
pub const CHILD: &str = "pc_test_SandboxChildKey000000000";
pub const GRANDCHILD: &str = "pc_test_SandboxGrandchildKey0000";
pub const READ_ONLY: &str = "pc_test_SandboxReadOnlyKey000000";
pub const REVOKED: &str = "pc_test_SandboxRevokedKey0000000";
pub const ELEVATED: &str = "pc_test_SandboxElevatedKey000000";
pub const ONBOARDING: &str = "pc_test_SandboxOnboardingKey0000";

pub struct TestApp {
    pub sandbox: Sandbox,
    pub client: reqwest::Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn data(&self) -> Value {
        let body = self.json();
        assert_eq!(
            body["success"], true,
            "not a success envelope: {}",
            self.text
        );
        body["data"].clone()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the error envelope with this status and code, and returns the body.
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        let body = self.json();
        assert_eq!(body["success"], false, "{}", self.text);
        assert_eq!(body["code"], code, "{}", self.text);
        assert_eq!(body["statusCode"], status, "{}", self.text);
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
        assert_eq!(
            body["correlationId"].as_str(),
            self.header("x-request-id"),
            "correlationId must be the request id"
        );
        body
    }
}

pub fn config() -> Config {
    Config {
        port: 0,
        clock_mode: ClockMode::Manual,
        clock_start: pc_sandbox::domain::time::parse_rfc3339(START),
        workers: Some(2),
        handle_signals: false,
        ..Config::default()
    }
}

/// A sandbox with the default world and the documented 100/hour limit.
pub async fn spawn_app() -> TestApp {
    spawn_with(config()).await
}

/// A sandbox with rate limits off, for tests that make many requests.
pub async fn spawn_unlimited() -> TestApp {
    spawn_with(Config {
        rate_limit: None,
        ..config()
    })
    .await
}

pub async fn spawn_with(config: Config) -> TestApp {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    TestApp {
        sandbox,
        client: reqwest::Client::new(),
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.sandbox.url()));
        if let Some(k) = key {
            req = req.header("X-API-Key", k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request is answered");
        Reply {
            status: res.status(),
            headers: res.headers().clone(),
            text: res.text().await.expect("body"),
        }
    }

    /// `GET /v1{path}` with `key`.
    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.request(Method::GET, &format!("/v1{path}"), Some(key), None)
            .await
    }

    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.request(method, &format!("/_sandbox{path}"), None, body)
            .await
    }

    /// The organization id of a seeded key's org.
    pub async fn org_of(&self, key: &str) -> String {
        let keys = self.control(Method::GET, "/keys", None).await.data();
        keys.as_array()
            .expect("array")
            .iter()
            .find(|k| k["key"] == key)
            .and_then(|k| k["organization_id"].as_str())
            .expect("key exists")
            .to_string()
    }

    /// `id → (name, parent id)` for every organization the root key sees, plus the other trees.
    pub async fn all_org_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for key in [
            ROOT,
            ONBOARDING,
            "pc_test_SandboxZeroBalanceKey000",
            "pc_test_SandboxPausedKey00000000",
        ] {
            for o in self
                .get("/organizations", key)
                .await
                .data()
                .as_array()
                .expect("array")
            {
                ids.push(o["id"].as_str().expect("id").to_string());
            }
        }
        ids
    }

    pub async fn advance(&self, seconds: u64) -> Value {
        self.control(
            Method::POST,
            "/clock/advance",
            Some(serde_json::json!({ "seconds": seconds })),
        )
        .await
        .data()
    }
}

impl TestApp {
    /// `POST /v1{path}` with a JSON body.
    pub async fn post(&self, path: &str, key: &str, body: Value) -> Reply {
        self.request(Method::POST, &format!("/v1{path}"), Some(key), Some(body))
            .await
    }

    /// The presigned URL of a hosted (bundled or uploaded) file, issued at the clock start (so the
    /// same URL every time, valid for 7 sandbox days from [`START`]).
    pub fn file_url(&self, name: &str) -> String {
        let start = pc_sandbox::domain::time::parse_rfc3339(START).expect("a time");
        let query =
            pc_sandbox::control::files::presigned_query_at(self.sandbox.state(), name, start);
        format!("{}/_sandbox/files/{name}?{query}", self.sandbox.url())
    }

    /// Hosts `bytes` as `name` and returns its URL.
    pub async fn host(&self, name: &str, bytes: impl Into<reqwest::Body>) -> String {
        let res = self
            .client
            .put(format!("{}/_sandbox/files/{name}", self.sandbox.url()))
            .body(bytes)
            .send()
            .await
            .expect("answered");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        body["data"]["url"].as_str().expect("url").to_string()
    }

    /// Imports `url` as a contact list with the root key and returns the list id.
    pub async fn import(&self, url: &str, phone_column: &str) -> String {
        let r = self
            .post(
                "/contact-lists/import",
                ROOT,
                serde_json::json!({"source_url": url, "list_name": "Test list", "phone_column": phone_column}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        r.data()["list_id"].as_str().expect("list id").to_string()
    }

    pub async fn list(&self, id: &str) -> Value {
        self.get(&format!("/contact-lists/{id}"), ROOT).await.data()
    }
}

/// Every item of a list answer.
pub fn items(v: &Value) -> &Vec<Value> {
    v.as_array().expect("data is an array")
}
