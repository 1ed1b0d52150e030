use chrono::{DateTime, Duration, TimeZone, Utc};
use stint_api::rest::{Task, User};
use stint_api::sync::{Intent, MutationResult, Outcome};
use stint_api::ErrorBody;
use stint_domain::{TaskStatus, TimerState};
use uuid::Uuid;

use super::LocalStore;
use crate::error::{DeskError, StoreError};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn task(title: &str) -> Task {
    Task {
        id: Uuid::now_v7(),
        title: title.into(),
        status: TaskStatus::Open,
        project_id: Uuid::now_v7(),
        project_name: "Project".into(),
        project_color: "#3b82f6".into(),
        assignees: vec![],
    }
}

fn me() -> User {
    User {
        id: Uuid::now_v7(),
        email: "me@example.test".into(),
        name: "Me".into(),
    }
}

fn open() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(&dir.path().join("stint.db")).unwrap();
    (dir, store)
}

#[test]
fn start_pause_resume_stop_writes_state_and_numbered_outbox() {
    let (_dir, store) = open();
    let work = task("Write docs");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    let me = me();
    let timer_id = Uuid::now_v7();
    assert_eq!(
        store
            .start_timer(timer_id, work.id, t(0), Some(&me))
            .unwrap(),
        None
    );
    store.pause_timer(t(60)).unwrap();
    store.resume_timer(t(120)).unwrap();
    let entry = store.stop_timer(t(300), Some(&me)).unwrap();
    assert_eq!(entry.duration_secs, 240);
    assert_eq!(entry.timer_id, Some(timer_id));
    assert_eq!(entry.user_id, me.id);
    assert!(store.active_timer().unwrap().is_none());

    let outbox = store.outbox().unwrap();
    assert_eq!(
        outbox.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        outbox[0].intent,
        Intent::StartTimer {
            timer_id,
            task_id: work.id,
            at: t(0)
        }
    );
    assert_eq!(
        outbox[3].intent,
        Intent::StopTimer {
            timer_id,
            entry_id: entry.id,
            at: t(300)
        }
    );

    // T2, shown locally until the server says otherwise.
    let cached = store.task(work.id).unwrap().unwrap();
    assert_eq!(cached.status, TaskStatus::InProgress);
    assert!(cached.assignees.iter().any(|a| a.user_id == me.id));

    let week = store.entries_between(t(-10), t(1000)).unwrap();
    assert_eq!(week, vec![(entry, false)]);
}

#[test]
fn a_second_start_stops_the_first_into_a_draft() {
    let (_dir, store) = open();
    let (a, b) = (task("A"), task("B"));
    store.save_tasks(&[a.clone(), b.clone()]).unwrap();
    store.start_timer(Uuid::now_v7(), a.id, t(0), None).unwrap();
    let stopped = store
        .start_timer(Uuid::now_v7(), b.id, t(90), None)
        .unwrap()
        .unwrap();
    assert_eq!((stopped.task_id, stopped.duration_secs), (a.id, 90));
    let active = store.active_timer().unwrap().unwrap();
    assert_eq!(
        (active.task_id, active.timer.state()),
        (b.id, TimerState::Running)
    );
    let names: Vec<_> = store
        .outbox()
        .unwrap()
        .iter()
        .map(|m| m.intent.name())
        .collect();
    assert_eq!(names, ["start_timer", "stop_timer", "start_timer"]);
}

#[test]
fn bad_requests_change_nothing() {
    let (_dir, store) = open();
    let unknown = Uuid::now_v7();
    assert!(matches!(
        store.start_timer(Uuid::now_v7(), unknown, t(0), None),
        Err(DeskError::UnknownTask(id)) if id == unknown
    ));
    assert!(matches!(
        store.stop_timer(t(0), None),
        Err(DeskError::NoTimer)
    ));
    assert!(matches!(store.pause_timer(t(0)), Err(DeskError::NoTimer)));

    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), None)
        .unwrap();
    assert!(matches!(
        store.resume_timer(t(10)),
        Err(DeskError::InvalidTransition(_))
    ));
    // A pause dated before the start (a clock that jumped back) is refused too.
    assert!(matches!(
        store.pause_timer(t(-10)),
        Err(DeskError::InvalidTransition(_))
    ));
    assert_eq!(store.outbox().unwrap().len(), 1);
    assert_eq!(
        store.active_timer().unwrap().unwrap().timer.state(),
        TimerState::Running
    );
}

