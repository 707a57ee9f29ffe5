//! Password hashing (argon2id) and the password rules.

use std::sync::OnceLock;

use sqlx::SqliteConnection;

use argon2::password_hash::phc::{PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 256;

/// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane); the parameters are stored
/// in every hash, so they can be raised later without breaking old hashes.
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, Some(32)).expect("valid argon2 parameters")
}

thread_local! {
    /// The memory argon2 works in, allocated once per hashing thread: allocating
    /// 19 MiB per sign-in left each block behind in the allocator.
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn compute(params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> anyhow::Result<()> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < params.block_count() {
            *blocks = vec![Block::default(); params.block_count()];
        }
        argon
            .hash_password_into_with_memory(
                password,
                salt,
                out,
                &mut blocks[..params.block_count()],
            )
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing queue is full: the answer is 503, try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// All hashing runs on one dedicated thread, off the async workers, behind a bounded
/// queue. Each hash takes 19 MiB; the allocator keeps such blocks per thread, so one
/// thread keeps it to one block and stops a burst from taking both cores. The bound
/// keeps a flood of wrong passwords from delaying everyone's sign-in without limit:
/// past it, requests are refused at once (503) instead of waiting.
pub struct Hasher {
    tx: std::sync::mpsc::SyncSender<Job>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Hasher {
    /// Starts the hashing thread with room for `capacity` waiting jobs.
    pub fn start(capacity: usize) -> std::sync::Arc<Hasher> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(capacity);
        let waiting = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = waiting.clone();
        std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    counter.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    job();
                }
            })
            .expect("hashing thread starts");
        std::sync::Arc::new(Hasher { tx, waiting })
    }

    /// Jobs waiting for the thread (not the one it runs).
    pub fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.waiting
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.tx.try_send(job).is_err() {
            self.waiting
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            return Err(Busy);
        }
        rx.await.map_err(|_| Busy)
    }

    /// Verifies a password against a stored hash, or against the dummy hash when there
    /// is no such user, so that an unknown user costs the same time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Busy> {
        self.run(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| dummy_hash().to_string());
            verify_blocking(&password, &hash) && known
        })
        .await
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: String) -> Result<anyhow::Result<String>, Busy> {
        self.run(move || hash_blocking(&password)).await
    }

    /// Occupies the thread until the returned sender is dropped (or sent to): lets a
    /// test or a benchmark fill the queue deterministically.
    pub fn hold(&self) -> std::sync::mpsc::Sender<()> {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        self.waiting
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let job: Job = Box::new(move || {
            let _ = rx.recv();
        });
        if self.tx.try_send(job).is_err() {
            self.waiting
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
        tx
    }
}

/// The hasher of work outside the web server (the command line, demo data).
fn shared() -> &'static Hasher {
    static SHARED: OnceLock<std::sync::Arc<Hasher>> = OnceLock::new();
    SHARED.get_or_init(|| Hasher::start(1024))
}

/// Hashes off the async worker threads: argon2 is deliberately slow.
pub async fn hash(password: String) -> anyhow::Result<String> {
    shared()
        .hash(password)
        .await
        .map_err(|_| anyhow::anyhow!("hashing queue full"))?
}

/// A PHC string: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let mut salt_raw = [0u8; Salt::RECOMMENDED_LENGTH];
    getrandom::fill(&mut salt_raw).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let salt = Salt::new(&salt_raw).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let p = params();
    let mut out = [0u8; 32];
    compute(&p, password.as_bytes(), &salt_raw, &mut out)?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        p.m_cost(),
        p.t_cost(),
        p.p_cost(),
        salt,
        STANDARD_NO_PAD.encode(out)
    ))
}

fn verify_blocking(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return false;
    }
    let (Ok(p), Some(salt), Some(expected)) = (Params::try_from(&parsed), parsed.salt, parsed.hash)
    else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if compute(&p, password.as_bytes(), &salt, &mut out).is_err() {
        return false;
    }
    bool::from(subtle::ConstantTimeEq::ct_eq(
        out.as_slice(),
        expected.as_bytes(),
    ))
}

/// A hash of a password nobody knows, verified when the user does not exist so that
/// an unknown user costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking("tidak-ada-pengguna-dengan-kata-sandi-ini").expect("dummy hash")
    })
}

/// Computes the dummy hash ahead of the first sign-in.
pub async fn warm_up(hasher: &Hasher) {
    let _ = hasher
        .run(|| {
            dummy_hash();
        })
        .await;
}

/// Verifies a password on the shared hasher (work outside the web server).
pub async fn verify(password: String, stored: Option<String>) -> bool {
    shared().verify(password, stored).await.unwrap_or(false)
}

/// The password rules, with the message a user reads when one is broken.
pub fn check_rules(password: &str, username: &str) -> Result<(), &'static str> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err("Kata sandi minimal 12 karakter.");
    }
    if len > MAX_LEN {
        return Err("Kata sandi maksimal 256 karakter.");
    }
    if password.trim().to_lowercase() == username.trim().to_lowercase() {
        return Err("Kata sandi tidak boleh sama dengan nama pengguna.");
    }
    Ok(())
}

/// A random password for the first admin: 20 characters from an alphabet without
/// look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    // 56 letters: bytes at or above 224 (= 4 × 56) are redrawn, so every letter is
    // equally likely.
    let mut out = String::new();
    while out.len() < 20 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the system's random source works");
        out.extend(
            bytes
                .iter()
                .filter(|b| (**b as usize) < 4 * ALPHABET.len())
                .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                .take(20 - out.len()),
        );
    }
    out
}

/// Stores a new hash for an account, on the caller's transaction.
pub async fn store(
    conn: &mut SqliteConnection,
    user_id: i64,
    hash: &str,
    must_change: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = ?, must_change_password = ?,
                updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?",
    )
    .bind(hash)
    .bind(must_change)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    // a reset link asked for before this change no longer works
    sqlx::query(
        "UPDATE account_tokens SET used_at = strftime('%s', 'now')
         WHERE user_id = ? AND purpose = 'reset' AND used_at IS NULL",
    )
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(check_rules("pendek", "budi").is_err());
        assert!(check_rules("budisantoso12", "budisantoso12").is_err());
        assert!(
            check_rules(" BudiSantoso12 ", "budisantoso12").is_err(),
            "case and spaces"
        );
        assert!(check_rules("kata-sandi-yang-panjang", "budi").is_ok());
        // the bounds are inclusive: 12 and 256 characters (not bytes) pass
        assert!(check_rules(&"a".repeat(11), "budi").is_err());
        assert!(check_rules(&"a".repeat(12), "budi").is_ok());
        assert!(check_rules(&"é".repeat(12), "budi").is_ok());
        assert!(check_rules(&"a".repeat(256), "budi").is_ok());
        assert_eq!(
            check_rules(&"a".repeat(257), "budi"),
            Err("Kata sandi maksimal 256 karakter.")
        );
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("kata-sandi-yang-panjang".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        // the string is a standard PHC hash that the reference verifier accepts
        use argon2::password_hash::PasswordVerifier;
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"kata-sandi-yang-panjang", &parsed)
                .is_ok()
        );
        assert!(verify("kata-sandi-yang-panjang".into(), Some(h.clone())).await);
        assert!(!verify("salah-kata-sandi-nya".into(), Some(h)).await);
        assert!(!verify("apa-saja".into(), None).await);
    }
}
