//! T4 through the real desktop core against a real `stint-server` process: what stopping asks as
//! the workspace's settings say, and reviews and discards made offline reaching the server.

use stint_api::desk::ReviewAsk;
use stint_api::rest::Entry;
use stint_api::sync::TaskProgress;
use stint_api::Permission;
use stint_api::TaskStatus;
use stint_client::{Desk, DeskError, EntryReview};
use stint_tests::{entries_on_server, free_port, open_desk, ServerProcess, DEMO_PASSWORD};

const ANA: &str = "ana@demo.stint.test";
const ADMIN: &str = "admin@demo.stint.test";

/// PATCHes `change` to `path` of the demo workspace as its admin, over HTTP.
async fn patch_as_admin(url: &str, path: &str, change: serde_json::Value) {
    as_admin(url, reqwest::Method::PATCH, path, Some(change)).await;
}

/// A call of the workspace's API as its admin; its answer, which must be a success.
async fn as_admin(
    url: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let http = reqwest::Client::new();
    let credentials =
        serde_json::json!({ "email": ADMIN, "password": DEMO_PASSWORD, "device_name": "admin" });
    let signed_in: serde_json::Value = http
        .post(format!("{url}/api/v1/auth/token"))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let workspace = signed_in["workspaces"][0]["id"].as_str().unwrap();
    let mut request = http
        .request(method, format!("{url}/api/v1/workspaces/{workspace}{path}"))
        .bearer_auth(signed_in["token"].as_str().unwrap());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "{text}");
    serde_json::from_str(&text).unwrap_or_default()
}

async fn set_time_settings(url: &str, change: serde_json::Value) {
    patch_as_admin(url, "/time/settings", change).await;
}

/// Starts and stops work on Ana's first task.
fn track(desk: &Desk) -> (ReviewAsk, Entry) {
    let task = desk.tasks().unwrap()[0].id;
    desk.start_work(task).unwrap();
    let stopped = desk.stop().unwrap();
    (stopped.review, stopped.entry.entry)
}

fn on_server(entries: &[Entry], id: uuid::Uuid) -> Option<&Entry> {
    entries.iter().find(|e| e.id == id)
}

#[tokio::test]
async fn stopping_asks_what_the_settings_say_and_reviews_made_offline_arrive() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(server_dir.path(), port).unwrap();
    let url = server.url.clone();
    let desk = open_desk(desk_dir.path(), "laptop");
    desk.sign_in(&url, ANA, DEMO_PASSWORD).await.unwrap();

    // Reviews on (the default): the window asks, and the entry waits as a draft.
    let (ask, draft) = track(&desk);
    assert_eq!(ask, ReviewAsk::Review);
    assert_eq!(draft.status.as_str(), "draft");
    // Pushed before the settings change below: the server applies a stop with the settings it
    // has when the stop arrives.
    desk.sync_now().await.unwrap();

    // Reviews off for members: a stop submits at once, with the defaults.
    set_time_settings(
        &url,
        serde_json::json!({ "allow_review_before_submit": false }),
    )
    .await;
    desk.sync_now().await.unwrap();
    let (ask, submitted) = track(&desk);
    assert_eq!(ask, ReviewAsk::Nothing);
    assert_eq!(submitted.status.as_str(), "submitted");
    desk.sync_now().await.unwrap();

    // ... unless a description is required: then only that is asked.
    set_time_settings(&url, serde_json::json!({ "require_description": true })).await;
    desk.sync_now().await.unwrap();
    let (ask, needs_text) = track(&desk);
    assert_eq!(ask, ReviewAsk::DescriptionOnly);
    let review = |text: &str, submit| EntryReview {
        duration_secs: needs_text.duration_secs,
        description: text.into(),
        billable: false,
        submit,
        task: None,
    };
    assert!(matches!(
        desk.review_entry(needs_text.id, review(" ", true)),
        Err(DeskError::InvalidInput(_))
    ));
    assert!(matches!(
        desk.review_entry(needs_text.id, review("bad \u{7} bell", true)),
        Err(DeskError::InvalidInput(_))
    ));

    // Offline: the review and a discard are kept, and reach the server once it is back.
    server.stop();
    let reviewed = desk
        .review_entry(needs_text.id, review("Answered the tickets", true))
        .unwrap();
    assert_eq!(reviewed.entry.status.as_str(), "submitted");
    // A member without reviews keeps what they tracked: no throwing away.
    let (_, kept) = track(&desk);
    assert!(matches!(
        desk.discard_entry(kept.id),
        Err(DeskError::InvalidInput(_))
    ));
    assert!(matches!(
        desk.discard_entry(submitted.id),
        Err(DeskError::InvalidInput(_))
    ));
    assert!(desk.sync_now().await.is_err());
    let _server = ServerProcess::start(server_dir.path(), port).unwrap();
    let status = desk.sync_now().await.unwrap();
    assert_eq!((status.pending, status.issues), (0, 0));

    let entries = entries_on_server(&url, ANA).await;
    assert_eq!(
        on_server(&entries, draft.id).unwrap().status.as_str(),
        "draft"
    );
    assert_eq!(
        on_server(&entries, submitted.id).unwrap().status.as_str(),
        "submitted"
    );
    let arrived = on_server(&entries, needs_text.id).unwrap();
    assert_eq!(
        (arrived.status.as_str(), arrived.description.as_str()),
        ("submitted", "Answered the tickets")
    );
    assert_eq!(
        on_server(&entries, kept.id).unwrap().status.as_str(),
        "draft"
    );
    // The device holds what the server holds.
    let week: Vec<Entry> = desk
        .week_entries()
        .unwrap()
        .into_iter()
        .map(|w| w.entry)
        .collect();
    assert!(
        week.iter().all(|e| on_server(&entries, e.id) == Some(e)),
        "{week:?}"
    );
}

