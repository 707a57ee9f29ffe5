//! Notifications: who hears about what. A change that concerns someone writes a
//! notification (and, for people who want it at once, its e-mail in the outbox) in
//! the same transaction as the change itself; the outbox worker sends, the scheduler
//! adds reminders and daily digests.

pub mod events;
pub mod mail;
pub mod pages;
pub mod schedule;

use sqlx::SqliteConnection;

use crate::AppState;
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    pages::routes()
}

/// What a notification is about; its label heads the line in lists and mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    FixRequested,
    Answered,
    Assigned,
    Deadline,
    AnswerChanged,
    Window,
    LkeDeadline,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::FixRequested => "perbaikan",
            Kind::Answered => "jawaban",
            Kind::Assigned => "penugasan",
            Kind::Deadline => "tenggat",
            Kind::AnswerChanged => "jawaban-berubah",
            Kind::Window => "jendela",
            Kind::LkeDeadline => "tenggat-lke",
        }
    }
}

/// How a person wants their mail: each notice at once, one digest a day, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "snake_case")]
pub enum MailMode {
    Segera,
    Harian,
    Tidak,
}

impl MailMode {
    pub const ALL: [MailMode; 3] = [MailMode::Segera, MailMode::Harian, MailMode::Tidak];

    pub fn as_str(self) -> &'static str {
        match self {
            MailMode::Segera => "segera",
            MailMode::Harian => "harian",
            MailMode::Tidak => "tidak",
        }
    }

    /// The choice as the settings page words it.
    pub fn label(self) -> &'static str {
        match self {
            MailMode::Segera => "Segera, satu surel untuk setiap pemberitahuan",
            MailMode::Harian => "Ringkasan harian, sekali sehari pada jam di bawah",
            MailMode::Tidak => "Tidak usah; cukup di aplikasi",
        }
    }

    pub fn parse(s: &str) -> Option<MailMode> {
        MailMode::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }
}

/// What happens to a notification by mail (`notifications.mail`): nothing, a letter
/// of its own (queued in the outbox with it), or a line in the daily digest until the
/// digest has gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase")]
pub enum MailState {
    None,
    Queued,
    Digest,
    Digested,
}

/// One notification for one person.
#[derive(Clone, Debug)]
pub struct Notice {
    pub user_id: i64,
    /// The unit the notice concerns: its link opens that unit.
    pub unit_id: Option<i64>,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// The page to act on, without the unit prefix (added from `unit_id`).
    pub link: String,
    /// Names a scheduled reminder: the same name is never written twice per person.
    pub dedupe: Option<String>,
}

use crate::config::Post;

/// What writing notifications needs: where mail's links point and the time. The
/// server is one; the command line (no mail server, system clock) is another.
pub trait Notifies: Sync {
    fn post(&self) -> &Post;
    fn unix(&self) -> i64;
}

impl Notifies for AppState {
    fn post(&self) -> &Post {
        &self.post
    }
    fn unix(&self) -> i64 {
        self.config.clock.unix()
    }
}

/// Changes made on the command line notify in the app's list only: the command has
/// no mail server to hand messages to.
pub struct Offline {
    post: Post,
}

impl Offline {
    pub fn new() -> Self {
        Self {
            post: Post::disabled(),
        }
    }
}

impl Default for Offline {
    fn default() -> Self {
        Self::new()
    }
}

impl Notifies for Offline {
    fn post(&self) -> &Post {
        &self.post
    }
    fn unix(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// A person as notifications and digests need them.
#[derive(sqlx::FromRow)]
struct Recipient {
    id: i64,
    display_name: String,
    email: Option<String>,
    email_verified: bool,
    notify_mode: MailMode,
    digest_hour: i64,
    active: bool,
}

/// The columns of `Recipient`, from `users u`.
const RECIPIENT: &str = "SELECT u.id, u.display_name, u.email, u.email_verified, u.notify_mode,
        u.digest_hour, u.active FROM users u";

impl Recipient {
    /// Where this person's mail goes: their verified address, while the server sends
    /// mail and they want it.
    fn mail_to(&self, post: &Post) -> Option<String> {
        self.email.clone().filter(|e| {
            self.email_verified
                && !e.is_empty()
                && post.enabled
                && self.notify_mode != MailMode::Tidak
        })
    }
}

/// Writes notices on the caller's transaction; those for people who want mail at once
/// get their message in the outbox in the same write. Returns how many were written
/// (a reminder already written for that person is skipped).
pub async fn push(
    conn: &mut SqliteConnection,
    state: &dyn Notifies,
    notices: Vec<Notice>,
) -> sqlx::Result<usize> {
    let now = state.unix();
    let mut written = 0;
    // a batch (a deadline's reminders) mostly names one unit: its code is read once
    let mut codes: std::collections::HashMap<i64, String> = Default::default();
    let by_id = format!("{RECIPIENT} WHERE u.id = ?");
    for n in notices {
        let who: Option<Recipient> = sqlx::query_as(sqlx::AssertSqlSafe(by_id.as_str()))
            .bind(n.user_id)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(who) = who.filter(|w| w.active) else {
            continue;
        };
        let link = match n.unit_id {
            Some(unit) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = codes.entry(unit) {
                    slot.insert(
                        sqlx::query_scalar("SELECT code FROM work_units WHERE id = ?")
                            .bind(unit)
                            .fetch_one(&mut *conn)
                            .await?,
                    );
                }
                format!("/u/{}{}", codes[&unit], n.link)
            }
            None => n.link.clone(),
        };
        let address = who.mail_to(state.post());
        let mail = match (&address, who.notify_mode) {
            (Some(_), MailMode::Segera) => MailState::Queued,
            (Some(_), MailMode::Harian) => MailState::Digest,
            _ => MailState::None,
        };
        let done = sqlx::query(
            "INSERT OR IGNORE INTO notifications
                 (user_id, unit_id, kind, title, body, link, created_at, dedupe, mail)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(n.user_id)
        .bind(n.unit_id)
        .bind(n.kind.as_str())
        .bind(&n.title)
        .bind(&n.body)
        .bind(&link)
        .bind(now)
        .bind(&n.dedupe)
        .bind(mail)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            continue;
        }
        written += 1;
        if let (Some(to), MailState::Queued) = (address, mail) {
            let letter = mail::Letter {
                name: who.display_name,
                intro: "Ada hal baru di ZI Tracker yang perlu Anda ketahui:".into(),
                items: vec![mail::Item {
                    title: n.title.clone(),
                    body: n.body.clone(),
                    url: state.post().url(&link),
                }],
                outro: String::new(),
            };
            mail::queue(
                &mut *conn,
                state,
                mail::Outgoing {
                    user_id: Some(n.user_id),
                    to,
                    kind: mail::MailKind::Pemberitahuan,
                    subject: format!("[ZI Tracker] {}", n.title),
                    letter,
                },
            )
            .await?;
        }
    }
    Ok(written)
}
