use stint_api::desk::{DeskCall, DeskReply, ReviewAsk};
use stint_api::rest::Task;
use stint_api::{ErrorCode, TaskStatus, TimerState};
use uuid::Uuid;

use super::{Desk, DeskConfig};
use crate::clock::Clock;

fn open() -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(DeskConfig {
        data_dir: dir.path().to_path_buf(),
        use_keyring: false,
        device_name: "test".into(),
        clock: Clock::system(),
    })
    .unwrap();
    (dir, desk)
}

/// An open task of a project of its own, assigned to nobody.
fn open_task(title: &str) -> Task {
    Task {
        id: Uuid::now_v7(),
        title: title.into(),
        status: TaskStatus::Open,
        percent_complete: 0,
        project_id: Uuid::now_v7(),
        project_name: "Support".into(),
        project_color: "#3b82f6".into(),
        assignees: vec![],
        teams: vec![],
    }
}

#[tokio::test]
async fn dispatch_answers_each_call_with_its_own_reply() {
    let (_dir, desk) = open();
    let task = open_task("Write docs");
    desk.store()
        .save_tasks(std::slice::from_ref(&task))
        .unwrap();

    assert_eq!(
        desk.dispatch(DeskCall::Session).await.unwrap(),
        DeskReply::Session(None)
    );
    assert_eq!(
        desk.dispatch(DeskCall::Tasks).await.unwrap(),
        DeskReply::Tasks(vec![task.clone()])
    );
    let DeskReply::StartWork(timer) = desk
        .dispatch(DeskCall::StartWork { task_id: task.id })
        .await
        .unwrap()
    else {
        panic!("start_work answers with the timer");
    };
    assert_eq!(timer.task.id, task.id);
    let DeskReply::Pause(timer) = desk.dispatch(DeskCall::Pause).await.unwrap() else {
        panic!("pause answers with the timer");
    };
    assert_eq!(timer.state, TimerState::Paused);
    let DeskReply::Stop(stopped) = desk.dispatch(DeskCall::Stop).await.unwrap() else {
        panic!("stop answers with the entry");
    };
    assert_eq!(stopped.entry.task_title, "Write docs");
    // Reviews are on by default (S): the window asks.
    assert_eq!(stopped.review, ReviewAsk::Review);
    assert_eq!(
        desk.dispatch(DeskCall::CurrentTimer).await.unwrap(),
        DeskReply::CurrentTimer(None)
    );
}

#[tokio::test]
async fn dispatch_errors_carry_their_code() {
    let (_dir, desk) = open();
    let error = desk.dispatch(DeskCall::Stop).await.unwrap_err();
    assert_eq!(error.to_body().code, ErrorCode::NoTimer);
    let error = desk.dispatch(DeskCall::SyncNow).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotSignedIn);
}

/// T8: once the running timer has counted the runaway hours (12 by default), the desk says so
/// — not before, and not while it is paused.
#[tokio::test]
async fn a_timer_that_ran_the_runaway_hours_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let hours = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let later = hours.clone();
    let desk = Desk::open(DeskConfig {
        data_dir: dir.path().to_path_buf(),
        use_keyring: false,
        device_name: "test".into(),
        clock: Clock::from_fn(move || {
            chrono::Utc::now()
                + chrono::Duration::hours(later.load(std::sync::atomic::Ordering::SeqCst))
        }),
    })
    .unwrap();
    let task = open_task("Answer tickets");
    desk.store()
        .save_tasks(std::slice::from_ref(&task))
        .unwrap();
    let timer = desk.start_work(task.id).unwrap();
    assert_eq!(desk.runaway_notice().unwrap(), None);

    hours.store(11, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(desk.runaway_notice().unwrap(), None);
    hours.store(12, std::sync::atomic::Ordering::SeqCst);
    let (timer_id, words) = desk.runaway_notice().unwrap().expect("told at 12 hours");
    assert_eq!(timer_id, timer.timer_id);
    assert_eq!(
        words,
        "“Answer tickets” has run for 12 hours. Stop it if you are done."
    );
    desk.pause().unwrap();
    assert_eq!(desk.runaway_notice().unwrap(), None, "not while paused");
}

/// A desk on a moved clock with work started on a task of its own, at 0 s.
fn working_on(
    title: &str,
) -> (
    tempfile::TempDir,
    Desk,
    std::sync::Arc<std::sync::atomic::AtomicI64>,
    Task,
) {
    let (dir, desk, secs) = open_with_moved_clock();
    let task = open_task(title);
    desk.store()
        .save_tasks(std::slice::from_ref(&task))
        .unwrap();
    desk.start_work(task.id).unwrap();
    (dir, desk, secs, task)
}

