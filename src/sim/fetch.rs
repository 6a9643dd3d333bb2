//! Fetching a user's `source_url` for real: http or https, a timeout, a size cap, and an SSRF
//! guard. Loopback is allowed (127.0.0.0/8 and ::1): it is how the sandbox's own hosted files are
//! fetched. Refused: link-local 169.254.0.0/16 (the AWS, GCP, Azure and OCI metadata services)
//! and fe80::/10, Alibaba Cloud's metadata address 100.100.100.200, EC2's IPv6 metadata address
//! fd00:ec2::254, 0.0.0.0/8, :: and 255.255.255.255 — and every IPv6 form that embeds a refused
//! IPv4 address (mapped, compatible, translated, NAT64, 6to4, Teredo), because a dual-stack socket,
//! a NAT64 gateway or a tunnel relay carries a connection to such a form on to that IPv4 address.
//!
//! The guard has to judge the very addresses the client connects to, or DNS rebinding slips past
//! it: a name answers a harmless address while it is checked and the metadata address when the
//! client looks it up again to connect. So nothing here resolves a name apart from connecting.
//! The fetch client's resolver, [`GuardedResolver`], looks each name up once per connection,
//! refuses the whole name when any answer is forbidden, and hands the connector only the addresses
//! it checked. IP literals never reach a resolver, so they are checked in [`parse_source_url`] and
//! again before every hop. Redirects are followed by hand, so every hop goes through those same
//! checks and the same resolver; a refused redirect target fails the import with its reason (the
//! remote server chose it), while a refused `source_url` itself is a 400. A refusal raised inside the client comes back out of reqwest's
//! error chain as the same [`FetchError`], so the user reads the guard's own sentence.

use std::error::Error as _;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
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

/// `url`'s host when it is an IP literal. The URL parser has already normalized the other ways of
/// writing an IPv4 address (`2130706433`, `0x7f.1`) to dotted form.
fn literal_ip(url: &Url) -> Option<IpAddr> {
    url.host_str()?.trim_matches(['[', ']']).parse().ok()
}

/// Whether `url`'s host is a loopback IP literal or `localhost`.
fn is_loopback_host(url: &Url) -> bool {
    url.host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case("localhost"))
        || literal_ip(url).is_some_and(|ip| ip.is_loopback())
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

/// Alibaba Cloud's metadata service, which sits outside 169.254.0.0/16.
const ALIBABA_METADATA: Ipv4Addr = Ipv4Addr::new(100, 100, 100, 200);
/// EC2's metadata service over IPv6.
const EC2_METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

fn forbidden_v4(v4: Ipv4Addr) -> bool {
    // 169.254.0.0/16 holds the metadata services of most clouds; 0.0.0.0/8 is "this host" (a
    // connection to 0.0.0.0 reaches whatever listens on any local interface).
    v4.is_link_local() || v4.octets()[0] == 0 || v4.is_broadcast() || v4 == ALIBABA_METADATA
}

/// The IPv4 address that a connection to `v6` is carried on to, for the IPv6 forms that embed
/// one. The prefixes are disjoint, so at most one form applies.
fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let [.., a, b, c, d] = v6.octets();
    let last32 = Ipv4Addr::new(a, b, c, d);
    match v6.segments() {
        // IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, IPv4-translated ::ffff:0:0:0/96.
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0, 0, ..] | [0, 0, 0, 0, 0xffff, 0, ..] => {
            Some(last32)
        }
        // NAT64: the well-known prefix 64:ff9b::/96, and the local-use 64:ff9b:1::/48 read as a
        // /96 inside it (the IPv4 address in the last 32 bits).
        [0x64, 0xff9b, 0, 0, 0, 0, ..] | [0x64, 0xff9b, 1, ..] => Some(last32),
        // 6to4 2002::/16: the IPv4 address is bits 16..48.
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))),
        // Teredo 2001:0::/32: the client's IPv4 address is the last 32 bits, inverted.
        [0x2001, 0, ..] => Some(Ipv4Addr::from(!u32::from(last32))),
        _ => None,
    }
}

