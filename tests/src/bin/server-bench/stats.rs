//! Latencies, error tallies and one HTTP exchange with its duration.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

/// Request durations, in the order they were recorded.
#[derive(Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn record(&mut self, took: Duration) {
        self.0.push(took);
    }

    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Nearest-rank percentile (`p` in 0..=100); none without samples.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let mut sorted = self.0.clone();
        sorted.sort();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
    }

    /// `p50 … p95 … max …`, for the details above the table.
    pub fn summary(&self) -> String {
        format!(
            "p50 {}, p95 {}, p99 {}, max {}",
            ms(self.percentile(50.0)),
            ms(self.percentile(95.0)),
            ms(self.percentile(99.0)),
            ms(self.percentile(100.0)),
        )
    }
}

/// Milliseconds with one decimal, or `-` when there was nothing to measure.
pub fn ms(duration: Option<Duration>) -> String {
    match duration {
        Some(d) => format!("{:.1} ms", d.as_secs_f64() * 1000.0),
        None => "-".into(),
    }
}

/// How often each distinct message came (errors, rejection reasons).
#[derive(Default)]
pub struct Tally(BTreeMap<String, usize>);

impl Tally {
    pub fn add(&mut self, message: String) {
        *self.0.entry(message).or_default() += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        for (message, count) in other.0 {
            *self.0.entry(message).or_default() += count;
        }
    }

    pub fn total(&self) -> usize {
        self.0.values().sum()
    }

    /// One line per message, most frequent first; `none` when empty.
    pub fn lines(&self) -> Vec<String> {
        if self.0.is_empty() {
            return vec!["none".into()];
        }
        let mut counted: Vec<(&String, &usize)> = self.0.iter().collect();
        counted.sort_by(|a, b| b.1.cmp(a.1));
        counted
            .into_iter()
            .map(|(message, count)| format!("{count} × {message}"))
            .collect()
    }
}

/// What came back for one request: a status and the whole body.
pub type Answer = Result<(StatusCode, Vec<u8>), reqwest::Error>;

/// Sends `request` and reads the whole answer; the duration covers both, as a client sees it.
pub async fn exchange(request: reqwest::RequestBuilder) -> (Duration, Answer) {
    let started = Instant::now();
    let answer = async {
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        Ok::<_, reqwest::Error>((status, body.to_vec()))
    }
    .await;
    (started.elapsed(), answer)
}

/// An answer that was not the expected one, short enough to print and to group by.
pub fn describe(status: StatusCode, body: &[u8]) -> String {
    let body = String::from_utf8_lossy(body);
    let body: String = body.chars().take(300).collect();
    format!("HTTP {status}: {body}")
}

/// A request that got no answer at all (refused, reset, timed out), without the URL so that
/// equal failures group together.
pub fn describe_failure(error: reqwest::Error) -> String {
    format!("no answer: {:#}", anyhow::Error::new(error.without_url()))
}
