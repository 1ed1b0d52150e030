//! TimeTagger (the PyPI package, run from a venv) driven over its HTTP API the way its own web
//! client does: records go up in one PUT of everything pending (its client does not batch), and
//! a fresh device downloads everything with `GET /updates?since=0`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use serde_json::{json, Value};

pub struct TimeTagger {
    child: Child,
    base: String,
    token: String,
    http: reqwest::Client,
    _data: tempfile::TempDir,
}

impl TimeTagger {
    /// `python -m timetagger` on loopback with a fresh data folder, signed in as its local user.
    pub async fn start(python: &Path, port: u16) -> anyhow::Result<TimeTagger> {
        let data = tempfile::tempdir()?;
        let child = Command::new(python)
            .args(["-m", "timetagger"])
            .env("TIMETAGGER_BIND", format!("127.0.0.1:{port}"))
            .env("TIMETAGGER_DATADIR", data.path())
            .env("TIMETAGGER_LOG_LEVEL", "warning")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting TimeTagger")?;
        let base = format!("http://127.0.0.1:{port}/timetagger");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(format!("{base}/status")).send().await.is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "TimeTagger did not start in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The localhost login: the server trusts loopback for its single local user.
        let login = base64::engine::general_purpose::STANDARD.encode(r#"{"method":"localhost"}"#);
        let answer: Value = http
            .post(format!("{base}/api/v2/bootstrap_authentication"))
            .body(login)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = answer["token"].as_str().context("no token")?.to_string();
        Ok(TimeTagger {
            child,
            base,
            token,
            http,
            _data: data,
        })
    }

    /// PUTs `records` in one request, as its client pushes what is pending.
    pub async fn put_records(&self, records: &[Value]) -> anyhow::Result<()> {
        let answer: Value = self
            .http
            .put(format!("{}/api/v2/records", self.base))
            .header("authtoken", &self.token)
            .json(records)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let accepted = answer["accepted"].as_array().map_or(0, Vec::len);
        anyhow::ensure!(
            accepted == records.len(),
            "TimeTagger refused records: {answer}"
        );
        Ok(())
    }

    /// Everything, as a fresh device asks for it; the number of records.
    pub async fn download_all(&self) -> anyhow::Result<usize> {
        let answer: Value = self
            .http
            .get(format!("{}/api/v2/updates?since=0", self.base))
            .header("authtoken", &self.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(answer["records"].as_array().map_or(0, Vec::len))
    }
}

impl Drop for TimeTagger {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `count` one-minute records, two minutes apart back from now, as its client makes them.
pub fn records(count: usize, offset: usize) -> Vec<Value> {
    let now = chrono::Utc::now().timestamp();
    (0..count)
        .map(|i| {
            let t1 = now - 120 * (offset + i + 1) as i64;
            json!({ "key": format!("r{:08}", offset + i), "mt": now, "t1": t1, "t2": t1 + 60, "ds": "" })
        })
        .collect()
}