/// What makes `ip` forbidden, if it is: `ip` itself, or the refused IPv4 address it embeds.
///
/// An embedded loopback address (`::ffff:127.0.0.1`, `64:ff9b::7f00:1`, …) is allowed like
/// 127.0.0.0/8 itself: the guard judges what an address reaches, and loopback is allowed. Only
/// the embeddings of refused IPv4 addresses are refused.
fn forbidden_target(ip: IpAddr) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4).then_some(ip),
        IpAddr::V6(v6) => {
            // ::1 lies in ::/96, where it would read as 0.0.0.1.
            if v6.is_loopback() {
                return None;
            }
            // fe80::/10 link-local, EC2's metadata address, and ::.
            if (v6.segments()[0] & 0xffc0) == 0xfe80 || v6 == EC2_METADATA_V6 || v6.is_unspecified()
            {
                return Some(ip);
            }
            embedded_ipv4(v6)
                .filter(|&v4| forbidden_v4(v4))
                .map(IpAddr::V4)
        }
    }
}

/// Whether the guard refuses to connect to `ip`.
pub fn forbidden(ip: IpAddr) -> bool {
    forbidden_target(ip).is_some()
}

/// `ip`, saying which refused IPv4 address it embeds when that is what makes it forbidden.
fn describe(ip: IpAddr, target: IpAddr) -> String {
    if ip == target {
        ip.to_string()
    } else {
        format!("{ip} (which embeds {target})")
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
    if let Some(ip) = literal_ip(&url) {
        check_ip(ip)?;
    }
    Ok(url)
}

/// Checks an IP literal, which is connected to without any resolver.
fn check_ip(ip: IpAddr) -> Result<(), FetchError> {
    match forbidden_target(ip) {
        Some(target) => Err(FetchError::Refused(format!(
            "source_url points at {}, a link-local or cloud metadata address; it is refused",
            describe(ip, target)
        ))),
        None => Ok(()),
    }
}

/// Checks every address `host` resolved to. One forbidden address refuses the whole name: an
/// answer that mixes a harmless address with a metadata one is an attack, not a fallback.
fn check_resolved(host: &str, ips: &[IpAddr]) -> Result<(), FetchError> {
    if ips.is_empty() {
        return Err(FetchError::Failed(format!(
            "could not resolve {host}: no addresses"
        )));
    }
    for &ip in ips {
        if let Some(target) = forbidden_target(ip) {
            return Err(FetchError::Refused(format!(
                "source_url leads to {host}, which resolves to {}, a link-local or cloud metadata \
                 address; it is refused",
                describe(ip, target)
            )));
        }
    }
    Ok(())
}

type LookupFuture = Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>>;

/// How a [`GuardedResolver`] looks a name up.
type Lookup = dyn Fn(&str) -> LookupFuture + Send + Sync;

fn system_lookup(host: &str) -> LookupFuture {
    let host = host.to_string();
    Box::pin(async move {
        let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
        Ok(addrs.map(|a| a.ip()).collect())
    })
}

/// The fetch client's resolver: it looks a name up once, refuses the whole name when any answer
/// is forbidden (`check_resolved`), and gives the connector exactly the addresses it checked,
/// so there is no second lookup for a rebinding DNS server to answer differently.
#[derive(Clone)]
pub struct GuardedResolver {
    lookup: Arc<Lookup>,
}

impl GuardedResolver {
    /// Looks names up with the system resolver.
    pub fn system() -> Self {
        GuardedResolver {
            lookup: Arc::new(system_lookup),
        }
    }

    /// Looks names up with `lookup` instead: a DNS server under the test's control.
    #[cfg(test)]
    fn with_lookup(lookup: impl Fn(&str) -> LookupFuture + Send + Sync + 'static) -> Self {
        GuardedResolver {
            lookup: Arc::new(lookup),
        }
    }

    /// Resolves `host` once: the checked addresses a connection to it may go to.
    pub async fn resolve_checked(&self, host: &str) -> Result<Vec<IpAddr>, FetchError> {
        let ips = (self.lookup)(host)
            .await
            .map_err(|e| FetchError::Failed(format!("could not resolve {host}: {e}")))?;
        check_resolved(host, &ips)?;
        Ok(ips)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let ips = resolver.resolve_checked(name.as_str()).await?;
            // Port 0: the connector puts in the URL's port, or the scheme's.
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The client every fetch uses: names resolved only by the [`GuardedResolver`], no proxies, no
/// automatic redirects.
pub fn client() -> reqwest::Client {
    guarded_client(GuardedResolver::system())
}

fn guarded_client(resolver: GuardedResolver) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(resolver))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("pc-sandbox/", env!("CARGO_PKG_VERSION")))
        .build()
        // No fallback: any other client would resolve names itself, past the guard, and follow
        // redirects on its own. Building fails only if the TLS backend cannot start.
        .expect("the fetch client builds")
}