#[tokio::test]
async fn a_timer_access_only_stop_submits_and_completes_the_task_on_the_device_too() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(server_dir.path(), free_port()).unwrap();
    let url = server.url.clone();
    let desk = open_desk(desk_dir.path(), "laptop");
    let session = desk.sign_in(&url, ANA, DEMO_PASSWORD).await.unwrap();

    // An admin makes Ana *timer access only* while she is signed in; her next sync learns it.
    patch_as_admin(
        &url,
        &format!("/members/{}", session.user.id),
        serde_json::json!({ "timesheet_access": "timer_only" }),
    )
    .await;
    desk.sync_now().await.unwrap();
    let admin = |desk: &Desk| {
        let session = desk.session().unwrap().unwrap();
        session
            .workspace
            .permissions
            .contains(&Permission::Settings)
    };
    assert!(!admin(&desk));

    // Made an admin too: her next sync learns that as well (the window shows the admin tabs).
    let roles = as_admin(&url, reqwest::Method::GET, "/roles", None).await;
    let role = |which: &str| {
        let roles = roles.as_array().unwrap();
        roles.iter().find(|r| r["default_role"] == which).unwrap()["id"].clone()
    };
    let role_ids = serde_json::json!({ "role_ids": [role("admin")] });
    let path = format!("/members/{}/roles", session.user.id);
    as_admin(&url, reqwest::Method::PUT, &path, Some(role_ids)).await;
    desk.sync_now().await.unwrap();
    assert!(admin(&desk));
    let demoted = serde_json::json!({ "role_ids": [role("member")] });
    as_admin(&url, reqwest::Method::PUT, &path, Some(demoted)).await;
    desk.sync_now().await.unwrap();
    assert!(!admin(&desk));

    // Offline, as on the server: submitted at once, the task completed, nothing asked.
    server.stop();
    let (ask, entry) = track(&desk);
    assert_eq!(ask, ReviewAsk::Nothing);
    assert_eq!(entry.status.as_str(), "submitted");
    let task = desk
        .tasks()
        .unwrap()
        .into_iter()
        .find(|t| t.id == entry.task_id)
        .unwrap();
    assert_eq!(
        (task.status.as_str(), task.percent_complete),
        ("completed", 100)
    );
    // No edits of the hours.
    let hours = EntryReview {
        duration_secs: entry.duration_secs + 600,
        description: String::new(),
        billable: false,
        submit: true,
        task: None,
    };
    assert!(matches!(
        desk.review_entry(entry.id, hours.clone()),
        Err(DeskError::InvalidInput(_))
    ));
    // Nor of the task's progress: it is read-only here.
    let progress = EntryReview {
        duration_secs: entry.duration_secs,
        task: Some(TaskProgress {
            task_id: entry.task_id,
            status: TaskStatus::InProgress,
            percent_complete: 50,
        }),
        ..hours
    };
    assert!(matches!(
        desk.review_entry(entry.id, progress),
        Err(DeskError::InvalidInput(_))
    ));

    let _server = ServerProcess::start(server_dir.path(), free_port_for(&url)).unwrap();
    let status = desk.sync_now().await.unwrap();
    assert_eq!((status.pending, status.issues), (0, 0));
    let on_server = entries_on_server(&url, ANA).await;
    let arrived = on_server.iter().find(|e| e.id == entry.id).unwrap();
    let facts = |e: &Entry| (e.status, e.duration_secs, e.raw_duration_secs, e.billable);
    assert_eq!(facts(arrived), facts(&entry));
}

