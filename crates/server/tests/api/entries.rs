//! Entries over REST, on both backends (P1, P4): who sees which, logging one's own entry to a
//! team (between the public and the secured store), deleting a secured team with its entries,
//! and a scan of every GET endpoint for a secured entry's text as everyone who may not see it.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use stint_domain::{DefaultRole, EntrySource, EntryStatus};
use stint_server::service::demo;
use stint_server::Passwords;
use stint_storage::EntryRecord;
use uuid::Uuid;

use super::{
    answer, at, common, on_each_backend, role_id, SignedIn, TestServer, ANA, BEN, SHARED_TASK,
};

const ADMIN: &str = "admin@demo.stint.test";
const ANA_ID: &str = "01900000-0000-7000-8000-000000000102";
const BEN_ID: &str = "01900000-0000-7000-8000-000000000103";
/// `demo::add_members` makes them, with the demo password.
const VIEWER: &str = "member001@demo.stint.test";
const VIEWER_ID: &str = "01900000-0000-7000-8000-000000010001";
const MANAGER: &str = "member002@demo.stint.test";
const MANAGER_ID: &str = "01900000-0000-7000-8000-000000010002";

pub(super) fn record_entry(seq: i64, entry: &Uuid, from: i64, description: &str) -> Value {
    json!({ "seq": seq, "name": "record_entry", "args": {
        "entry_id": entry, "task_id": SHARED_TASK, "started_at": at(from),
        "ended_at": at(from + 30), "duration_secs": 1800, "description": description } })
}