/// The guard's own refusal, when it is what made sending fail: the resolver's error travels
/// inside reqwest's and hyper's errors as a source.
fn guard_error(e: &reqwest::Error) -> Option<FetchError> {
    let mut cause = e.source();
    while let Some(c) = cause {
        if let Some(refusal) = c.downcast_ref::<FetchError>() {
            return Some(refusal.clone());
        }
        cause = c.source();
    }
    None
}

/// Why sending the request for `url` failed, in a sentence.
fn send_failed(url: &Url, e: &reqwest::Error) -> FetchError {
    if let Some(refusal) = guard_error(e) {
        return refusal;
    }
    let why = if e.is_connect() {
        "connection refused or host unreachable"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "request failed"
    };
    FetchError::Failed(format!("could not fetch {url}: {why}"))
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
        for hop in 0..=5 {
            // The caller's own URL refused is a 400; a URL the remote server redirected to is
            // the server's doing, so the import fails with the reason instead.
            let refused = |e: FetchError| match e {
                FetchError::Refused(why) if hop > 0 => {
                    FetchError::Failed(format!("redirect refused: {why}"))
                }
                other => other,
            };
            if limits.loopback_only && !is_loopback_host(&url) {
                return Err(refused(FetchError::Refused(format!(
                    "this sandbox fetches only loopback URLs (--fetch-loopback-only); {} is not one",
                    url.host_str().unwrap_or_default()
                ))));
            }
            // A literal is connected to without the resolver: check it on every hop.
            if let Some(ip) = literal_ip(&url) {
                check_ip(ip).map_err(refused)?;
            }
            // A name is resolved and checked by the client's GuardedResolver, once, as it
            // connects.
            let mut res = client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| refused(send_failed(&url, &e)))?;
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
            // Sized once from the announced length (never past the cap), so a large file is not
            // copied again and again as the buffer doubles.
            let announced = res.content_length().unwrap_or(0).min(limits.max_bytes);
            let mut buf = BytesMut::with_capacity(announced as usize);
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use proptest::prelude::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn ipv6_forms_of_the_metadata_address_are_refused_by_what_they_embed() {
        for (url, embeds) in [
            ("http://[::a9fe:a9fe]/x.csv", "169.254.169.254"),
            ("http://[::ffff:a9fe:a9fe]/x.csv", "169.254.169.254"),
            ("http://[::ffff:0:a9fe:a9fe]/x.csv", "169.254.169.254"),
            ("http://[64:ff9b::a9fe:a9fe]/x.csv", "169.254.169.254"),
            ("http://[64:ff9b:1::a9fe:a9fe]/x.csv", "169.254.169.254"),
            ("http://[2002:a9fe:a9fe::]/x.csv", "169.254.169.254"),
            // Teredo, client 169.254.169.254 inverted: 5601:5601.
            (
                "http://[2001:0:4136:e378:8000:63bf:5601:5601]/x.csv",
                "169.254.169.254",
            ),
            ("http://[::ffff:6464:64c8]/x.csv", "100.100.100.200"),
            ("http://[64:ff9b::6464:64c8]/x.csv", "100.100.100.200"),
        ] {
            match parse_source_url(url) {
                Err(FetchError::Refused(m)) => {
                    assert!(m.contains(&format!("which embeds {embeds}")), "{url}: {m}")
                }
                other => panic!("{url} was not refused: {other:?}"),
            }
        }
    }

    #[test]
    fn the_guard_refuses_metadata_link_local_and_unroutable_addresses_but_allows_loopback() {
        for refused in [
            "169.254.169.254",
            "169.254.0.1",
            "100.100.100.200",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "fe80::1",
            "febf::1",
            "fd00:ec2::254",
            "::",
            "::ffff:0.0.0.0",
            "::ffff:255.255.255.255",
        ] {
            assert!(forbidden(ip(refused)), "{refused} is allowed");
        }
        for allowed in [
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            // Embedded loopback is allowed like loopback itself.
            "::ffff:127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "8.8.8.8",
            "100.100.100.201",
            "169.253.255.255",
            "169.255.0.0",
            "2606:4700:4700::1111",
            "fd00:ec2::253",
            "fec0::1",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!forbidden(ip(allowed)), "{allowed} is refused");
        }
        assert!(parse_source_url("http://[::ffff:127.0.0.1]:4010/a.csv").is_ok());
        assert!(parse_source_url("http://[::1]:4010/a.csv").is_ok());
        // Other spellings of an IPv4 address are normalized by the URL parser, then checked.
        assert!(parse_source_url("http://2852039166/").is_err());
        assert!(parse_source_url("http://0xa9.0xfe.0xa9.0xfe/").is_err());
    }

    /// An IPv4 address the guard must refuse, and must refuse in every IPv6 form.
    fn refused_ipv4() -> impl Strategy<Value = Ipv4Addr> {
        prop_oneof![
            any::<u16>().prop_map(|low| {
                let [c, d] = low.to_be_bytes();
                Ipv4Addr::new(169, 254, c, d)
            }),
            Just(ALIBABA_METADATA),
            Just(Ipv4Addr::UNSPECIFIED),
            Just(Ipv4Addr::BROADCAST),
        ]
    }

    /// Not in any special-purpose IPv4 block (RFC 6890 and friends).
    fn is_public(v4: Ipv4Addr) -> bool {
        let [a, b, c, _] = v4.octets();
        !(a == 0
            || a == 10
            || a == 127
            || a >= 224
            || (a == 100 && (64..128).contains(&b))
            || (a == 169 && b == 254)
            || (a == 172 && (16..32).contains(&b))
            || (a == 192 && b == 168)
            || (a == 192 && b == 0 && (c == 0 || c == 2))
            || (a == 198 && (b == 18 || b == 19))
            || (a == 198 && b == 51 && c == 100)
            || (a == 203 && b == 0 && c == 113))
    }

    /// Every IPv6 form of `v4` the guard unwraps; `rest` fills the bits a form leaves free.
    fn embeddings(v4: Ipv4Addr, rest: u128) -> Vec<Ipv6Addr> {
        let v4 = u128::from(u32::from(v4));
        let form = |prefix: u128| Ipv6Addr::from(prefix | v4);
        vec![
            // ::ffff:a.b.c.d mapped, ::a.b.c.d compatible, ::ffff:0:a.b.c.d translated.
            form(0xffff << 32),
            form(0),
            form(0xffff << 48),
            // NAT64 64:ff9b::/96, and 64:ff9b:1::/48 with random bits up to the last 32.
            form(0x0064_ff9b << 96),
            Ipv6Addr::from((0x0064_ff9b_0001 << 80) | (rest & ((1 << 80) - 1) & !0xffff_ffff) | v4),
            // 6to4 2002:a.b.c.d::/48 with random bits after it.
            Ipv6Addr::from((0x2002 << 112) | (v4 << 80) | (rest & ((1 << 80) - 1))),
            // Teredo: random server, flags and port; the client inverted in the last 32 bits.
            Ipv6Addr::from(
                (0x2001_0000 << 96) | (rest & (((1 << 64) - 1) << 32)) | (!v4 & 0xffff_ffff),
            ),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn every_ipv6_form_of_a_refused_ipv4_address_is_refused(
            v4 in refused_ipv4(),
            rest in any::<u128>(),
        ) {
            prop_assert!(forbidden(IpAddr::V4(v4)), "{}", v4);
            for v6 in embeddings(v4, rest) {
                prop_assert!(forbidden(IpAddr::V6(v6)), "{} (embeds {}) is allowed", v6, v4);
            }
        }

        #[test]
        fn public_ipv4_addresses_and_their_ipv6_forms_are_allowed(
            v4 in any::<u32>().prop_map(Ipv4Addr::from).prop_filter("public", |v4| is_public(*v4)),
            rest in any::<u128>(),
        ) {
            prop_assert!(!forbidden(IpAddr::V4(v4)), "{}", v4);
            for v6 in embeddings(v4, rest) {
                prop_assert!(!forbidden(IpAddr::V6(v6)), "{} (embeds {}) is refused", v6, v4);
            }
        }
    }

    #[test]
    fn a_resolved_answer_with_any_forbidden_address_refuses_the_whole_name() {
        let answer = [ip("127.0.0.1"), ip("169.254.169.254"), ip("::1")];
        match check_resolved("rebind.test", &answer) {
            Err(FetchError::Refused(m)) => {
                assert!(m.contains("rebind.test"), "{m}");
                assert!(m.contains("169.254.169.254"), "{m}");
            }
            other => panic!("not refused: {other:?}"),
        }
        assert!(matches!(
            check_resolved("rebind.test", &[ip("::ffff:0:a9fe:a9fe")]),
            Err(FetchError::Refused(m)) if m.contains("which embeds 169.254.169.254")
        ));
        assert!(matches!(
            check_resolved("nothing.test", &[]),
            Err(FetchError::Failed(_))
        ));
        assert_eq!(
            check_resolved("localhost", &[ip("127.0.0.1"), ip("::1")]),
            Ok(())
        );
    }

    /// The addresses a reqwest resolver hands the connector for `host`.
    async fn resolve(resolver: &GuardedResolver, host: &str) -> Result<Vec<SocketAddr>, String> {
        let name: Name = host.parse().map_err(|_| format!("bad name {host}"))?;
        match resolver.resolve(name).await {
            Ok(addrs) => Ok(addrs.collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A DNS server under the test's control: answers `answers[n]` to the nth lookup (the last
    /// one ever after), and counts the lookups.
    fn scripted(answers: Vec<Vec<IpAddr>>) -> (GuardedResolver, Arc<AtomicUsize>) {
        let lookups = Arc::new(AtomicUsize::new(0));
        let counter = lookups.clone();
        let resolver = GuardedResolver::with_lookup(move |_host: &str| -> LookupFuture {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let answer = answers[n.min(answers.len() - 1)].clone();
            Box::pin(async move { Ok(answer) })
        });
        (resolver, lookups)
    }

    #[tokio::test]
    async fn the_resolver_answers_localhost_with_loopback_addresses_only() {
        let addrs = resolve(&GuardedResolver::system(), "localhost")
            .await
            .expect("localhost resolves");
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[tokio::test]
    async fn the_resolver_hands_on_exactly_the_checked_answer_or_refuses_the_name() {
        let (resolver, lookups) = scripted(vec![
            vec![ip("127.0.0.1"), ip("::1")],
            vec![ip("127.0.0.1"), ip("169.254.169.254")],
        ]);
        let first = resolve(&resolver, "rebind.test").await.expect("loopback");
        assert_eq!(
            first,
            vec![
                SocketAddr::new(ip("127.0.0.1"), 0),
                SocketAddr::new(ip("::1"), 0)
            ]
        );
        let second = resolve(&resolver, "rebind.test")
            .await
            .expect_err("refused");
        assert!(second.contains("169.254.169.254"), "{second}");
        assert_eq!(lookups.load(Ordering::SeqCst), 2, "one lookup per resolve");
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_fails_the_fetch_with_a_reason() {
        let resolver = GuardedResolver::with_lookup(|_host: &str| -> LookupFuture {
            Box::pin(async {
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such host",
                ))
            })
        });
        let url = parse_source_url("http://nowhere.test/list.csv").expect("ok");
        let failed = fetch(&guarded_client(resolver), url, limits()).await;
        assert_eq!(
            failed.map(|f| f.bytes),
            Err(FetchError::Failed(
                "could not resolve nowhere.test: no such host".into()
            ))
        );
    }

    /// A tiny HTTP server on `ip:port` (0 for any port) that answers every request with `reply`;
    /// returns its port and how many connections it accepted.
    async fn serve(ip: &str, port: u16, reply: String) -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind((ip, port))
            .await
            .unwrap_or_else(|e| panic!("bind {ip}:{port}: {e}"));
        let port = listener.local_addr().expect("bound").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let reply = reply.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        (port, hits)
    }

    fn ok(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    fn limits() -> Limits {
        Limits {
            max_bytes: 1 << 20,
            timeout: Duration::from_secs(10),
            loopback_only: false,
        }
    }

    #[tokio::test]
    async fn the_client_fetches_localhost_through_its_resolver() {
        let (port, hits) = serve("127.0.0.1", 0, ok("phone\n")).await;
        let url = parse_source_url(&format!("http://localhost:{port}/list.csv")).expect("allowed");
        let fetched = fetch(&client(), url, limits()).await.expect("fetched");
        assert_eq!(&fetched.bytes[..], b"phone\n");
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    /// The rebinding attack, on loopback only: the attacker's DNS answers 127.0.0.1 (where the
    /// file is) to the first lookup and 127.0.0.2 (standing in for the metadata address) to any
    /// later one. The name must be looked up once, and the connection must go to that answer.
    #[tokio::test]
    async fn the_client_connects_to_the_address_it_checked_not_a_second_answer() {
        let (port, checked) = serve("127.0.0.1", 0, ok("phone\n")).await;
        let (_, rebound) = serve("127.0.0.2", port, ok("secret\n")).await;
        let (resolver, lookups) = scripted(vec![vec![ip("127.0.0.1")], vec![ip("127.0.0.2")]]);
        let url = parse_source_url(&format!("http://rebind.test:{port}/list.csv")).expect("ok");
        let fetched = fetch(&guarded_client(resolver), url, limits())
            .await
            .expect("fetched");
        assert_eq!(&fetched.bytes[..], b"phone\n");
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            1,
            "the name is resolved once"
        );
        assert_eq!(checked.load(Ordering::SeqCst), 1);
        assert_eq!(
            rebound.load(Ordering::SeqCst),
            0,
            "nothing reached the second answer"
        );
    }

    #[tokio::test]
    async fn a_name_resolving_to_a_forbidden_address_is_refused_before_connecting() {
        let (port, hits) = serve("127.0.0.1", 0, ok("phone\n")).await;
        let (resolver, _) = scripted(vec![vec![ip("127.0.0.1"), ip("169.254.169.254")]]);
        let client = guarded_client(resolver);
        let url = parse_source_url(&format!("http://evil.test:{port}/list.csv")).expect("ok");
        match fetch(&client, url, limits()).await {
            Err(FetchError::Refused(m)) => {
                assert!(m.contains("evil.test"), "{m}");
                assert!(m.contains("169.254.169.254"), "{m}");
                assert!(m.contains("refused"), "{m}");
            }
            other => panic!("not refused: {other:?}"),
        }
        assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing was connected to");
    }

    #[tokio::test]
    async fn a_redirect_hop_goes_through_the_same_resolver() {
        let (port, _) = serve("127.0.0.1", 0, String::new()).await;
        let redirect = format!(
            "HTTP/1.1 302 Found\r\nLocation: http://metadata.test:{port}/latest\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let (port, hits) = serve("127.0.0.1", 0, redirect).await;
        let lookups = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = lookups.clone();
        let resolver = GuardedResolver::with_lookup(move |host: &str| -> LookupFuture {
            seen.lock().expect("lock").push(host.to_string());
            let answer = if host == "metadata.test" {
                vec![ip("169.254.169.254")]
            } else {
                vec![ip("127.0.0.1")]
            };
            Box::pin(async move { Ok(answer) })
        });
        let url = parse_source_url(&format!("http://files.test:{port}/list.csv")).expect("ok");
        let refused = fetch(&guarded_client(resolver), url, limits()).await;
        assert!(
            matches!(&refused, Err(FetchError::Failed(m)) if m.contains("redirect refused") && m.contains("metadata.test")),
            "{refused:?}"
        );
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "only the first hop connected"
        );
        assert_eq!(
            *lookups.lock().expect("lock"),
            ["files.test", "metadata.test"],
            "each hop's name looked up once"
        );
    }

    #[tokio::test]
    async fn a_redirect_to_a_forbidden_literal_is_never_followed() {
        let redirect = "HTTP/1.1 301 Moved\r\nLocation: http://[64:ff9b::a9fe:a9fe]/latest\r\n\
                        Content-Length: 0\r\nConnection: close\r\n\r\n";
        let (port, hits) = serve("127.0.0.1", 0, redirect.to_string()).await;
        let url = parse_source_url(&format!("http://127.0.0.1:{port}/list.csv")).expect("ok");
        let refused = fetch(&client(), url, limits()).await;
        assert!(
            matches!(&refused, Err(FetchError::Failed(m)) if m.contains("redirect refused") && m.contains("169.254.169.254")),
            "{refused:?}"
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_forbidden_literal_is_refused_by_fetch_itself() {
        // fetch is documented to take checked URLs; it checks literals again anyway.
        let url = Url::parse("http://[::a9fe:a9fe]/x.csv").expect("url");
        let refused = fetch(&client(), url, limits()).await;
        assert!(
            matches!(&refused, Err(FetchError::Refused(m)) if m.contains("169.254.169.254")),
            "{refused:?}"
        );
    }
}
