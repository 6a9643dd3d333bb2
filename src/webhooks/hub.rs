//! The delivery hub: the endpoint registry, the delivery log and one worker per endpoint.
//!
//! Published events come in through [`Hub::publish`] (from the simulation's dispatcher): each
//! endpoint that wants the event gets a delivery, queued on that endpoint's worker. A worker
//! posts its deliveries one at a time, in event order, with the real HTTP client and a timeout;
//! workers of different endpoints run side by side under one bound ([`MAX_CONCURRENT`]), so a
//! slow or dead receiver holds up only its own queue, never another endpoint or the API.
//!
//! A failed attempt is retried on the sandbox clock, [`RETRY_AFTER`] after each failure: the
//! worker schedules a `WebhookRetry` job, so a manual clock makes retries happen exactly when
//! `/_sandbox/clock/advance` passes their time. [`Hub::idle`] lets an advance wait until every
//! attempt that fell due has been made. Attempts are stamped with the sandbox time they were due
//! (deterministic); their latency is host time, and `X-Timestamp` is the host clock, as receivers
//! that reject stale timestamps need.
//!
//! Nothing is dropped silently: every delivery is in the log as pending, succeeded or failed,
//! and [`Hub::export`] / [`Hub::import`] carry the registry and the log (with pending bodies)
//! across a restart (`--state-file`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify, Semaphore};

use super::model::{Attempt, Delivery, DeliveryStatus, Endpoint, RESPONSE_BODY_MAX, RETRY_AFTER};
use super::signing::{sign, SIGNATURE_HEADER};
use crate::domain::ids::{self, Kind};
use crate::domain::time::Millis;
use crate::sim::jobs::Job;
use crate::sim::scheduler::Scheduler;

/// Attempts in flight across all endpoints at once.
pub const MAX_CONCURRENT: usize = 32;

/// The default real-time limit of one attempt (CONTRACT §10: a 2xx within 10 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a delivery worker is asked to do: attempt `delivery`, due at sandbox time `at`.
struct Task {
    delivery: String,
    at: Millis,
}

/// The registry and the log, as a state file keeps them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HubState {
    pub endpoints: Vec<Endpoint>,
    pub deliveries: Vec<Delivery>,
}

/// Scrambles a delivery's position into its id's random part (and back): ids look random, and
/// the log needs no index from id to position.
const ID_MASK: u128 = 0x8f3a_c6e1_27b4_9e05_d3c1;

/// The id of the delivery at log position `n`, created at `at`.
fn delivery_id(n: u64, at: Millis) -> String {
    format!(
        "{}{}",
        Kind::WebhookDelivery.prefix(),
        ulid::Ulid::from_parts(at.max(0) as u64, u128::from(n) ^ ID_MASK)
    )
}

/// The log position a delivery id names.
fn position(id: &str) -> Option<usize> {
    let ulid = ulid::Ulid::from_string(id.strip_prefix(Kind::WebhookDelivery.prefix())?).ok()?;
    usize::try_from(ulid.random() ^ ID_MASK).ok()
}

#[derive(Default)]
struct Log {
    deliveries: Vec<Delivery>,
}

impl Log {
    fn get(&self, id: &str) -> Option<&Delivery> {
        self.deliveries.get(position(id)?).filter(|d| d.id == id)
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Delivery> {
        self.deliveries
            .get_mut(position(id)?)
            .filter(|d| d.id == id)
    }

    fn push(&mut self, d: Delivery) {
        self.deliveries.push(d);
    }
}

struct Inner {
    endpoints: RwLock<BTreeMap<String, Endpoint>>,
    /// The endpoints the sandbox started with (fixtures, `--webhook`): what a reset restores.
    initial: RwLock<Vec<Endpoint>>,
    log: RwLock<Log>,
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<Task>>>,
    interned: RwLock<HashMap<String, Arc<str>>>,
    client: RwLock<reqwest::Client>,
    permits: Arc<Semaphore>,
    /// Deliveries queued or being attempted.
    busy: AtomicUsize,
    idle: Notify,
    rng: Mutex<ChaCha8Rng>,
    scheduler: Arc<Scheduler<Job>>,
    runtime: Mutex<Option<tokio::runtime::Handle>>,
    user_agent: String,
}

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// Why an endpoint's settings are refused: a sentence for the `details` of a 400.
pub type Problem = (&'static str, String);

impl Hub {
    pub fn new(seed: u64, scheduler: Arc<Scheduler<Job>>, timeout: Duration) -> Hub {
        let client = client(timeout);
        Hub {
            inner: Arc::new(Inner {
                endpoints: RwLock::default(),
                initial: RwLock::default(),
                log: RwLock::default(),
                queues: Mutex::default(),
                interned: RwLock::default(),
                client: RwLock::new(client),
                permits: Arc::new(Semaphore::new(MAX_CONCURRENT)),
                busy: AtomicUsize::new(0),
                idle: Notify::new(),
                rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed ^ 0x5745_4248_4f4f_4b53)),
                scheduler,
                runtime: Mutex::new(tokio::runtime::Handle::try_current().ok()),
                user_agent: format!("pc-sandbox/{}", env!("CARGO_PKG_VERSION")),
            }),
        }
    }

