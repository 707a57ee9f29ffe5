//! Sign-in limits, decided and recorded in one step. Each attempt is reserved (a
//! `pending` row) in the same write transaction that checks the limits, before any
//! hashing; concurrent attempts see each other's reservations, so 60 simultaneous
//! guesses cannot all pass a limit of 5. Failed attempts live here (a prunable table),
//! not in the append-only audit trail, which records each lock-out once. An attempt
//! the limits already refuse is answered from a read and leaves no row: a flood of
//! refused attempts must not queue for the write lock that real saves need.

use sqlx::SqliteConnection;

/// Failures of one account from one address within the window before that address is
/// refused for the account.
pub const ACCOUNT_LIMIT: i64 = 5;
/// The account is refused everywhere only once its failures come from this many
/// addresses: one person's typos lock only their own address.
pub const ACCOUNT_ADDRESSES: i64 = 3;
/// Failures from one address within the window, whatever the accounts: generous, a
/// whole office may sign in from one address behind NAT.
pub const ADDRESS_LIMIT: i64 = 50;
pub const WINDOW_SECS: i64 = 15 * 60;
/// Successful sign-ins of one account within the window: each opens a session and an
/// audit entry, so even the right password is not a free loop.
// 30: a person opening several browsers and devices (or a test restarting a server
// twenty times) stays well inside it; a loop is held to two entries a minute.
pub const SUCCESS_LIMIT: i64 = 30;
/// The first refusal lasts a minute and doubles with each further failure.
const FIRST_LOCK_SECS: i64 = 60;
const MAX_LOCK_SECS: i64 = 60 * 60;

/// Why an attempt is refused, with the seconds to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// This account from this address (or, after failures from several addresses,
    /// from everywhere).
    Account(i64),
    /// This address, whatever the account.
    Address(i64),
    /// The account signed in successfully too often within the window.
    Frequent(i64),
}

impl Refusal {
    pub fn retry_after(self) -> i64 {
        match self {
            Refusal::Account(s) | Refusal::Address(s) | Refusal::Frequent(s) => s.max(1),
        }
    }

    pub fn message(self) -> String {
        let minutes = (self.retry_after() + 59) / 60;
        match self {
            Refusal::Account(_) => format!(
                "Terlalu banyak percobaan masuk yang gagal untuk akun ini. Demi keamanan, \
                 coba lagi dalam {minutes} menit."
            ),
            Refusal::Address(_) => format!(
                "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam {minutes} menit."
            ),
            Refusal::Frequent(_) => format!(
                "Akun ini terlalu sering masuk dalam waktu singkat. Coba lagi dalam {minutes} menit."
            ),
        }
    }
}

