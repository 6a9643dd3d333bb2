//! Hello-world baseline for `bench/http.sh`.
//!
//! `bench-hello --port N` binds 127.0.0.1:N (0 picks a free port), prints
//! `http://127.0.0.1:<port>` on stdout once listening, and serves
//! `GET /` -> `{"success":true,"data":"hello"}` (application/json).
//! Worker count is actix-web's default (one per core), like the sandbox.

use std::io::Write;

use actix_web::{get, http::header::ContentType, App, HttpResponse, HttpServer};

const BODY: &str = r#"{"success":true,"data":"hello"}"#;

#[get("/")]
async fn hello() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(BODY)
}

fn parse_port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut port: u16 = 0;
    while let Some(arg) = args.next() {
        let value = if arg == "--port" {
            args.next().ok_or("--port needs a value")?
        } else if let Some(v) = arg.strip_prefix("--port=") {
            v.to_string()
        } else if arg == "-h" || arg == "--help" {
            println!("usage: bench-hello [--port N]   (N = 0 picks a free port)");
            std::process::exit(0);
        } else {
            return Err(format!("unknown argument: {arg}"));
        };
        port = value
            .parse()
            .map_err(|e| format!("bad --port value {value:?}: {e}"))?;
    }
    Ok(port)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port = match parse_port() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench-hello: {e}");
            std::process::exit(2);
        }
    };

    let server = HttpServer::new(|| App::new().service(hello)).bind(("127.0.0.1", port))?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| std::io::Error::other("no bound address"))?;

    // The listener is bound (the kernel accepts connections from here on);
    // announce it before running so the harness can parse the port.
    let mut out = std::io::stdout().lock();
    writeln!(out, "http://127.0.0.1:{}", addr.port())?;
    out.flush()?;
    drop(out);

    server.run().await
}