    /// The real-time limit of one attempt.
    pub fn set_timeout(&self, timeout: Duration) {
        *self.inner.client.write() = client(timeout);
    }

    /// Where workers run (the server's runtime, not a request's worker thread).
    pub fn set_runtime(&self, handle: tokio::runtime::Handle) {
        *self.inner.runtime.lock() = Some(handle);
    }

    // -----------------------------------------------------------------------------------------
    // The registry
    // -----------------------------------------------------------------------------------------

    /// A new endpoint id and raw secret material, from the hub's seeded rng.
    pub fn draw(&self, at: Millis) -> (String, String) {
        let mut rng = self.inner.rng.lock();
        (
            ids::new_id(Kind::WebhookEndpoint, at, &mut rng),
            ids::base62(32, &mut rng),
        )
    }

    pub fn add(&self, e: Endpoint) {
        self.inner.endpoints.write().insert(e.id.clone(), e);
    }

    /// Registers `e` as one the sandbox starts with (and a reset restores).
    pub fn add_initial(&self, e: Endpoint) {
        self.inner.initial.write().push(e.clone());
        self.add(e);
    }

    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.inner.endpoints.read().values().cloned().collect()
    }

    pub fn endpoint(&self, id: &str) -> Option<Endpoint> {
        self.inner.endpoints.read().get(id).cloned()
    }

    /// Changes endpoint `id` with `f`; `None` when there is none.
    pub fn update(&self, id: &str, f: impl FnOnce(&mut Endpoint)) -> Option<Endpoint> {
        let mut endpoints = self.inner.endpoints.write();
        let e = endpoints.get_mut(id)?;
        f(e);
        Some(e.clone())
    }

    pub fn remove(&self, id: &str) -> Option<Endpoint> {
        let removed = self.inner.endpoints.write().remove(id);
        // Its worker ends once its queue is dropped and drained.
        self.inner.queues.lock().remove(id);
        removed
    }

    // -----------------------------------------------------------------------------------------
    // Deliveries
    // -----------------------------------------------------------------------------------------

    /// Whether any enabled endpoint exists (when none, events need no rendering).
    pub fn listening(&self) -> bool {
        self.inner.endpoints.read().values().any(|e| e.enabled)
    }

    /// Delivers an event published at sandbox time `at` to every endpoint that wants it (or only
    /// to `only`, for `webhook.test`).
    pub fn publish(
        &self,
        event_id: &str,
        event_type: &str,
        body: Arc<[u8]>,
        at: Millis,
        only: Option<&str>,
    ) {
        let targets: Vec<Arc<str>> = self
            .inner
            .endpoints
            .read()
            .values()
            .filter(|e| only.map_or(e.wants(event_type), |id| e.id == id))
            .map(|e| self.interned(&e.id))
            .collect();
        let event_type: Arc<str> = Arc::from(event_type);
        for endpoint_id in targets {
            let mut log = self.inner.log.write();
            let id = delivery_id(log.deliveries.len() as u64, at);
            log.push(Delivery {
                id: id.clone(),
                endpoint_id: endpoint_id.clone(),
                event_id: event_id.to_string(),
                event_type: event_type.clone(),
                status: DeliveryStatus::Pending,
                attempts: Vec::new(),
                round_attempts: 0,
                next_attempt_at: Some(at),
                created_at: at,
                body: Some(body.clone()),
            });
            drop(log);
            self.queue(&endpoint_id, Task { delivery: id, at });
        }
    }

    /// The retry of `delivery` that fell due at `at` (the `WebhookRetry` job's effect).
    pub fn retry_due(&self, delivery: &str, at: Millis) {
        let endpoint = {
            let log = self.inner.log.read();
            let Some(d) = log.get(delivery) else {
                return;
            };
            if d.status != DeliveryStatus::Pending || d.next_attempt_at != Some(at) {
                return;
            }
            d.endpoint_id.to_string()
        };
        self.queue(
            &endpoint,
            Task {
                delivery: delivery.to_string(),
                at,
            },
        );
    }

    /// A failed delivery tried again by hand at `at`: a new round of the schedule. `None` when
    /// there is no such delivery; `Some(false)` when it is not failed.
    pub fn retry_now(&self, delivery: &str, at: Millis) -> Option<bool> {
        let endpoint = {
            let mut log = self.inner.log.write();
            let d = log.get_mut(delivery)?;
            if d.status != DeliveryStatus::Failed || d.body.is_none() {
                return Some(false);
            }
            d.status = DeliveryStatus::Pending;
            d.round_attempts = 0;
            d.next_attempt_at = Some(at);
            d.endpoint_id.to_string()
        };
        self.queue(
            &endpoint,
            Task {
                delivery: delivery.to_string(),
                at,
            },
        );
        Some(true)
    }

    /// One shared copy of an endpoint id for all its deliveries.
    fn interned(&self, id: &str) -> Arc<str> {
        if let Some(a) = self.inner.interned.read().get(id) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(id);
        self.inner
            .interned
            .write()
            .insert(id.to_string(), a.clone());
        a
    }

    fn queue(&self, endpoint_id: &str, task: Task) {
        self.inner.busy.fetch_add(1, Ordering::SeqCst);
        let mut queues = self.inner.queues.lock();
        let sender = queues.entry(endpoint_id.to_string()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let hub = self.clone();
            let runtime = self.inner.runtime.lock().clone();
            let worker = async move { hub.work(rx).await };
            match runtime {
                Some(rt) => {
                    rt.spawn(worker);
                }
                None => {
                    tokio::spawn(worker);
                }
            }
            tx
        });
        if sender.send(task).is_err() {
            self.done();
        }
    }

    fn done(&self) {
        if self.inner.busy.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.inner.idle.notify_waiters();
        }
    }

    /// Resolves once no delivery is queued or being attempted.
    pub async fn idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.inner.busy.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Deliveries queued or being attempted.
    pub fn busy(&self) -> usize {
        self.inner.busy.load(Ordering::SeqCst)
    }

    async fn work(&self, mut rx: mpsc::UnboundedReceiver<Task>) {
        while let Some(task) = rx.recv().await {
            let permit = self.inner.permits.clone().acquire_owned().await;
            self.attempt(task).await;
            drop(permit);
            self.done();
        }
    }

    /// Posts one delivery and records what happened.
    async fn attempt(&self, task: Task) {
        let found = self.inner.log.read().get(&task.delivery).cloned();
        let Some(d) = found else {
            return;
        };
        let (Some(body), DeliveryStatus::Pending) = (d.body.clone(), d.status) else {
            return;
        };
        let Some(endpoint) = self.endpoint(&d.endpoint_id) else {
            self.record(&task, failure("the endpoint was deleted"), false);
            return;
        };
        let started = Instant::now();
        let host_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let http = self.inner.client.read().clone();
        let sent = http
            .post(&endpoint.url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, sign(&endpoint.secret, &body))
            .header("X-Event-Type", &*d.event_type)
            .header("X-Event-ID", &d.event_id)
            .header("X-Timestamp", host_now.to_string())
            .header("User-Agent", &self.inner.user_agent)
            .body(body.to_vec())
            .send()
            .await;
        let (attempt, ok) = match sent {
            Ok(res) => {
                let code = res.status().as_u16();
                let text = match res.bytes().await {
                    Ok(b) => truncate(&b),
                    Err(_) => String::new(),
                };
                (
                    Attempt {
                        attempted_at: task.at,
                        status_code: Some(code),
                        latency_ms: started.elapsed().as_millis() as u64,
                        error: (!(200..300).contains(&code))
                            .then(|| format!("the receiver answered {code}")),
                        response_body: text,
                    },
                    (200..300).contains(&code),
                )
            }
            Err(e) => {
                let why = if e.is_timeout() {
                    "no answer within the timeout".to_string()
                } else if e.is_connect() {
                    "could not connect".to_string()
                } else {
                    format!("request failed: {e}")
                };
                let mut a = failure(&why);
                a.latency_ms = started.elapsed().as_millis() as u64;
                (a, false)
            }
        };
        let mut attempt = attempt;
        attempt.attempted_at = task.at;
        self.record(&task, attempt, ok);
    }

    /// Records an attempt's outcome and schedules the next one, if any.
    fn record(&self, task: &Task, mut attempt: Attempt, ok: bool) {
        attempt.attempted_at = task.at;
        let retry_at = {
            let mut log = self.inner.log.write();
            let Some(d) = log.get_mut(&task.delivery) else {
                return;
            };
            d.attempts.push(attempt);
            d.round_attempts += 1;
            if ok {
                d.status = DeliveryStatus::Succeeded;
                d.next_attempt_at = None;
                d.body = None;
                None
            } else if let Some(after) = RETRY_AFTER.get(d.round_attempts - 1) {
                let at = task.at + after;
                d.next_attempt_at = Some(at);
                Some(at)
            } else {
                d.status = DeliveryStatus::Failed;
                d.next_attempt_at = None;
                None
            }
        };
        if let Some(at) = retry_at {
            self.inner.scheduler.schedule(
                at,
                Job::WebhookRetry {
                    delivery_id: task.delivery.clone(),
                },
            );
        }
    }

    /// The log, newest first, filtered.
    pub fn deliveries(
        &self,
        endpoint_id: Option<&str>,
        event_type: Option<&str>,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Vec<Delivery> {
        self.inner
            .log
            .read()
            .deliveries
            .iter()
            .rev()
            .filter(|d| endpoint_id.is_none_or(|e| &*d.endpoint_id == e))
            .filter(|d| event_type.is_none_or(|t| &*d.event_type == t))
            .filter(|d| status.is_none_or(|s| d.status == s))
            .take(limit)
            .cloned()
            .collect()
    }

    /// (deliveries, pending, failed) in the log.
    pub fn counts(&self) -> (usize, usize, usize) {
        let log = self.inner.log.read();
        let mut pending = 0;
        let mut failed = 0;
        for d in &log.deliveries {
            match d.status {
                DeliveryStatus::Pending => pending += 1,
                DeliveryStatus::Failed => failed += 1,
                DeliveryStatus::Succeeded => {}
            }
        }
        (log.deliveries.len(), pending, failed)
    }

    pub fn delivery(&self, id: &str) -> Option<Delivery> {
        self.inner.log.read().get(id).cloned()
    }

    // -----------------------------------------------------------------------------------------
    // Reset and state files
    // -----------------------------------------------------------------------------------------

    /// Back to the endpoints the sandbox started with and an empty log.
    pub fn reset(&self) {
        self.inner.queues.lock().clear();
        *self.inner.log.write() = Log::default();
        let initial = self.inner.initial.read().clone();
        let mut endpoints = self.inner.endpoints.write();
        endpoints.clear();
        for e in initial {
            endpoints.insert(e.id.clone(), e);
        }
    }

    /// The registry and the whole log.
    pub fn export(&self) -> HubState {
        HubState {
            endpoints: self.endpoints(),
            deliveries: self.inner.log.read().deliveries.clone(),
        }
    }

    /// Takes over a state file's registry and log; pending deliveries are attempted again at
    /// `now` (each keeps its place in its endpoint's order). Returns how many were pending.
    pub fn import(&self, state: HubState, now: Millis) -> usize {
        for e in state.endpoints {
            self.add(e);
        }
        let mut pending = Vec::new();
        {
            let mut log = self.inner.log.write();
            for mut d in state.deliveries {
                if d.status == DeliveryStatus::Pending {
                    d.next_attempt_at = Some(now);
                    pending.push((d.endpoint_id.to_string(), d.id.clone()));
                }
                log.push(d);
            }
        }
        let n = pending.len();
        for (endpoint, delivery) in pending {
            self.queue(&endpoint, Task { delivery, at: now });
        }
        n
    }
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

fn failure(why: &str) -> Attempt {
    Attempt {
        attempted_at: 0,
        status_code: None,
        latency_ms: 0,
        error: Some(why.to_string()),
        response_body: String::new(),
    }
}

/// The first [`RESPONSE_BODY_MAX`] bytes as text (cut on a character boundary).
fn truncate(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(RESPONSE_BODY_MAX + 4)]);
    let mut end = text.len().min(RESPONSE_BODY_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_id_names_its_position() {
        for n in [0, 1, 77, 1 << 40] {
            let id = delivery_id(n, 1_793_728_800_000);
            assert!(id.starts_with("whd_"));
            assert_eq!(position(&id), Some(n as usize));
        }
        assert_ne!(delivery_id(1, 0), delivery_id(2, 0));
        assert_eq!(position("whd_nope"), None);
        assert_eq!(position("evt_01M6H92S80Q6WXRP9G1YD2E004"), None);
    }
}
