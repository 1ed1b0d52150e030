//! The HTTP edge under abuse, against a real server on loopback (SQLite, demo workspace) with
//! short limits: half-sent requests, slow and oversized bodies, a full connection table,
//! control characters in text, and error answers that must all be `ErrorBody` JSON.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::Router;
use reqwest::StatusCode;
use serde_json::{json, Value};
use stint_server::edge::{self, EdgeLimits};
use stint_server::error::{Json, Path};
use stint_server::service::demo;
use stint_server::Passwords;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use uuid::Uuid;

const ANA: &str = "ana@demo.stint.test";
const PASSWORD: &str = "stint-demo";
const HALF_SENT: &[u8] = b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\n";
/// How long to wait for something that must happen; only reached when a test fails.
const PATIENCE: Duration = Duration::from_secs(20);

fn short_limits() -> EdgeLimits {
    EdgeLimits {
        max_connections: 64,
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(4),
        sse_heartbeat: Duration::from_millis(200),
        ..EdgeLimits::default()
    }
}

struct TestServer {
    addr: SocketAddr,
    base: String,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The real application on a fresh demo database.
async fn start(limits: EdgeLimits) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let storage = stint_server::open_sqlite_dir(dir.path()).await.unwrap();
    demo::seed(&*storage, &Passwords::new()).await.unwrap();
    let (app, _events) = stint_server::app(storage, &limits);
    let mut server = start_app(app, limits, std::future::pending()).await;
    server._dir = Some(dir);
    server
}

/// Any router, wrapped in the edge's layers, served by the edge.
async fn start_app(
    app: Router,
    limits: EdgeLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = edge::layers(app, &limits);
    TestServer {
        addr,
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        server: tokio::spawn(edge::serve(listener, app, limits, shutdown)),
        _dir: None,
    }
}

/// A router of the shape the real one has, to show per-route limits and the `Path` extractor.
fn sample_router() -> Router {
    async fn echo(Json(body): Json<Value>) -> Json<Value> {
        Json(body)
    }
    async fn thing(Path(thing_id): Path<Uuid>) -> String {
        thing_id.to_string()
    }
    Router::new()
        .route("/small", post(echo).layer(edge::body_limit(100)))
        .route("/large", post(echo).layer(edge::body_limit(200_000)))
        .route("/default", post(echo))
        .route("/things/{thing_id}", get(thing))
}

/// What came back on a raw connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.body["code"], code, "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/json"));
    }
}

fn parse_answer(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer in {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(body.len());
    Answer {
        status,
        body: serde_json::from_str(&body[..length]).unwrap_or(Value::Null),
        headers,
    }
}

/// Everything the server sends until it closes the connection.
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            // Closing with bytes of ours still unread makes the kernel reset, not close.
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return received,
            Err(error) => panic!("reading from the server: {error}"),
        }
    }
}

async fn closed_by_server(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    tokio::time::timeout(PATIENCE, read_until_closed(stream))
        .await
        .expect("the server should have closed the connection")
}

async fn send(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Sends a whole request on its own connection and reads the answer.
async fn raw_request(addr: SocketAddr, bytes: &[u8]) -> Answer {
    let mut stream = send(addr, bytes).await;
    parse_answer(&closed_by_server(&mut stream).await)
}

fn post_json_head(path: &str, content_length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\nConnection: close\r\n\r\n"
    )
}

fn chunked_head(path: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
}

