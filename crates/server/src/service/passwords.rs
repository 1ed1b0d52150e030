//! Password hashing (argon2id) off the async workers: on a blocking thread, at most a few at a
//! time, so a burst of sign-ins (or of wrong passwords, which anyone can send) queues behind a
//! semaphore instead of stalling every other request.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::error::ApiError;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Passwords {
    /// One hashing at a time per core but one, so a core stays free for everything else.
    pub fn new() -> Passwords {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Passwords {
            permits: Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let password = password.to_string();
        self.blocking(move || hash_password(&password)).await?
    }

    /// Whether `password` matches `stored`; with no user, checks against a dummy hash so an
    /// unknown email costs the same time as a wrong password.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, ApiError> {
        let password = password.to_string();
        let stored = stored.unwrap_or(DUMMY_HASH).to_string();
        self.blocking(move || password_matches(&password, &stored))
            .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::internal("the password semaphore closed"))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))
    }
}

impl Default for Passwords {
    fn default() -> Passwords {
        Passwords::new()
    }
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::internal(format!("hashing a password failed: {e}")))
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// An argon2id hash of a random password, verified against when the email is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3RpbnRkdW1teXNhbHQ$5mHtyYBI1E5n3gU3u5jBv1S0hA8q7o7E6v0lM7m3Jxk";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_emails_cost_a_real_verification() {
        // If the dummy hash did not parse, unknown emails would answer fast and give them away.
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!password_matches("anything", DUMMY_HASH));
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("correct horse", &hash));
        assert!(!password_matches("wrong horse", &hash));
    }
}
