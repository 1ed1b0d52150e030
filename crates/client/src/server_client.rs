//! HTTP calls to the workspace server.

use std::time::Duration;

use stint_api::desk::TimerAction;
use stint_api::rest::{TeamNow, TimeSettings, TimeSettingsChange, TokenRequest, TokenResponse};
use stint_api::sync::{Mutation, PullResponse, PushRequest, PushResponse, PROTOCOL_VERSION};
use stint_api::{ErrorBody, ErrorCode};
use uuid::Uuid;

use crate::error::DeskError;

#[derive(Clone)]
pub struct ServerClient {
    http: reqwest::Client,
    base: String,
}

/// One HTTP client for the life of the app: its connection pool and TLS set-up are reused.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        // A server that accepts but never answers must not hang sync forever.
        .timeout(Duration::from_secs(30))
        // Syncs are a minute apart: a kept-alive connection would mostly be stale by then (a
        // restarted server, a laptop that slept) and fail the next sync for nothing.
        .pool_max_idle_per_host(0)
        .user_agent(concat!("stint-desktop/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client's fixed settings are valid")
}

/// The client of the event stream: it stays open for hours, so no total timeout; the server
/// sends a heartbeat every 25 s, so a minute without a byte is a dead connection.
pub fn events_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(60))
        .user_agent(concat!("stint-desktop/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client's fixed settings are valid")
}

impl ServerClient {
    pub fn new(http: &reqwest::Client, server_url: &str) -> Result<ServerClient, DeskError> {
        let base = server_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(DeskError::InvalidInput(format!(
                "the server URL must start with http:// or https:// (got {base:?})"
            )));
        }
        Ok(ServerClient {
            http: http.clone(),
            base,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub async fn sign_in(&self, request: &TokenRequest) -> Result<TokenResponse, DeskError> {
        let response = self
            .http
            .post(format!("{}/api/v1/auth/token", self.base))
            .json(request)
            .send();
        read(response.await).await
    }

    pub async fn revoke(&self, token: &str) -> Result<(), DeskError> {
        let response = self
            .http
            .delete(format!("{}/api/v1/auth/token", self.base))
            .bearer_auth(token)
            .send();
        read_nothing(response.await).await
    }

    pub async fn push(
        &self,
        token: &str,
        workspace: Uuid,
        stream_id: Uuid,
        mutations: Vec<Mutation>,
    ) -> Result<PushResponse, DeskError> {
        let request = PushRequest {
            protocol_version: PROTOCOL_VERSION,
            stream_id,
            mutations,
        };
        let response = self
            .http
            .post(format!(
                "{}/api/v1/workspaces/{workspace}/sync/push",
                self.base
            ))
            .bearer_auth(token)
            .json(&request)
            .send();
        read(response.await).await
    }

    pub async fn change_time_settings(
        &self,
        token: &str,
        workspace: Uuid,
        change: &TimeSettingsChange,
    ) -> Result<TimeSettings, DeskError> {
        let response = self
            .http
            .patch(format!(
                "{}/api/v1/workspaces/{workspace}/time/settings",
                self.base
            ))
            .bearer_auth(token)
            .json(change)
            .send();
        read(response.await).await
    }

    /// T6: who in the workspace is tracking what (admins).
    pub async fn team_now(&self, token: &str, workspace: Uuid) -> Result<TeamNow, DeskError> {
        let response = self
            .http
            .get(format!(
                "{}/api/v1/workspaces/{workspace}/timers",
                self.base
            ))
            .bearer_auth(token)
            .send();
        read(response.await).await
    }

    /// T6: `pause` or `stop` someone's timer (admins).
    pub async fn control_timer(
        &self,
        token: &str,
        workspace: Uuid,
        timer_id: Uuid,
        action: TimerAction,
    ) -> Result<(), DeskError> {
        let action = match action {
            TimerAction::Pause => "pause",
            TimerAction::Stop => "stop",
        };
        let response = self
            .http
            .post(format!(
                "{}/api/v1/workspaces/{workspace}/timers/{timer_id}/{action}",
                self.base
            ))
            .bearer_auth(token)
            .send();
        read_nothing(response.await).await
    }

    pub async fn pull(
        &self,
        token: &str,
        workspace: Uuid,
        cursor: Option<&str>,
        stream_id: Uuid,
    ) -> Result<PullResponse, DeskError> {
        let mut query = vec![
            ("protocol_version", PROTOCOL_VERSION.to_string()),
            ("stream_id", stream_id.to_string()),
        ];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_string()));
        }
        let response = self
            .http
            .get(format!(
                "{}/api/v1/workspaces/{workspace}/sync/pull",
                self.base
            ))
            .query(&query)
            .bearer_auth(token)
            .send();
        read(response.await).await
    }
}

fn offline(error: reqwest::Error) -> DeskError {
    DeskError::Offline(error.to_string())
}

async fn read<T: serde::de::DeserializeOwned>(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, DeskError> {
    let response = response.map_err(offline)?;
    if !response.status().is_success() {
        return Err(DeskError::Server(error_body(response).await));
    }
    let unexpected = |e: &dyn std::fmt::Display| {
        DeskError::Server(ErrorBody::new(
            ErrorCode::BadResponse,
            format!("the server sent something unexpected: {e}"),
        ))
    };
    let body = response.bytes().await.map_err(offline)?;
    // Checked as UTF-8 once, whole: reading from bytes checks each string on its own, which
    // took a tenth of the time of reading a pulled page.
    let text = std::str::from_utf8(&body).map_err(|e| unexpected(&e))?;
    serde_json::from_str(text).map_err(|e| unexpected(&e))
}

/// An answer without a body (204): success, or the server's error.
async fn read_nothing(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<(), DeskError> {
    let response = response.map_err(offline)?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(DeskError::Server(error_body(response).await))
    }
}

async fn error_body(response: reqwest::Response) -> ErrorBody {
    let status = response.status();
    match response.json::<ErrorBody>().await {
        Ok(body) => body,
        Err(_) => ErrorBody::new(
            ErrorCode::HttpError,
            format!("the server answered {status}"),
        ),
    }
}
