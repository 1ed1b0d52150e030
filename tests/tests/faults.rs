//! Sync through a network that misbehaves on purpose (`fault_proxy`: drops, delays, requests cut
//! half-way, answers cut half-way, requests sent twice) against a real server that is also
//! SIGKILLed mid-push and restarted: once the network heals, every change the device made is on
//! the server exactly once, and the device agrees. One device, so the outcome is unambiguous (no
//! T1 race between devices). A fixed set of seeds runs on both backends; `STINT_FAULT_SEEDS=200`
//! runs that many more by hand. A failure names its seed: `STINT_FAULT_SEED=n` replays it alone.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stint_api::rest::Entry;
use stint_client::Desk;
use stint_tests::fault_proxy::FaultProxy;
use stint_tests::{
    entries_on_server, free_port, open_desk, Database, ServerProcess, DEMO_PASSWORD,
};

const ANA: &str = "ana@demo.stint.test";

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("STINT_FAULT_SEED") {
        return vec![seed.parse().expect("a seed is a number")];
    }
    let count = std::env::var("STINT_FAULT_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    (1..=count).collect()
}

/// Every entry the device holds, by id (all synced, or the test says which are not).
fn device_entries(desk: &Desk) -> BTreeMap<uuid::Uuid, (Entry, bool)> {
    let far = chrono::Utc::now() - chrono::Duration::days(30);
    let soon = chrono::Utc::now() + chrono::Duration::days(1);
    desk.store()
        .entries_between(far, soon)
        .unwrap()
        .into_iter()
        .map(|(entry, synced)| (entry.id, (entry, synced)))
        .collect()
}

#[tokio::test]
async fn every_acknowledged_change_arrives_exactly_once_through_a_bad_network() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, database) in Database::each(dir.path()) {
        for seed in seeds() {
            run(backend, &database, seed).await;
        }
    }
}

async fn run(backend: &str, database: &Database, seed: u64) {
    let context = format!("{backend}, seed {seed}");
    let port = free_port();
    let mut server = ServerProcess::start_on(database, port).unwrap();
    let proxy = FaultProxy::start(port, seed).await;
    let desk_dir = tempfile::tempdir().unwrap();
    let desk = open_desk(desk_dir.path(), "laptop");
    desk.sign_in(&proxy.url, ANA, DEMO_PASSWORD).await.unwrap();
    let tasks: Vec<_> = desk.tasks().unwrap().into_iter().map(|t| t.id).collect();
    proxy.set_faulty(true);

    let mut rng = StdRng::seed_from_u64(seed);
    for round in 0..40 {
        match rng.gen_range(0..10) {
            0..=3 => drop(desk.start_work(tasks[rng.gen_range(0..tasks.len())])),
            4 => drop(desk.pause()),
            5 => drop(desk.resume()),
            _ => drop(desk.stop()),
        }
        if round % 13 == 12 {
            // A backlog in flight when the server dies: SIGKILL after a random moment, restart.
            // Over two batches (1,000 changes each): the desk sends the third while the second
            // is on its way.
            for _ in 0..1_020 {
                desk.start_work(tasks[0]).unwrap();
                desk.stop().unwrap();
            }
            let sync = desk.sync_now();
            let kill = async {
                tokio::time::sleep(std::time::Duration::from_millis(rng.gen_range(0..40))).await;
                server.stop_now();
            };
            let (_, ()) = tokio::join!(sync, kill);
            server = ServerProcess::start_on(database, port).unwrap();
        } else if rng.gen_bool(0.6) {
            // Errors are expected: the network is bad on purpose.
            let _ = desk.sync_now().await;
        }
    }
    drop(desk.stop());

    proxy.set_faulty(false);
    let mut synced = false;
    for _ in 0..5 {
        if let Ok(status) = desk.sync_now().await {
            if status.pending == 0 {
                synced = true;
                break;
            }
        }
    }
    assert!(
        synced,
        "{context}: the device could not finish syncing once healed"
    );
    let status = desk.sync_status().unwrap();
    assert_eq!(
        status.issues,
        0,
        "{context}: {:?}",
        desk.sync_issues().unwrap()
    );

    let on_device = device_entries(&desk);
    assert!(
        on_device.values().all(|(_, synced)| *synced),
        "{context}: an entry the server acknowledged is not marked synced"
    );
    let on_server: Vec<Entry> = entries_on_server(&server.url, ANA).await;
    let mut by_id = BTreeMap::new();
    for entry in &on_server {
        assert!(
            by_id.insert(entry.id, entry.clone()).is_none(),
            "{context}: entry {} twice on the server",
            entry.id
        );
    }
    assert_eq!(
        by_id.keys().collect::<Vec<_>>(),
        on_device.keys().collect::<Vec<_>>(),
        "{context}: the server and the device hold different entries"
    );
    for (id, (entry, _)) in &on_device {
        let theirs = &by_id[id];
        assert_eq!(
            (
                theirs.task_id,
                theirs.started_at,
                theirs.ended_at,
                theirs.duration_secs
            ),
            (
                entry.task_id,
                entry.started_at,
                entry.ended_at,
                entry.duration_secs
            ),
            "{context}: entry {id} differs"
        );
    }
    eprintln!("{context}: {} entries, each exactly once", on_server.len());
}