/// How long `failures` failures lock, counted from the last one.
pub fn lock_secs(failures: i64, limit: i64) -> i64 {
    if failures < limit {
        return 0;
    }
    let doublings = (failures - limit).min(10) as u32;
    (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
}

/// What the limits say about an attempt.
#[derive(Clone, Copy, Debug, Default)]
pub struct Verdict {
    pub refusal: Option<Refusal>,
    /// The account is locked for the addresses its failures came from; this address
    /// has none and may try. Its failure then starts no new lock-out entry.
    pub locked_elsewhere: bool,
}

/// The limit in force for this account and address at `now`, counting pending
/// attempts as failures. Run as a read first (a refusal writes nothing), then again
/// inside the write transaction that reserves the attempt.
///
/// Failures from several addresses lock the account for every address that failed,
/// not for an address without failures of its own: the owner's right password from
/// their own address is never refused by someone else's guesses, and each further
/// address of an attacker gets one guess per lock.
pub async fn check(
    conn: &mut SqliteConnection,
    username: &str,
    ip: &str,
    now: i64,
) -> sqlx::Result<Verdict> {
    // Failures since the account's last success (or an admin lifting the lock), in
    // the order they were recorded (ids), so a second's resolution loses nothing.
    let (mine, mine_last, all, all_last, addresses): (i64, Option<i64>, i64, Option<i64>, i64) =
        sqlx::query_as(
            "WITH f AS (
               SELECT ip, at FROM login_attempts
                WHERE username = ?1 AND outcome IN ('failure', 'pending') AND at > ?3
                  AND id > coalesce((SELECT max(id) FROM login_attempts
                                     WHERE username = ?1 AND outcome IN ('success', 'lifted')), 0))
             SELECT (SELECT count(*) FROM f WHERE ip = ?2), (SELECT max(at) FROM f WHERE ip = ?2),
                    (SELECT count(*) FROM f), (SELECT max(at) FROM f),
                    (SELECT count(DISTINCT ip) FROM f)",
        )
        .bind(username)
        .bind(ip)
        .bind(now - WINDOW_SECS)
        .fetch_one(&mut *conn)
        .await?;
    let locked_until = |count: i64, last: Option<i64>| {
        last.map(|l| l + lock_secs(count, ACCOUNT_LIMIT))
            .filter(|until| *until > now)
    };
    let refused = |r| {
        Ok(Verdict {
            refusal: Some(r),
            locked_elsewhere: false,
        })
    };
    if let Some(until) = locked_until(mine, mine_last) {
        return refused(Refusal::Account(until - now));
    }
    let everywhere = (addresses >= ACCOUNT_ADDRESSES)
        .then(|| locked_until(all, all_last))
        .flatten();
    if let Some(until) = everywhere
        && mine > 0
    {
        return refused(Refusal::Account(until - now));
    }
    let oldest_counted: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM login_attempts WHERE ip = ? AND outcome IN ('failure', 'pending') AND at > ?
         ORDER BY at DESC LIMIT 1 OFFSET ?",
    )
    .bind(ip)
    .bind(now - WINDOW_SECS)
    .bind(ADDRESS_LIMIT - 1)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(oldest) = oldest_counted {
        return refused(Refusal::Address(oldest + WINDOW_SECS - now));
    }
    Ok(Verdict {
        refusal: None,
        locked_elsewhere: everywhere.is_some(),
    })
}

/// Whether the account has signed in successfully `SUCCESS_LIMIT` times within the
/// window: the next sign-in waits until the oldest of those leaves it.
pub async fn too_frequent(
    conn: &mut SqliteConnection,
    username: &str,
    now: i64,
) -> sqlx::Result<Option<Refusal>> {
    let oldest: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM login_attempts WHERE username = ? AND outcome = 'success' AND at > ?
         ORDER BY at DESC LIMIT 1 OFFSET ?",
    )
    .bind(username)
    .bind(now - WINDOW_SECS)
    .bind(SUCCESS_LIMIT - 1)
    .fetch_optional(conn)
    .await?;
    Ok(oldest.map(|o| Refusal::Frequent(o + WINDOW_SECS - now)))
}

/// Refused attempts, counted in memory: one log line a minute says how many there
/// were, instead of a row or a line each.
#[derive(Default)]
pub struct RefusedTally(std::sync::Mutex<(i64, u64)>);

impl RefusedTally {
    /// Counts a refusal at `now`; on the first of a new minute, returns how many the
    /// previous counted minute had, for one log line.
    pub fn note(&self, now: i64) -> Option<u64> {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let minute = now / 60;
        if g.0 == minute {
            g.1 += 1;
            None
        } else {
            let before = g.1;
            *g = (minute, 1);
            Some(before)
        }
    }
}

/// Failed attempts of an account that still count (in the window, since its last
/// success or unlock), for the account page.
pub async fn recent_failures(db: &sqlx::SqlitePool, username: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM login_attempts
          WHERE username = ?1 AND outcome = 'failure' AND at > ?2
            AND id > coalesce((SELECT max(id) FROM login_attempts
                               WHERE username = ?1 AND outcome IN ('success', 'lifted')), 0)",
    )
    .bind(username)
    .bind(crate::auth::session::now() - WINDOW_SECS)
    .fetch_one(db)
    .await
}