/// A desk on a clock the test moves on, in seconds.
fn open_with_moved_clock() -> (
    tempfile::TempDir,
    Desk,
    std::sync::Arc<std::sync::atomic::AtomicI64>,
) {
    let dir = tempfile::tempdir().unwrap();
    let secs = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let later = secs.clone();
    let started = chrono::Utc::now();
    let desk = Desk::open(DeskConfig {
        data_dir: dir.path().to_path_buf(),
        use_keyring: false,
        device_name: "test".into(),
        clock: Clock::from_fn(move || {
            started + chrono::Duration::seconds(later.load(std::sync::atomic::Ordering::SeqCst))
        }),
    })
    .unwrap();
    (dir, desk, secs)
}

mod idle {
    use std::sync::atomic::Ordering::SeqCst;
    use std::time::Duration;

    use stint_api::desk::IdleAnswer;
    use stint_api::sync::Intent;
    use stint_api::EntryStatus;

    use super::*;

    const MIN: i64 = 60;

    /// Works on "Answer tickets" from 0, goes away at 5 min, is seen away at 20 min and back
    /// (an input at 29:50) at 30 min: the desk asks about 5:00–29:50 (idle minutes: 10).
    fn away_and_back() -> (tempfile::TempDir, Desk, Task, Task) {
        let (dir, desk, secs) = open_with_moved_clock();
        let (tickets, docs) = (open_task("Answer tickets"), open_task("Write docs"));
        desk.store()
            .save_tasks(&[tickets.clone(), docs.clone()])
            .unwrap();
        desk.start_work(tickets.id).unwrap();
        secs.store(5 * MIN, SeqCst);
        assert_eq!(desk.observe_idle(Duration::ZERO).unwrap(), None);
        secs.store(20 * MIN, SeqCst);
        assert_eq!(
            desk.observe_idle(Duration::from_secs(15 * 60)).unwrap(),
            None,
            "not while away"
        );
        secs.store(30 * MIN, SeqCst);
        let prompt = desk
            .observe_idle(Duration::from_secs(10))
            .unwrap()
            .expect("asked on return");
        assert_eq!(prompt.task.id, tickets.id);
        let start = desk.current_timer().unwrap().unwrap().started_at;
        assert_eq!(prompt.since - start, chrono::Duration::minutes(5));
        assert_eq!(
            prompt.back_at - start,
            chrono::Duration::seconds(30 * MIN - 10)
        );
        assert_eq!(desk.idle_prompt().unwrap(), Some(prompt));
        (dir, desk, tickets, docs)
    }

    fn entries(desk: &Desk) -> Vec<stint_api::rest::Entry> {
        let (from, to) = (
            chrono::DateTime::UNIX_EPOCH,
            chrono::DateTime::<chrono::Utc>::MAX_UTC,
        );
        let entries = desk.store().entries_between(from, to).unwrap();
        entries.into_iter().map(|(entry, _)| entry).collect()
    }

    #[test]
    fn discard_ends_the_entry_where_the_user_left_and_goes_on_from_the_return() {
        let (_dir, desk, tickets, _) = away_and_back();
        let before = desk.current_timer().unwrap().unwrap();
        let timer = desk.answer_idle(IdleAnswer::Discard).unwrap().unwrap();
        let [entry] = entries(&desk).try_into().unwrap();
        assert_eq!(entry.task_id, tickets.id);
        assert_eq!(
            entry.started_at.timestamp_millis(),
            before.started_at.timestamp_millis()
        );
        assert_eq!(entry.raw_duration_secs, 5 * MIN);
        assert_eq!(entry.status, EntryStatus::Draft);
        assert_eq!(timer.task.id, tickets.id);
        assert_eq!(timer.state, TimerState::Running);
        assert_eq!(
            timer.started_at - before.started_at,
            chrono::Duration::seconds(30 * MIN - 10)
        );
        assert_eq!(timer.elapsed_secs, 10, "counted from the return");
        let outbox = desk.store().outbox().unwrap();
        assert!(outbox
            .iter()
            .any(|m| matches!(m.intent, Intent::StopTimer { idle: true, .. })));
        assert_eq!(desk.idle_prompt().unwrap(), None, "answered");
    }

    #[test]
    fn discard_and_stop_leaves_no_timer() {
        let (_dir, desk, _, _) = away_and_back();
        assert_eq!(desk.answer_idle(IdleAnswer::DiscardAndStop).unwrap(), None);
        let [entry] = entries(&desk).try_into().unwrap();
        assert_eq!(entry.raw_duration_secs, 5 * MIN);
    }

