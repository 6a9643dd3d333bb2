//! Fetching a user's `source_url` for real: http or https, a timeout, a size cap, and an SSRF
//! guard (link-local and cloud-metadata addresses are refused; loopback is allowed, which is how
//! the sandbox's own hosted files are fetched). Redirects are followed by hand so every hop goes
//! through the same guard.

use std::net::IpAddr;
use std::time::Duration;

use actix_web::web::{Bytes, BytesMut};
use reqwest::Url;

/// How far a fetch may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub timeout: Duration,
    /// Only loopback hosts (IP literals or `localhost`) may be fetched, checked before any name
    /// is resolved: `--fetch-loopback-only`, for runs that fuzz the API.
    pub loopback_only: bool,
}

/// Whether `url`'s host is a loopback IP literal or `localhost`.
fn is_loopback_host(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL itself is unusable: reported as a 400 on the request.
    #[error("{0}")]
    Refused(String),
    /// The fetch was tried and failed: reported on the imported resource.
    #[error("{0}")]
    Failed(String),
}

#[derive(Debug)]
pub struct Fetched {
    pub bytes: Bytes,
    pub content_type: Option<String>,
    /// The URL that answered, after redirects.
    pub url: Url,
}

fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            // fe80::/10 link-local, and the EC2 IMDS address fd00:ec2::254.
            (seg[0] & 0xffc0) == 0xfe80
                || seg == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254]
                || v6.is_unspecified()
        }
    }
}

/// Parses and checks a `source_url` before anything is fetched.
pub fn parse_source_url(raw: &str) -> Result<Url, FetchError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| FetchError::Refused(format!("source_url is not a valid URL: {e}")))?;
    match url.scheme() {
        "http" | "https" => {}
        "file" => return Err(FetchError::Refused(
            "file: URLs are refused; host the file (PUT /_sandbox/files/{name}) and use its url"
                .into(),
        )),
        other => {
            return Err(FetchError::Refused(format!(
                "source_url must be an http or https URL, not {other}:"
            )))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::Refused("source_url has no host".into()));
    }
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    if let Ok(ip) = host.parse::<IpAddr>() {
        check_ip(ip)?;
    }
    Ok(url)
}

fn check_ip(ip: IpAddr) -> Result<(), FetchError> {
    if forbidden(ip) {
        Err(FetchError::Refused(format!(
            "source_url points at {ip}, a link-local or cloud metadata address; it is refused"
        )))
    } else {
        Ok(())
    }
}

async fn resolve_and_check(url: &Url) -> Result<(), FetchError> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| FetchError::Failed(format!("could not resolve {host}: {e}")))?;
    for addr in addrs {
        check_ip(addr.ip())?;
    }
    Ok(())
}

/// The client every fetch uses: no proxies, no automatic redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("pc-sandbox/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

fn megabytes(n: u64) -> String {
    if n >= 1_048_576 {
        format!("{:.1} MB", n as f64 / 1_048_576.0)
    } else if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

fn too_big(size: Option<u64>, limit: u64) -> FetchError {
    let size = match size {
        Some(n) => format!("{n} bytes ({})", megabytes(n)),
        None => "larger".into(),
    };
    FetchError::Failed(format!(
        "the file is too big: {size}, over the limit of {limit} bytes ({})",
        megabytes(limit)
    ))
}

/// Fetches `url` (already checked by [`parse_source_url`]) within `limits`.
pub async fn fetch(
    client: &reqwest::Client,
    url: Url,
    limits: Limits,
) -> Result<Fetched, FetchError> {
    let work = async {
        let mut url = url;
        for _ in 0..=5 {
            if limits.loopback_only && !is_loopback_host(&url) {
                return Err(FetchError::Refused(format!(
                    "this sandbox fetches only loopback URLs (--fetch-loopback-only); {} is not one",
                    url.host_str().unwrap_or_default()
                )));
            }
            resolve_and_check(&url).await?;
            let mut res = client.get(url.clone()).send().await.map_err(|e| {
                let why = if e.is_connect() {
                    "connection refused or host unreachable"
                } else if e.is_timeout() {
                    "timed out"
                } else {
                    "request failed"
                };
                FetchError::Failed(format!("could not fetch {url}: {why}"))
            })?;
            let status = res.status();
            if status.is_redirection() {
                let next = res
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|loc| url.join(loc).ok())
                    .ok_or_else(|| {
                        FetchError::Failed(format!("{url} redirected without a usable Location"))
                    })?;
                url = parse_source_url(next.as_str())
                    .map_err(|e| FetchError::Failed(format!("redirect refused: {e}")))?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Failed(format!(
                    "fetching {url} answered HTTP {}{}",
                    status.as_u16(),
                    status
                        .canonical_reason()
                        .map(|r| format!(" {r}"))
                        .unwrap_or_default()
                )));
            }
            if let Some(len) = res.content_length() {
                if len > limits.max_bytes {
                    return Err(too_big(Some(len), limits.max_bytes));
                }
            }
            let content_type = res
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let mut buf = BytesMut::new();
            while let Some(chunk) = res.chunk().await.map_err(|e| {
                FetchError::Failed(format!("the download from {url} broke off: {e}"))
            })? {
                if (buf.len() + chunk.len()) as u64 > limits.max_bytes {
                    return Err(too_big(None, limits.max_bytes));
                }
                buf.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                bytes: buf.freeze(),
                content_type,
                url,
            });
        }
        Err(FetchError::Failed(
            "too many redirects (more than 5)".into(),
        ))
    };
    tokio::time::timeout(limits.timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(FetchError::Failed(format!(
                "fetching the file took longer than {} s",
                limits.timeout.as_secs()
            )))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_http_schemes_and_metadata_addresses() {
        assert!(
            matches!(parse_source_url("file:///etc/passwd"), Err(FetchError::Refused(m)) if m.contains("file:"))
        );
        assert!(parse_source_url("ftp://example.com/x.csv").is_err());
        assert!(parse_source_url("http://169.254.169.254/latest/meta-data").is_err());
        assert!(parse_source_url("http://[fd00:ec2::254]/latest").is_err());
        assert!(parse_source_url("http://[::ffff:169.254.169.254]/").is_err());
        assert!(parse_source_url("not a url").is_err());
        assert!(parse_source_url("http://127.0.0.1:4010/_sandbox/files/a.csv").is_ok());
        assert!(
            parse_source_url("https://bucket.s3.amazonaws.com/a.csv?X-Amz-Signature=1").is_ok()
        );
    }
}