/// After a failure is settled: whether it started a lock-out, described for the audit
/// trail. Only settled failures count here (a refused attempt is never one), so each
/// lock-out is recorded once: the failure that reaches a limit, or the first failure
/// after an earlier lock ran out.
pub async fn lock_started(
    conn: &mut SqliteConnection,
    username: &str,
    ip: &str,
    now: i64,
    locked_elsewhere: bool,
) -> sqlx::Result<Option<String>> {
    let (mine, all, addresses, from_ip): (i64, i64, i64, i64) = sqlx::query_as(
        "WITH f AS (
           SELECT ip FROM login_attempts
            WHERE username = ?1 AND outcome = 'failure' AND at > ?3
              AND id > coalesce((SELECT max(id) FROM login_attempts
                                 WHERE username = ?1 AND outcome IN ('success', 'lifted')), 0))
         SELECT (SELECT count(*) FROM f WHERE ip = ?2), (SELECT count(*) FROM f),
                (SELECT count(DISTINCT ip) FROM f),
                (SELECT count(*) FROM login_attempts
                  WHERE ip = ?2 AND outcome = 'failure' AND at > ?3)",
    )
    .bind(username)
    .bind(ip)
    .bind(now - WINDOW_SECS)
    .fetch_one(conn)
    .await?;
    Ok(if mine >= ACCOUNT_LIMIT {
        Some(format!("akun \"{username}\" dari alamat {ip}"))
    } else if addresses >= ACCOUNT_ADDRESSES && all >= ACCOUNT_LIMIT && !locked_elsewhere {
        Some(format!("akun \"{username}\" dari semua alamat"))
    } else if from_ip == ADDRESS_LIMIT {
        Some(format!("alamat {ip}"))
    } else {
        None
    })
}

/// What became of a sign-in attempt (`login_attempts.outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase")]
pub enum Outcome {
    /// Reserved before the password check runs: counts against the limits meanwhile.
    Pending,
    Success,
    Failure,
    /// An admin lifted the account's lock: failures before it no longer count.
    Lifted,
}

/// Records an attempt; returns its id.
pub async fn record(
    conn: &mut SqliteConnection,
    username: &str,
    ip: &str,
    at: i64,
    outcome: Outcome,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(username)
    .bind(ip)
    .bind(at)
    .bind(outcome)
    .fetch_one(conn)
    .await
}

/// Settles a reserved attempt as `Success` or `Failure`.
pub async fn settle(conn: &mut SqliteConnection, id: i64, outcome: Outcome) -> sqlx::Result<()> {
    sqlx::query("UPDATE login_attempts SET outcome = ? WHERE id = ?")
        .bind(outcome)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets a reservation whose check never ran (the hashing queue was full).
pub async fn release(conn: &mut SqliteConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_attempts WHERE id = ? AND outcome = 'pending'")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_at_the_limit_and_double() {
        assert_eq!(lock_secs(4, 5), 0);
        assert_eq!(lock_secs(5, 5), 60);
        assert_eq!(lock_secs(6, 5), 120);
        assert_eq!(lock_secs(7, 5), 240);
        assert_eq!(lock_secs(50, 5), 3600, "capped at an hour");
        assert!(Refusal::Account(61).message().contains("2 menit"));
        assert_eq!(Refusal::Address(0).retry_after(), 1);
        assert!(Refusal::Frequent(600).message().contains("10 menit"));
    }

    #[test]
    fn refusals_are_logged_once_a_minute_with_their_count() {
        let t = RefusedTally::default();
        assert_eq!(t.note(120), Some(0));
        assert_eq!(t.note(130), None);
        assert_eq!(t.note(179), None);
        assert_eq!(t.note(180), Some(3));
    }
}