    #[test]
    fn the_time_away_moves_to_another_task() {
        let (_dir, desk, tickets, docs) = away_and_back();
        let timer = desk
            .answer_idle(IdleAnswer::MoveTo { task_id: docs.id })
            .unwrap()
            .unwrap();
        let [first, moved] = entries(&desk).try_into().unwrap();
        assert_eq!(
            (first.task_id, first.raw_duration_secs),
            (tickets.id, 5 * MIN)
        );
        assert_eq!(
            (moved.task_id, moved.raw_duration_secs),
            (docs.id, 25 * MIN - 10)
        );
        assert_eq!((timer.task.id, timer.elapsed_secs), (tickets.id, 10));
    }

    #[test]
    fn keep_changes_nothing() {
        let (_dir, desk, _, _) = away_and_back();
        let before = desk.current_timer().unwrap().unwrap();
        let timer = desk.answer_idle(IdleAnswer::Keep).unwrap().unwrap();
        assert_eq!(
            (timer.timer_id, timer.elapsed_secs),
            (before.timer_id, 30 * MIN)
        );
        assert!(entries(&desk).is_empty());
        assert_eq!(desk.idle_prompt().unwrap(), None);
    }

    #[test]
    fn a_timer_changed_since_is_not_asked_about() {
        let (_dir, desk, _, _) = away_and_back();
        desk.pause().unwrap();
        assert_eq!(desk.idle_prompt().unwrap(), None);
        let error = desk.answer_idle(IdleAnswer::Discard).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert_eq!(
            desk.current_timer().unwrap().unwrap().state,
            TimerState::Paused
        );
    }

    #[test]
    fn only_a_running_timer_is_watched() {
        let (_dir, desk, secs) = open_with_moved_clock();
        let task = open_task("Answer tickets");
        desk.store()
            .save_tasks(std::slice::from_ref(&task))
            .unwrap();
        assert_eq!(desk.observe_idle(Duration::from_secs(3600)).unwrap(), None);
        // Away since before the start: only the timer's time is asked about.
        desk.start_work(task.id).unwrap();
        secs.store(15 * MIN, SeqCst);
        desk.observe_idle(Duration::from_secs(3600)).unwrap();
        secs.store(16 * MIN, SeqCst);
        let prompt = desk.observe_idle(Duration::from_secs(1)).unwrap().unwrap();
        let start = desk.current_timer().unwrap().unwrap().started_at;
        assert_eq!(prompt.since, start);
    }

    /// A Pomodoro needs its user: going away ends it, so its breaks and focus sessions do not
    /// go on pausing and resuming the timer of nobody.
    #[test]
    fn going_away_ends_a_pomodoro() {
        let (_dir, desk, secs, _) = working_on("Write docs");
        desk.start_pomodoro().unwrap();
        secs.store(12 * MIN, SeqCst);
        assert_eq!(
            desk.observe_idle(Duration::from_secs(11 * 60)).unwrap(),
            None
        );
        assert_eq!(desk.current_timer().unwrap().unwrap().pomodoro, None);
        assert_eq!(
            desk.sync_status().unwrap().notice.as_deref(),
            Some("Your Pomodoro ended while you were away.")
        );
        secs.store(40 * MIN, SeqCst);
        assert_eq!(desk.pomodoro_tick().unwrap(), None);
        let prompt = desk.observe_idle(Duration::from_secs(5)).unwrap().unwrap();
        let start = desk.current_timer().unwrap().unwrap().started_at;
        assert_eq!((prompt.since - start).num_minutes(), 1);
    }

    /// An answer that cannot be carried out changes nothing, and the question stays.
    #[test]
    fn an_answer_about_an_unknown_task_changes_nothing() {
        let (_dir, desk, _, _) = away_and_back();
        let before = desk.current_timer().unwrap().unwrap();
        let error = desk
            .answer_idle(IdleAnswer::MoveTo {
                task_id: Uuid::now_v7(),
            })
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::UnknownTask);
        assert_eq!(
            desk.current_timer().unwrap().unwrap().timer_id,
            before.timer_id
        );
        assert!(entries(&desk).is_empty());
        assert!(desk.idle_prompt().unwrap().is_some());
    }

    /// Item 11: a suspend of two hours (the clock moved on) with a timer running: the timer
    /// counts the time that passed, and the return asks about it from where the machine slept.
    #[test]
    fn a_suspend_counts_and_is_asked_about() {
        let (_dir, desk, secs, _) = working_on("Answer tickets");
        let started = desk.current_timer().unwrap().unwrap().started_at;
        secs.store(10 * MIN, SeqCst);
        assert_eq!(desk.observe_idle(Duration::from_secs(2)).unwrap(), None);
        // Asleep from 10 to 130 min; the shell adds the sleep to the OS's idle counter.
        secs.store(130 * MIN, SeqCst);
        assert_eq!(
            desk.current_timer().unwrap().unwrap().elapsed_secs,
            130 * MIN
        );
        let slept = Duration::from_secs(120 * 60);
        assert_eq!(
            desk.observe_idle(slept + Duration::from_secs(3)).unwrap(),
            None
        );
        secs.store(130 * MIN + 5, SeqCst);
        let prompt = desk.observe_idle(Duration::from_secs(1)).unwrap().unwrap();
        assert_eq!((prompt.since - started).num_seconds(), 10 * MIN - 3);
        assert_eq!((prompt.back_at - started).num_seconds(), 130 * MIN + 4);
    }
}

