//! `POST /contact-lists/{id}/analyze` (billable LRN line-type analysis, on the sandbox clock) and
//! `GET /contact-lists/{id}/download?type=original|analyzed` (CSV).

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::find;
use crate::api::query::Query;
use crate::api::{ok, respond};
use crate::app::AppState;
use crate::domain::contacts::{phone_from_u64, AnalysisStatus, ImportStatus, LineType};
use crate::domain::ledger::round_cents;
use crate::domain::lrn;
use crate::domain::registry::WireEnum;
use crate::error::{ApiError, ApiResult};
use crate::middleware::gate::Caller;
use crate::sim::jobs::Job;
use crate::store::world::Charge;

pub async fn analyze(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::parse(req.query_string(), &[]).finish()?;
    let now = state.clock.now();
    let mut world = state.store.write();
    let list = find(&world, &caller, &path)?;
    match list.import.status {
        ImportStatus::Ready => {}
        ImportStatus::Failed => {
            return Err(ApiError::conflict(
                "LIST_NOT_READY",
                "the list's import failed; nothing can be analyzed",
            ))
        }
        _ => {
            return Err(ApiError::conflict(
                "LIST_NOT_READY",
                "the list is still importing; analyze it once its import status is ready",
            ))
        }
    }
    let list_id = list.id.clone();
    let org_id = list.org_id.clone();
    if list.analysis.status == AnalysisStatus::Processing {
        let remaining = list
            .analysis
            .completes_at
            .map_or(0, |c| ((c - now).max(0) + 999) / 1000);
        return Ok(respond(
            StatusCode::ACCEPTED,
            json!({
                "list_id": list_id,
                "analysis": {
                    "status": "processing",
                    "numbers_queued": list.analysis.queued,
                    "estimated_completion_seconds": remaining,
                },
                "cost_cents": 0,
            }),
        ));
    }
    let pending = (0..list.contacts.len())
        .filter(|r| list.contacts.line_type(*r).is_none())
        .count() as u64;
    if pending == 0 {
        return Ok(ok(json!({
            "list_id": list_id,
            "analysis": {
                "status": "complete",
                "numbers_queued": 0,
                "estimated_completion_seconds": 0,
                "analyzed_numbers": list.analysis.analyzed_numbers,
            },
            "cost_cents": 0,
        })));
    }
    let org = world.orgs.get(&org_id).ok_or(ApiError::NotFound {
        resource: "Contact list",
    })?;
    let cost = round_cents(org.rates.lookup_cents * pending as f64);
    if org.balance_cents <= 0 || (org.balance_cents as f64) < cost {
        return Err(ApiError::coded(
            StatusCode::PAYMENT_REQUIRED,
            "INSUFFICIENT_BALANCE",
            "the organization's balance does not cover this analysis; add funds and retry",
        )
        .with_details(json!({
            "balance_cents": org.balance_cents,
            "required_cents": cost,
            "organization_id": org_id,
        })));
    }
    let charge = Charge {
        org_id: &org_id,
        initiating_org_id: &caller.org_id,
        kind: "carrier_lookup",
        quantity: pending,
        reference_id: &list_id,
        at: now,
    };
    let charged = world.charge(charge, |r| r.lookup_cents);
    let rate = state.settings.sim.analysis_numbers_per_second.max(1);
    let seconds = pending.div_ceil(rate).max(1);
    let completes_at = now + seconds as i64 * 1000;
    if let Some(list) = world.contact_lists.get_mut(&list_id) {
        list.analysis.status = AnalysisStatus::Processing;
        list.analysis.queued = pending;
        list.analysis.started_at = Some(now);
        list.analysis.completes_at = Some(completes_at);
    }
    drop(world);
    state.scheduler.schedule(
        completes_at,
        Job::AnalysisComplete {
            list_id: list_id.clone(),
        },
    );
    Ok(respond(
        StatusCode::ACCEPTED,
        json!({
            "list_id": list_id,
            "analysis": {
                "status": "processing",
                "numbers_queued": pending,
                "estimated_completion_seconds": seconds,
            },
            "cost_cents": charged,
        }),
    ))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DownloadType {
    Original,
    Analyzed,
}

impl WireEnum for DownloadType {
    const ALL: &'static [Self] = &[DownloadType::Original, DownloadType::Analyzed];
    fn as_str(self) -> &'static str {
        match self {
            DownloadType::Original => "original",
            DownloadType::Analyzed => "analyzed",
        }
    }
}

pub async fn download(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::parse(req.query_string(), &["type"]);
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
    let world = state.store.read();
    let list = find(&world, &caller, &path)?;
    if list.import.status != ImportStatus::Ready {
        return Err(ApiError::conflict(
            "LIST_NOT_READY",
            "the list has no contacts to download until its import is ready",
        ));
    }
    if analyzed && list.analysis.status != AnalysisStatus::Complete {
        return Err(ApiError::conflict(
            "ANALYSIS_NOT_COMPLETE",
            "the analyzed download is available once analysis.status is complete",
        ));
    }
    let c = &list.contacts;
    let mut w = csv::WriterBuilder::new().from_writer(Vec::with_capacity(c.len() * 64 + 256));
    const ADDED: [&str; 6] = [
        "phone_type",
        "carrier",
        "is_mobile",
        "opted_out",
        "city",
        "state",
    ];
    // An original column named like one the download adds keeps its values under
    // `original_<name>`, so readers that key rows by header lose nothing.
    let mut header: Vec<String> = vec!["phone_number".into()];
    header.extend(c.headers.iter().map(|h| {
        let clash = h.trim().eq_ignore_ascii_case("phone_number")
            || (analyzed && ADDED.iter().any(|a| a.eq_ignore_ascii_case(h.trim())));
        if clash {
            format!("original_{h}")
        } else {
            h.clone()
        }
    }));
    if analyzed {
        header.extend(ADDED.iter().map(|a| a.to_string()));
    }
    let write_err = |e: csv::Error| ApiError::Internal(format!("writing the CSV failed: {e}"));
    w.write_record(&header).map_err(write_err)?;
    let seed = state.settings.seed;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for i in 0..c.len() {
        row.clear();
        let phone = c.phones[i];
        row.push(phone_from_u64(phone));
        row.extend((0..c.headers.len()).map(|col| c.field(i, col).to_string()));
        if analyzed {
            let t = c.line_type(i).unwrap_or(LineType::Invalid);
            let (city, st) = lrn::place(phone);
            row.push(t.as_str().to_string());
            row.push(lrn::carrier(seed, phone, t).to_string());
            row.push((t == LineType::Mobile).to_string());
            row.push(world.is_opted_out(&list.org_id, phone).to_string());
            row.push(city.to_string());
            row.push(st.to_string());
        }
        w.write_record(&row).map_err(write_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("writing the CSV failed: {e}")))?;
    let file = format!(
        "{}-{}.csv",
        list.id,
        if analyzed { "analyzed" } else { "original" }
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file)],
        })
        .body(bytes))
}
