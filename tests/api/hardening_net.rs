//! Findings of the outside attack on connections and on the PortalRB API: slow
//! bodies, one address holding every connection, rows written for refused calls, the
//! API's non-JSON answers, forged request ids, ambiguous body framing.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// Long enough that only a server still waiting for the client reaches it; the
/// request timeout of the unchanged server is 120 s.
const GUARD: Duration = Duration::from_secs(30);

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Writes `request` on a fresh connection and reads until the server closes it;
/// `None` when the server has not answered and closed within `GUARD`.
async fn exchange(app: &TestApp, request: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(addr(app)).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_all(&mut stream).await
}

async fn read_all(stream: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(GUARD, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&out).into_owned())
}

fn status_of(response: &str) -> Option<u16> {
    response.split(' ').nth(1).and_then(|s| s.parse().ok())
}

/// Finding 5: a body trickled byte by byte held its connection until the 120-second
/// request timeout. A body must keep a minimum pace once the header's grace is over.
#[tokio::test]
async fn a_trickled_body_is_cut_off_with_408() {
    let app = spawn_app_with(|c| c.header_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: uji\r\n\
              Content-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100000\r\n\r\ncsrf",
        )
        .await
        .unwrap();
    let response = read_all(&mut stream)
        .await
        .expect("the server still waits for the trickled body after 30 s");
    assert_eq!(status_of(&response), Some(408), "{response}");
    assert!(response.contains("terlalu lambat"), "{response}");
}

/// Finding 5: a body whose declared length is beyond the route's limit is refused
/// before a byte of it is read.
#[tokio::test]
async fn a_body_declared_too_large_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let response = exchange(
        &app,
        b"POST /login HTTP/1.1\r\nHost: uji\r\n\
          Content-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 50000000\r\n\r\n",
    )
    .await
    .expect("the server waits for a body it will refuse anyway");
    assert_eq!(status_of(&response), Some(413), "{response}");
    assert!(response.contains("terlalu besar"), "{response}");
}

/// Connects from a given loopback address (Linux routes all of 127/8 locally).
async fn connect_from(app: &TestApp, source: &str) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(addr(app).parse().unwrap()).await.unwrap()
}

async fn health_from(app: &TestApp, source: &str) -> Option<u16> {
    let mut stream = connect_from(app, source).await;
    let _ = stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: uji\r\nConnection: close\r\n\r\n")
        .await;
    read_all(&mut stream).await.and_then(|r| status_of(&r))
}

/// Finding 5: one client address could take every connection slot. Past 64 open
/// connections (the default cap) its next one is refused, while other addresses are
/// served, and a closed connection frees its place.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn one_address_cannot_hold_every_connection() {
    let app = spawn_app_with(|c| c.header_timeout = Duration::from_secs(60)).await;
    let mut held = Vec::new();
    for _ in 0..64 {
        held.push(connect_from(&app, "127.0.0.1").await);
    }
    assert_ne!(
        health_from(&app, "127.0.0.1").await,
        Some(200),
        "a 65th connection from the same address is served"
    );
    assert_eq!(health_from(&app, "127.0.0.2").await, Some(200));
    held.pop();
    // the server notices the close on its own time: wait for it
    let mut served = false;
    for _ in 0..100 {
        if health_from(&app, "127.0.0.1").await == Some(200) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "a closed connection frees its place");
}

/// The hyper default keeps both headers and goes by Transfer-Encoding; such a request
/// is how a body is smuggled past a proxy that goes by Content-Length.
#[tokio::test]
async fn a_request_with_both_content_length_and_transfer_encoding_is_refused() {
    let app = spawn_app().await;
    let response = exchange(
        &app,
        b"GET /healthz HTTP/1.1\r\nHost: uji\r\nContent-Length: 5\r\n\
          Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
    )
    .await
    .expect("answered");
    assert_eq!(status_of(&response), Some(400), "{response}");
}

