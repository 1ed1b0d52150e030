use chrono::{DateTime, Duration, TimeZone, Utc};
use stint_api::desk::SyncIssueKind;
use stint_api::rest::{Entry, Task, TimeSettings, User};
use stint_api::sync::{Intent, MutationResult, Outcome, PullResponse};
use stint_api::ErrorBody;
use stint_domain::{
    EntrySource, EntryStatus, Reviewer, RoundingStrategy, TaskStatus, TimerState, TimesheetAccess,
};
use uuid::Uuid;

use super::LocalStore;
use crate::error::{DeskError, StoreError};

/// A member with full timesheet access, no admin.
const MEMBER: Reviewer = Reviewer {
    access: TimesheetAccess::Full,
    admin: false,
};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn task(title: &str) -> Task {
    Task {
        id: Uuid::now_v7(),
        title: title.into(),
        status: TaskStatus::Open,
        percent_complete: 0,
        project_id: Uuid::now_v7(),
        project_name: "Project".into(),
        project_color: "#3b82f6".into(),
        assignees: vec![],
        teams: vec![],
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
            .start_timer(timer_id, work.id, t(0), Some(&me), MEMBER)
            .unwrap(),
        None
    );
    store.pause_timer(t(60)).unwrap();
    store.resume_timer(t(120)).unwrap();
    let entry = store.stop_timer(t(300), Some(&me), MEMBER).unwrap();
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
            at: t(300),
            switch: false,
            idle: false,
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
    store
        .start_timer(Uuid::now_v7(), a.id, t(0), None, MEMBER)
        .unwrap();
    let stopped = store
        .start_timer(Uuid::now_v7(), b.id, t(90), None, MEMBER)
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
        store.start_timer(Uuid::now_v7(), unknown, t(0), None, MEMBER),
        Err(DeskError::UnknownTask(id)) if id == unknown
    ));
    assert!(matches!(
        store.stop_timer(t(0), None, MEMBER),
        Err(DeskError::NoTimer)
    ));
    assert!(matches!(store.pause_timer(t(0)), Err(DeskError::NoTimer)));

    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), None, MEMBER)
        .unwrap();
    assert!(matches!(
        store.resume_timer(t(10)),
        Err(DeskError::InvalidTransition(_))
    ));
    assert_eq!(store.outbox().unwrap().len(), 1);
    assert_eq!(
        store.active_timer().unwrap().unwrap().timer.state(),
        TimerState::Running
    );
}

#[test]
fn a_clock_that_went_back_does_not_lock_the_user_out_of_their_timer() {
    let (_dir, store) = open();
    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), None, MEMBER)
        .unwrap();
    // An NTP correction put the clock 10 s before the start: the pause happens at the start.
    store.pause_timer(t(-10)).unwrap();
    let entry = store.stop_timer(t(-5), None, MEMBER).unwrap();
    assert_eq!((entry.started_at, entry.ended_at), (t(0), t(0)));
}

#[test]
fn mutations_carry_their_fingerprint_and_the_raw_device_time() {
    let (_dir, store) = open();
    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    // The device runs 2 h behind the server: instants are corrected, the raw time is kept.
    store
        .set_setting(super::keys::CLOCK_OFFSET_MS, &(2 * 3600 * 1000).to_string())
        .unwrap();
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), None, MEMBER)
        .unwrap();
    let mutation = &store.outbox().unwrap()[0];
    assert_eq!(mutation.fingerprint, mutation.intent.fingerprint());
    assert_eq!(mutation.device_time, t(-7200));
}

