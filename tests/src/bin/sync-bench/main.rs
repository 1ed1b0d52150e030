//! `sync-bench STINT_SERVER TIMETAGGER_PYTHON [POSTGRES_URL]`: Stint's sync against TimeTagger's
//! (the PyPI package, in a venv), the same three flows side by side in one run, on loopback:
//! (a) 10,000 entries made offline pushed (Stint through the desktop core's own batching),
//! (b) an initial pull of 100,000 entries into a fresh device (and the Stint server's peak
//! memory meanwhile), (c) one small push, p50/p95. (a) and (b) run `RUNS` times on each side,
//! the sides in turn, and count by their median. Stint runs on SQLite and, given a URL of an
//! empty PostgreSQL database, on PostgreSQL. Run by `cargo xtask bench sync` on release builds;
//! `STINT_SYNC_BENCH_SCALE=0.1` runs a tenth of the sizes. Prints numbers, asserts nothing.

mod stint;
mod timetagger;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use stint_tests::{free_port, Database, ServerProcess};

/// How often (a) and (b) run on each side; the table shows the median. A single run on a
/// shared two-core machine moved by a fifth from one run to the next, and by a third from one
/// minute to the next.
const RUNS: usize = 5;

/// One backend's (or TimeTagger's) numbers.
struct Numbers {
    name: String,
    /// One per run.
    push_backlog: Vec<Duration>,
    initial_pull: Vec<Duration>,
    small_push: Vec<Duration>,
    peak_rss: Option<u64>,
    /// Server change → device over SSE (Stint only: TimeTagger polls).
    sse: Vec<Duration>,
}

impl Numbers {
    fn new(name: &str) -> Numbers {
        Numbers {
            name: name.into(),
            push_backlog: vec![],
            initial_pull: vec![],
            small_push: vec![],
            peak_rss: None,
            sse: vec![],
        }
    }
}