/// Finding 16: a client's X-Request-Id went verbatim into the request log.
#[tokio::test]
async fn request_ids_from_the_client_are_kept_only_when_short_and_plain() {
    let app = spawn_app().await;
    let id_for = |sent: &'static str| {
        let client = app.client();
        let url = app.url("/healthz");
        async move {
            let res = client
                .get(url)
                .header("x-request-id", sent)
                .send()
                .await
                .unwrap();
            res.headers()["x-request-id"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(id_for("proxy-42.a_B").await, "proxy-42.a_B");
    let long: &'static str = Box::leak("a".repeat(65).into_boxed_str());
    for forged in ["x\" method=DELETE path=/admin/pengguna", long, "a b", ""] {
        let got = id_for(forged).await;
        assert_ne!(got, forged);
        assert!(
            !got.is_empty()
                && got.len() <= 64
                && got
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{got}"
        );
    }
}

async fn portalrb_app() -> TestApp {
    spawn_app_with(|c| {
        c.public_url = Some("https://zi.contoh.go.id".parse().unwrap());
    })
    .await
}

async fn portalrb_token(app: &TestApp) -> String {
    zi_tracker::portalrb::create_token(
        app.db(),
        &zi_tracker::audit::Actor::cli(),
        "portalrb-uji",
        30,
    )
    .await
    .unwrap()
}

/// The API's error shape: `{"error": true, "code", "message"}` and nothing else.
async fn json_error(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.text().await.unwrap();
    assert!(
        kind.starts_with("application/json"),
        "{status} {kind}: {body}"
    );
    let json: Value = serde_json::from_str(&body).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{json}");
    assert_eq!(json["error"], true, "{json}");
    assert!(
        json["code"].is_string() && json["message"].is_string(),
        "{json}"
    );
    (status, json)
}

/// Finding 6: every rejected API call wrote a row of its own. Rejections are counted
/// per address, status and minute, and past the per-address limit nothing is written.
#[tokio::test]
async fn rejected_api_calls_are_counted_not_written_one_row_each() {
    let app = portalrb_app().await;
    let token = portalrb_token(&app).await;
    let client = app.client();
    let url = app.url("/api/portalrb/pengusulan/unit-wbk?tahun=2026");
    // at once, as a flood comes (below the per-address connection cap): the limit
    // holds for simultaneous calls too
    let mut calls = Vec::new();
    for _ in 0..60 {
        let (client, url) = (client.clone(), url.clone());
        calls.push(tokio::spawn(async move {
            let res = client.get(&url).bearer_auth("zirb_salah").send().await;
            res.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for c in calls {
        statuses.push(c.await.unwrap());
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM api_failures")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(rows <= 2, "{rows} rows for 60 rejected calls");
    let refused = statuses.iter().filter(|s| **s == 401).count() as i64;
    assert!(
        refused < 60 && statuses.contains(&429),
        "the address is limited: {statuses:?}"
    );
    let counted: i64 = sqlx::query_scalar("SELECT sum(count) FROM api_failures")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(counted, refused, "each 401 counted, the limiter's 429s not");
    assert_eq!(
        refused, 20,
        "20 rejections an address a minute: {statuses:?}"
    );
    let res = client
        .get(&url)
        .bearer_auth("zirb_salah")
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    let (status, body) = json_error(res).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("RATE_LIMITED")));
    // the limited address is PortalRB's too (e.g. behind one proxy): its token works
    let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// Finding 15: other methods got a 303 to the sign-in page and a repeated query
/// parameter a text/plain 400; every answer under the prefix is the API's JSON.
#[tokio::test]
async fn the_api_answers_every_method_and_malformed_request_in_json() {
    let app = portalrb_app().await;
    let token = portalrb_token(&app).await;
    let client = app.client();
    let staf = app.signed_in("staf").await;
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        for path in [
            "/api/portalrb/pengusulan/unit-wbk",
            "/api/portalrb/tidak-ada",
        ] {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let res = client
                .request(method.clone(), app.url(path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let (status, _) = json_error(res).await;
            assert_eq!(status, 405, "{method} {path}");
            // a browser's session changes nothing
            let res = staf
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(json_error(res).await.0, 405, "{method} {path} signed in");
        }
    }
    let malformed = [
        "/api/portalrb/pengusulan/unit-wbk?tahun=2026&tahun=2027",
        "/api/portalrb/pengusulan/unit-wbbm?tahun=2026&tahun=2026",
        "/api/portalrb/lke/jawaban-unit/balitnak?tahun=2026&tahun=2025",
    ];
    for path in malformed {
        let res = client
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let (status, body) = json_error(res).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("INVALID_PARAMETER")),
            "{path}"
        );
    }
    // not UTF-8 once decoded
    let res = client
        .get(app.url("/api/portalrb/lke/jawaban-unit/%FF%FE?tahun=2026"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(json_error(res).await.0, 404);
    for path in ["/api/portalrb", "/api/portalrb/"] {
        let res = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(json_error(res).await.0, 401, "{path}");
        let res = client
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(json_error(res).await.0, 404, "{path}");
    }
}
