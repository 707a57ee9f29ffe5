//! Runtime configuration: command-line flags and `ZI_*` environment variables,
//! with defaults that work for a first run on one machine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:3000` (port 0 picks a free port).
    pub bind: String,
    /// Folder holding the SQLite file and uploaded evidence.
    pub data_dir: PathBuf,
    /// The address users reach the tracker at; decides the `Secure` cookie flag.
    pub public_url: Option<Url>,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, whatever its use.
    pub session_absolute: Duration,
    /// Largest evidence file accepted.
    pub max_upload_bytes: u64,
    /// Behind a reverse proxy: take the client address from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// Password checks waiting for the hashing thread before new ones get 503.
    pub hash_queue: usize,
    /// A request's header (and an idle connection's next one) must arrive within this.
    pub header_timeout: Duration,
    /// Connections open at once; keep it below the process's file limit.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 /64) may hold at once; behind a proxy
    /// that address is the proxy's.
    pub max_connections_per_address: usize,
    /// A request body must arrive at least this fast (bytes a second, on average) once
    /// `header_timeout` has passed since its header.
    pub min_body_rate: u64,
    /// Where the PortalRB integration API answers, e.g. `/api/portalrb`.
    pub portalrb_prefix: String,
    /// Calls one PortalRB token may make per minute before 429.
    pub portalrb_rate_per_minute: u32,
    /// Outgoing mail; `None` keeps notifications in the app only.
    pub smtp: Option<Smtp>,
    /// The sender of every message, e.g. `ZI Tracker <zi@contoh.go.id>`.
    pub mail_from: String,
    /// The time reminders, digests and link expiry go by.
    pub clock: crate::clock::Clock,
    /// How often the scheduler looks for due reminders and digests.
    pub schedule_every: Duration,
    /// How often the outbox looks for mail to send.
    pub mail_poll: Duration,
    /// The first retry after a failed send; each further failure doubles it (up to an hour).
    pub mail_retry_base: Duration,
}

/// Where mail goes: `smtp://host:port` (plain, or `?tls=required` for STARTTLS) or
/// `smtps://host:port`, with optional credentials.
#[derive(Clone)]
pub struct Smtp {
    pub url: Url,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl Smtp {
    /// `--smtp-url` as typed: an `smtp://` or `smtps://` address with a host, or an
    /// Indonesian reason (the flag's own parser would answer in English).
    pub fn parse_url(raw: &str) -> Result<Url, crate::error::UserError> {
        let refused = |shown: &str| {
            crate::error::UserError(format!(
                "alamat SMTP \"{shown}\" tidak sah; mis. smtp://mail.instansi.go.id:587 \
                 atau smtps://mail.instansi.go.id:465"
            ))
        };
        match Url::parse(raw.trim()) {
            Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some() => Ok(u),
            Ok(u) => Err(refused(u.as_str())),
            Err(_) => Err(refused(raw.trim())),
        }
    }
}

// the password never reaches a log line
impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("url", &self.url.as_str())
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Config {
    /// The public address without its trailing slash, for building absolute links.
    pub fn public_base(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_string())
    }

    pub fn new(bind: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            bind: bind.into(),
            data_dir: data_dir.into(),
            public_url: None,
            session_idle: Duration::from_secs(8 * 3600),
            session_absolute: Duration::from_secs(7 * 24 * 3600),
            max_upload_bytes: 20 * 1024 * 1024,
            trust_proxy: false,
            hash_queue: 16,
            header_timeout: Duration::from_secs(10),
            max_connections: 512,
            max_connections_per_address: 64,
            min_body_rate: 4 * 1024,
            portalrb_prefix: "/api/portalrb".into(),
            portalrb_rate_per_minute: 120,
            smtp: None,
            mail_from: "ZI Tracker <zi-tracker@localhost>".into(),
            clock: crate::clock::Clock::default(),
            schedule_every: Duration::from_secs(60),
            mail_poll: Duration::from_secs(1),
            mail_retry_base: Duration::from_secs(30),
        }
    }

    pub fn database_path(&self) -> PathBuf {
        database_path(&self.data_dir)
    }

    /// Cookies get `Secure` only when users reach us over https; over plain http a
    /// browser would drop them and nobody could sign in.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("zi-tracker.db")
}

/// Where mail's links point and whether mail goes out at all.
#[derive(Clone, Debug)]
pub struct Post {
    /// The tracker's public address (or, without one, the address it listens on).
    pub base: Url,
    /// The host named in Message-IDs.
    pub host: String,
    /// An SMTP server is configured.
    pub enabled: bool,
}

impl Post {
    pub fn new(config: &Config, addr: std::net::SocketAddr) -> Self {
        let base = config
            .public_url
            .clone()
            .unwrap_or_else(|| Url::parse(&format!("http://{addr}/")).expect("an address"));
        let host = base.host_str().unwrap_or("localhost").to_string();
        Self {
            base,
            host,
            enabled: config.smtp.is_some(),
        }
    }

    /// No mail goes out, so no link needs a real address.
    pub fn disabled() -> Self {
        Self {
            base: Url::parse("http://localhost/").expect("an address"),
            host: "localhost".into(),
            enabled: false,
        }
    }

    /// An absolute address of a local path.
    pub fn url(&self, path: &str) -> String {
        let base = self.base.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }
}
