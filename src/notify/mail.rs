//! The outbox: messages written with the change that caused them, sent by one worker
//! with retries and back-off. Each message keeps the Message-ID it was given when
//! written, so a crash between sending and marking it sent repeats that message (same
//! id, which mail clients show once) and never sends a different one.

use std::time::Duration;

use askama::Template;
use lettre::message::MultiPart;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{SqliteConnection, SqlitePool};

use crate::config::Config;

/// One line of a message: what happened and where to act.
#[derive(Clone, Debug)]
pub struct Item {
    pub title: String,
    pub body: String,
    pub url: String,
}

/// A message's content, rendered as plain text and as HTML.
#[derive(Clone, Debug)]
pub struct Letter {
    pub name: String,
    pub intro: String,
    pub items: Vec<Item>,
    pub outro: String,
}

#[derive(Template)]
#[template(path = "mail/letter.txt")]
struct TextMail<'a> {
    l: &'a Letter,
    base: &'a str,
    settings: &'a str,
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
struct HtmlMail<'a> {
    l: &'a Letter,
    subject: &'a str,
    base: &'a str,
    settings: &'a str,
}

pub struct Outgoing {
    pub user_id: Option<i64>,
    pub to: String,
    pub kind: MailKind,
    pub subject: String,
    pub letter: Letter,
}

/// What a message is (`outbox.kind`). Reset, verification and undo letters carry a
/// secret link, so their bodies are wiped once sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "kebab-case")]
pub enum MailKind {
    Pemberitahuan,
    Ringkasan,
    Reset,
    Verifikasi,
    BatalSurel,
}

/// Writes a message to the outbox on the caller's transaction.
pub async fn queue(
    conn: &mut SqliteConnection,
    state: &dyn super::Notifies,
    out: Outgoing,
) -> sqlx::Result<()> {
    let now = state.unix();
    let base = state.post().url("/");
    let settings = state.post().url("/akun/notifikasi");
    let text = TextMail {
        l: &out.letter,
        base: &base,
        settings: &settings,
    }
    .render()
    .map_err(|e| sqlx::Error::Protocol(format!("mail template: {e}")))?;
    let html = HtmlMail {
        l: &out.letter,
        subject: &out.subject,
        base: &base,
        settings: &settings,
    }
    .render()
    .map_err(|e| sqlx::Error::Protocol(format!("mail template: {e}")))?;
    let message_id = format!("<{now}.{}@{}>", crate::random::token(), state.post().host);
    sqlx::query(
        "INSERT INTO outbox (message_id, user_id, to_addr, kind, subject, body_text, body_html,
                             created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&message_id)
    .bind(out.user_id)
    .bind(&out.to)
    .bind(out.kind)
    .bind(&out.subject)
    .bind(text)
    .bind(html)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    message_id: String,
    to_addr: String,
    subject: String,
    body_text: String,
    body_html: String,
    attempts: i64,
}

/// After this many failed attempts (about a day of back-off) a message is given up
/// and shown as failed to the admin.
pub const MAX_ATTEMPTS: i64 = 30;
const MAX_BACKOFF_SECS: u64 = 3600;

/// The wait before attempt `attempts + 1`: the base, doubled per failure, at most an hour.
pub fn backoff(base: Duration, attempts: i64) -> i64 {
    let doubled = base
        .as_secs()
        .max(1)
        .saturating_mul(1u64 << attempts.clamp(0, 20));
    doubled.min(MAX_BACKOFF_SECS) as i64
}

/// The running sender. A stop waits for the message in hand to be sent and marked,
/// so a normal shutdown never sends anything twice (only a crash can).
pub struct Worker {
    stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
    busy: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Worker {
    pub async fn stop(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = tokio::time::timeout(Duration::from_secs(30), self.busy.lock()).await;
    }
}

/// The mail server and the sender, checked from the configuration before anything
/// else starts: a mistyped address stops the start with a message, not a later error.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    /// `None` without `--smtp-url` (mail stays off).
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, crate::error::UserError> {
        let Some(smtp) = config.smtp.clone() else {
            return Ok(None);
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp.url.as_str())
            .map_err(|_| {
                crate::error::UserError(format!(
                    "alamat SMTP \"{}\" tidak dapat dipakai; gunakan smtp://host:port, \
                     smtp://host:port?tls=required (STARTTLS) atau smtps://host:port",
                    smtp.url
                ))
            })?
            .timeout(Some(Duration::from_secs(20)));
        if let (Some(user), Some(password)) = (smtp.user, smtp.password) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        let from = config.mail_from.parse().map_err(|_| {
            crate::error::UserError(format!(
                "alamat pengirim \"{}\" tidak sah; contoh: \"ZI Tracker <zi@instansi.go.id>\"",
                config.mail_from
            ))
        })?;
        Ok(Some(Mailer {
            transport: builder.build(),
            from,
        }))
    }
}

