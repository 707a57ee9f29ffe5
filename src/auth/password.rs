//! Password hashing (argon2id) and the password rules.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 256;

/// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane); the parameters are stored
/// in every hash, so they can be raised later without breaking old hashes.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes off the async worker threads: argon2 is deliberately slow.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
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
pub async fn warm_up() {
    let _ = tokio::task::spawn_blocking(dummy_hash).await;
}

/// Verifies a password against a stored hash, or against the dummy hash when there
/// is no such user; runs off the async worker threads.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| dummy_hash().to_string());
        let ok = match PasswordHash::new(&hash) {
            Ok(parsed) => hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        };
        ok && known
    })
    .await
    .unwrap_or(false)
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
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(check_rules("pendek", "budi").is_err());
        assert!(check_rules("budisantoso12", "budisantoso12").is_err());
        assert!(check_rules("kata-sandi-yang-panjang", "budi").is_ok());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("kata-sandi-yang-panjang".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("kata-sandi-yang-panjang".into(), Some(h.clone())).await);
        assert!(!verify("salah-kata-sandi-nya".into(), Some(h)).await);
        assert!(!verify("apa-saja".into(), None).await);
    }
}