impl TestServer {
    /// One page of `who`'s pull from `cursor`.
    async fn pull_page(&self, who: &SignedIn, cursor: Option<String>) -> Value {
        let mut query = vec![(
            "protocol_version",
            stint_api::sync::PROTOCOL_VERSION.to_string(),
        )];
        query.extend(cursor.map(|c| ("cursor", c)));
        let request = self.http.get(self.url(who, "/sync/pull"));
        let (status, page) = answer(request.query(&query).bearer_auth(&who.token)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page
    }

    /// Every page of `who`'s pull from `cursor` until it says there is no more.
    async fn pull_to_end(&self, who: &SignedIn, mut cursor: Option<String>) -> Vec<Value> {
        let mut pages = vec![];
        loop {
            let page = self.pull_page(who, cursor).await;
            cursor = page["cursor"].as_str().map(str::to_string);
            let more = page["more"] == true;
            pages.push(page);
            if !more {
                return pages;
            }
        }
    }

    /// The ids of the entries `who` sees, and the list's answer.
    async fn visible(&self, who: &SignedIn) -> (Vec<String>, Value) {
        let (status, list) = answer(
            self.http
                .get(self.url(who, "/entries?limit=1000"))
                .bearer_auth(&who.token),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let ids = list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
        (ids, list)
    }

    async fn move_entry(
        &self,
        who: &SignedIn,
        entry: &Uuid,
        team: Option<&Value>,
    ) -> (StatusCode, Value) {
        let body = json!({ "team_id": team.map(|t| t["id"].clone()) });
        let url = self.url(who, &format!("/entries/{entry}/team"));
        answer(self.http.put(url).bearer_auth(&who.token).json(&body)).await
    }
}

/// The demo, plus a secured team "Legal" led by Ana in which Ben is a Team Member (logs time,
/// views nothing) and member001 a Viewer; member002 a workspace Manager.
pub(super) struct Legal {
    pub(super) admin: SignedIn,
    pub(super) ana: SignedIn,
    pub(super) ben: SignedIn,
    pub(super) viewer: SignedIn,
    pub(super) manager: SignedIn,
    pub(super) team: Value,
}

pub(super) async fn legal(server: &TestServer) -> Legal {
    demo::add_members(&*server.storage, &Passwords::new(), 2)
        .await
        .unwrap();
    let admin = server.sign_in(ADMIN).await;
    let ana = server.sign_in(ANA).await;
    server.allow_secured_teams(&admin).await;
    let (status, team) = server.make_team(&admin, "Legal", ANA_ID, "secured").await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let viewer_role = json!({ "name": "Viewer", "permissions": ["view_work_logs"] });
    let (_, team) = server
        .on_team(&ana, Method::POST, &team, "/roles", Some(viewer_role))
        .await;
    let viewer_role = role_id(&team["roles"], "Viewer");
    for (user, roles) in [
        (BEN_ID, json!({})),
        (VIEWER_ID, json!({ "role_ids": [viewer_role] })),
    ] {
        let path = format!("/members/{user}");
        let (status, body) = server
            .on_team(&ana, Method::PUT, &team, &path, Some(roles))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    server
        .give_role(&admin, MANAGER_ID, DefaultRole::Manager.name())
        .await;
    // Their group, Employees, shows its members their own hours only (P3): these see all they may.
    let (_, groups) = answer(
        server
            .http
            .get(server.url(&admin, "/groups"))
            .bearer_auth(&admin.token),
    )
    .await;
    let employees = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Employees")
        .unwrap();
    for user in [ANA_ID, BEN_ID, VIEWER_ID, MANAGER_ID] {
        let url = server.url(&admin, &format!("/members/{user}/filters"));
        let filters = json!({ "group_id": employees["id"], "filter": "none", "overrules": [] });
        let (status, body) = answer(
            server
                .http
                .put(url)
                .bearer_auth(&admin.token)
                .json(&filters),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    Legal {
        ben: server.sign_in(BEN).await,
        viewer: server.sign_in(VIEWER).await,
        manager: server.sign_in(MANAGER).await,
        admin,
        ana,
        team,
    }
}

/// A snapshot reads its pages another way than the entries list (SQLite: one JSON array per
/// page); the same entry must come out the same, whatever its text and whichever table holds it.
#[tokio::test]
async fn a_snapshot_brings_entries_exactly_as_the_entries_list_shows_them() {
    on_each_backend(|server| async move {
        let Legal { ana, team, .. } = legal(&server).await;
        // Ids are the device's to make: the nil id is one too, and the lowest.
        let (secret, public, nil) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::nil());
        let text = "Ünïcode \"quoted\" \\ back\\slash\nnew line\ttab 🕐 </script>";
        let pushed = json!([
            record_entry(1, &secret, 0, text),
            record_entry(2, &public, 60, ""),
            record_entry(3, &nil, 120, "")
        ]);
        assert_eq!(server.push(&ana, pushed).await.0, StatusCode::OK);
        let (status, moved) = server.move_entry(&ana, &secret, Some(&team)).await;
        assert_eq!(status, StatusCode::OK, "{moved}");

        let (_, list) = server.visible(&ana).await;
        let snapshot = server.pull(&ana, None).await;
        let find = |entries: &Value, id: &Uuid| {
            entries
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["id"] == id.to_string())
                .cloned()
                .unwrap()
        };
        for id in [secret, public, nil] {
            assert_eq!(find(&snapshot["entries"], &id), find(&list["entries"], &id));
        }
        assert_eq!(find(&snapshot["entries"], &secret)["description"], text);
    })
    .await;
}

/// The server reads a pull's next page while the device writes the one before. An entry changed
/// in between arrives changed all the same, further on in the change log: after a snapshot (the
/// first pull of a device) and within a long change log (a device coming back to a backlog).
#[tokio::test]
async fn an_entry_changed_while_its_page_was_read_ahead_arrives_changed() {
    use stint_api::sync::{MAX_MUTATIONS_PER_PUSH, PULL_PAGE_SIZE, SNAPSHOT_PAGE_SIZE};
    for snapshot in [true, false] {
        on_each_backend(|server| async move {
            let Legal { ana, team, .. } = legal(&server).await;
            // Up to date before the entries are pushed: the next pull reads the change log.
            let cursor = match snapshot {
                true => None,
                false => server.pull_to_end(&ana, None).await.pop().unwrap()["cursor"]
                    .as_str()
                    .map(str::to_string),
            };
            // A full first page; the last entry (ids rise) is on the second.
            let full = if snapshot {
                SNAPSHOT_PAGE_SIZE
            } else {
                PULL_PAGE_SIZE
            };
            let ids: Vec<Uuid> = (0..=full).map(|_| Uuid::now_v7()).collect();
            let mutations: Vec<Value> = ids
                .iter()
                .enumerate()
                .map(|(n, id)| record_entry(n as i64 + 1, id, -31 * n as i64, ""))
                .collect();
            for chunk in mutations.chunks(MAX_MUTATIONS_PER_PUSH) {
                let (status, body) = server.push(&ana, json!(chunk)).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
            let first = server.pull_page(&ana, cursor).await;
            assert_eq!(first["snapshot"], snapshot);
            assert_eq!(
                first["entries"].as_array().unwrap().len(),
                full.min(SNAPSHOT_PAGE_SIZE)
            );
            assert_eq!(first["more"], true);
            // The second page is being read (or was); now the entry on it moves to a team.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let last = ids.last().unwrap().to_string();
            let (status, moved) = server.move_entry(&ana, &ids[full], Some(&team)).await;
            assert_eq!(status, StatusCode::OK, "{moved}");

            let cursor = first["cursor"].as_str().map(str::to_string);
            let seen_last: Vec<Value> = server
                .pull_to_end(&ana, cursor)
                .await
                .iter()
                .flat_map(|page| page["entries"].as_array().unwrap().clone())
                .filter(|entry| entry["id"] == last)
                .collect();
            assert_eq!(
                seen_last.last().unwrap()["team_id"],
                team["id"],
                "snapshot {snapshot}: {seen_last:?}"
            );
        })
        .await;
    }
}

#[tokio::test]
async fn secured_entries_are_seen_by_their_author_and_their_team_only() {
    on_each_backend(|server| async move {
        let Legal {
            admin,
            ana,
            ben,
            viewer,
            manager,
            team,
        } = legal(&server).await;
        let (secret, public, bens) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let pushed = json!([
            record_entry(1, &secret, 0, "merger talks"),
            record_entry(2, &public, 60, "")
        ]);
        assert_eq!(server.push(&ana, pushed).await.0, StatusCode::OK);
        assert_eq!(
            server
                .push(&ben, json!([record_entry(1, &bens, 120, "")]))
                .await
                .0,
            StatusCode::OK
        );

        // Into the secured team: the author may (she may work on issues there).
        let (status, moved) = server.move_entry(&ana, &secret, Some(&team)).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(moved["team_id"], team["id"]);
        assert_eq!(moved["description"], "merger talks");

        let sees = |ids: &[String], entry: &Uuid| ids.contains(&entry.to_string());
        let (ids, list) = server.visible(&ana).await;
        assert!(
            sees(&ids, &secret) && sees(&ids, &public) && !sees(&ids, &bens),
            "{list}"
        );
        // She leads the demo's public "Web team" too.
        assert_eq!(list["all_public"], false);
        assert!(
            list["team_ids"].as_array().unwrap().contains(&team["id"]),
            "{list}"
        );
        // Ben logs time to the team but views nothing there: his own entry only.
        let (ids, _) = server.visible(&ben).await;
        assert_eq!(ids, [bens.to_string()]);
        // The team's viewer sees the secured entry; admins and managers see every public
        // entry and no secured one.
        let (ids, _) = server.visible(&viewer).await;
        assert_eq!(ids, [secret.to_string()]);
        for who in [&admin, &manager] {
            let (ids, list) = server.visible(who).await;
            assert_eq!(list["all_public"], true);
            assert!(
                !sees(&ids, &secret) && sees(&ids, &public) && sees(&ids, &bens),
                "{list}"
            );
        }

        // Ben logs his entry to the team: it leaves what the admin sees, and Ana (the lead,
        // who views the team's logs) sees it now. Filters by person and team hold.
        let (status, _) = server.move_entry(&ben, &bens, Some(&team)).await;
        assert_eq!(status, StatusCode::OK);
        let (ids, _) = server.visible(&admin).await;
        assert!(!sees(&ids, &bens));
        let url = server.url(
            &ana,
            &format!("/entries?team_id={}", team["id"].as_str().unwrap()),
        );
        let (_, list) = answer(server.http.get(url).bearer_auth(&ana.token)).await;
        assert_eq!(list["entries"].as_array().unwrap().len(), 2, "{list}");
        let url = server.url(&ana, &format!("/entries?user_id={BEN_ID}"));
        let (_, list) = answer(server.http.get(url).bearer_auth(&ana.token)).await;
        assert_eq!(list["entries"][0]["id"], bens.to_string());

        // Only the author moves an entry; only into a team where they may work on issues.
        let (status, _) = server.move_entry(&viewer, &secret, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let mine = Uuid::now_v7();
        server
            .push(&viewer, json!([record_entry(1, &mine, 180, "")]))
            .await;
        let (status, body) = server.move_entry(&viewer, &mine, Some(&team)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["details"]["team_permission"], "work_on_issues");
        let nowhere = json!({ "id": Uuid::now_v7() });
        let (status, _) = server.move_entry(&ana, &public, Some(&nowhere)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // The author's devices keep it, once, through the move; pushing its id again makes no
        // second copy in the public store.
        let feed = server.pull(&ana, None).await;
        let copies = feed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["id"] == secret.to_string())
            .count();
        assert_eq!(copies, 1, "{feed}");
        server
            .push(&ana, json!([record_entry(3, &secret, 0, "merger talks")]))
            .await;
        let (ids, _) = server.visible(&ana).await;
        assert_eq!(
            ids.iter().filter(|id| **id == secret.to_string()).count(),
            1
        );
        let (ids, _) = server.visible(&admin).await;
        assert!(!sees(&ids, &secret));

        // Back to no team: public again.
        let (status, moved) = server.move_entry(&ana, &secret, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(moved.get("team_id").is_none(), "{moved}");
        let (ids, _) = server.visible(&admin).await;
        assert!(sees(&ids, &secret));
        // Where it already is: nothing happens, and its feed says nothing.
        let (status, _) = server.move_entry(&ana, &secret, None).await;
        assert_eq!(status, StatusCode::OK);

        // Its feed: made, into the team, out of it — who and when (E1).
        let url = server.url(&ana, &format!("/entries/{secret}/activity"));
        let (status, feed) = answer(server.http.get(&url).bearer_auth(&ana.token)).await;
        assert_eq!(status, StatusCode::OK, "{feed}");
        let kinds: Vec<&str> = feed
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["created", "moved", "moved"]);
        assert_eq!(
            (&feed[1]["to_team_id"], &feed[2]["from_team_id"]),
            (&team["id"], &team["id"])
        );
        assert_eq!(feed[0]["actor"]["name"], "Ana Alvarez");
        // The feed has the entry's visibility: Ben's entry, still secured, is not the admin's
        // to see, nor its feed; the team's viewer sees both.
        let url = server.url(&admin, &format!("/entries/{bens}/activity"));
        let (status, _) = answer(server.http.get(&url).bearer_auth(&admin.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, feed) = answer(server.http.get(&url).bearer_auth(&viewer.token)).await;
        assert_eq!(status, StatusCode::OK, "{feed}");
        assert_eq!(feed[1]["actor"]["name"], "Ben Baker");
    })
    .await;
}

#[tokio::test]
async fn deleting_a_secured_team_converts_or_deletes_its_entries_at_once() {
    on_each_backend(|server| async move {
        let Legal {
            admin, ana, team, ..
        } = legal(&server).await;
        let (kept, dropped) = (Uuid::now_v7(), Uuid::now_v7());
        server
            .push(
                &ana,
                json!([
                    record_entry(1, &kept, 0, ""),
                    record_entry(2, &dropped, 60, "")
                ]),
            )
            .await;
        server.move_entry(&ana, &kept, Some(&team)).await;
        let (_, other) = server.make_team(&admin, "Audit", ANA_ID, "secured").await;
        server.move_entry(&ana, &dropped, Some(&other)).await;
        let cursor = server.pull(&ana, None).await["cursor"]
            .as_str()
            .unwrap()
            .to_string();

        // A deletion cut short changes nothing: the same transaction, dropped before commit.
        let scope = stint_server::policy::seeding(
            ana.workspace.parse().unwrap(),
            "01900000-0000-7000-8000-000000000101".parse().unwrap(),
        );
        let settings = scope
            .require::<stint_storage::may::ChangeSettings>()
            .unwrap();
        let mut tx = server.storage.begin().await.unwrap();
        let team_id: Uuid = team["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            tx.delete_team(settings, team_id, true, chrono::Utc::now())
                .await
                .unwrap(),
            Some(1)
        );
        drop(tx);
        let (ids, _) = server.visible(&admin).await;
        assert!(!ids.contains(&kept.to_string()));
        assert_eq!(server.team(&ana, &team).await["name"], "Legal");

        let (status, done) = server
            .on_team(
                &admin,
                Method::DELETE,
                &team,
                "?entries=convert_to_public&confirm=irreversible",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(
            done,
            json!({ "entries_converted": 1, "entries_deleted": 0 })
        );
        let (ids, list) = server.visible(&admin).await;
        assert!(ids.contains(&kept.to_string()), "{list}");
        let (status, done) = server
            .on_team(
                &admin,
                Method::DELETE,
                &other,
                "?entries=delete&confirm=irreversible",
                None,
            )
            .await;
        assert_eq!(
            (status, done),
            (
                StatusCode::OK,
                json!({ "entries_converted": 0, "entries_deleted": 1 })
            )
        );
        let (ids, _) = server.visible(&ana).await;
        assert!(ids.contains(&kept.to_string()) && !ids.contains(&dropped.to_string()));

        // Ana's devices hear of both: the converted entry again (no team now), the other gone.
        let feed = server.pull(&ana, Some(&cursor)).await;
        let converted = feed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == kept.to_string());
        assert!(
            converted.is_some_and(|e| e.get("team_id").is_none()),
            "{feed}"
        );
        assert!(
            feed["removed"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == dropped.to_string()),
            "{feed}"
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_a_public_team_tells_its_entries_authors_devices() {
    on_each_backend(|server| async move {
        let Legal { admin, ana, .. } = legal(&server).await;
        let (_, design) = server.make_team(&admin, "Design", ANA_ID, "public").await;
        let entry = Uuid::now_v7();
        server
            .push(&ana, json!([record_entry(1, &entry, 0, "")]))
            .await;
        assert_eq!(
            server.move_entry(&ana, &entry, Some(&design)).await.0,
            StatusCode::OK
        );
        let cursor = server.pull(&ana, None).await["cursor"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _) = server
            .on_team(&admin, Method::DELETE, &design, "", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let feed = server.pull(&ana, Some(&cursor)).await;
        let again = feed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == entry.to_string());
        assert!(again.is_some_and(|e| e.get("team_id").is_none()), "{feed}");
        let url = server.url(&ana, &format!("/entries/{entry}/activity"));
        let (_, activity) = answer(server.http.get(&url).bearer_auth(&ana.token)).await;
        assert_eq!(activity[2]["kind"], "moved", "{activity}");
        assert_eq!(activity[2]["from_team_id"], design["id"]);
        assert_eq!(activity[2]["actor"]["name"], "Ada Admin", "{activity}");
    })
    .await;
}

#[tokio::test]
async fn submitted_and_approved_entries_stay_in_their_team() {
    on_each_backend(|server| async move {
        let Legal { ana, team, .. } = legal(&server).await;
        let scope =
            stint_server::policy::seeding(ana.workspace.parse().unwrap(), ANA_ID.parse().unwrap());
        for status in [EntryStatus::Submitted, EntryStatus::Approved] {
            let id = Uuid::now_v7();
            let started_at = chrono::Utc::now() - chrono::Duration::hours(2);
            let entry = EntryRecord {
                id,
                user_id: ANA_ID.parse().unwrap(),
                task_id: SHARED_TASK.parse().unwrap(),
                timer_id: None,
                team_id: None,
                started_at,
                ended_at: started_at + chrono::Duration::hours(1),
                duration_secs: 3600,
                raw_duration_secs: 3600,
                billable: false,
                flag: None,
                status,
                source: EntrySource::Manual,
                description: String::new(),
            };
            let mut tx = server.storage.begin().await.unwrap();
            tx.insert_entries(&scope, &[entry], chrono::Utc::now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let (code, body) = server.move_entry(&ana, &id, Some(&team)).await;
            assert_eq!(
                (code, body["code"].as_str()),
                (StatusCode::CONFLICT, Some("entry_locked")),
                "{body}"
            );
            let (ids, _) = server.visible(&ana).await;
            assert!(ids.contains(&id.to_string()));
        }
    })
    .await;
}

/// The author moves an entry out of a secured team while an admin deletes the team (keeping
/// its entries): whichever comes first, the entry is there once, in no team, and its feed says
/// it left the team once.
#[tokio::test]
async fn a_move_racing_the_team_deletion_happens_once() {
    on_each_backend(|server| async move {
        let Legal { admin, ana, .. } = legal(&server).await;
        for round in 0..10 {
            let (_, team) = server
                .make_team(&admin, &format!("Race {round}"), ANA_ID, "secured")
                .await;
            let entry = Uuid::now_v7();
            server
                .push(
                    &ana,
                    json!([record_entry(1 + round, &entry, round * 60, "")]),
                )
                .await;
            assert_eq!(
                server.move_entry(&ana, &entry, Some(&team)).await.0,
                StatusCode::OK
            );
            let (moved, deleted) = tokio::join!(
                server.move_entry(&ana, &entry, None),
                server.on_team(
                    &admin,
                    Method::DELETE,
                    &team,
                    "?entries=convert_to_public&confirm=irreversible",
                    None,
                )
            );
            assert_eq!(moved.0, StatusCode::OK, "round {round}: {}", moved.1);
            assert_eq!(deleted.0, StatusCode::OK, "round {round}: {}", deleted.1);
            let (ids, _) = server.visible(&ana).await;
            let copies = ids.iter().filter(|id| **id == entry.to_string()).count();
            assert_eq!(copies, 1, "round {round}");
            let url = server.url(&ana, &format!("/entries/{entry}/activity"));
            let (_, activity) = answer(server.http.get(&url).bearer_auth(&ana.token)).await;
            let kinds: Vec<&str> = activity
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap())
                .collect();
            assert_eq!(
                kinds,
                ["created", "moved", "moved"],
                "round {round}: {activity}"
            );
        }
    })
    .await;
}

/// A secured entry's text, looked for in the answer of every GET endpoint of the OpenAPI
/// document, as everyone without the right to see it: workspace admin, manager, a team member
/// whose role cannot view, a member of another workspace, and nobody signed in. The author and
/// the team's viewer find it (the scan can fail).
#[tokio::test]
async fn no_get_endpoint_shows_a_secured_entry_to_anyone_without_the_right() {
    on_each_backend(|server| async move {
        let Legal {
            admin,
            ana,
            ben,
            viewer,
            manager,
            team,
        } = legal(&server).await;
        let marker = format!("SECRET-{}", Uuid::now_v7());
        let secret = Uuid::now_v7();
        server
            .push(&ana, json!([record_entry(1, &secret, 0, &marker)]))
            .await;
        server.move_entry(&ana, &secret, Some(&team)).await;
        common::other_workspace_with_member(&*server.storage, "olga@other.stint.test").await;
        let olga = SignedIn {
            workspace: ana.workspace.clone(),
            ..server.sign_in("olga@other.stint.test").await
        };
        let nobody = SignedIn {
            token: String::new(),
            ..ana.clone()
        };

        let (_, document) =
            answer(server.http.get(format!("{}/api/openapi.json", server.base))).await;
        let paths: Vec<String> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, item)| item.get("get").is_some())
            .map(|(path, _)| path.clone())
            // An event stream never ends; what it carries is tested in events.rs.
            .filter(|path| !path.ends_with("/events"))
            .collect();
        let fill = |path: &str| {
            path.replace("{workspace_id}", &ana.workspace)
                .replace("{team_id}", team["id"].as_str().unwrap())
                .replace("{entry_id}", &secret.to_string())
                .replace("{user_id}", ANA_ID)
        };
        let query = |path: &str| match path {
            p if p.ends_with("/sync/pull") => {
                format!("?protocol_version=2&stream_id={}", Uuid::now_v7())
            }
            p if p.ends_with("/entries") => "?limit=1000".to_string(),
            _ => String::new(),
        };
        let mut calls = 0;
        for who in [&admin, &manager, &ben, &olga, &nobody] {
            for path in &paths {
                let url = format!("{}{}{}", server.base, fill(path), query(path));
                let response = server
                    .http
                    .get(&url)
                    .bearer_auth(&who.token)
                    .send()
                    .await
                    .unwrap();
                let body = response.text().await.unwrap();
                calls += 1;
                assert!(
                    !body.contains(&marker) && !body.contains(&secret.to_string()),
                    "GET {path} showed the secured entry: {body}"
                );
            }
        }
        for who in [&ana, &viewer] {
            let url = format!(
                "{}{}",
                server.base,
                fill("/api/v1/workspaces/{workspace_id}/entries")
            );
            let body = server
                .http
                .get(&url)
                .bearer_auth(&who.token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(body.contains(&marker));
        }
        eprintln!(
            "leak scan: {calls} calls over {} GET endpoints, no secured text",
            paths.len()
        );
    })
    .await;
}
