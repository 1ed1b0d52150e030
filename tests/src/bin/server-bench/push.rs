//! Many devices push timer mutations into one workspace at once, in two shapes: fifty devices
//! shared by the demo's three users (their timers collide: T1 stops one device's timer when
//! another device of the same user starts one, so each user's pushes take turns), and fifty
//! people with a device each (`stint-server demo --members 50`), the everyday case.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use chrono::Utc;
use reqwest::StatusCode;
use stint_api::rest::{TokenRequest, TokenResponse};
use stint_api::sync::{Intent, Mutation, Outcome, PushRequest, PushResponse, PROTOCOL_VERSION};
use uuid::Uuid;

use crate::stats::{describe, describe_failure, exchange, Latencies, Tally};

pub const DEVICES: usize = 50;
pub const PUSHES_PER_DEVICE: usize = 20;
pub const MUTATIONS_PER_PUSH: usize = 10;
/// A device sends a failed push again, as the real sync loop does; after this many failures it
/// stops, since its later pushes could only meet `sequence_gap`.
const ATTEMPTS: usize = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(200);

pub const USERS: [&str; 3] = [
    "ana@demo.stint.test",
    "ben@demo.stint.test",
    "admin@demo.stint.test",
];
pub const PASSWORD: &str = "stint-demo";

/// Who signs in on each device.
#[derive(Clone, Copy)]
pub enum Shape {
    /// Device n is demo user n mod 3.
    SharedByThreeUsers,
    /// Device n is `member{n+1:03}`.
    OneDevicePerUser,
}

impl Shape {
    fn email(self, device: usize) -> String {
        match self {
            Shape::SharedByThreeUsers => USERS[device % USERS.len()].into(),
            Shape::OneDevicePerUser => format!("member{:03}@demo.stint.test", device + 1),
        }
    }
}

/// The demo's seven tasks (fixed ids, see crates/server/src/service/demo.rs).
const TASKS: [u128; 7] = [
    0x0190_0000_0000_7000_8000_0000_0000_0301,
    0x0190_0000_0000_7000_8000_0000_0000_0302,
    0x0190_0000_0000_7000_8000_0000_0000_0303,
    0x0190_0000_0000_7000_8000_0000_0000_0304,
    0x0190_0000_0000_7000_8000_0000_0000_0305,
    0x0190_0000_0000_7000_8000_0000_0000_0306,
    0x0190_0000_0000_7000_8000_0000_0000_0307,
];

/// A signed-in device.
pub struct Device {
    index: usize,
    token: String,
    workspace: Uuid,
}

/// Signs in `DEVICES` devices, one after the other, spread over the demo users. Each brings a
/// fresh device id, so a rerun on the same database starts new sequences.
pub async fn sign_in_devices(
    http: &reqwest::Client,
    base: &str,
    shape: Shape,
) -> anyhow::Result<Vec<Device>> {
    let mut devices = Vec::with_capacity(DEVICES);
    for index in 0..DEVICES {
        let device_id = Uuid::now_v7();
        let request = TokenRequest {
            email: shape.email(index),
            password: PASSWORD.into(),
            device_name: format!("bench device {index}"),
            device_id: Some(device_id),
        };
        let (_, answer) = exchange(
            http.post(format!("{base}/api/v1/auth/token"))
                .json(&request),
        )
        .await;
        let (status, body) = answer.context("signing in a device")?;
        ensure!(
            status == StatusCode::OK,
            "signing in device {index}: {}",
            describe(status, &body)
        );
        let signed_in: TokenResponse = serde_json::from_slice(&body)?;
        ensure!(
            signed_in.device_id == device_id,
            "the server changed the device id"
        );
        let workspace = signed_in
            .workspaces
            .first()
            .context("the demo user has no workspace")?
            .id;
        devices.push(Device {
            index,
            token: signed_in.token,
            workspace,
        });
    }
    Ok(devices)
}

#[derive(Default)]
pub struct PushReport {
    pub elapsed: Duration,
    pub requests: Latencies,
    pub applied: usize,
    pub rejected: usize,
    /// Mutations a retried push had already applied.
    pub skipped: usize,
    /// Rejection reasons by code.
    pub reasons: Tally,
    pub errors: Tally,
    /// Devices that stopped before their last push because one failed every attempt.
    pub gave_up: usize,
}

impl PushReport {
    fn merge(&mut self, other: PushReport) {
        self.requests.merge(other.requests);
        self.applied += other.applied;
        self.rejected += other.rejected;
        self.skipped += other.skipped;
        self.reasons.merge(other.reasons);
        self.errors.merge(other.errors);
        self.gave_up += other.gave_up;
    }

