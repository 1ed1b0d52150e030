//! `stint-bridge`: serves `Desk` and the built UI over loopback HTTP, so the real UI runs in a
//! browser (Playwright, `npm run dev`) against the real Rust core. A development and test tool,
//! never shipped: it binds 127.0.0.1 only, requires a random token made at each start, and
//! checks Host and Origin so a web page elsewhere cannot reach it (no DNS rebinding).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use clap::Parser;
use rand::RngCore;
use stint_api::desk::DeskCall;
use stint_api::{ErrorBody, ErrorCode};
use stint_client::{Clock, Desk, DeskConfig};
use tower_http::services::{ServeDir, ServeFile};

#[derive(Parser)]
#[command(
    name = "stint-bridge",
    about = "Loopback HTTP bridge to Desk, for browser tests and UI development"
)]
struct Cli {
    /// Folder of the local store.
    #[arg(long)]
    data_dir: PathBuf,
    /// The built UI to serve (ui/dist).
    #[arg(long, default_value = "ui/dist")]
    ui_dir: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Another origin allowed to call (the Vite dev server, e.g. http://localhost:5173).
    #[arg(long)]
    allow_origin: Vec<String>,
}

#[derive(Clone)]
struct Bridge {
    desk: Arc<Desk>,
    token: String,
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let desk = Arc::new(Desk::open(DeskConfig {
        data_dir: cli.data_dir,
        use_keyring: false,
        device_name: "Stint dev bridge".into(),
        clock: Clock::system(),
    })?);
    tokio::spawn(desk.clone().run_sync_loop());
    tokio::spawn(desk.clone().run_events_loop());
    // No desktop here to notify: the window shows the phase.
    tokio::spawn(
        desk.clone()
            .run_pomodoro_loop(|words| tracing::info!(words, "Pomodoro")),
    );
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], cli.port))).await?;
    let port = listener.local_addr()?.port();
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let allowed_hosts = vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    let mut allowed_origins: Vec<String> = allowed_hosts
        .iter()
        .map(|h| format!("http://{h}"))
        .collect();
    allowed_origins.extend(cli.allow_origin);
    let bridge = Bridge {
        desk,
        token: token.clone(),
        allowed_hosts,
        allowed_origins,
    };
    let ui = ServeDir::new(&cli.ui_dir).fallback(ServeFile::new(cli.ui_dir.join("index.html")));
    let app = Router::new()
        .route("/desk", post(call_desk))
        .fallback_service(ui)
        .layer(middleware::from_fn_with_state(
            bridge.clone(),
            check_host_and_origin,
        ))
        .with_state(bridge);
    // One line for whoever started us (tests, xtask): where to point the browser.
    println!(
        "{}",
        serde_json::json!({ "url": format!("http://127.0.0.1:{port}/#bridge={token}"), "port": port, "token": token })
    );
    axum::serve(listener, app).await?;
    Ok(())
}

fn refuse(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, Json(ErrorBody::new(code, message))).into_response()
}

async fn check_host_and_origin(
    State(bridge): State<Bridge>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !bridge.allowed_hosts.iter().any(|allowed| allowed == host) {
        return refuse(
            StatusCode::FORBIDDEN,
            ErrorCode::BadHost,
            "this bridge answers only on 127.0.0.1",
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        if !bridge
            .allowed_origins
            .iter()
            .any(|allowed| allowed == origin)
        {
            return refuse(
                StatusCode::FORBIDDEN,
                ErrorCode::BadOrigin,
                "this origin may not call the bridge",
            );
        }
    }
    next.run(request).await
}

async fn call_desk(State(bridge): State<Bridge>, headers: HeaderMap, body: String) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if bearer != Some(format!("Bearer {}", bridge.token).as_str()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::BadBridgeToken,
            "missing or wrong bridge token",
        );
    }
    let call: DeskCall = match serde_json::from_str(&body) {
        Ok(call) => call,
        Err(error) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedRequest,
                &error.to_string(),
            )
        }
    };
    match bridge.desk.dispatch(call).await {
        Ok(reply) => Json(reply).into_response(),
        Err(error) => (StatusCode::UNPROCESSABLE_ENTITY, Json(error.to_body())).into_response(),
    }
}
