//! Live updates against a real `stint-server` process: a device with its event and sync loops
//! running shows work started on another device within moments, without a sync of its own, and
//! says why its timer stopped. On SQLite and PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use stint_tests::{free_port, open_desk, Database, ServerProcess, DEMO_PASSWORD};

const ANA: &str = "ana@demo.stint.test";

/// Waits until `done` holds, up to a patience only a failure reaches.
async fn eventually(what: &str, done: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: not within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn a_start_on_another_device_shows_within_moments() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let server = ServerProcess::start_on(&database, free_port()).unwrap();
        let (laptop_dir, phone_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let laptop = Arc::new(open_desk(laptop_dir.path(), "laptop"));
        let phone = open_desk(phone_dir.path(), "phone");
        laptop
            .sign_in(&server.url, ANA, DEMO_PASSWORD)
            .await
            .unwrap();
        phone
            .sign_in(&server.url, ANA, DEMO_PASSWORD)
            .await
            .unwrap();
        // The laptop only listens: its sync loop syncs on events (and otherwise each minute).
        let listening = tokio::spawn(laptop.clone().run_events_loop());
        let syncing = tokio::spawn(laptop.clone().run_sync_loop());
        let tasks = laptop.tasks().unwrap();
        laptop.start_work(tasks[0].id).unwrap();
        laptop.sync_now().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await; // the stream is open by now

        let started_on_phone = phone.start_work(tasks[1].id).unwrap();
        phone.sync_now().await.unwrap();
        let took = eventually(backend, || {
            laptop
                .current_timer()
                .unwrap()
                .is_some_and(|t| t.timer_id == started_on_phone.timer_id)
        })
        .await;
        eprintln!("{backend}: the laptop showed the phone's timer after {took:?}");
        let notice = laptop.sync_status().unwrap().notice;
        assert!(
            notice
                .as_deref()
                .is_some_and(|n| n.starts_with("Your timer was stopped")),
            "{backend}: {notice:?}"
        );
        // Acting on the timer clears the notice.
        laptop.pause().unwrap();
        assert_eq!(laptop.sync_status().unwrap().notice, None, "{backend}");
        listening.abort();
        syncing.abort();
    }
}