#[test]
fn acknowledged_mutations_leave_the_outbox_and_refusals_become_sync_issues() {
    let (_dir, store) = open();
    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), None, MEMBER)
        .unwrap();
    store.stop_timer(t(10), None, MEMBER).unwrap();
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
                stint_api::ErrorCode::InstantInFuture,
                "too far ahead",
            )),
        },
    ];
    let acknowledged = store.acknowledge(&results, 2).unwrap();
    assert_eq!((acknowledged.done, acknowledged.diverged), (2, false));
    assert_eq!(store.pending_count().unwrap(), 0);
    assert_eq!(store.stream().unwrap().acked_seq, 2);
    let issues = store.issues().unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].kind, SyncIssueKind::Rejected);
    assert_eq!(issues[0].code, stint_api::ErrorCode::InstantInFuture);
    assert_eq!(issues[0].task_title.as_deref(), Some("A"));
    assert!(matches!(issues[0].intent, Intent::StopTimer { .. }));

    // Dismissing a refused stop drops its entry, which exists nowhere else; a retry would have
    // queued it again instead.
    store.dismiss_issue(issues[0].id).unwrap();
    assert_eq!(store.issue_count().unwrap(), 0);
    assert!(store.entries_between(t(-10), t(100)).unwrap().is_empty());
}

#[test]
fn a_reconciled_stop_gives_up_the_device_entry_for_the_servers() {
    let (_dir, store) = open();
    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    let me = me();
    let timer_id = Uuid::now_v7();
    store
        .start_timer(timer_id, work.id, t(0), Some(&me), MEMBER)
        .unwrap();
    let own = store.stop_timer(t(600), Some(&me), MEMBER).unwrap();
    let server_entry = stint_api::rest::Entry {
        id: Uuid::now_v7(),
        ended_at: t(3),
        duration_secs: 3,
        raw_duration_secs: 3,
        ..own.clone()
    };
    let results = [
        MutationResult {
            seq: 1,
            outcome: Outcome::Skipped,
            reason: None,
        },
        MutationResult {
            seq: 2,
            outcome: Outcome::Reconciled,
            reason: Some(
                ErrorBody::new(stint_api::ErrorCode::TimerStopped, "stopped elsewhere")
                    .with_details(serde_json::json!({ "server_entry": server_entry })),
            ),
        },
    ];
    store.acknowledge(&results, 2).unwrap();
    let week = store.entries_between(t(-10), t(1000)).unwrap();
    assert_eq!(week, vec![(server_entry, true)], "one entry, the server's");
    let issues = store.issues().unwrap();
    assert_eq!(issues[0].kind, SyncIssueKind::Reconciled);
    assert!(issues[0].server_has.is_some());
}

#[test]
fn a_divergence_moves_what_waits_onto_a_new_stream() {
    let (_dir, store) = open();
    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), None, MEMBER)
        .unwrap();
    store.pause_timer(t(10)).unwrap();
    store.resume_timer(t(20)).unwrap();
    let first = store.stream().unwrap();
    let results = [
        MutationResult {
            seq: 1,
            outcome: Outcome::Applied,
            reason: None,
        },
        MutationResult {
            seq: 2,
            outcome: Outcome::Diverged,
            reason: None,
        },
    ];
    let acknowledged = store.acknowledge(&results, 1).unwrap();
    assert!(acknowledged.diverged);
    let second = store.stream().unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!((second.acked_seq, second.last_seq), (0, 2));
    let outbox = store.outbox().unwrap();
    assert_eq!(
        outbox
            .iter()
            .map(|m| (m.seq, m.intent.name()))
            .collect::<Vec<_>>(),
        [(1, "pause_timer"), (2, "resume_timer")]
    );
}

#[test]
fn a_snapshot_re_queues_what_the_server_lost() {
    let (_dir, store) = open();
    let work = task("A");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    let me = me();
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), Some(&me), MEMBER)
        .unwrap();
    let lost = store.stop_timer(t(60), Some(&me), MEMBER).unwrap();
    let kept = stint_api::rest::Entry {
        id: Uuid::now_v7(),
        ..lost.clone()
    };
    store.acknowledge(&applied(&[1, 2]), 2).unwrap();
    store
        .apply_pull(&pull_page(vec![kept.clone(), lost.clone()], false))
        .unwrap();
    // The server comes back from a backup that has `kept` but not `lost`.
    store.start_over().unwrap();
    store
        .apply_pull(&pull_page(vec![kept.clone()], true))
        .unwrap();
    let applied = store.apply_pull(&pull_page(vec![], false)).unwrap();
    assert_eq!(applied.requeued, 1);
    let outbox = store.outbox().unwrap();
    assert!(
        matches!(outbox[0].intent, Intent::RecordEntry { entry_id, .. } if entry_id == lost.id)
    );
    assert_eq!(outbox[0].seq, 1, "on the new stream");
    let synced: Vec<_> = store
        .entries_between(t(-10), t(1000))
        .unwrap()
        .into_iter()
        .map(|(entry, synced)| (entry.id, synced))
        .collect();
    assert!(synced.contains(&(kept.id, true)) && synced.contains(&(lost.id, false)));
}

