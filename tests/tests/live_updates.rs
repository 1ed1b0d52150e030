//! Live updates against a real `stint-server` process: a device with its event and sync loops
//! running shows work started on another device within moments, without a sync of its own, and
//! says why its timer stopped (the device that stopped it says nothing); the stream follows the
//! session through a sign-out and a sign-in as someone else; and how fast an event arrives. On
//! SQLite and PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use stint_tests::{free_port, open_desk, Database, ServerProcess, DEMO_PASSWORD};

const ANA: &str = "ana@demo.stint.test";
const BEN: &str = "ben@demo.stint.test";

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
        let phone = Arc::new(open_desk(phone_dir.path(), "phone"));
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
        // The phone listens too (it must not be told of the stop its own start makes), but
        // syncs only when told to, so it does not learn of the laptop's timer before its start.
        let phone_listening = tokio::spawn(phone.clone().run_events_loop());
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
        // The pause reaches the phone through its stream, after the stop it was told of.
        let phone_syncing = tokio::spawn(phone.clone().run_sync_loop());
        eventually(backend, || {
            phone
                .current_timer()
                .unwrap()
                .is_some_and(|t| t.state == stint_api::TimerState::Paused)
        })
        .await;
        assert_eq!(
            phone.sync_status().unwrap().notice,
            None,
            "{backend}: the phone stopped the laptop's timer itself"
        );
        listening.abort();
        syncing.abort();
        phone_listening.abort();
        phone_syncing.abort();
    }
}

/// Signing out closes the stream; signing in as someone else opens one of theirs, so they hear
/// what is meant for them alone.
#[tokio::test]
async fn the_stream_follows_the_session() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let server = ServerProcess::start_on(&database, free_port()).unwrap();
        let (laptop_dir, phone_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let laptop = Arc::new(open_desk(laptop_dir.path(), "laptop"));
        let loops = [
            tokio::spawn(laptop.clone().run_events_loop()),
            tokio::spawn(laptop.clone().run_sync_loop()),
        ];
        laptop
            .sign_in(&server.url, ANA, DEMO_PASSWORD)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await; // Ana's stream is open
        laptop.sign_out().await.unwrap();
        laptop
            .sign_in(&server.url, BEN, DEMO_PASSWORD)
            .await
            .unwrap();
        let phone = open_desk(phone_dir.path(), "phone");
        phone
            .sign_in(&server.url, BEN, DEMO_PASSWORD)
            .await
            .unwrap();
        let tasks = laptop.tasks().unwrap();
        laptop.start_work(tasks[0].id).unwrap();
        laptop.sync_now().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await; // Ben's stream is open

        // Ben starts work on his phone, which has not heard of the laptop's timer: the server
        // stops that one, and tells Ben's devices.
        phone.start_work(tasks[1].id).unwrap();
        phone.sync_now().await.unwrap();
        eventually(backend, || laptop.sync_status().unwrap().notice.is_some()).await;
        for task in loops {
            task.abort();
        }
    }
}

/// The time from a push to `changed` on another device's stream, p50/p95 over 20 rounds.
#[tokio::test]
async fn an_event_arrives_within_moments_of_a_push() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let server = ServerProcess::start_on(&database, free_port()).unwrap();
        let latency = stint_tests::live::sse_latency(&server.url, BEN, 20)
            .await
            .unwrap();
        eprintln!(
            "{backend}: push → `changed` on another device's stream: p50 {:?}, p95 {:?}",
            latency.p50(),
            latency.p95()
        );
        assert_eq!(latency.samples.len(), 20);
        assert!(latency.p95() < Duration::from_secs(2), "{backend}");
    }
}

/// After an outage the sync loop backs off (10 s and more); a Sync now that gets through ends
/// the backoff, so the next local change syncs at once instead of after the pause.
#[tokio::test]
async fn a_sync_now_after_an_outage_ends_the_backoff() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let port = free_port();
        let server = ServerProcess::start_on(&database, port).unwrap();
        let laptop_dir = tempfile::tempdir().unwrap();
        let laptop = Arc::new(open_desk(laptop_dir.path(), "laptop"));
        laptop
            .sign_in(&server.url, ANA, DEMO_PASSWORD)
            .await
            .unwrap();
        let syncing = tokio::spawn(laptop.clone().run_sync_loop());
        let tasks = laptop.tasks().unwrap();

        // The server goes away; the loop's sync of a start fails, and it backs off.
        drop(server);
        laptop.start_work(tasks[0].id).unwrap();
        eventually(backend, || {
            laptop.sync_status().unwrap().last_error.is_some()
        })
        .await;

        let server = ServerProcess::start_on(&database, port).unwrap();
        laptop.sync_now().await.unwrap();
        laptop.pause().unwrap();
        let took = eventually(backend, || laptop.sync_status().unwrap().pending == 0).await;
        assert!(
            took < Duration::from_secs(5),
            "{backend}: the pause waited {took:?} for the backoff"
        );
        syncing.abort();
        drop(server);
    }
}
