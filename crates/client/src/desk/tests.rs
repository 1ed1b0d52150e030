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