fn applied(seqs: &[i64]) -> Vec<MutationResult> {
    seqs.iter()
        .map(|&seq| MutationResult {
            seq,
            outcome: Outcome::Applied,
            reason: None,
        })
        .collect()
}

fn pull_page(entries: Vec<stint_api::rest::Entry>, snapshot: bool) -> PullResponse {
    PullResponse {
        cursor: "c".into(),
        more: false,
        snapshot,
        tasks: vec![],
        entries,
        removed: vec![],
        timer: None,
        timer_stop: None,
        last_applied_seq: 0,
        server_time: t(100),
        my_team_ids: vec![],
        time_settings: None,
        timesheet_access: None,
        permissions: None,
    }
}

#[test]
fn a_rejection_code_this_build_does_not_know_reads_back_as_unknown() {
    let (_dir, store) = open();
    store
        .conn()
        .execute(
            "INSERT INTO sync_issues (kind, intent, code, message, made_at, noticed_at) \
             VALUES ('rejected', ?1, 'quota_exceeded', 'over the quota', 0, 0)",
            [serde_json::to_string(&Intent::PauseTimer {
                timer_id: Uuid::now_v7(),
                at: t(0),
            })
            .unwrap()],
        )
        .unwrap();
    let issues = store.issues().unwrap();
    assert_eq!(issues[0].code, stint_api::ErrorCode::Unknown);
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
        .start_timer(Uuid::now_v7(), kept.id, t(0), Some(&me), MEMBER)
        .unwrap();
    let unsynced = store.stop_timer(t(60), Some(&me), MEMBER).unwrap();
    let synced = stint_api::rest::Entry {
        id: Uuid::now_v7(),
        ..unsynced.clone()
    };
    let pull = |entries: Vec<stint_api::rest::Entry>, removed| PullResponse {
        removed,
        ..pull_page(entries, false)
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

#[test]
fn my_tasks_are_the_last_pulls_teams_and_the_latest_used_here() {
    let (_dir, store) = open();
    let (older, newer, running) = (task("Older"), task("Newer"), task("Running"));
    store
        .save_tasks(&[older.clone(), newer.clone(), running.clone()])
        .unwrap();
    assert!(store.my_team_ids().unwrap().is_empty());
    assert!(store.recent_task_ids(5).unwrap().is_empty());

    let me = me();
    for (task, from) in [(&newer, 600), (&older, 0)] {
        store
            .start_timer(Uuid::now_v7(), task.id, t(from), Some(&me), MEMBER)
            .unwrap();
        store.stop_timer(t(from + 60), Some(&me), MEMBER).unwrap();
    }
    store
        .start_timer(Uuid::now_v7(), running.id, t(1200), Some(&me), MEMBER)
        .unwrap();
    // The running timer's task first, then by the latest start (not the order of making).
    assert_eq!(
        store.recent_task_ids(5).unwrap(),
        [running.id, newer.id, older.id]
    );
    assert_eq!(store.recent_task_ids(2).unwrap(), [running.id, newer.id]);

    let team = Uuid::now_v7();
    let pull = PullResponse {
        my_team_ids: vec![team],
        time_settings: None,
        timesheet_access: None,
        permissions: None,
        ..pull_page(vec![], false)
    };
    store.apply_pull(&pull).unwrap();
    assert_eq!(store.my_team_ids().unwrap(), [team]);
    // Left a team: the next pull says so.
    store.apply_pull(&pull_page(vec![], false)).unwrap();
    assert!(store.my_team_ids().unwrap().is_empty());
    store.apply_pull(&pull).unwrap();
    store.clear_user_data().unwrap();
    assert!(store.my_team_ids().unwrap().is_empty());
}

#[test]
fn entries_stored_as_json_by_an_older_build_read_the_same_after_upgrading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stint.db");
    let entry = |team_id, timer_id, started_at: DateTime<Utc>, description: &str| Entry {
        id: Uuid::now_v7(),
        user_id: Uuid::now_v7(),
        task_id: Uuid::now_v7(),
        timer_id,
        team_id,
        started_at,
        ended_at: started_at + Duration::milliseconds(3_723_456),
        duration_secs: 3_723,
        raw_duration_secs: 3_723,
        billable: false,
        flag: None,
        status: EntryStatus::Submitted,
        source: EntrySource::Timer,
        description: description.into(),
    };
    let entries = [
        entry(None, None, t(0), ""),
        entry(
            Some(Uuid::now_v7()),
            Some(Uuid::now_v7()),
            t(10) + Duration::milliseconds(7),
            "Ünïcode \"quoted\" \\ and\nlines",
        ),
    ];
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    super::schema::migrate_to(&mut conn, 2).unwrap();
    for (entry, synced) in entries.iter().zip([1, 0]) {
        conn.execute(
            "INSERT INTO entries (id, started_at, json, synced) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                entry.id.to_string(),
                entry.started_at.timestamp_millis(),
                serde_json::to_string(entry).unwrap(),
                synced
            ],
        )
        .unwrap();
    }
    drop(conn);
    let store = LocalStore::open(&path).unwrap();
    let read = store.entries_between(t(-1), t(60)).unwrap();
    assert_eq!(
        read,
        vec![(entries[0].clone(), true), (entries[1].clone(), false)]
    );
}

