//! Sync against a real `stint-server` process when things go wrong: a server restored from a
//! backup, a device store restored from one, another user on the same installation, two devices
//! of one user racing, device clocks hours off, a large offline backlog. Each on SQLite and on
//! PostgreSQL (restored with pg_dump/pg_restore).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use stint_client::{Clock, Desk, DeskError};
use stint_tests::{
    entries_on_server, free_port, open_desk, open_desk_with_clock, Database, ServerProcess,
    DEMO_PASSWORD,
};
use uuid::Uuid;

const ANA: &str = "ana@demo.stint.test";
const BEN: &str = "ben@demo.stint.test";

/// Starts and stops work `count` times; the entries' ids.
fn make_entries(desk: &Desk, task: Uuid, count: usize) -> Vec<Uuid> {
    (0..count)
        .map(|_| {
            desk.start_work(task).unwrap();
            desk.stop().unwrap().entry.entry.id
        })
        .collect()
}

async fn server_ids(url: &str) -> Vec<Uuid> {
    entries_on_server(url, ANA)
        .await
        .into_iter()
        .map(|e| e.id)
        .collect()
}

/// The device's week, as (entry id, synced).
fn week(desk: &Desk) -> BTreeSet<(Uuid, bool)> {
    desk.week_entries()
        .unwrap()
        .into_iter()
        .map(|e| (e.entry.id, e.synced))
        .collect()
}

fn all_synced(ids: &[Uuid]) -> BTreeSet<(Uuid, bool)> {
    ids.iter().map(|&id| (id, true)).collect()
}

async fn signed_in(dir: &Path, name: &str, url: &str) -> Desk {
    let desk = open_desk(dir, name);
    desk.sign_in(url, ANA, DEMO_PASSWORD).await.unwrap();
    desk
}

#[tokio::test]
async fn a_server_restored_from_a_backup_gets_back_what_devices_had_synced() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let port = free_port();
        let mut server = ServerProcess::start_on(&database, port).unwrap();
        let url = server.url.clone();
        let (laptop_dir, phone_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let laptop = signed_in(laptop_dir.path(), "laptop", &url).await;
        let phone = signed_in(phone_dir.path(), "phone", &url).await;
        let task = laptop.tasks().unwrap()[0].id;

        let mut made = make_entries(&laptop, task, 2);
        laptop.sync_now().await.unwrap();
        server.stop();
        let backup = dir.path().join(format!("{backend}-backup"));
        database.backup(&backup);
        server = ServerProcess::start_on(&database, port).unwrap();
        made.extend(make_entries(&laptop, task, 3));
        laptop.sync_now().await.unwrap();
        phone.sync_now().await.unwrap();
        assert_eq!(week(&phone), all_synced(&made), "{backend}");

        // The disaster: the server comes back from the backup, without the last three entries.
        server.stop();
        database.restore(&backup);
        let _server = ServerProcess::start_on(&database, port).unwrap();
        assert_eq!(
            server_ids(&url).await.len(),
            2,
            "{backend}: the backup's two"
        );

        laptop.sync_now().await.unwrap();
        phone.sync_now().await.unwrap();
        laptop.sync_now().await.unwrap();
        let on_server = server_ids(&url).await;
        assert_eq!(on_server.len(), 5, "{backend}: nothing lost, nothing twice");
        assert_eq!(
            on_server.into_iter().collect::<BTreeSet<_>>(),
            made.iter().copied().collect(),
            "{backend}"
        );
        assert_eq!(week(&laptop), all_synced(&made), "{backend}");
        assert_eq!(week(&phone), all_synced(&made), "{backend}");
        let status = laptop.sync_status().unwrap();
        assert_eq!((status.pending, status.issues), (0, 0), "{backend}");
    }
}