fn main() -> anyhow::Result<()> {
    // RUST_LOG=stint_client=debug shows how each sync splits between push and pull.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let usage = "usage: sync-bench STINT_SERVER TIMETAGGER_PYTHON [POSTGRES_URL]";
    let server = PathBuf::from(args.next().context(usage)?);
    let python = PathBuf::from(args.next().context(usage)?);
    let postgres = args.next();
    let scale: f64 = std::env::var("STINT_SYNC_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let sizes = Sizes {
        push: (10_000.0 * scale) as usize,
        pull: (100_000.0 * scale) as usize,
        // The p95 of 200 moved by half a millisecond from one run to the next.
        small: 1_000,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let sqlite_dir = tempfile::tempdir()?;
    let mut backends = vec![(
        "Stint SQLite",
        Database::SqliteDir(sqlite_dir.path().into()),
    )];
    if let Some(url) = postgres {
        backends.push(("Stint PostgreSQL", Database::Url(url)));
    }
    let results = runtime.block_on(run(&server, &python, backends, &sizes))?;
    print_table(&results, &sizes);
    Ok(())
}

struct Sizes {
    push: usize,
    pull: usize,
    small: usize,
}

/// One Stint backend, its server started and seeded.
struct Backend {
    database: Database,
    process: ServerProcess,
}

/// Every side started and seeded first; then (b), then (a), each run of TimeTagger followed by
/// the same run of every Stint backend, so that a slow spell of the shared machine falls on all
/// sides alike instead of on whichever ran then. (c) and SSE latency run side after side.
async fn run(
    server: &std::path::Path,
    python: &std::path::Path,
    backends: Vec<(&str, Database)>,
    sizes: &Sizes,
) -> anyhow::Result<Vec<Numbers>> {
    eprintln!("sync-bench: TimeTagger: seeding {} records…", sizes.pull);
    let tt = timetagger::TimeTagger::start(python, free_port()).await?;
    // Its server takes at most 10 MiB per request. Its (b) runs before any (a), so the download
    // holds exactly the seeded records.
    for chunk in timetagger::records(sizes.pull, 0).chunks(10_000) {
        tt.put_records(chunk).await?;
    }
    let mut results = vec![Numbers::new("TimeTagger")];
    let mut stints = Vec::new();
    for (name, database) in backends {
        eprintln!("sync-bench: {name}: seeding {} entries…", sizes.pull);
        let demo = ["--entries".to_string(), sizes.pull.to_string()];
        let process = ServerProcess::start_with_demo(server, &database, &demo, free_port())?;
        results.push(Numbers::new(name));
        stints.push(Backend { database, process });
    }

    for run in 1..=RUNS {
        eprintln!("sync-bench: (b) initial pull, run {run} of {RUNS}…");
        let started = Instant::now();
        let downloaded = tt.download_all().await?;
        results[0].initial_pull.push(started.elapsed());
        anyhow::ensure!(
            downloaded == sizes.pull,
            "TimeTagger sent {downloaded} records"
        );
        for (stint, numbers) in stints.iter().zip(&mut results[1..]) {
            settle(&stint.database)?;
            let (took, peak_rss) = stint::initial_pull(&stint.process, sizes.pull).await?;
            numbers.initial_pull.push(took);
            numbers.peak_rss = Some(numbers.peak_rss.unwrap_or(0).max(peak_rss));
        }
    }
    for run in 0..RUNS {
        eprintln!("sync-bench: (a) backlog push, run {} of {RUNS}…", run + 1);
        let backlog = timetagger::records(sizes.push, sizes.pull + run * sizes.push);
        let started = Instant::now();
        tt.put_records(&backlog).await?;
        results[0].push_backlog.push(started.elapsed());
        for (stint, numbers) in stints.iter().zip(&mut results[1..]) {
            settle(&stint.database)?;
            let took = stint::push_backlog(&stint.process.url, sizes.push).await?;
            numbers.push_backlog.push(took);
        }
    }

    eprintln!("sync-bench: (c) small pushes…");
    for one in timetagger::records(sizes.small, sizes.pull + RUNS * sizes.push).chunks(1) {
        let started = Instant::now();
        tt.put_records(one).await?;
        results[0].small_push.push(started.elapsed());
    }
    for (stint, numbers) in stints.iter().zip(&mut results[1..]) {
        settle(&stint.database)?;
        numbers.small_push = stint::small_pushes(&stint.process.url, sizes.small).await?;
        eprintln!("sync-bench: {}: SSE latency…", numbers.name);
        numbers.sse = stint::sse_latency(&stint.process.url, sizes.small).await?;
    }
    Ok(results)
}

/// Each flow is timed on a database in its steady state, as pgbench vacuums before a run: on
/// PostgreSQL the planner's statistics are brought up to date first (autovacuum would, within
/// a minute or so of a bulk change; until then a lookup by id can read a whole workspace's
/// index, planned for tables as they were, sometimes empty).
fn settle(database: &Database) -> anyhow::Result<()> {
    if let Database::Url(url) = database {
        let status = std::process::Command::new("psql")
            .args([url.as_str(), "--quiet", "--command", "ANALYZE"])
            .status()
            .context("running psql")?;
        anyhow::ensure!(status.success(), "ANALYZE failed: {status}");
    }
    Ok(())
}

fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn print_table(results: &[Numbers], sizes: &Sizes) {
    let tt = &results[0];
    let ratio = |ours: Duration, theirs: Duration| {
        format!(
            "{:.2}×",
            ours.as_secs_f64() / theirs.as_secs_f64().max(1e-9)
        )
    };
    println!();
    println!(
        "sync bench: (a) {} entries pushed, (b) initial pull of {}, (c) {} one-change pushes",
        sizes.push, sizes.pull, sizes.small
    );
    println!(
        "{:<18} {:>12} {:>8} {:>12} {:>8} {:>22} {:>8} {:>10}",
        "", "(a) push", "ratio", "(b) pull", "ratio", "(c) p50 / p95", "p95 ratio", "peak RSS"
    );
    let median = |runs: &[Duration]| percentile(runs, 0.5);
    for r in results {
        let (p50, p95) = (
            percentile(&r.small_push, 0.5),
            percentile(&r.small_push, 0.95),
        );
        let is_tt = std::ptr::eq(r, tt);
        let or_dash = |s: String| if is_tt { "-".to_string() } else { s };
        println!(
            "{:<18} {:>12} {:>8} {:>12} {:>8} {:>22} {:>8} {:>10}",
            r.name,
            seconds(median(&r.push_backlog)),
            or_dash(ratio(median(&r.push_backlog), median(&tt.push_backlog))),
            seconds(median(&r.initial_pull)),
            or_dash(ratio(median(&r.initial_pull), median(&tt.initial_pull))),
            format!("{} / {}", millis(p50), millis(p95)),
            or_dash(ratio(p95, percentile(&tt.small_push, 0.95))),
            r.peak_rss
                .map_or("-".into(), |b| format!("{:.0} MiB", b as f64 / 1048576.0)),
        );
    }
    println!("targets: (a) ≤ 0.25×, (b) ≤ 0.50×, (c) p95 ≤ 0.50× TimeTagger's");
    println!("(a) and (b) are the median of {RUNS} runs each:");
    let runs = |runs: &[Duration]| {
        runs.iter()
            .map(|&d| seconds(d))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for r in results {
        println!(
            "  {}: (a) {}; (b) {}",
            r.name,
            runs(&r.push_backlog),
            runs(&r.initial_pull)
        );
    }
    for r in results.iter().filter(|r| !r.sse.is_empty()) {
        println!(
            "{}: a change on one device → `changed` on another's event stream: p50 {} / p95 {} ({} pushes)",
            r.name,
            millis(percentile(&r.sse, 0.5)),
            millis(percentile(&r.sse, 0.95)),
            r.sse.len()
        );
    }
}
