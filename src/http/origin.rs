//! `scheme://host[:port]` of the sandbox as a caller reached it, for the URLs answers hand out
//! (presigned file URLs, media URLs). `X-Forwarded-Host`, `X-Forwarded-Proto` and `Forwarded`
//! are honoured only with `--trust-forwarded-headers` (a sandbox behind a proxy): otherwise any
//! client could make the sandbox hand out `gopher://169.254.169.254/...`. Without the flag the
//! scheme is `http` (the sandbox serves no TLS itself) and the host is the request's `Host` when
//! it is a plain host name or address, else the address the connection came in on.

use actix_web::http::header::HOST;
use actix_web::HttpRequest;

fn plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// The origin (`scheme://host`) URLs in answers to `req` start with.
pub fn origin(req: &HttpRequest, trust_forwarded: bool) -> String {
    if trust_forwarded {
        let info = req.connection_info();
        let scheme = match info.scheme() {
            "https" => "https",
            _ => "http",
        };
        if plain_host(info.host()) {
            return format!("{scheme}://{}", info.host());
        }
    }
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| plain_host(h))
        .map(str::to_string)
        .unwrap_or_else(|| req.app_config().local_addr().to_string());
    format!("http://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let req = TestRequest::default()
            .insert_header(("Host", "127.0.0.1:4010"))
            .insert_header(("X-Forwarded-Host", "169.254.169.254"))
            .insert_header(("X-Forwarded-Proto", "gopher"))
            .to_http_request();
        assert_eq!(origin(&req, false), "http://127.0.0.1:4010");
        assert_eq!(origin(&req, true), "http://169.254.169.254");
        let req = TestRequest::default()
            .insert_header(("Host", "sandbox.example"))
            .insert_header(("X-Forwarded-Proto", "https"))
            .to_http_request();
        assert_eq!(origin(&req, true), "https://sandbox.example");
        assert_eq!(origin(&req, false), "http://sandbox.example");
        let odd = TestRequest::default()
            .insert_header(("Host", "evil/<script>"))
            .to_http_request();
        assert!(!origin(&odd, false).contains('<'));
    }
}