#[tokio::test]
async fn a_device_store_restored_from_a_backup_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let server = ServerProcess::start_on(&database, free_port()).unwrap();
        let url = server.url.clone();
        let laptop_dir = tempfile::tempdir().unwrap();
        let laptop = signed_in(laptop_dir.path(), "laptop", &url).await;
        let task = laptop.tasks().unwrap()[0].id;
        let mut made = make_entries(&laptop, task, 2);
        laptop.sync_now().await.unwrap();
        drop(laptop);
        let copy = dir.path().join(format!("{backend}-laptop-copy"));
        copy_dir(laptop_dir.path(), &copy);

        let laptop = signed_in(laptop_dir.path(), "laptop", &url).await;
        made.extend(make_entries(&laptop, task, 2));
        laptop.sync_now().await.unwrap();
        drop(laptop);

        // The laptop's profile comes back from the copy: it numbers its next changes with
        // numbers the server already holds, with other content.
        std::fs::remove_dir_all(laptop_dir.path()).unwrap();
        copy_dir(&copy, laptop_dir.path());
        let laptop = signed_in(laptop_dir.path(), "laptop", &url).await;
        // More than one batch: the second is on its way when the first meets the numbers the
        // server holds with other content.
        made.extend(make_entries(&laptop, task, 501));
        laptop.sync_now().await.unwrap();
        laptop.sync_now().await.unwrap();

        let on_server: BTreeSet<Uuid> = server_ids(&url).await.into_iter().collect();
        assert_eq!(on_server, made.iter().copied().collect(), "{backend}");
        assert_eq!(week(&laptop), all_synced(&made), "{backend}");
        let status = laptop.sync_status().unwrap();
        assert_eq!((status.pending, status.issues), (0, 0), "{backend}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in std::fs::read_dir(from).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
    }
}

#[tokio::test]
async fn another_user_signing_in_never_touches_the_first_users_waiting_work() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let port = free_port();
        let server = ServerProcess::start_on(&database, port).unwrap();
        let url = server.url.clone();
        let desk_dir = tempfile::tempdir().unwrap();
        let desk = signed_in(desk_dir.path(), "shared", &url).await;
        let task = desk.tasks().unwrap()[0].id;
        server.stop();
        let made = make_entries(&desk, task, 2);

        let _server = ServerProcess::start_on(&database, port).unwrap();
        let refused = desk.sign_in(&url, BEN, DEMO_PASSWORD).await;
        assert!(
            matches!(refused, Err(DeskError::UnsyncedChanges { count: 4 })),
            "{backend}: {refused:?}"
        );
        // Ana's work is untouched and keeps working.
        assert_eq!(desk.session().unwrap().unwrap().user.email, ANA);
        desk.start_work(task).unwrap();
        let last = desk.stop().unwrap().entry.entry.id;
        desk.sync_now().await.unwrap();
        let mut expected: BTreeSet<Uuid> = made.into_iter().collect();
        expected.insert(last);
        let on_server: BTreeSet<Uuid> = server_ids(&url).await.into_iter().collect();
        assert_eq!(on_server, expected, "{backend}");

        // Once nothing waits, Ben signs in on the same installation and works as himself.
        desk.sign_in(&url, BEN, DEMO_PASSWORD).await.unwrap();
        let bens = make_entries(&desk, desk.tasks().unwrap()[0].id, 1);
        desk.sync_now().await.unwrap();
        assert_eq!(week(&desk), all_synced(&bens), "{backend}");
        let on_server: BTreeSet<Uuid> = server_ids(&url).await.into_iter().collect();
        assert_eq!(
            on_server, expected,
            "{backend}: Ana's entries are still hers"
        );
    }
}

/// A clock the test moves by hand, starting an hour behind the real one.
#[derive(Clone)]
struct HandClock(Arc<AtomicI64>);

impl HandClock {
    fn new() -> HandClock {
        let start = Utc::now() - Duration::hours(1);
        HandClock(Arc::new(AtomicI64::new(start.timestamp_millis())))
    }

    fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }

    fn clock(&self) -> Clock {
        let millis = self.0.clone();
        Clock::from_fn(move || {
            DateTime::from_timestamp_millis(millis.load(Ordering::SeqCst)).unwrap()
        })
    }
}

/// T1 in the order of the instants, through two desks: B's timer runs; A, offline and unaware
/// of it, starts work; three seconds later B starts other work; A's start arrives last. A's
/// time closes where B's new timer began, B's first timer ends where A's began, and both
/// devices show the same two entries: no second is counted twice.
#[tokio::test]
async fn a_start_that_arrives_late_closes_where_the_newer_one_began() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let server = ServerProcess::start_on(&database, free_port()).unwrap();
        let url = server.url.clone();
        let hand = HandClock::new();
        let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = open_desk_with_clock(a_dir.path(), "a", hand.clock());
        let b = open_desk_with_clock(b_dir.path(), "b", hand.clock());
        a.sign_in(&url, ANA, DEMO_PASSWORD).await.unwrap();
        b.sign_in(&url, ANA, DEMO_PASSWORD).await.unwrap();
        let tasks = a.tasks().unwrap();
        let (first, second, third) = (tasks[0].id, tasks[1].id, tasks[2].id);

        let running_before = b.start_work(third).unwrap();
        b.sync_now().await.unwrap();
        hand.advance(10);
        // A starts offline (it does not sync); three seconds later B starts and syncs.
        let started_on_a = a.start_work(first).unwrap();
        hand.advance(3);
        let started_on_b = b.start_work(second).unwrap();
        b.sync_now().await.unwrap();
        hand.advance(2);
        a.sync_now().await.unwrap();
        b.sync_now().await.unwrap();

        for (name, desk) in [("a", &a), ("b", &b)] {
            let timer = desk.current_timer().unwrap().unwrap();
            assert_eq!(timer.timer_id, started_on_b.timer_id, "{backend} {name}");
            assert_eq!(
                timer.started_at, started_on_b.started_at,
                "{backend} {name}"
            );
        }
        let mut entries = entries_on_server(&url, ANA).await;
        entries.sort_by_key(|e| e.started_at);
        let spans: Vec<_> = entries
            .iter()
            .map(|e| (e.task_id, e.started_at, e.ended_at, e.duration_secs))
            .collect();
        // The desks stamp instants by the server's clock, not the hand clock's whole seconds.
        let secs = |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).num_seconds();
        let (before_secs, a_secs) = (
            secs(running_before.started_at, started_on_a.started_at),
            secs(started_on_a.started_at, started_on_b.started_at),
        );
        assert!((9..=10).contains(&before_secs) && (2..=3).contains(&a_secs));
        assert_eq!(
            spans,
            [
                (
                    third,
                    running_before.started_at,
                    started_on_a.started_at,
                    before_secs
                ),
                (
                    first,
                    started_on_a.started_at,
                    started_on_b.started_at,
                    a_secs
                ),
            ],
            "{backend}"
        );
        let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
        for (name, desk) in [("a", &a), ("b", &b)] {
            assert_eq!(week(desk), all_synced(&ids), "{backend} {name}");
            let seconds: BTreeSet<(Uuid, i64)> = desk
                .week_entries()
                .unwrap()
                .into_iter()
                .map(|e| (e.entry.id, e.entry.duration_secs))
                .collect();
            assert_eq!(
                seconds,
                BTreeSet::from([(ids[0], before_secs), (ids[1], a_secs)]),
                "{backend} {name}"
            );
        }
    }
}