/// Starts the sender; without a mailer, mail stays off.
pub fn spawn_worker(db: SqlitePool, config: Config, mailer: Option<Mailer>) -> Option<Worker> {
    let worker = Worker {
        stopping: Default::default(),
        busy: Default::default(),
    };
    let sender = Sender {
        db,
        config,
        mailer: mailer?,
        stopping: worker.stopping.clone(),
        busy: worker.busy.clone(),
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(sender.config.mail_poll).await;
            if sender.db.is_closed() {
                break;
            }
            if let Err(e) = sender.send_due().await {
                tracing::warn!(error = %e, "outbox: reading or marking failed");
            }
            if sender.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
        }
    });
    Some(worker)
}

/// The sending task's own state; `stopping` and `busy` are shared with its `Worker`.
struct Sender {
    db: SqlitePool,
    config: Config,
    mailer: Mailer,
    stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
    busy: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Sender {
    async fn send_due(&self) -> sqlx::Result<()> {
        let (db, config) = (&self.db, &self.config);
        let Mailer { transport, from } = &self.mailer;
        let now = config.clock.unix();
        let due: Vec<Due> = sqlx::query_as(
            "SELECT id, message_id, to_addr, subject, body_text, body_html, attempts FROM outbox
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT 50",
        )
        .bind(now)
        .fetch_all(db)
        .await?;
        for m in due {
            // held from sending to marking: a stop waits for it
            let _hand = self.busy.lock().await;
            if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let outcome = match build(&m, from) {
                Ok(message) => transport.send(message).await.map(|_| ()).map_err(|e| {
                    // the admin reads this on the outbox page: what it means, then
                    // the server's own words
                    let what = if e.is_permanent() {
                        "ditolak server surel"
                    } else {
                        "server surel tidak dapat dipakai saat ini"
                    };
                    (e.is_permanent(), format!("{what}: {e}"))
                }),
                Err(e) => Err((true, e)),
            };
            let now = config.clock.unix();
            match outcome {
                Ok(()) => {
                    sqlx::query(
                        // a sent link is the person's now: its single-use token is not kept
                    "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL,
                            body_text = CASE WHEN kind IN ('reset', 'verifikasi', 'batal-surel')
                                             THEN '(isi berisi tautan sekali pakai; dihapus setelah terkirim)'
                                             ELSE body_text END,
                            body_html = CASE WHEN kind IN ('reset', 'verifikasi', 'batal-surel') THEN ''
                                             ELSE body_html END
                     WHERE id = ?",
                    )
                    .bind(now)
                    .bind(m.id)
                    .execute(db)
                    .await?;
                }
                Err((permanent, error)) => {
                    let attempts = m.attempts + 1;
                    let give_up = permanent || attempts >= MAX_ATTEMPTS;
                    // the address stays out of the log: the id finds it for the admin
                    tracing::warn!(outbox = m.id, attempts, give_up, error = %error, "outbox: sending failed");
                    sqlx::query(
                        "UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?,
                            failed_at = CASE WHEN ? THEN ? END
                     WHERE id = ?",
                    )
                    .bind(attempts)
                    .bind(error.chars().take(500).collect::<String>())
                    .bind(now + backoff(config.mail_retry_base, m.attempts))
                    .bind(give_up)
                    .bind(now)
                    .bind(m.id)
                    .execute(db)
                    .await?;
                    if !permanent {
                        // the server is likely down: the rest waits for the next round
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): out-of-office replies and the like
/// are not sent back to the tracker's address.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

fn build(m: &Due, from: &lettre::message::Mailbox) -> Result<Message, String> {
    let to: lettre::message::Mailbox = m
        .to_addr
        .parse()
        .map_err(|_| "alamat penerima tidak sah".to_string())?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(m.message_id.clone()))
        .header(AutoSubmitted)
        .multipart(MultiPart::alternative_plain_html(
            m.body_text.clone(),
            m.body_html.clone(),
        ))
        .map_err(|_| "pesan tidak dapat disusun".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 0), 30);
        assert_eq!(backoff(base, 1), 60);
        assert_eq!(backoff(base, 3), 240);
        assert_eq!(backoff(base, 7), 3600);
        assert_eq!(backoff(base, 50), 3600);
        assert_eq!(backoff(Duration::from_millis(1), 0), 1);
    }
}