/// The port of a server URL, to start a server again where it was.
fn free_port_for(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

/// T6 through a real desk that does not listen to the server's events (offline when it
/// happened): its next sync says who stopped its timer; and a stop it made before the admin's,
/// which the server did not have yet, holds instead of the admin's (T1 in time order).
#[tokio::test]
async fn a_device_that_was_offline_learns_who_stopped_its_timer_and_its_earlier_stop_holds() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(server_dir.path(), free_port()).unwrap();
    let url = server.url.clone();
    let desk = open_desk(desk_dir.path(), "laptop");
    desk.sign_in(&url, ANA, DEMO_PASSWORD).await.unwrap();
    let task = desk.tasks().unwrap()[0].id;
    let admin_stops_the_timer = || async {
        let team_now = as_admin(&url, reqwest::Method::GET, "/timers", None).await;
        let timer = team_now["timers"][0]["timer_id"]
            .as_str()
            .unwrap()
            .to_string();
        as_admin(
            &url,
            reqwest::Method::POST,
            &format!("/timers/{timer}/stop"),
            None,
        )
        .await
    };

    // Stopped by the admin while the device heard nothing: its next sync tells who.
    desk.start_work(task).unwrap();
    desk.sync_now().await.unwrap();
    admin_stops_the_timer().await;
    let status = desk.sync_now().await.unwrap();
    assert!(desk.current_timer().unwrap().is_none());
    assert_eq!(
        status.notice.as_deref(),
        Some("Your timer was stopped: by Ada Admin.")
    );

    // Stopped on the device first, the server not told yet; then stopped by the admin.
    let started = desk.start_work(task).unwrap();
    desk.sync_now().await.unwrap();
    let mine = desk.stop().unwrap().entry.entry;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let admins = admin_stops_the_timer().await;
    let admins_end: chrono::DateTime<chrono::Utc> =
        admins["ended_at"].as_str().unwrap().parse().unwrap();
    assert!(admins_end > mine.ended_at);
    let status = desk.sync_now().await.unwrap();
    assert_eq!((status.pending, status.issues), (0, 0));
    // The device's entry holds, on the server and on the device; the admin's is gone.
    let entries = entries_on_server(&url, ANA).await;
    let of_timer: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.timer_id == Some(started.timer_id))
        .collect();
    assert_eq!(of_timer, [&mine]);
    let week: Vec<Entry> = desk
        .week_entries()
        .unwrap()
        .into_iter()
        .map(|w| w.entry)
        .filter(|e| e.timer_id == Some(started.timer_id))
        .collect();
    assert_eq!(week, [mine]);
}

/// T4: the review dialog also leaves the entry's task at a status and % complete — offline
/// too: the device shows it at once and the server takes it at the next sync.
#[tokio::test]
async fn a_review_made_offline_sets_the_tasks_progress() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(server_dir.path(), port).unwrap();
    let url = server.url.clone();
    let desk = open_desk(desk_dir.path(), "laptop");
    desk.sign_in(&url, ANA, DEMO_PASSWORD).await.unwrap();
    let (ask, draft) = track(&desk);
    assert_eq!(ask, ReviewAsk::Review);

    server.stop();
    let progress = TaskProgress {
        task_id: draft.task_id,
        status: TaskStatus::InProgress,
        percent_complete: 40,
    };
    let review = EntryReview {
        duration_secs: draft.duration_secs,
        description: "Half the tickets".into(),
        billable: false,
        submit: true,
        task: Some(progress),
    };
    let reviewed = desk.review_entry(draft.id, review).unwrap();
    assert_eq!(
        (reviewed.task_status, reviewed.task_percent_complete),
        (TaskStatus::InProgress, 40)
    );

    let _server = ServerProcess::start(server_dir.path(), port).unwrap();
    let status = desk.sync_now().await.unwrap();
    assert_eq!((status.pending, status.issues), (0, 0));
    let tasks = as_admin(&url, reqwest::Method::GET, "/tasks", None).await;
    let task = tasks
        .as_array()
        .or_else(|| tasks["tasks"].as_array())
        .unwrap()
        .iter()
        .find(|t| t["id"] == serde_json::json!(draft.task_id))
        .unwrap()
        .clone();
    assert_eq!(
        (&task["status"], &task["percent_complete"]),
        (&serde_json::json!("in_progress"), &serde_json::json!(40))
    );
}

/// A review's task change that the server refuses (reviews were turned off meanwhile) does not
/// stay on the device: its next pull brings the task as the server has it.
#[tokio::test]
async fn a_refused_task_change_is_undone_on_the_device() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(server_dir.path(), free_port()).unwrap();
    let url = server.url.clone();
    let desk = open_desk(desk_dir.path(), "laptop");
    desk.sign_in(&url, ANA, DEMO_PASSWORD).await.unwrap();
    let (_, draft) = track(&desk);
    desk.sync_now().await.unwrap();
    let before = desk
        .tasks()
        .unwrap()
        .into_iter()
        .find(|t| t.id == draft.task_id)
        .unwrap();

    // The device has not heard yet that reviews are off: it lets the review change the task.
    set_time_settings(
        &url,
        serde_json::json!({ "allow_review_before_submit": false }),
    )
    .await;
    let review = EntryReview {
        duration_secs: draft.duration_secs,
        description: "Half done".into(),
        billable: false,
        submit: false,
        task: Some(TaskProgress {
            task_id: draft.task_id,
            status: TaskStatus::Completed,
            percent_complete: 100,
        }),
    };
    let reviewed = desk.review_entry(draft.id, review).unwrap();
    assert_eq!(reviewed.task_percent_complete, 100);

    let status = desk.sync_now().await.unwrap();
    assert_eq!(status.issues, 1, "the refusal is listed");
    let after = desk
        .tasks()
        .unwrap()
        .into_iter()
        .find(|t| t.id == draft.task_id)
        .unwrap();
    assert_eq!(
        (after.status, after.percent_complete),
        (before.status, before.percent_complete)
    );
}