#[tokio::test]
async fn device_clocks_hours_off_record_true_time() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let server = ServerProcess::start_on(&database, free_port()).unwrap();
        let url = server.url.clone();
        for skew in [Duration::hours(2), Duration::hours(-2)] {
            let desk_dir = tempfile::tempdir().unwrap();
            let clock = Clock::from_fn(move || {
                DateTime::from_timestamp_millis((Utc::now() + skew).timestamp_millis()).unwrap()
            });
            let desk = open_desk_with_clock(desk_dir.path(), "skewed", clock);
            desk.sign_in(&url, ANA, DEMO_PASSWORD).await.unwrap();
            let offset = desk.sync_status().unwrap().clock_offset_secs;
            assert!(
                (offset + skew.num_seconds()).abs() <= 1,
                "{backend}: offset {offset} for a clock {skew} off"
            );
            let task = desk.tasks().unwrap()[0].id;
            let true_start = Utc::now();
            desk.start_work(task).unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            let true_end = Utc::now();
            let stopped = desk.stop().unwrap();
            desk.sync_now().await.unwrap();
            let entry = entries_on_server(&url, ANA)
                .await
                .into_iter()
                .find(|e| e.id == stopped.entry.entry.id)
                .unwrap_or_else(|| panic!("{backend}: the entry reached the server"));
            assert!(
                (entry.started_at - true_start).num_milliseconds().abs() < 1000,
                "{backend} {skew}: started {} for {true_start}",
                entry.started_at
            );
            assert!(
                (entry.ended_at - true_end).num_milliseconds().abs() < 1000,
                "{backend} {skew}: ended {} for {true_end}",
                entry.ended_at
            );
            assert!((1..=2).contains(&entry.duration_secs), "{backend} {skew}");
        }
    }
}

#[tokio::test]
async fn a_backlog_of_twenty_thousand_changes_made_offline_syncs_completely() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let port = free_port();
        let server = ServerProcess::start_on(&database, port).unwrap();
        let url = server.url.clone();
        let desk_dir = tempfile::tempdir().unwrap();
        let desk = signed_in(desk_dir.path(), "laptop", &url).await;
        let task = desk.tasks().unwrap()[0].id;
        server.stop();
        let made = make_entries(&desk, task, 10_000);
        assert_eq!(desk.sync_status().unwrap().pending, 20_000);

        let _server = ServerProcess::start_on(&database, port).unwrap();
        let started = std::time::Instant::now();
        let status = desk.sync_now().await.unwrap();
        eprintln!(
            "{backend}: 20,000 changes synced in {:?}",
            started.elapsed()
        );
        assert_eq!((status.pending, status.issues), (0, 0), "{backend}");
        let on_server: BTreeSet<Uuid> = server_ids(&url).await.into_iter().collect();
        assert_eq!(on_server.len(), made.len(), "{backend}");
        assert_eq!(on_server, made.into_iter().collect(), "{backend}");
    }
}

#[tokio::test]
async fn a_push_the_server_refuses_never_stops_the_pull() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        let server = ServerProcess::start_on(&database, free_port()).unwrap();
        let url = server.url.clone();
        let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = signed_in(a_dir.path(), "a", &url).await;
        let b = signed_in(b_dir.path(), "b", &url).await;
        let task = a.tasks().unwrap()[0].id;
        let made_on_a = make_entries(&a, task, 1);
        a.sync_now().await.unwrap();

        // B's pushes go to A's stream, which the server refuses (409) every time.
        let a_stream = a.store().stream().unwrap().id.to_string();
        b.store()
            .set_setting(stint_client::store::keys::STREAM_ID, &a_stream)
            .unwrap();
        b.start_work(task).unwrap();
        let refused = b.sync_now().await;
        assert!(
            matches!(&refused, Err(DeskError::Server(body)) if body.code == stint_api::ErrorCode::StreamTaken),
            "{backend}: {refused:?}"
        );
        assert_eq!(
            week(&b),
            all_synced(&made_on_a),
            "{backend}: pulled all the same"
        );
        let status = b.sync_status().unwrap();
        assert_eq!(
            status.pending, 1,
            "{backend}: the refused change waits, kept"
        );
        assert!(status.last_error.is_some(), "{backend}");
    }
}