async fn fetch(request: reqwest::RequestBuilder) -> (StatusCode, Option<String>, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string());
    (
        status,
        content_type,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn sign_in(server: &TestServer, body: Value) -> (StatusCode, Value) {
    let url = format!("{}/api/v1/auth/token", server.base);
    let (status, _, body) = fetch(server.http.post(url).json(&body)).await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_and_silent_connections_are_closed_after_the_header_timeout() {
    let limits = short_limits();
    let server = start(limits.clone()).await;

    for opening in [HALF_SENT, b""] {
        let started = Instant::now();
        let mut stream = send(server.addr, opening).await;
        closed_by_server(&mut stream).await;
        let waited = started.elapsed();
        assert!(
            waited >= limits.header_read_timeout.mul_f32(0.8),
            "closed after {waited:?}, before the header timeout"
        );
    }

    // An idle keep-alive connection gets the same time for its next request.
    let mut stream = send(server.addr, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let answered = closed_by_server(&mut stream).await;
    assert_eq!(parse_answer(&answered).status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_cut_after_the_body_timeout() {
    let limits = short_limits();
    let server = start(limits.clone()).await;
    let head = post_json_head("/api/v1/auth/token", 100);
    let started = Instant::now();
    let mut stream = send(server.addr, format!("{head}{{\"email\": ").as_bytes()).await;
    let answer = parse_answer(&closed_by_server(&mut stream).await);
    let waited = started.elapsed();
    answer.assert_error(408, "request_timeout");
    assert!(
        waited >= limits.body_read_timeout.mul_f32(0.8),
        "{waited:?}"
    );
    assert!(
        waited < limits.request_timeout,
        "cut by the request timeout ({waited:?}), not the body timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_body_is_cut_by_the_request_timeout() {
    let limits = short_limits();
    let server = start(limits.clone()).await;
    let stream = send(
        server.addr,
        post_json_head("/api/v1/auth/token", 10_000).as_bytes(),
    )
    .await;
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    // A byte every 200 ms: never a pause as long as the body timeout.
    let trickle = tokio::spawn(async move {
        while writer.write_all(b" ").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let answer = parse_answer(&closed_by_server(&mut reader).await);
    let waited = started.elapsed();
    trickle.abort();
    answer.assert_error(408, "request_timeout");
    assert!(waited >= limits.request_timeout.mul_f32(0.8), "{waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413_with_the_limit() {
    let server = start(short_limits()).await;
    let default = edge::DEFAULT_BODY_LIMIT;

    // Said up front: refused before the body is sent.
    let head = post_json_head("/api/v1/auth/token", default + 1);
    let answer = raw_request(server.addr, head.as_bytes()).await;
    answer.assert_error(413, "payload_too_large");
    assert_eq!(answer.body["details"]["limit_bytes"], default);

    // Found out while arriving: one chunk larger than the limit, and no end.
    let padding = "a".repeat(default + 1000);
    let chunk = format!("{{\"email\": \"{padding}\"");
    let request = format!(
        "{}{:x}\r\n{chunk}\r\n",
        chunked_head("/api/v1/auth/token"),
        chunk.len()
    );
    let answer = raw_request(server.addr, request.as_bytes()).await;
    answer.assert_error(413, "payload_too_large");
    assert_eq!(answer.body["details"]["limit_bytes"], default);

    // Just under the limit it is an ordinary request.
    let long = "a".repeat(default - 200);
    let (status, body) = sign_in(
        &server,
        json!({ "email": long, "password": "x", "device_name": "t" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_route_can_have_its_own_body_limit() {
    let server = start_app(sample_router(), short_limits(), std::future::pending()).await;
    for (path, limit) in [("/small", 100), ("/default", edge::DEFAULT_BODY_LIMIT)] {
        let answer = raw_request(server.addr, post_json_head(path, limit + 1).as_bytes()).await;
        answer.assert_error(413, "payload_too_large");
        assert_eq!(answer.body["details"]["limit_bytes"], limit, "{path}");
    }
    // Within their limits, bodies pass: a small one, and one over the default on `/large`.
    for (path, body) in [
        ("/small", json!({ "text": "short" })),
        ("/large", json!({ "text": "a".repeat(100_000) })),
    ] {
        let url = format!("{}{path}", server.base);
        let (status, _, echoed) = fetch(server.http.post(&url).json(&body)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(echoed, body);
    }
    // The small route's limit holds for a chunked body too.
    let chunk = format!("{{\"text\": \"{}\"}}", "a".repeat(150));
    let request = format!(
        "{}{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunked_head("/small"),
        chunk.len()
    );
    let answer = raw_request(server.addr, request.as_bytes()).await;
    answer.assert_error(413, "payload_too_large");
    assert_eq!(answer.body["details"]["limit_bytes"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_wrong_methods_and_bad_ids_answer_json() {
    let server = start(short_limits()).await;
    let http = &server.http;
    let base = &server.base;
    let json = Some("application/json");

    let (status, content_type, body) = fetch(http.get(format!("{base}/nowhere"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        (content_type.as_deref(), &body["code"]),
        (json, &json!("not_found"))
    );

    for request in [
        http.get(format!("{base}/api/v1/auth/token")),
        http.put(format!("{base}/health")),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(response.headers().contains_key("allow"), "405 keeps Allow");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/json"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "method_not_allowed");
    }

    let (_, token) = sign_in(
        &server,
        json!({ "email": ANA, "password": PASSWORD, "device_name": "test" }),
    )
    .await;
    let token = token["token"].as_str().unwrap();
    let url = format!("{base}/api/v1/workspaces/not-a-uuid/tasks");
    let (status, content_type, body) = fetch(http.get(url).bearer_auth(token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (content_type.as_deref(), &body["code"]),
        (json, &json!("malformed_request"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("workspace_id"),
        "{body}"
    );

    // A body that is not JSON at all, and one of the wrong shape.
    let token_url = format!("{base}/api/v1/auth/token");
    let (status, content_type, body) = fetch(http.post(&token_url).body("email=x")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (content_type.as_deref(), &body["code"]),
        (json, &json!("malformed_request"))
    );
    let (status, body) = sign_in(&server, json!({ "email": 5, "password": "x" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "malformed_request");
    assert!(
        body["message"].as_str().unwrap().contains("email"),
        "{body}"
    );

    // The `Path` extractor names the parameter itself.
    let sample = start_app(sample_router(), short_limits(), std::future::pending()).await;
    let (status, content_type, body) = fetch(http.get(format!("{}/things/42", sample.base))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (content_type.as_deref(), &body["code"]),
        (json, &json!("malformed_request"))
    );
    assert!(
        body["message"].as_str().unwrap().starts_with("thing_id: "),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_text_are_refused() {
    let server = start(short_limits()).await;
    let cases = [
        (
            json!({ "email": "ana\u{0}@demo.stint.test", "password": PASSWORD, "device_name": "t" }),
            "$.email",
        ),
        (
            json!({ "email": ANA, "password": PASSWORD, "device_name": "lap\u{7}top" }),
            "$.device_name",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = sign_in(&server, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["code"], "invalid_text");
        assert_eq!(answer["details"]["field"], field);
    }
    // Tabs and line breaks are text.
    let (status, answer) = sign_in(
        &server,
        json!({ "email": ANA, "password": PASSWORD, "device_name": "work\tlaptop\r\n" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Fields the server does not read are ignored, whatever they hold (the OpenAPI document
    // allows other properties).
    let (status, answer) = sign_in(
        &server,
        json!({ "email": ANA, "password": PASSWORD, "device_name": "t", "x\u{0}": [{ "a\u{1b}": "\u{0}" }] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_limit_the_server_waits_for_a_free_slot() {
    let limits = EdgeLimits {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(2),
        ..short_limits()
    };
    let server = start(limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(send(server.addr, HALF_SENT).await);
    }
    let health = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut waiting = send(server.addr, health).await;
    let early = tokio::time::timeout(Duration::from_millis(500), read_until_closed(&mut waiting));
    assert!(early.await.is_err(), "answered while every slot was taken");

    // The header timeout frees the slots; the waiting connection is served.
    let answer = parse_answer(&closed_by_server(&mut waiting).await);
    assert_eq!(answer.status, 200);
    for stream in &mut held {
        closed_by_server(stream).await;
    }
    // And the server keeps accepting.
    for _ in 0..8 {
        assert_eq!(raw_request(server.addr, health).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_made_or_echoed() {
    let server = start(short_limits()).await;
    for path in ["/health", "/nowhere"] {
        let url = format!("{}{path}", server.base);
        let response = server
            .http
            .get(&url)
            .header("x-request-id", "client-id-7")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "client-id-7", "{path}");
        let response = server.http.get(&url).send().await.unwrap();
        let made = response.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(
            Uuid::parse_str(made).unwrap().get_version_num(),
            7,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_requests_under_way() {
    #[derive(Clone, Default)]
    struct Gate {
        entered: Arc<Notify>,
        release: Arc<Notify>,
    }
    async fn wait(axum::extract::State(gate): axum::extract::State<Gate>) -> &'static str {
        gate.entered.notify_one();
        gate.release.notified().await;
        "done"
    }
    let gate = Gate::default();
    let app = Router::new()
        .route("/wait", get(wait))
        .with_state(gate.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = start_app(app, short_limits(), async {
        stopped.await.ok();
    })
    .await;

    let request = tokio::spawn(server.http.get(format!("{}/wait", server.base)).send());
    gate.entered.notified().await;
    stop.send(()).unwrap();
    // Once the listener is gone the server waits for the request, not before it.
    tokio::time::timeout(PATIENCE, async {
        while TcpStream::connect(server.addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the server should stop accepting");
    assert!(
        !server.server.is_finished(),
        "returned with a request under way"
    );
    gate.release.notify_one();

    let response = request.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "done");
    let served = tokio::time::timeout(PATIENCE, &mut server.server).await;
    served.expect("the server should end").unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_server_pauses_then_serves_again() {
    // The real binary with 64 file descriptors and a connection limit far above them, as on a
    // host where the limit was not raised: accepting runs into EMFILE.
    let dir = tempfile::tempdir().unwrap();
    let mut server = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(
            "ulimit -n 64 && exec \"$0\" serve --listen 127.0.0.1:0 --data-dir \"$1\" \
             --log-format json --max-connections 1000 --header-timeout 2",
        )
        .arg(env!("CARGO_BIN_EXE_stint-server"))
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut next_message = async || loop {
        let line = log.next_line().await.unwrap().expect("the server ended");
        let line: Value = serde_json::from_str(&line).unwrap();
        if let Some(message) = line["fields"]["message"].as_str() {
            return message.to_string();
        }
    };
    let addr: SocketAddr = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(addr) = next_message()
                .await
                .strip_prefix("stint-server listening on http://")
            {
                return addr.parse().unwrap();
            }
        }
    })
    .await
    .expect("the server should start");

    let mut held = Vec::new();
    for _ in 0..100 {
        held.push(send(addr, HALF_SENT).await);
    }
    tokio::time::timeout(PATIENCE, async {
        while !next_message()
            .await
            .starts_with("accepting a connection failed")
        {}
    })
    .await
    .expect("accepting should have run out of file descriptors");

    // The header timeout closes the held connections; the server accepts again.
    let health = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_eq!(raw_request(addr, health).await.status, 200);
    assert!(server.try_wait().unwrap().is_none(), "the server ended");
}

/// An event stream is an answer that does not end: it outlives the request timeout (its
/// heartbeats keep coming), and it holds one of the connection slots while it is open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_outlives_the_request_timeout_and_holds_a_connection_slot() {
    let limits = EdgeLimits {
        max_connections: 1,
        request_timeout: Duration::from_secs(1),
        ..short_limits()
    };
    let server = start(limits).await;
    let sign_in = json!({ "email": ANA, "password": PASSWORD, "device_name": "edge" }).to_string();
    let mut request = post_json_head("/api/v1/auth/token", sign_in.len());
    request.push_str(&sign_in);
    let signed_in = raw_request(server.addr, request.as_bytes()).await;
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    let token = signed_in.body["token"].as_str().unwrap();
    let workspace = signed_in.body["workspaces"][0]["id"].as_str().unwrap();

    let events = format!(
        "GET /api/v1/workspaces/{workspace}/events HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    );
    let mut stream = send(server.addr, events.as_bytes()).await;
    let mut received = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_millis(2500);
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut buffer)).await {
            Err(_) => break,
            Ok(Ok(0)) => panic!("the server closed the event stream"),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Ok(Err(error)) => panic!("reading the event stream: {error}"),
        }
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("event: ready"), "{text}");
    let heartbeats = text.matches(":\n\n").count();
    assert!(heartbeats >= 8, "{heartbeats} heartbeats in 2.5 s: {text}");

    // The stream holds the only slot: another request waits until it ends.
    let health = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut waiting = send(server.addr, health).await;
    let early = tokio::time::timeout(Duration::from_millis(500), read_until_closed(&mut waiting));
    assert!(
        early.await.is_err(),
        "answered while the stream held the slot"
    );
    drop(stream);
    let answer = parse_answer(&closed_by_server(&mut waiting).await);
    assert_eq!(answer.status, 200);
}