mod pomodoro {
    use std::sync::atomic::Ordering::SeqCst;

    use stint_api::PomodoroPhase;

    use super::*;

    const MIN: i64 = 60;

    #[test]
    fn breaks_pause_the_timer_and_focus_resumes_it_so_the_entry_holds_focus_time() {
        let (_dir, desk, secs, _) = working_on("Write docs");
        let timer = desk.start_pomodoro().unwrap();
        let now = timer.pomodoro.clone().unwrap();
        assert_eq!((now.phase, now.focus_done), (PomodoroPhase::Focus, 0));
        assert_eq!((now.ends_at - timer.as_of).num_minutes(), 25);
        let elapsed = |desk: &Desk| desk.current_timer().unwrap().unwrap().elapsed_secs;
        let state = |desk: &Desk| desk.current_timer().unwrap().unwrap().state;

        secs.store(24 * MIN, SeqCst);
        assert_eq!(desk.pomodoro_tick().unwrap(), None);
        secs.store(25 * MIN + 3, SeqCst);
        assert_eq!(
            desk.pomodoro_tick().unwrap().as_deref(),
            Some("Focus 1 of 4 done. Take a 5-minute break.")
        );
        let timer = desk.current_timer().unwrap().unwrap();
        assert_eq!(timer.state, TimerState::Paused);
        assert_eq!(timer.elapsed_secs, 25 * MIN, "paused at the focus's end");
        assert_eq!(timer.pomodoro.unwrap().phase, PomodoroPhase::ShortBreak);

        secs.store(31 * MIN, SeqCst);
        assert_eq!(
            desk.pomodoro_tick().unwrap().as_deref(),
            Some("Break over: focus on “Write docs” for 25 min.")
        );
        assert_eq!(
            (state(&desk), elapsed(&desk)),
            (TimerState::Running, 26 * MIN)
        );

        // Skips: the break now (at 40), then the focus again (at 41).
        secs.store(40 * MIN, SeqCst);
        assert_eq!(
            desk.skip_pomodoro_phase().unwrap().state,
            TimerState::Paused
        );
        secs.store(41 * MIN, SeqCst);
        assert_eq!(
            desk.skip_pomodoro_phase().unwrap().state,
            TimerState::Running
        );

        // A pause the user made (at 50) is theirs: the next focus (from 71) leaves it alone.
        secs.store(50 * MIN, SeqCst);
        desk.pause().unwrap();
        secs.store(66 * MIN, SeqCst);
        assert!(desk.pomodoro_tick().unwrap().is_some(), "the break");
        secs.store(71 * MIN, SeqCst);
        assert!(desk.pomodoro_tick().unwrap().is_some(), "the focus");
        assert_eq!(state(&desk), TimerState::Paused);
        secs.store(72 * MIN, SeqCst);
        desk.resume().unwrap();

        // Asleep from before the focus's end (96) to 130: the Pomodoro ends where the focus
        // did, with the timer paused there; the sleep is not focus time.
        secs.store(130 * MIN, SeqCst);
        let told = desk.pomodoro_tick().unwrap().unwrap();
        assert!(told.starts_with("Your Pomodoro ended at "), "{told}");
        let timer = desk.current_timer().unwrap().unwrap();
        assert_eq!((timer.state, timer.pomodoro), (TimerState::Paused, None));
        // 25 + 10 (30–40) + 9 (41–50) + 24 (72–96) minutes of focus.
        assert_eq!(timer.elapsed_secs, 68 * MIN);
        assert_eq!(desk.stop().unwrap().entry.entry.raw_duration_secs, 68 * MIN);
    }