    /// Mutations the server decided on (applied or rejected) per second of the whole run.
    pub fn mutations_per_sec(&self) -> f64 {
        (self.applied + self.rejected) as f64 / self.elapsed.as_secs_f64()
    }
}

/// Every device pushes its mutations, `MUTATIONS_PER_PUSH` at a time, all devices at once.
pub async fn push_concurrently(
    http: &reqwest::Client,
    base: &str,
    devices: Vec<Device>,
) -> anyhow::Result<PushReport> {
    // Made before the clock starts, so the numbers are the server's.
    let scripts: Vec<Vec<Mutation>> = devices
        .iter()
        .map(|d| script(d.index, PUSHES_PER_DEVICE * MUTATIONS_PER_PUSH))
        .collect();
    let started = Instant::now();
    let running: Vec<_> = devices
        .into_iter()
        .zip(scripts)
        .map(|(device, script)| {
            tokio::spawn(run_device(http.clone(), base.to_string(), device, script))
        })
        .collect();
    let mut report = PushReport::default();
    for device in running {
        report.merge(device.await?);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// A device's mutations in order: start, pause, resume and stop of a new timer, again and again,
/// one instant every 30 s from two hours ago on (offset by the device's index, so that devices
/// of one user do not share instants). Sequence numbers count from 1 without gaps.
fn script(device: usize, count: usize) -> Vec<Mutation> {
    let base = Utc::now() - chrono::Duration::hours(2)
        + chrono::Duration::milliseconds(device as i64 * 100);
    let mut timer_id = Uuid::now_v7();
    (0..count)
        .map(|i| {
            let at = base + chrono::Duration::seconds(30 * i as i64);
            let intent = match i % 4 {
                0 => {
                    timer_id = Uuid::now_v7();
                    let task = TASKS[(device + i / 4) % TASKS.len()];
                    Intent::StartTimer {
                        timer_id,
                        task_id: Uuid::from_u128(task),
                        at,
                    }
                }
                1 => Intent::PauseTimer { timer_id, at },
                2 => Intent::ResumeTimer { timer_id, at },
                _ => Intent::StopTimer {
                    timer_id,
                    entry_id: Uuid::now_v7(),
                    at,
                    switch: false,
                    idle: false,
                },
            };
            Mutation::new(i as i64 + 1, intent, at)
        })
        .collect()
}

async fn run_device(
    http: reqwest::Client,
    base: String,
    device: Device,
    script: Vec<Mutation>,
) -> PushReport {
    let url = format!("{base}/api/v1/workspaces/{}/sync/push", device.workspace);
    let mut report = PushReport::default();
    let stream_id = Uuid::now_v7();
    for batch in script.chunks(MUTATIONS_PER_PUSH) {
        let request = PushRequest {
            protocol_version: PROTOCOL_VERSION,
            stream_id,
            mutations: batch.to_vec(),
        };
        if !push(&http, &url, &device.token, &request, &mut report).await {
            report.gave_up += 1;
            break;
        }
    }
    report
}

/// One batch, sent again after a failure (the server skips what it already applied). False
/// when every attempt failed.
async fn push(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    request: &PushRequest,
    report: &mut PushReport,
) -> bool {
    for _ in 0..ATTEMPTS {
        let (took, answer) = exchange(http.post(url).bearer_auth(token).json(request)).await;
        match answer {
            Ok((StatusCode::OK, body)) => {
                report.requests.record(took);
                match serde_json::from_slice::<PushResponse>(&body) {
                    Ok(response) => {
                        count_results(&response, report);
                        return true;
                    }
                    Err(error) => report
                        .errors
                        .add(format!("unreadable push answer: {error}")),
                }
            }
            Ok((status, body)) => {
                report.requests.record(took);
                report.errors.add(describe(status, &body));
            }
            Err(error) => report.errors.add(describe_failure(error)),
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
    false
}

fn count_results(response: &PushResponse, report: &mut PushReport) {
    for result in &response.results {
        match result.outcome {
            Outcome::Applied => report.applied += 1,
            Outcome::Skipped => report.skipped += 1,
            // A divergence cannot happen here (each device numbers its own stream once).
            Outcome::Rejected | Outcome::Reconciled | Outcome::Diverged => {
                report.rejected += 1;
                let code = result
                    .reason
                    .as_ref()
                    .map_or("(no reason)".to_string(), |r| r.code.to_string());
                report.reasons.add(code);
            }
        }
    }
}
