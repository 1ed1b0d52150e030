//! Scenario 2: `/health` latency at idle, and while many clients send wrong passwords. Password
//! hashing (argon2id) is slow on purpose; when it runs on the async workers, every other request
//! waits behind it, and `/health` shows that.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use stint_api::rest::TokenRequest;

use crate::push::USERS;
use crate::stats::{describe, describe_failure, exchange, Latencies, Tally};

pub const IDLE_PROBES: usize = 200;
/// Probes go out at a fixed rate, each on its own task, whether or not the previous one was
/// answered: probes that waited for each other would sample a stalled server less often than a
/// quick one and hide the stalls.
const PROBE_INTERVAL: Duration = Duration::from_millis(20);
pub const BURST_CLIENTS: usize = 50;
pub const SIGN_INS_PER_CLIENT: usize = 4;

#[derive(Default)]
pub struct Probes {
    pub latencies: Latencies,
    pub errors: Tally,
}

/// `IDLE_PROBES` probes of a quiet server (after one unmeasured probe that opens a connection).
pub async fn idle(prober: &reqwest::Client, base: &str) -> anyhow::Result<Probes> {
    let _ = exchange(prober.get(format!("{base}/health"))).await;
    probe_every_interval(prober, base, |sent| sent < IDLE_PROBES).await
}

/// Sends a `/health` probe every `PROBE_INTERVAL` while `keep_going(probes sent so far)`, then
/// waits for all answers.
async fn probe_every_interval(
    prober: &reqwest::Client,
    base: &str,
    keep_going: impl Fn(usize) -> bool,
) -> anyhow::Result<Probes> {
    let url = format!("{base}/health");
    let mut ticks = tokio::time::interval(PROBE_INTERVAL);
    let mut sent = Vec::new();
    while keep_going(sent.len()) {
        ticks.tick().await;
        sent.push(tokio::spawn(exchange(prober.get(&url))));
    }
    let mut probes = Probes::default();
    for probe in sent {
        let (took, answer) = probe.await?;
        match answer {
            Ok((StatusCode::OK, _)) => probes.latencies.record(took),
            Ok((status, body)) => probes.errors.add(describe(status, &body)),
            Err(error) => probes.errors.add(describe_failure(error)),
        }
    }
    Ok(probes)
}

pub struct BurstReport {
    pub health: Probes,
    pub sign_ins: Latencies,
    /// Anything but `401 invalid_credentials`.
    pub sign_in_errors: Tally,
    pub elapsed: Duration,
}

impl BurstReport {
    pub fn sign_ins_per_sec(&self) -> f64 {
        (BURST_CLIENTS * SIGN_INS_PER_CLIENT) as f64 / self.elapsed.as_secs_f64()
    }
}

/// `BURST_CLIENTS` clients each send `SIGN_INS_PER_CLIENT` wrong-password sign-ins, one after
/// the other, all clients at once; `/health` is probed until the last one is answered.
pub async fn during_sign_in_burst(
    http: &reqwest::Client,
    prober: &reqwest::Client,
    base: &str,
) -> anyhow::Result<BurstReport> {
    let started = Instant::now();
    let clients: Vec<_> = (0..BURST_CLIENTS)
        .map(|client| tokio::spawn(wrong_sign_ins(http.clone(), base.to_string(), client)))
        .collect();
    let burst_over = Arc::new(AtomicBool::new(false));
    let probing = {
        let (prober, base, burst_over) = (prober.clone(), base.to_string(), burst_over.clone());
        tokio::spawn(async move {
            probe_every_interval(&prober, &base, |_| !burst_over.load(Ordering::Relaxed)).await
        })
    };
    let mut sign_ins = Latencies::default();
    let mut sign_in_errors = Tally::default();
    for client in clients {
        let (latencies, errors) = client.await?;
        sign_ins.merge(latencies);
        sign_in_errors.merge(errors);
    }
    let elapsed = started.elapsed();
    burst_over.store(true, Ordering::Relaxed);
    Ok(BurstReport {
        health: probing.await??,
        sign_ins,
        sign_in_errors,
        elapsed,
    })
}

async fn wrong_sign_ins(http: reqwest::Client, base: String, client: usize) -> (Latencies, Tally) {
    let request = TokenRequest {
        email: USERS[client % USERS.len()].into(),
        password: "not-the-password".into(),
        device_name: format!("bench burst {client}"),
        device_id: None,
    };
    let mut latencies = Latencies::default();
    let mut errors = Tally::default();
    for _ in 0..SIGN_INS_PER_CLIENT {
        let (took, answer) = exchange(
            http.post(format!("{base}/api/v1/auth/token"))
                .json(&request),
        )
        .await;
        match answer {
            Ok((StatusCode::UNAUTHORIZED, body)) if is_invalid_credentials(&body) => {
                latencies.record(took)
            }
            Ok((status, body)) => {
                latencies.record(took);
                errors.add(describe(status, &body));
            }
            Err(error) => errors.add(describe_failure(error)),
        }
    }
    (latencies, errors)
}

fn is_invalid_credentials(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|error| error["code"] == "invalid_credentials")
}
