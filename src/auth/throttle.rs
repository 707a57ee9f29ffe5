//! Sign-in limits, decided and recorded in one step. Each attempt is reserved (a
//! `pending` row) in the same write transaction that checks the limits, before any
//! hashing; concurrent attempts see each other's reservations, so 60 simultaneous
//! guesses cannot all pass a limit of 5. Failed attempts live here (a prunable table),
//! not in the append-only audit trail, which records each lock-out once.

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
}

impl Refusal {
    pub fn retry_after(self) -> i64 {
        match self {
            Refusal::Account(s) | Refusal::Address(s) => s.max(1),
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

/// The limit in force for this account and address at `now`, counting pending
/// attempts as failures. Run inside the write transaction that reserves the attempt.
pub async fn check(
    conn: &mut SqliteConnection,
    username: &str,
    ip: &str,
    now: i64,
) -> sqlx::Result<Option<Refusal>> {
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
    if let Some(until) = locked_until(mine, mine_last) {
        return Ok(Some(Refusal::Account(until - now)));
    }
    if addresses >= ACCOUNT_ADDRESSES
        && let Some(until) = locked_until(all, all_last)
    {
        return Ok(Some(Refusal::Account(until - now)));
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
    Ok(oldest_counted.map(|oldest| Refusal::Address(oldest + WINDOW_SECS - now)))
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
    } else if addresses >= ACCOUNT_ADDRESSES && all >= ACCOUNT_LIMIT {
        Some(format!("akun \"{username}\" dari semua alamat"))
    } else if from_ip == ADDRESS_LIMIT {
        Some(format!("alamat {ip}"))
    } else {
        None
    })
}

/// Records an attempt; returns its id.
pub async fn record(
    conn: &mut SqliteConnection,
    username: &str,
    ip: &str,
    at: i64,
    outcome: &str,
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

/// Settles a reserved attempt as `success` or `failure`.
pub async fn settle(conn: &mut SqliteConnection, id: i64, outcome: &str) -> sqlx::Result<()> {
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
    }
}
