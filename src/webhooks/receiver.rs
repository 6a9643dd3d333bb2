//! A test receiver for webhook deliveries, like the svix server's: it records every request
//! (headers and raw body) and can be told to fail the next few or to hang. Tests start one on
//! port 0 in-process; it is public so Rust users can test their own webhook flows with it.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use parking_lot::Mutex;
use tokio::sync::{Notify, Semaphore};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Header names in lowercase.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// Host time.
    pub at: SystemTime,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

#[derive(Default)]
struct Behaviour {
    /// Answer this status to the next `n` requests.
    fail: Option<(usize, u16)>,
    hang: bool,
}

struct Shared {
    received: Mutex<Vec<Received>>,
    behaviour: Mutex<Behaviour>,
    arrived: Notify,
    /// Hanging requests wait on this; `release` ends them.
    release: Semaphore,
}

pub struct TestReceiver {
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Arc<Shared>>,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    shared.received.lock().push(Received {
        headers,
        body: body.to_vec(),
        at: SystemTime::now(),
    });
    shared.arrived.notify_waiters();
    let (fail, hang) = {
        let mut b = shared.behaviour.lock();
        let fail = match &mut b.fail {
            Some((n, status)) if *n > 0 => {
                *n -= 1;
                Some(*status)
            }
            _ => None,
        };
        (fail, b.hang)
    };
    if hang {
        // Held until released, or for a minute at most.
        let _ = tokio::time::timeout(Duration::from_secs(60), shared.release.acquire()).await;
    }
    match fail {
        Some(status) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
        )
        .body("receiver told to fail"),
        None => HttpResponse::Ok().body("ok"),
    }
}

impl TestReceiver {
    /// Starts a receiver on 127.0.0.1, port 0.
    pub async fn start() -> std::io::Result<TestReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            received: Mutex::default(),
            behaviour: Mutex::default(),
            arrived: Notify::new(),
            release: Semaphore::new(0),
        });
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(TestReceiver {
            addr,
            shared,
            handle,
        })
    }

    /// The URL to register (any path is accepted).
    pub fn url(&self) -> String {
        format!("http://{}/webhooks", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().clone()
    }

    /// Answers `status` to the next `n` requests.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.shared.behaviour.lock().fail = Some((n, status));
    }

    /// Holds every request without answering (until [`release`](Self::release)).
    pub fn hang(&self, on: bool) {
        self.shared.behaviour.lock().hang = on;
        if !on {
            self.release();
        }
    }

    /// Lets the requests held so far go.
    pub fn release(&self) {
        self.shared.release.add_permits(1_000);
    }

    /// Waits (host time, at most `timeout`) until at least `n` requests have arrived.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if self.shared.received.lock().len() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.shared.received.lock().len() >= n;
            }
        }
    }

    pub async fn stop(self) {
        self.release();
        self.handle.stop(false).await;
    }
}