#[test]
fn a_stop_is_rounded_offline_by_the_settings_the_last_sync_brought() {
    let (_dir, store) = open();
    let work = task("Write docs");
    store.save_tasks(std::slice::from_ref(&work)).unwrap();
    let me = me();
    // Before any sync: the spec's defaults, no rounding.
    assert_eq!(store.time_settings().unwrap(), TimeSettings::default());
    store
        .start_timer(Uuid::now_v7(), work.id, t(0), Some(&me), MEMBER)
        .unwrap();
    let entry = store.stop_timer(t(100), Some(&me), MEMBER).unwrap();
    assert_eq!((entry.duration_secs, entry.raw_duration_secs), (100, 100));

    let settings = TimeSettings {
        rounding_minutes: 6,
        rounding_strategy: RoundingStrategy::Nearest,
        ..TimeSettings::default()
    };
    let mut page = pull_page(vec![], false);
    page.time_settings = Some(settings.clone());
    store.apply_pull(&page).unwrap();
    // A page without them (not the last of a pull) keeps what the store has.
    store.apply_pull(&pull_page(vec![], false)).unwrap();
    assert_eq!(store.time_settings().unwrap(), settings);

    store
        .start_timer(Uuid::now_v7(), work.id, t(1000), Some(&me), MEMBER)
        .unwrap();
    let entry = store.stop_timer(t(1000 + 200), Some(&me), MEMBER).unwrap();
    assert_eq!((entry.duration_secs, entry.raw_duration_secs), (360, 200));
    let held = store.entries_between(t(0), t(2000)).unwrap();
    assert_eq!(held[1].0, entry);
}

#[test]
fn local_changes_are_committed_in_full_after_a_pulled_page_even_one_that_failed() {
    let (_dir, store) = open();
    let synchronous = |store: &LocalStore| -> i64 {
        store
            .conn()
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap()
    };
    store.apply_pull(&pull_page(vec![], true)).unwrap();
    assert_eq!(synchronous(&store), 2, "FULL after a page");
    let mut broken = pull_page(vec![], false);
    broken.timer = Some(stint_api::rest::TimerSnapshot {
        id: Uuid::now_v7(),
        task_id: Uuid::now_v7(),
        state: stint_domain::TimerState::Running,
        segments: vec![],
    });
    assert!(store.apply_pull(&broken).is_err());
    assert_eq!(synchronous(&store), 2, "FULL after a page that failed");
}
