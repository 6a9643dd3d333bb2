//! `POST /contact-lists/{id}/analyze` (billable LRN line-type analysis, on the sandbox clock; the
//! rules are `sim::analysis`) and `GET /contact-lists/{id}/download?type=original|analyzed` (CSV,
//! streamed: rendered from a snapshot of the contacts, off the world's lock, on the blocking
//! pool, in 64 KB chunks through a small channel, so a million-row download holds neither the
//! lock nor an async worker nor the whole file in memory).

use std::collections::HashSet;
use std::sync::Arc;

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::Serialize;

use super::find;
use crate::access::Caller;
use crate::api::examples;
use crate::domain::contacts::{phone_from_u64, AnalysisStatus, Contacts, ImportStatus, LineType};
use crate::domain::lrn;
use crate::domain::wire::{wire_enum, WireEnum};
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{respond, Query};
use crate::sim::analysis::{self, Started};
use crate::state::AppState;

pub fn configure(r: &mut Routes) {
    r.post("/contact-lists/{id}/analyze", analyze)
        .op(
            "analyzeContactList",
            "Start LRN line-type analysis of a list",
        )
        .describe(
            "202 with the cost when a run was queued (charged at once), 202 with cost 0 while a \
             run is going; 200 `complete` with cost 0 when every number is analyzed already.",
        )
        .path_param("id", "Contact list id", examples::unanalyzed_list_id)
        .answers::<AnalyzeAnswer>(202)
        .also_answers::<AnalyzeAnswer>(
            200,
            "Every number of the list is analyzed already: `complete`, cost 0.",
        )
        .errors(&[Code::ListNotReady, Code::InsufficientBalance]);
    r.get("/contact-lists/{id}/download", download)
        .op("downloadContactList", "Download a list as CSV")
        .describe("`analyzed` adds phone_type, carrier, is_mobile, opted_out, city and state.")
        .path_param("id", "Contact list id", examples::analyzed_list_id)
        .required_query::<DownloadType>("type", "`original` or `analyzed`", examples::download_type)
        .file(200, "text/csv")
        .errors(&[Code::ListNotReady, Code::AnalysisNotComplete]);
}

/// The run an analyze request queued, found going, or found finished.
#[derive(Serialize, JsonSchema)]
pub struct AnalysisRun {
    /// `processing`, or `complete` when nothing was left to analyze.
    status: AnalysisStatus,
    numbers_queued: u64,
    estimated_completion_seconds: i64,
    /// Present on the `complete` answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    analyzed_numbers: Option<u64>,
}

#[derive(Serialize, JsonSchema)]
pub struct AnalyzeAnswer {
    list_id: String,
    analysis: AnalysisRun,
    /// What this request charged (0 when nothing new was queued), in cents.
    #[serde(serialize_with = "crate::http::js_number")]
    cost_cents: f64,
}

pub async fn analyze(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let now = state.sim.clock.now();
    let rate = state.settings.sim.analysis_numbers_per_second;
    let mut world = state.sim.store.write();
    let list_id = find(&world, &caller, &path)?.id.clone();
    let started = analysis::start(&mut world, &list_id, &caller.org_id, now, rate)?;
    drop(world);
    let (status, run, cost) = match started {
        Started::AlreadyRunning {
            queued,
            remaining_seconds,
        } => (
            StatusCode::ACCEPTED,
            AnalysisRun {
                status: AnalysisStatus::Processing,
                numbers_queued: queued,
                estimated_completion_seconds: remaining_seconds,
                analyzed_numbers: None,
            },
            0.0,
        ),
        Started::NothingLeft { analyzed_numbers } => (
            StatusCode::OK,
            AnalysisRun {
                status: AnalysisStatus::Complete,
                numbers_queued: 0,
                estimated_completion_seconds: 0,
                analyzed_numbers: Some(analyzed_numbers),
            },
            0.0,
        ),
        Started::Queued {
            queued,
            seconds,
            cost_cents,
            completes_at,
            job,
        } => {
            state.sim.scheduler.schedule(completes_at, job);
            (
                StatusCode::ACCEPTED,
                AnalysisRun {
                    status: AnalysisStatus::Processing,
                    numbers_queued: queued,
                    estimated_completion_seconds: seconds as i64,
                    analyzed_numbers: None,
                },
                cost_cents,
            )
        }
    };
    Ok(respond(
        status,
        AnalyzeAnswer {
            list_id,
            analysis: run,
            cost_cents: cost,
        },
    ))
}