#[test]
fn acknowledged_mutations_leave_the_outbox_and_rejections_are_kept() {
    let (_dir, store) = open();
    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), None)
        .unwrap();
    store.stop_timer(t(10), None).unwrap();
    let results = [
        MutationResult {
            seq: 1,
            outcome: Outcome::Applied,
            reason: None,
        },
        MutationResult {
            seq: 2,
            outcome: Outcome::Rejected,
            reason: Some(ErrorBody::new(
                stint_api::ErrorCode::TimerStopped,
                "the timer was already stopped",
            )),
        },
    ];
    store.acknowledge(&results, 2).unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    assert_eq!(store.rejected_count().unwrap(), 1);
    let rejected = store.rejected_changes().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].seq, 2);
    assert_eq!(rejected[0].code, stint_api::ErrorCode::TimerStopped);
    assert_eq!(rejected[0].message, "the timer was already stopped");
}

#[test]
fn a_rejection_code_this_build_does_not_know_reads_back_as_unknown() {
    let (_dir, store) = open();
    store
        .conn()
        .execute(
            "INSERT INTO rejected (seq, intent, code, message, rejected_at) \
             VALUES (1, ?1, 'quota_exceeded', 'over the quota', 0)",
            [serde_json::to_string(&Intent::PauseTimer {
                timer_id: Uuid::now_v7(),
                at: t(0),
            })
            .unwrap()],
        )
        .unwrap();
    let rejected = store.rejected_changes().unwrap();
    assert_eq!(rejected[0].code, stint_api::ErrorCode::Unknown);
}

#[test]
fn a_store_from_a_newer_build_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stint.db");
    drop(LocalStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        LocalStore::open(&path),
        Err(StoreError::TooNew { found: 99, .. })
    ));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99);
}

#[test]
fn the_device_id_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stint.db");
    let first = LocalStore::open(&path).unwrap().device_id().unwrap();
    assert_eq!(LocalStore::open(&path).unwrap().device_id().unwrap(), first);
}

#[test]
fn tombstones_remove_tasks_and_synced_entries_but_never_unsynced_work() {
    let (_dir, store) = open();
    let (gone, kept) = (task("Deleted on the server"), task("Still there"));
    store.save_tasks(&[gone.clone(), kept.clone()]).unwrap();
    let me = me();
    store
        .start_timer(Uuid::now_v7(), kept.id, t(0), Some(&me))
        .unwrap();
    let unsynced = store.stop_timer(t(60), Some(&me)).unwrap();
    let synced = stint_api::rest::Entry {
        id: Uuid::now_v7(),
        ..unsynced.clone()
    };
    let pull = |entries: Vec<stint_api::rest::Entry>, removed| stint_api::sync::PullResponse {
        cursor: 1,
        tasks: vec![],
        entries,
        removed,
        timer: None,
        last_applied_seq: 0,
        server_time: t(100),
    };
    store
        .apply_pull(&pull(vec![synced.clone()], vec![]))
        .unwrap();
    let tombstone = |entity, id| stint_api::sync::Tombstone { entity, id };
    use stint_api::sync::EntityKind;
    store
        .apply_pull(&pull(
            vec![],
            vec![
                tombstone(EntityKind::Task, gone.id),
                tombstone(EntityKind::Entry, synced.id),
                tombstone(EntityKind::Entry, unsynced.id),
            ],
        ))
        .unwrap();
    let titles: Vec<_> = store
        .tasks()
        .unwrap()
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(titles, ["Still there"]);
    let left: Vec<_> = store
        .entries_between(t(-1000), t(1000))
        .unwrap()
        .into_iter()
        .map(|(entry, _)| entry.id)
        .collect();
    assert_eq!(left, [unsynced.id], "the device's own unsynced entry stays");
}