    #[test]
    fn ending_the_pomodoro_leaves_the_timer_as_it_is() {
        let (_dir, desk, secs, _) = working_on("Write docs");
        desk.pause().unwrap();
        // A paused timer resumes for the first focus.
        assert_eq!(desk.start_pomodoro().unwrap().state, TimerState::Running);
        secs.store(10 * MIN, SeqCst);
        let timer = desk.end_pomodoro().unwrap();
        assert_eq!((timer.state, timer.pomodoro), (TimerState::Running, None));
        secs.store(60 * MIN, SeqCst);
        assert_eq!(desk.pomodoro_tick().unwrap(), None);
        let error = desk.skip_pomodoro_phase().unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput);
    }
}

/// D1: the tray's Start Work lists the tasks used lately, latest first, then those assigned to
/// the user through a team (or by name), each once.
#[test]
fn start_work_lists_recent_then_assigned_tasks() {
    let (_dir, desk) = open();
    let team = Uuid::now_v7();
    let through_team = |title: &str| Task {
        teams: vec![stint_api::rest::TeamAssignee {
            team_id: team,
            name: "Support".into(),
        }],
        ..open_task(title)
    };
    let (a, b, c) = (through_team("A"), open_task("B"), through_team("C"));
    desk.store()
        .save_tasks(&[a.clone(), b.clone(), c.clone()])
        .unwrap();
    desk.store()
        .set_setting(
            crate::store::keys::MY_TEAMS,
            &serde_json::to_string(&[team]).unwrap(),
        )
        .unwrap();
    let titles = |tasks: Vec<Task>| tasks.into_iter().map(|t| t.title).collect::<Vec<_>>();

    let (recent, mine) = desk.start_work_tasks().unwrap();
    assert_eq!(
        (titles(recent), titles(mine)),
        (vec![], vec!["A".into(), "C".into()])
    );
    desk.start_work(b.id).unwrap();
    desk.start_work(a.id).unwrap();
    let (recent, mine) = desk.start_work_tasks().unwrap();
    assert_eq!(titles(recent), ["A", "B"]);
    assert_eq!(titles(mine), ["C"]);
}

/// T4: a stop in the tray or by the global shortcut has no dialog to ask in; its review waits
/// for the window, which gets it once, and only while the entry is as the stop left it.
#[tokio::test]
async fn a_stop_outside_the_window_leaves_its_review_to_the_window_once() {
    let (_dir, desk) = open();
    let task = open_task("Write docs");
    desk.store()
        .save_tasks(std::slice::from_ref(&task))
        .unwrap();

    desk.start_work(task.id).unwrap();
    let stopped = desk.stop_outside_window().unwrap();
    assert_eq!(stopped.review, ReviewAsk::Review);
    assert_eq!(desk.review_waiting().unwrap(), Some(stopped.entry.entry.id));
    assert_eq!(
        desk.dispatch(DeskCall::AskedReview).await.unwrap(),
        DeskReply::AskedReview(Some(stopped))
    );
    assert_eq!(desk.asked_review().unwrap(), None, "asked once");
    assert_eq!(desk.review_waiting().unwrap(), None);

    // Reviewed in the week before the window asked, submitted or kept as a draft with notes:
    // nothing left to ask.
    for submit in [true, false] {
        desk.start_work(task.id).unwrap();
        let stopped = desk.stop_outside_window().unwrap();
        let entry = &stopped.entry.entry;
        let review = crate::store::EntryReview {
            duration_secs: entry.duration_secs,
            description: "Docs".into(),
            billable: entry.billable,
            submit,
            task: None,
        };
        desk.review_entry(entry.id, review).unwrap();
        assert_eq!(desk.asked_review().unwrap(), None, "submit: {submit}");
    }

    // Reviews off for members: the stop submits the entry, nothing waits for the window.
    let mut settings = desk.time_settings().unwrap();
    settings.allow_review_before_submit = false;
    desk.store().set_time_settings(&settings).unwrap();
    desk.start_work(task.id).unwrap();
    assert_eq!(
        desk.stop_outside_window().unwrap().review,
        ReviewAsk::Nothing
    );
    assert_eq!(desk.review_waiting().unwrap(), None);
    assert_eq!(desk.asked_review().unwrap(), None);

    // Signing out forgets a review still waiting.
    settings.allow_review_before_submit = true;
    desk.store().set_time_settings(&settings).unwrap();
    desk.start_work(task.id).unwrap();
    desk.stop_outside_window().unwrap();
    assert!(desk.review_waiting().unwrap().is_some());
    desk.store().clear_user_data().unwrap();
    assert_eq!(desk.review_waiting().unwrap(), None);
}
