//! The accept loop: HTTP/1.1 connections under limits that keep a flood of slow or
//! idle sockets from exhausting the server. A connection must send a request's whole
//! header within `header_timeout` (also while it idles between requests, so idle
//! keep-alive sockets close too); a body must then keep a minimum pace
//! (`min_body_rate`, after the same grace); at most `max_connections` are open at
//! once (further clients wait in the listen backlog instead of taking file
//! descriptors), and at most `max_connections_per_address` from one client address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tokio::time::{Instant, Sleep};
use tower_service::Service;

/// Limits on connections; see `Config`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    /// Bytes a second a body must average once `header_timeout` has passed.
    pub min_body_rate: u64,
}

/// Serves until `shutdown` fires, then lets connections finish (up to 10 seconds).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut shutdown: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::default());
    let graceful = GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let (stream, addr) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // e.g. too many open files: wait a little instead of spinning
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(held) = per_address.take(addr.ip(), limits.max_connections_per_address) else {
            refuse(&stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let slow = SlowBody::default();
            let mut req = req.map(|body| MinRate::new(body, limits, slow.clone()));
            req.extensions_mut().insert(ConnectInfo(addr));
            req.extensions_mut().insert(slow);
            let mut app = app.clone();
            async move { app.call(req).await }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .keep_alive(true);
        // no upgrades (websockets) are served, so the plain connection will do
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(held);
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}

/// One answer for a connection over its address's cap, written only if the socket
/// takes it at once (a refused client gets no task, no timer, no wait).
fn refuse(stream: &TcpStream) {
    const BODY: &str = "Terlalu banyak koneksi dari alamat Anda; coba lagi sebentar.\n";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Retry-After: 5\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.try_write(response.as_bytes());
    // not one line per refusal: a flood would become a flood of log lines
    tracing::debug!("connection refused: its address holds too many");
}

/// Open connections per client address.
#[derive(Default)]
struct PerAddress {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// A connection's place in its address's count, given back when dropped.
struct Held {
    table: Arc<PerAddress>,
    key: IpAddr,
}

impl PerAddress {
    fn take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<Held> {
        let key = address_key(ip);
        let mut open = self.open.lock().expect("connection table lock");
        let n = open.entry(key).or_insert(0);
        if *n >= cap.max(1) {
            return None;
        }
        *n += 1;
        Some(Held {
            table: self.clone(),
            key,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().expect("connection table lock");
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The unit one client holds: an IPv4 address, or an IPv6 /64 (the block one
/// subscriber gets, so walking through its addresses gains nothing).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Set when a request's body was cut off for its pace; the request's answer is then
/// the 408 of `answer_slow_bodies`, whatever its handler made of the broken body.
#[derive(Clone, Default)]
pub struct SlowBody(Arc<AtomicBool>);

/// A request body that fails once it falls behind the minimum pace: after the grace
/// (the header timeout), every `min_body_rate` bytes buy one more second.
struct MinRate {
    inner: Incoming,
    start: Instant,
    grace: Duration,
    rate: u64,
    received: u64,
    timer: Option<Pin<Box<Sleep>>>,
    slow: SlowBody,
}

impl MinRate {
    fn new(inner: Incoming, limits: Limits, slow: SlowBody) -> Self {
        Self {
            inner,
            start: Instant::now(),
            grace: limits.header_timeout,
            rate: limits.min_body_rate.max(1),
            received: 0,
            timer: None,
            slow,
        }
    }

    fn deadline(&self) -> Instant {
        self.start + self.grace + Duration::from_secs_f64(self.received as f64 / self.rate as f64)
    }
}

impl Body for MinRate {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let deadline = this.deadline();
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if timer.deadline() != deadline {
                    timer.as_mut().reset(deadline);
                }
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.slow.0.store(true, Ordering::Relaxed);
                        Poll::Ready(Some(Err("request body below the minimum rate".into())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Answers 408 for a request whose body was cut off for its pace (the handler saw
/// only a broken body) and closes the connection, the rest of that body unread.
pub async fn answer_slow_bodies(req: Request, next: Next) -> Response {
    let slow = req.extensions().get::<SlowBody>().cloned();
    let res = next.run(req).await;
    if !slow.is_some_and(|s| s.0.load(Ordering::Relaxed)) {
        return res;
    }
    let mut res = crate::error::error_page(
        StatusCode::REQUEST_TIMEOUT,
        "Kiriman terlalu lambat",
        "Isi kiriman tiba terlalu lambat sehingga koneksi diputus. Periksa jaringan Anda, \
         lalu kirim kembali.",
    );
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}
