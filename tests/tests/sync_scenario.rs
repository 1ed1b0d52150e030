//! D3 against a real `stint-server` process: work done while the server is down reaches it
//! exactly once when it is back.

use stint_api::rest::Entry;
use stint_api::ErrorCode;
use stint_client::DeskError;
use stint_tests::{free_port, open_desk, ServerProcess};
use uuid::Uuid;

const ANA: &str = "ana@demo.stint.test";
const PASSWORD: &str = "stint-demo";

async fn entries_on_server(url: &str) -> Vec<Entry> {
    stint_tests::entries_on_server(url, ANA).await
}

#[tokio::test]
async fn work_done_offline_syncs_exactly_once() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(server_dir.path(), port).unwrap();
    let url = server.url.clone();

    let desk = open_desk(desk_dir.path(), "laptop");
    let session = desk.sign_in(&url, ANA, PASSWORD).await.unwrap();
    assert_eq!(session.user.email, ANA);
    let tasks = desk.tasks().unwrap();
    assert_eq!(tasks.len(), 7, "sign-in fetched the workspace's tasks");
    let task = tasks
        .iter()
        .find(|t| t.assignees.iter().any(|a| a.user_id == session.user.id))
        .unwrap();

    server.stop();
    let pause = std::time::Duration::from_millis(1100);
    desk.start_work(task.id).unwrap();
    tokio::time::sleep(pause).await;
    desk.pause().unwrap();
    tokio::time::sleep(pause).await; // not counted
    desk.resume().unwrap();
    tokio::time::sleep(pause).await;
    let stopped = desk.stop().unwrap();
    let span = (stopped.entry.entry.ended_at - stopped.entry.entry.started_at).num_seconds();
    assert!(
        stopped.entry.entry.duration_secs >= 2,
        "two running stretches of at least 1.1 s"
    );
    assert!(
        span > stopped.entry.entry.duration_secs,
        "the pause is not counted"
    );
    assert!(matches!(desk.sync_now().await, Err(DeskError::Offline(_))));
    let status = desk.sync_status().unwrap();
    assert_eq!(status.pending, 4);
    assert!(status.offline_since.is_some() && !status.online);
    // Tasks and the week still work from the local store.
    assert_eq!(desk.tasks().unwrap().len(), 7);
    assert_eq!(desk.week_entries().unwrap().len(), 1);

    let _server = ServerProcess::start(server_dir.path(), port).unwrap();
    let status = desk.sync_now().await.unwrap();
    assert_eq!((status.pending, status.issues), (0, 0));
    assert!(status.online && status.offline_since.is_none());

    let on_server = entries_on_server(&url).await;
    assert_eq!(on_server.len(), 1);
    assert_eq!(on_server[0].id, stopped.entry.entry.id);
    assert_eq!(
        on_server[0].duration_secs,
        stopped.entry.entry.duration_secs
    );

    desk.sync_now().await.unwrap();
    assert_eq!(
        entries_on_server(&url).await.len(),
        1,
        "a second sync adds nothing"
    );
    let week = desk.week_entries().unwrap();
    assert_eq!(week.len(), 1);
    assert!(week[0].synced);
}

#[tokio::test]
async fn signing_in_to_a_server_that_is_down_is_a_clear_error() {
    let desk_dir = tempfile::tempdir().unwrap();
    let desk = open_desk(desk_dir.path(), "laptop");
    let url = format!("http://127.0.0.1:{}", free_port());
    let error = desk.sign_in(&url, ANA, PASSWORD).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Offline);
    assert!(desk.session().unwrap().is_none());
    let error = desk.sign_in("not a url", ANA, PASSWORD).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn a_token_the_server_no_longer_knows_asks_for_sign_in_again() {
    let desk_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let first_dir = tempfile::tempdir().unwrap();
    let first = ServerProcess::start(first_dir.path(), port).unwrap();
    let desk = open_desk(desk_dir.path(), "laptop");
    desk.sign_in(&first.url, ANA, PASSWORD).await.unwrap();
    first.stop();

    // A server on the same address that never issued this device's token.
    let second_dir = tempfile::tempdir().unwrap();
    let second = ServerProcess::start(second_dir.path(), port).unwrap();
    let error = desk.sync_now().await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidToken);
    assert!(
        desk.session().unwrap().is_none(),
        "the window shows the sign-in form"
    );
    assert_eq!(
        desk.tasks().unwrap().len(),
        7,
        "local data stays for the next sign-in"
    );

    desk.sign_in(&second.url, ANA, PASSWORD).await.unwrap();
    assert!(desk.sync_now().await.unwrap().online);
}