wire_enum!(
    /// Which CSV a download renders.
    DownloadType { Original => "original", Analyzed => "analyzed" }
);

/// What a download renders from: taken under the read lock, rendered after it is released.
struct Snapshot {
    contacts: Arc<Contacts>,
    analyzed: bool,
    seed: u64,
    /// The organization's opted-out numbers (analyzed downloads only).
    opted_out: HashSet<u64>,
}

/// The columns an analyzed download adds.
const ADDED: [&str; 6] = [
    "phone_type",
    "carrier",
    "is_mobile",
    "opted_out",
    "city",
    "state",
];

/// Bytes per streamed chunk.
const CHUNK: usize = 64 * 1024;
/// Chunks rendered ahead of the client at most.
const AHEAD: usize = 4;

/// An `io::Write` that hands full chunks to the response stream; fails once the client is gone,
/// which stops the rendering.
struct ChunkSender {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Bytes>,
}

impl ChunkSender {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl std::io::Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

fn render(s: &Snapshot, out: impl std::io::Write) -> Result<(), csv::Error> {
    let c = &s.contacts;
    let mut w = csv::WriterBuilder::new().from_writer(out);
    // An original column named like one the download adds keeps its values under
    // `original_<name>`, so readers that key rows by header lose nothing.
    let mut header: Vec<String> = vec!["phone_number".into()];
    header.extend(c.headers.iter().map(|h| {
        let clash = h.trim().eq_ignore_ascii_case("phone_number")
            || (s.analyzed && ADDED.iter().any(|a| a.eq_ignore_ascii_case(h.trim())));
        if clash {
            format!("original_{h}")
        } else {
            h.clone()
        }
    }));
    if s.analyzed {
        header.extend(ADDED.iter().map(|a| a.to_string()));
    }
    w.write_record(&header)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for i in 0..c.len() {
        row.clear();
        let phone = c.phones[i];
        row.push(phone_from_u64(phone));
        row.extend(c.row(i).map(str::to_string));
        if s.analyzed {
            let t = c.line_type(i).unwrap_or(LineType::Invalid);
            let (city, st) = lrn::place(phone);
            let opted_out = s.opted_out.contains(&phone)
                || lrn::magic(phone) == Some(lrn::Magic::AlreadyOptedOut);
            row.push(t.as_str().to_string());
            row.push(lrn::carrier(s.seed, phone, t).to_string());
            row.push((t == LineType::Mobile).to_string());
            row.push(opted_out.to_string());
            row.push(city.to_string());
            row.push(st.to_string());
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

pub async fn download(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(&req, &["type"]);
    let kind = q.enumeration::<DownloadType>("type");
    let missing = kind.is_none();
    q.finish()?;
    if missing {
        return Err(ApiError::validation(
            "type",
            "is required: 'original' or 'analyzed'",
        ));
    }
    let analyzed = kind == Some(DownloadType::Analyzed);
    let (snapshot, list_id) = {
        let world = state.sim.store.read();
        let list = find(&world, &caller, &path)?;
        if list.import.status != ImportStatus::Ready {
            return Err(ApiError::coded(
                Code::ListNotReady,
                "the list has no contacts to download until its import is ready",
            ));
        }
        if analyzed && list.analysis.status != AnalysisStatus::Complete {
            return Err(ApiError::coded(
                Code::AnalysisNotComplete,
                "the analyzed download is available once analysis.status is complete",
            ));
        }
        let opted_out = if analyzed {
            world
                .opt_outs
                .get(&list.org_id)
                .cloned()
                .unwrap_or_default()
        } else {
            HashSet::new()
        };
        let snapshot = Snapshot {
            contacts: Arc::clone(&list.contacts),
            analyzed,
            seed: world.seed,
            opted_out,
        };
        (snapshot, list.id.clone())
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(AHEAD);
    // The renderer stops by itself when the client goes away (the channel closes).
    tokio::task::spawn_blocking(move || {
        let out = ChunkSender {
            buf: Vec::with_capacity(CHUNK),
            tx,
        };
        let _ = render(&snapshot, out);
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(chunk), rx))
    });
    let file = format!(
        "{list_id}-{}.csv",
        if analyzed { "analyzed" } else { "original" }
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file)],
        })
        .streaming(body))
}
