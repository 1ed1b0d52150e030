//! A timer survives SIGKILL: what was acknowledged is on disk.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use stint_api::rest::Task;
use stint_api::TimerState;
use stint_tests::open_desk;
use uuid::Uuid;

#[test]
fn a_killed_process_leaves_the_timer_running_from_the_same_instant() {
    let dir = tempfile::tempdir().unwrap();
    let task = Task {
        id: Uuid::now_v7(),
        title: "Survive a crash".into(),
        status: stint_api::TaskStatus::Open,
        percent_complete: 0,
        project_id: Uuid::now_v7(),
        project_name: "Reliability".into(),
        project_color: "#10b981".into(),
        assignees: vec![],
        teams: vec![],
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash-child"))
        .arg(dir.path())
        .arg(serde_json::to_string(&task).unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started: DateTime<Utc> = line
        .trim()
        .strip_prefix("STARTED ")
        .expect("the child's report")
        .parse()
        .unwrap();
    child.kill().unwrap(); // SIGKILL: no destructors, no flush, no goodbye.
    child.wait().unwrap();

    let desk = open_desk(dir.path(), "after the crash");
    let timer = desk
        .current_timer()
        .unwrap()
        .expect("the timer is still there");
    assert_eq!(timer.started_at, started);
    assert_eq!(timer.state, TimerState::Running);
    assert_eq!(timer.task.id, task.id);
    assert!(timer.elapsed_secs >= 0);
    // The start is still queued for the server.
    assert_eq!(desk.sync_status().unwrap().pending, 1);
    // And the timer can be stopped normally.
    let entry = desk.stop().unwrap().entry;
    assert_eq!(entry.entry.started_at, started);
}
