//! Users, memberships, devices and their tokens.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};
use stint_api::rest::{User, Workspace};
use stint_api::ErrorCode;
use uuid::Uuid;

use super::{parse_id, Store};
use crate::error::ApiError;
use crate::time::{now, to_millis};

/// Who is calling: the token's user and device. Workspace access is decided by `policy`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub device_id: Uuid,
}

pub struct IssuedToken {
    pub token: String,
    pub device_id: Uuid,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
}

impl UserRow {
    fn into_user(self) -> Result<User, ApiError> {
        Ok(User {
            id: parse_id(&self.id)?,
            email: self.email,
            name: self.name,
        })
    }
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password failed: {e}")))
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

/// Tokens are random; only their SHA-256 is stored, so a leaked database holds no usable token.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// The user with this email and password, or `None`. Unknown emails cost the same argon2
    /// work as wrong passwords, so timing does not tell which emails exist.
    pub async fn check_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, ApiError> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, name, password_hash FROM users WHERE lower(email) = lower($1)",
        )
        .bind(email.trim())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) if password_matches(password, &row.password_hash) => {
                Ok(Some(row.into_user()?))
            }
            Some(_) => Ok(None),
            None => {
                let _ = password_matches(password, DUMMY_HASH);
                Ok(None)
            }
        }
    }

    /// Issues a token for `user_id` on a device. A device id already bound to another user is
    /// refused.
    pub async fn issue_token(
        &self,
        user_id: Uuid,
        device_id: Option<Uuid>,
        device_name: &str,
        ttl: Duration,
    ) -> Result<IssuedToken, ApiError> {
        let device_id = device_id.unwrap_or_else(Uuid::now_v7);
        let mut tx = self.pool.begin().await?;
        let owner: Option<String> = sqlx::query_scalar("SELECT user_id FROM devices WHERE id = $1")
            .bind(device_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        match owner {
            Some(owner) if parse_id(&owner)? != user_id => {
                return Err(ApiError::Conflict {
                    code: ErrorCode::DeviceTaken,
                    message: "this device id belongs to another user".into(),
                });
            }
            Some(_) => {
                sqlx::query("UPDATE devices SET name = $1 WHERE id = $2")
                    .bind(device_name)
                    .bind(device_id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO devices (id, user_id, name, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(device_id.to_string())
                .bind(user_id.to_string())
                .bind(device_name)
                .bind(to_millis(now()))
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = format!("stint_{}", hex::encode(bytes));
        let created = now();
        sqlx::query(
            "INSERT INTO tokens (hash, device_id, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(device_id.to_string())
        .bind(user_id.to_string())
        .bind(to_millis(created))
        .bind(to_millis(created + ttl))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { token, device_id })
    }

    pub async fn caller_for_token(&self, token: &str) -> Result<Caller, ApiError> {
        let row: Option<(String, String, i64)> =
            sqlx::query_as("SELECT user_id, device_id, expires_at FROM tokens WHERE hash = $1")
                .bind(token_hash(token))
                .fetch_optional(&self.pool)
                .await?;
        let (user_id, device_id, expires_at) = row.ok_or_else(|| {
            ApiError::unauthorized(ErrorCode::InvalidToken, "the token is not valid")
        })?;
        if expires_at <= to_millis(now()) {
            return Err(ApiError::unauthorized(
                ErrorCode::TokenExpired,
                "the token has expired; sign in again",
            ));
        }
        Ok(Caller {
            user_id: parse_id(&user_id)?,
            device_id: parse_id(&device_id)?,
        })
    }

    pub async fn revoke_token(&self, token: &str) -> Result<(), ApiError> {
        sqlx::query("DELETE FROM tokens WHERE hash = $1")
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn user(&self, user_id: Uuid) -> Result<User, ApiError> {
        let row: UserRow =
            sqlx::query_as("SELECT id, email, name, password_hash FROM users WHERE id = $1")
                .bind(user_id.to_string())
                .fetch_one(&self.pool)
                .await?;
        row.into_user()
    }

    pub async fn workspaces_of(&self, user_id: Uuid) -> Result<Vec<Workspace>, ApiError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.user_id = $1 ORDER BY w.name",
        )
        .bind(user_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, name, role)| {
                Ok(Workspace {
                    id: parse_id(&id)?,
                    name,
                    role,
                })
            })
            .collect()
    }

    pub async fn role_in(
        &self,
        user_id: Uuid,
        workspace_id: Uuid,
    ) -> Result<Option<String>, ApiError> {
        Ok(sqlx::query_scalar(
            "SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2",
        )
        .bind(user_id.to_string())
        .bind(workspace_id.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }
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