#[tokio::test]
async fn another_user_signing_in_on_the_same_installation_syncs_as_a_new_device() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(server_dir.path(), free_port()).unwrap();
    let desk = open_desk(desk_dir.path(), "shared desk");
    desk.sign_in(&server.url, ANA, PASSWORD).await.unwrap();
    let task = desk.tasks().unwrap()[0].id;
    desk.start_work(task).unwrap();
    assert_eq!(
        desk.sign_out().await.unwrap_err().code(),
        ErrorCode::UnsyncedChanges
    );
    desk.stop().unwrap();
    desk.sync_now().await.unwrap();
    let ana_device = desk.store().device_id().unwrap();
    desk.sign_out().await.unwrap();
    assert!(
        desk.tasks().unwrap().is_empty(),
        "sign-out forgets Ana's data"
    );

    let ben = desk
        .sign_in(&server.url, "ben@demo.stint.test", PASSWORD)
        .await
        .unwrap();
    assert_eq!(ben.user.email, "ben@demo.stint.test");
    assert_ne!(desk.store().device_id().unwrap(), ana_device);
    desk.start_work(task).unwrap();
    desk.stop().unwrap();
    let status = desk.sync_now().await.unwrap();
    assert_eq!((status.pending, status.issues), (0, 0));
    assert_eq!(
        desk.week_entries().unwrap().len(),
        1,
        "only Ben's own entry"
    );
}

#[tokio::test]
async fn a_backlog_larger_than_one_push_reaches_the_server_in_batches() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(server_dir.path(), port).unwrap();
    let url = server.url.clone();
    let desk = open_desk(desk_dir.path(), "laptop");
    desk.sign_in(&url, ANA, PASSWORD).await.unwrap();
    let task = desk.tasks().unwrap()[0].id;
    server.stop();

    // 1,100 mutations made offline: more than the server takes in one push (1,000).
    const ENTRIES: usize = 550;
    for _ in 0..ENTRIES {
        desk.start_work(task).unwrap();
        desk.stop().unwrap();
    }
    assert_eq!(desk.sync_status().unwrap().pending, 2 * ENTRIES as i64);

    let _server = ServerProcess::start(server_dir.path(), port).unwrap();
    let status = desk.sync_now().await.unwrap();
    assert_eq!((status.pending, status.issues), (0, 0));
    assert_eq!(entries_on_server(&url).await.len(), ENTRIES);
}

/// A user in two workspaces (`stint-server demo --second-workspace`): the desktop opens one,
/// switches to the other once nothing waits to be sent, keeps each workspace's work apart, and
/// opens the chosen one again at the next sign-in.
#[tokio::test]
async fn a_user_in_two_workspaces_switches_and_the_choice_is_remembered() {
    let server_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let database = stint_tests::Database::SqliteDir(server_dir.path().to_path_buf());
    let binary = stint_tests::workspace_binary("stint-server");
    let demo = ["--second-workspace".to_string()];
    let server = ServerProcess::start_with_demo(&binary, &database, &demo, free_port()).unwrap();

    let desk = open_desk(desk_dir.path(), "laptop");
    let session = desk.sign_in(&server.url, ANA, PASSWORD).await.unwrap();
    let names: Vec<&str> = session.workspaces.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["Demo Agency", "Demo Studio"]);
    assert_eq!(session.workspace.name, "Demo Agency");
    let agency = session.workspace.id;
    let studio = session.workspaces[1].id;

    // Work in the first one is not sent yet: switching would lose it, so it is refused.
    let task = desk.tasks().unwrap()[0].id;
    desk.start_work(task).unwrap();
    let agency_entry = desk.stop().unwrap().entry.entry.id;
    assert!(matches!(
        desk.switch_workspace(studio).await,
        Err(DeskError::UnsyncedChanges { count: 2 })
    ));
    desk.sync_now().await.unwrap();

    // The other workspace: its own tasks, none of the first one's entries.
    let session = desk.switch_workspace(studio).await.unwrap();
    assert_eq!(session.workspace.name, "Demo Studio");
    let tasks: Vec<String> = desk.tasks().unwrap().into_iter().map(|t| t.title).collect();
    assert_eq!(tasks, ["Draft the colour palette"]);
    assert!(desk.week_entries().unwrap().is_empty());
    desk.start_work(desk.tasks().unwrap()[0].id).unwrap();
    let studio_entry = desk.stop().unwrap().entry.entry.id;
    desk.sync_now().await.unwrap();
    assert!(
        desk.switch_workspace(Uuid::now_v7()).await.is_err(),
        "not a workspace of hers"
    );

    // Signed out and in again: the workspace she chose last.
    desk.sign_out().await.unwrap();
    let session = desk.sign_in(&server.url, ANA, PASSWORD).await.unwrap();
    assert_eq!(session.workspace.id, studio);
    let week: Vec<_> = desk
        .week_entries()
        .unwrap()
        .into_iter()
        .map(|e| e.entry.id)
        .collect();
    assert_eq!(week, [studio_entry]);

    // Back to the first: its entry comes from the server, the other's stays there.
    desk.switch_workspace(agency).await.unwrap();
    let week: Vec<_> = desk
        .week_entries()
        .unwrap()
        .into_iter()
        .map(|e| e.entry.id)
        .collect();
    assert_eq!(week, [agency_entry]);
}
