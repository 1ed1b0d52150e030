//! A TCP proxy in front of a real server that misbehaves on purpose, as networks do: it drops
//! connections, delays them, cuts requests and responses half-way, and sends a request twice.
//! Which fault a connection gets comes from a seeded generator, so a failing seed replays.
//! The desktop core opens one connection per request (no kept-alive connections), so a
//! connection is a request here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    Pass,
    /// Both ways, after this many milliseconds.
    Delay(u64),
    /// Closed before anything reaches the server.
    Drop,
    /// This many bytes of the request reach the server, then both sides are closed.
    CutRequest(usize),
    /// The server answers in full; this many bytes of the answer reach the client.
    CutResponse(usize),
    /// The request reaches the server twice (a retry whose first answer was lost); the client
    /// gets the second answer.
    Duplicate,
}

pub struct FaultProxy {
    pub url: String,
    faulty: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream_port`, passing everything
    /// until `set_faulty(true)`.
    pub async fn start(upstream_port: u16, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let faulty = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        let task = tokio::spawn({
            let faulty = faulty.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let fault = if faulty.load(Ordering::SeqCst) {
                        pick(&mut rng.lock().unwrap())
                    } else {
                        Fault::Pass
                    };
                    tokio::spawn(async move {
                        // A connection the fault broke ends in an error: that is the point.
                        let _ = forward(client, upstream_port, fault).await;
                    });
                }
            }
        });
        FaultProxy { url, faulty, task }
    }

    pub fn set_faulty(&self, faulty: bool) {
        self.faulty.store(faulty, Ordering::SeqCst);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Half the connections pass, the other half get one of the faults.
fn pick(rng: &mut StdRng) -> Fault {
    match rng.gen_range(0..12) {
        0..=5 => Fault::Pass,
        6 => Fault::Delay(rng.gen_range(1..300)),
        7 => Fault::Drop,
        8 => Fault::CutRequest(rng.gen_range(1..400)),
        9 | 10 => Fault::CutResponse(rng.gen_range(0..300)),
        _ => Fault::Duplicate,
    }
}

async fn forward(mut client: TcpStream, upstream_port: u16, fault: Fault) -> std::io::Result<()> {
    let request = read_request(&mut client).await?;
    let to_server = |bytes: Vec<u8>| async move {
        let mut server = TcpStream::connect(("127.0.0.1", upstream_port)).await?;
        server.write_all(&bytes).await?;
        let mut answer = Vec::new();
        server.read_to_end(&mut answer).await?;
        std::io::Result::Ok(answer)
    };
    match fault {
        Fault::Pass => client.write_all(&to_server(request).await?).await,
        Fault::Delay(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let answer = to_server(request).await?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            client.write_all(&answer).await
        }
        Fault::Drop => Ok(()),
        Fault::CutRequest(bytes) => {
            let mut server = TcpStream::connect(("127.0.0.1", upstream_port)).await?;
            server
                .write_all(&request[..bytes.min(request.len())])
                .await?;
            Ok(())
        }
        Fault::CutResponse(bytes) => {
            let answer = to_server(request).await?;
            client.write_all(&answer[..bytes.min(answer.len())]).await
        }
        Fault::Duplicate => {
            to_server(request.clone()).await?;
            client.write_all(&to_server(request).await?).await
        }
    }
}

/// One whole HTTP/1.1 request: its head, and as many body bytes as `Content-Length` says, with
/// `Connection: close` so the server ends the connection after answering.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = find(&bytes, b"\r\n\r\n") {
            break end + 4;
        }
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_string();
    let length = content_length(&head);
    while bytes.len() < head_end + length {
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes.extend_from_slice(&chunk[..read]);
    }
    let body = bytes.split_off(head_end);
    let mut request = close_after(&head).into_bytes();
    request.extend_from_slice(&body);
    Ok(request)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &str) -> usize {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

/// The head with `Connection: close` in place of any `Connection` header.
fn close_after(head: &str) -> String {
    let mut lines: Vec<&str> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|line| {
            !line
                .split_once(':')
                .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("connection"))
        })
        .collect();
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_head_is_read_for_its_length_and_closed_after() {
        let head =
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nconnection: keep-alive\r\n\r\n";
        assert_eq!(content_length(head), 12);
        assert_eq!(
            close_after(head),
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(content_length("GET / HTTP/1.1\r\n\r\n"), 0);
        assert_eq!(find(b"ab\r\n\r\ncd", b"\r\n\r\n"), Some(2));
    }

    #[test]
    fn faults_replay_from_their_seed() {
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..50).map(|_| pick(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert!(run(7).contains(&Fault::Pass) && run(7).iter().any(|f| *f != Fault::Pass));
    }
}
