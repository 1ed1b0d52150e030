//! `server-bench STINT_SERVER [POSTGRES_URL]`: load numbers for a `stint-server` binary, on a
//! fresh SQLite folder and, given a URL of an empty PostgreSQL database, on PostgreSQL too, so
//! the two compare. Run by `cargo xtask bench server` on release builds. Prints numbers, asserts
//! nothing: each backend gets its own server process with the demo workspace, then
//! 1. `/health` latency at idle,
//! 2. many devices pushing timer mutations at once (`push`): shared by three users, then one
//!    device per user,
//! 3. `/health` latency during a burst of wrong-password sign-ins (`health`).
//!
//! The load generator shares the machine with the server, so the numbers compare backends and
//! builds on one machine rather than promise a capacity.

mod health;
mod push;
mod stats;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use stint_tests::{free_port, Database, ServerProcess};

use crate::health::{BurstReport, Probes};
use crate::push::{PushReport, Shape};
use crate::stats::{ms, Tally};

/// Longer than any answer should take; a request past it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

struct Measured {
    backend: &'static str,
    idle: Probes,
    push: PushReport,
    push_own: PushReport,
    burst: BurstReport,
}

impl Measured {
    fn errors(&self) -> usize {
        self.push.errors.total()
            + self.push_own.errors.total()
            + self.idle.errors.total()
            + self.burst.health.errors.total()
            + self.burst.sign_in_errors.total()
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let server = PathBuf::from(
        args.next()
            .context("usage: server-bench STINT_SERVER [POSTGRES_URL]")?,
    );
    let postgres_url = args.next();
    let runtime = tokio::runtime::Runtime::new()?;

    let sqlite_dir = tempfile::tempdir()?;
    let sqlite = Database::SqliteDir(sqlite_dir.path().to_path_buf());
    let mut results = vec![bench_backend(&runtime, &server, "SQLite", &sqlite)?];
    match postgres_url {
        Some(url) => {
            let postgres = Database::Url(url);
            results.push(bench_backend(&runtime, &server, "PostgreSQL", &postgres)?);
        }
        None => println!("server-bench: no PostgreSQL URL given: SQLite only"),
    }
    print_table(&results);
    Ok(())
}

/// Starts a server on `database`, runs the scenarios against it, and stops it (also when a
/// scenario fails).
fn bench_backend(
    runtime: &tokio::runtime::Runtime,
    server: &Path,
    backend: &'static str,
    database: &Database,
) -> anyhow::Result<Measured> {
    // Other work on the machine moves these numbers a lot; this says how busy it was.
    println!(
        "server-bench: {backend}: starting {} (load average {})",
        server.display(),
        load_average()
    );
    let process = ServerProcess::start_binary(server, database, push::DEVICES as u32, free_port())
        .with_context(|| format!("starting stint-server on {backend}"))?;
    let measured = runtime.block_on(scenarios(backend, &process.url));
    process.stop();
    let measured = measured.with_context(|| format!("benchmarking {backend}"))?;
    print_details(&measured);
    Ok(measured)
}

/// The one-minute load average, from /proc (Linux); `?` elsewhere.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

async fn scenarios(backend: &'static str, base: &str) -> anyhow::Result<Measured> {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    // Its own client, so probes never wait for a pooled connection behind the load.
    let prober = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    println!("server-bench: {backend}: /health at idle");
    let idle = health::idle(&prober, base).await?;

    let mut reports = Vec::new();
    for (shape, label) in [
        (Shape::SharedByThreeUsers, "shared by 3 users"),
        (Shape::OneDevicePerUser, "one per user"),
    ] {
        println!(
            "server-bench: {backend}: signing in {} devices ({label})",
            push::DEVICES
        );
        let devices = push::sign_in_devices(&http, base, shape).await?;
        println!(
            "server-bench: {backend}: {} devices ({label}) push {} × {} mutations each, all at once",
            push::DEVICES,
            push::PUSHES_PER_DEVICE,
            push::MUTATIONS_PER_PUSH
        );
        reports.push(push::push_concurrently(&http, base, devices).await?);
    }
    let push_own = reports.pop().context("two push runs")?;
    let push = reports.pop().context("two push runs")?;

    println!(
        "server-bench: {backend}: /health during {} × {} wrong-password sign-ins",
        health::BURST_CLIENTS,
        health::SIGN_INS_PER_CLIENT
    );
    let burst = health::during_sign_in_burst(&http, &prober, base).await?;
    Ok(Measured {
        backend,
        idle,
        push,
        push_own,
        burst,
    })
}

fn print_details(m: &Measured) {
    let b = m.backend;
    for (label, push) in [
        ("shared by 3 users", &m.push),
        ("one per user", &m.push_own),
    ] {
        println!(
            "{b}: pushes ({label}): {} mutations decided in {:.1} s ({:.0}/s): {} applied, {} rejected, {} skipped on retry; {} devices gave up",
            push.applied + push.rejected,
            push.elapsed.as_secs_f64(),
            push.mutations_per_sec(),
            push.applied,
            push.rejected,
            push.skipped,
            push.gave_up
        );
        println!(
            "{b}: push requests ({label}): {}, {}",
            push.requests.len(),
            push.requests.summary()
        );
        print_tally(b, "rejection reasons", &push.reasons);
        print_tally(b, "push errors", &push.errors);
    }
    println!(
        "{b}: /health idle: {} probes, {}",
        m.idle.latencies.len(),
        m.idle.latencies.summary()
    );
    print_tally(b, "/health idle errors", &m.idle.errors);
    let burst = &m.burst;
    println!(
        "{b}: wrong-password sign-ins: {} in {:.1} s ({:.1}/s), {}",
        burst.sign_ins.len(),
        burst.elapsed.as_secs_f64(),
        burst.sign_ins_per_sec(),
        burst.sign_ins.summary()
    );
    print_tally(b, "sign-in errors", &burst.sign_in_errors);
    println!(
        "{b}: /health during the sign-in burst: {} probes, {}",
        burst.health.latencies.len(),
        burst.health.latencies.summary()
    );
    print_tally(b, "/health burst errors", &burst.health.errors);
}

fn print_tally(backend: &str, label: &str, tally: &Tally) {
    for line in tally.lines() {
        println!("{backend}: {label}: {line}");
    }
}

fn print_table(results: &[Measured]) {
    println!();
    println!(
        "{:<11} {:>13} {:>9} {:>13} {:>9} {:>7} {:>8} {:>8} {:>15} {:>16} {:>10} {:>11}",
        "backend",
        "mut/s 3 users",
        "push p95",
        "mut/s 1/user",
        "push p95",
        "errors",
        "applied",
        "rejected",
        "health p95 idle",
        "health p95 burst",
        "sign-ins/s",
        "sign-in p95"
    );
    for m in results {
        println!(
            "{:<11} {:>13.0} {:>9} {:>13.0} {:>9} {:>7} {:>8} {:>8} {:>15} {:>16} {:>10.1} {:>11}",
            m.backend,
            m.push.mutations_per_sec(),
            ms(m.push.requests.percentile(95.0)),
            m.push_own.mutations_per_sec(),
            ms(m.push_own.requests.percentile(95.0)),
            m.errors(),
            m.push.applied + m.push_own.applied,
            m.push.rejected + m.push_own.rejected,
            ms(m.idle.latencies.percentile(95.0)),
            ms(m.burst.health.latencies.percentile(95.0)),
            m.burst.sign_ins_per_sec(),
            ms(m.burst.sign_ins.percentile(95.0)),
        );
    }
    println!(
        "({} devices × {} pushes × {} mutations, first shared by the 3 demo users, then one device \
         per user; {} × {} wrong-password sign-ins. Targets from the issue: /health p95 during \
         the burst under 20 ms; PostgreSQL mutations/s at least SQLite's.)",
        push::DEVICES,
        push::PUSHES_PER_DEVICE,
        push::MUTATIONS_PER_PUSH,
        health::BURST_CLIENTS,
        health::SIGN_INS_PER_CLIENT
    );
}
