//! T6 *Team now*: admins see everyone's running timers and pause or stop them; the entry is
//! what the owner's rules make of a stop they did not make (T5, T11). T8: the runaway watchdog.
//! T2: Start Work un-assigns everyone else when the workspace says so. T1: one timer, when
//! devices switch and race.

use super::*;
use stint_server::service::control;

const ADMIN: &str = "admin@demo.stint.test";
const ADMIN_ID: &str = "01900000-0000-7000-8000-000000000101";
const ANA_ID: &str = "01900000-0000-7000-8000-000000000102";
const BEN_ID: &str = "01900000-0000-7000-8000-000000000103";

impl TestServer {
    async fn team_now(&self, who: &SignedIn) -> (StatusCode, Value) {
        answer(
            self.http
                .get(self.url(who, "/timers"))
                .bearer_auth(&who.token),
        )
        .await
    }

    async fn control(&self, who: &SignedIn, timer: &Uuid, action: &str) -> (StatusCode, Value) {
        let url = self.url(who, &format!("/timers/{timer}/{action}"));
        answer(self.http.post(url).bearer_auth(&who.token)).await
    }

    async fn as_admin(&self, admin: &SignedIn, path: &str, change: Value) {
        let url = self.url(admin, path);
        let request = self.http.patch(url).bearer_auth(&admin.token).json(&change);
        let (status, body) = answer(request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn admins_see_who_is_tracking_and_pause_or_stop_their_timers() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;
        let ben = server.sign_in(BEN).await;
        let timer = Uuid::now_v7();
        let (_, body) = server
            .push(&ben, json!([start(1, &timer, BENS_TASK, 0)]))
            .await;
        assert_eq!(outcomes(&body), ["applied"]);

        // A member without `time:settings` neither sees nor changes anyone's timer.
        let (status, body) = server.team_now(&ana).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        for action in ["pause", "stop"] {
            let (status, _) = server.control(&ana, &timer, action).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }

        let (status, now) = server.team_now(&admin).await;
        assert_eq!(status, StatusCode::OK, "{now}");
        let timers = now["timers"].as_array().unwrap();
        assert_eq!(timers.len(), 1, "{now}");
        assert_eq!(timers[0]["timer_id"], timer.to_string());
        assert_eq!(timers[0]["user"]["name"], "Ben Baker");
        assert_eq!(timers[0]["task_title"], "Fix checkout redirect");
        assert_eq!(timers[0]["state"], "running");
        assert!(timers[0]["counted_secs"].as_i64().unwrap() > 13 * 24 * 3600);

        // Paused: once; then the count stands still.
        let (status, _) = server.control(&admin, &timer, "pause").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = server.control(&admin, &timer, "pause").await;
        assert_eq!(
            (status, &body["code"]),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!("invalid_transition")
            )
        );
        let (_, now) = server.team_now(&admin).await;
        assert_eq!(now["timers"][0]["state"], "paused");

        // Stopped: a member's draft, ended where the pause began. Then it is gone.
        let (status, entry) = server.control(&admin, &timer, "stop").await;
        assert_eq!(status, StatusCode::OK, "{entry}");
        assert_eq!(
            (&entry["timer_id"], &entry["status"], entry.get("flag")),
            (&json!(timer), &json!("draft"), None)
        );
        let (status, _) = server.control(&admin, &timer, "stop").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, now) = server.team_now(&admin).await;
        assert_eq!(now["timers"], json!([]));
        let (status, _) = server.control(&admin, &Uuid::now_v7(), "stop").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Ben's device learns it with its next pull, and who stopped it.
        let pulled = server.pull(&ben, None).await;
        assert_eq!(pulled["timer"], Value::Null);
        assert_eq!(
            pulled["timer_stop"],
            json!({ "timer_id": timer, "by": "by Ada Admin" })
        );
    })
    .await;
}

/// The entry of this timer in a pull's or a list's `entries`.
fn entry_of_timer(list: &Value, timer: &Uuid) -> Value {
    list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["timer_id"] == json!(timer))
        .cloned()
        .unwrap_or_else(|| panic!("no entry of timer {timer}: {list}"))
}

/// Whether the pull tells devices to remove this entry.
fn removed(pulled: &Value, entry_id: &Value) -> bool {
    pulled["removed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|gone| gone["id"] == *entry_id)
}

/// Ben's timer, started at minute 0, stopped now by the admin: the entry the server made.
async fn stopped_by_the_admin(server: &TestServer, ben: &SignedIn, timer: &Uuid) -> Value {
    let admin = server.sign_in(ADMIN).await;
    server
        .push(ben, json!([start(1, timer, BENS_TASK, 0)]))
        .await;
    let (status, entry) = server.control(&admin, timer, "stop").await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    entry
}

#[tokio::test]
async fn a_stop_made_offline_before_the_admins_stop_holds() {
    on_each_backend(|server| async move {
        let ben = server.sign_in(BEN).await;
        let timer = Uuid::now_v7();
        let admins_entry = stopped_by_the_admin(&server, &ben, &timer).await;

        let before = server.pull(&ben, None).await;

        // Ben had stopped it at minute 60 on a device that was offline: his stop came first,
        // so his entry replaces the admin's (T1 in the order of the instants).
        let bens_entry = Uuid::now_v7();
        let (_, body) = server
            .push(&ben, json!([stop(2, &timer, &bens_entry, 60)]))
            .await;
        assert_eq!(outcomes(&body), ["applied"], "{body}");
        let pulled = server.pull(&ben, before["cursor"].as_str()).await;
        let entries: Vec<&Value> = pulled["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["timer_id"] == json!(timer))
            .collect();
        assert_eq!(entries.len(), 1, "{pulled}");
        assert_eq!(
            (
                &entries[0]["id"],
                &entries[0]["ended_at"],
                &entries[0]["duration_secs"]
            ),
            (
                &json!(bens_entry),
                &json!("2026-11-23T10:00:00Z"),
                &json!(3600)
            )
        );
        assert!(
            removed(&pulled, &admins_entry["id"]),
            "the admin's entry is gone: {pulled}"
        );
        // Nobody else stopped it after all: no device says so.
        assert_eq!(pulled.get("timer_stop"), None, "{pulled}");

        // Sent again (a lost answer): held already.
        let (_, body) = server
            .push(&ben, json!([stop(2, &timer, &bens_entry, 60)]))
            .await;
        assert_eq!(outcomes(&body), ["skipped"], "{body}");
    })
    .await;
}

/// T1 in the order of the instants for starts arriving after someone else's stop: Ben's timer
/// ran from minute 0 until the admin stopped it (now); his phone, offline, had started other
/// work at minutes 40 and then 30 (its clock was corrected in between). The timer ends at
/// minute 30 — its entry keeping its status, under a new id (devices held the old one) — and
/// nobody else stopped it after all.
#[tokio::test]
async fn starts_made_before_someone_elses_stop_end_the_timer_there() {
    on_each_backend(|server| async move {
        let ben = server.sign_in(BEN).await;
        let phone = server.sign_in(BEN).await;
        let timer = Uuid::now_v7();
        let admins_entry = stopped_by_the_admin(&server, &ben, &timer).await;
        let before = server.pull(&ben, None).await;

        let (later, earlier) = (Uuid::now_v7(), Uuid::now_v7());
        let starts = json!([
            start(1, &later, SHARED_TASK, 40),
            start(2, &earlier, BENS_TASK, 30)
        ]);
        let (_, body) = server.push(&phone, starts).await;
        assert_eq!(outcomes(&body), ["applied", "applied"], "{body}");

        let pulled = server.pull(&ben, before["cursor"].as_str()).await;
        let first = entry_of_timer(&pulled, &timer);
        assert_eq!(
            (
                &first["ended_at"],
                &first["duration_secs"],
                &first["status"]
            ),
            (
                &json!("2026-11-23T09:30:00Z"),
                &json!(1800),
                &admins_entry["status"]
            ),
            "{first}"
        );
        assert_ne!(first["id"], admins_entry["id"]);
        assert!(
            removed(&pulled, &admins_entry["id"]),
            "the admin's entry is gone: {pulled}"
        );
        // The laptop, which showed the old entry, describes it: refused in words, not applied
        // with the old span's hours.
        let review = json!([{ "seq": 2, "name": "review_entry", "args": {
            "entry_id": admins_entry["id"], "duration_secs": 3600, "description": "Notes",
            "billable": false, "submit": false, "at": at(31) } }]);
        let (_, body) = server.push(&ben, review).await;
        assert_eq!(outcomes(&body), ["rejected"], "{body}");
        assert_eq!(entry_of_timer(&pulled, &earlier)["duration_secs"], 600);
        assert_eq!(pulled["timer"]["id"], json!(later));
        assert_eq!(pulled.get("timer_stop"), None, "{pulled}");
    })
    .await;
}

/// T1 in the order of the instants for a pause made after another device's start: Ben's
/// laptop ran a timer from minute 0 and paused it at minute 45; his phone had started other
/// work at minute 30. The timer ends at minute 30, not at its pause.
#[tokio::test]
async fn a_start_made_before_a_pause_ends_the_timer_at_the_start() {
    on_each_backend(|server| async move {
        let laptop = server.sign_in(BEN).await;
        let phone = server.sign_in(BEN).await;
        let (timer, other) = (Uuid::now_v7(), Uuid::now_v7());
        let pause = json!({ "seq": 2, "name": "pause_timer", "args": {
            "timer_id": timer, "at": at(45) } });
        let (_, body) = server
            .push(&laptop, json!([start(1, &timer, BENS_TASK, 0), pause]))
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied"], "{body}");
        let (_, body) = server
            .push(&phone, json!([start(1, &other, SHARED_TASK, 30)]))
            .await;
        assert_eq!(outcomes(&body), ["applied"], "{body}");

        let pulled = server.pull(&laptop, None).await;
        let entry = entry_of_timer(&pulled, &timer);
        assert_eq!(
            (&entry["ended_at"], &entry["duration_secs"]),
            (&json!("2026-11-23T09:30:00Z"), &json!(1800)),
            "{entry}"
        );
        assert_eq!(pulled["timer"]["id"], json!(other));
    })
    .await;
}

#[tokio::test]
async fn a_stop_made_offline_does_not_undo_what_was_done_with_the_servers_entry() {
    on_each_backend(|server| async move {
        let ben = server.sign_in(BEN).await;
        let timer = Uuid::now_v7();
        let entry = stopped_by_the_admin(&server, &ben, &timer).await;

        // Ben described the admin's entry on another device: that entry stays, and a stop sent
        // afterwards from the offline device is reconciled to it.
        let review = json!({ "seq": 2, "name": "review_entry", "args": {
            "entry_id": entry["id"], "duration_secs": entry["duration_secs"],
            "description": "Checked the redirect", "billable": false, "submit": false,
            "at": at(300) } });
        let (_, body) = server.push(&ben, json!([review])).await;
        assert_eq!(outcomes(&body), ["applied"], "{body}");
        let (_, body) = server
            .push(&ben, json!([stop(3, &timer, &Uuid::now_v7(), 60)]))
            .await;
        assert_eq!(outcomes(&body), ["reconciled"], "{body}");
        assert_eq!(
            body["results"][0]["reason"]["details"]["server_entry"]["id"],
            entry["id"]
        );
    })
    .await;
}

#[tokio::test]
async fn deactivating_a_member_stops_their_timer_and_a_refused_deactivation_stops_nothing() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ben = server.sign_in(BEN).await;
        let bens = Uuid::now_v7();
        server
            .push(&ben, json!([start(1, &bens, BENS_TASK, 0)]))
            .await;
        let admins = Uuid::now_v7();
        server
            .push(&admin, json!([start(1, &admins, BENS_TASK, 0)]))
            .await;

        // The only admin cannot leave: refused, and their timer runs on.
        let url = server.url(&admin, &format!("/members/{ADMIN_ID}"));
        let request = server.http.patch(url).bearer_auth(&admin.token);
        let (status, body) = answer(request.json(&json!({ "active": false }))).await;
        assert_eq!(
            (status, &body["code"]),
            (StatusCode::CONFLICT, &json!("last_admin"))
        );
        let (_, now) = server.team_now(&admin).await;
        assert_eq!(now["timers"].as_array().unwrap().len(), 2, "{now}");

        // Ben leaves: his timer stops now into a draft, which stays his.
        server
            .as_admin(
                &admin,
                &format!("/members/{BEN_ID}"),
                json!({ "active": false }),
            )
            .await;
        let (_, now) = server.team_now(&admin).await;
        let running: Vec<&Value> = now["timers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["timer_id"])
            .collect();
        assert_eq!(running, [&json!(admins)], "{now}");
        let url = server.url(&admin, &format!("/entries?user_id={BEN_ID}&limit=1000"));
        let (status, entries) = answer(server.http.get(url).bearer_auth(&admin.token)).await;
        assert_eq!(status, StatusCode::OK, "{entries}");
        let stopped = entry_of_timer(&entries, &bens);
        assert_eq!(stopped["status"], "draft");
        assert!(stopped["duration_secs"].as_i64().unwrap() > 0, "{stopped}");

        // A push of Ben's let in before the deactivation, which waited for his timer lock,
        // changes nothing after it: the lock is refused to a member no longer active.
        let workspace: Uuid = ben.workspace.parse().unwrap();
        let scope = stint_server::policy::seeding(workspace, BEN_ID.parse().unwrap());
        let mut tx = server.storage.begin_in(&scope).await.unwrap();
        assert!(matches!(
            tx.lock_user_timers(&scope).await,
            Err(stint_storage::StorageError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn an_admins_stop_of_a_timer_only_users_timer_waits_for_its_description() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ben = server.sign_in(BEN).await;
        let members = format!("/members/{BEN_ID}");
        server
            .as_admin(
                &admin,
                &members,
                json!({ "timesheet_access": "timer_only" }),
            )
            .await;
        server
            .as_admin(
                &admin,
                "/time/settings",
                json!({ "require_description": true }),
            )
            .await;
        let timer = Uuid::now_v7();
        server
            .push(&ben, json!([start(1, &timer, BENS_TASK, 0)]))
            .await;

        // T11: stopped by someone else, it cannot be submitted without a description: a
        // draft flagged for its author, and the task is not completed (T5).
        let (status, entry) = server.control(&admin, &timer, "stop").await;
        assert_eq!(status, StatusCode::OK, "{entry}");
        assert_eq!(
            (&entry["status"], &entry["flag"]),
            (&json!("draft"), &json!("needs_description"))
        );
        let pulled = server.pull(&ben, None).await;
        let task = pulled["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|task| task["id"] == BENS_TASK)
            .unwrap();
        assert_ne!(task["status"], "completed");

        // Described and submitted by its author: the flag is gone.
        let review = json!({ "seq": 2, "name": "review_entry", "args": {
            "entry_id": entry["id"], "duration_secs": entry["duration_secs"],
            "description": "Checked the redirect", "billable": false, "submit": true,
            "at": at(300) } });
        let (_, body) = server.push(&ben, json!([review])).await;
        assert_eq!(outcomes(&body), ["applied"], "{body}");
        let pulled = server.pull(&ben, None).await;
        let reviewed = pulled["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == entry["id"])
            .unwrap();
        assert_eq!(
            (&reviewed["status"], reviewed.get("flag")),
            (&json!("submitted"), None)
        );
    })
    .await;
}

#[tokio::test]
async fn a_runaway_is_a_timer_that_counted_the_limit_and_a_pause_is_none() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ben = server.sign_in(BEN).await;
        server
            .as_admin(&admin, "/time/settings", json!({ "runaway_auto_stop": true, "runaway_timer_hours": 12 }))
            .await;
        let events = stint_server::events::Events::start(server.storage.clone(), std::time::Duration::from_secs(25));
        let sweep = |at: chrono::DateTime<Utc>| {
            let (storage, events) = (server.storage.clone(), events.clone());
            async move { control::stop_runaways(&*storage, &events, at).await.unwrap() }
        };
        // Started days ago, paused after an hour: no runaway, however long ago it started.
        let timer = Uuid::now_v7();
        let pause = json!({ "seq": 2, "name": "pause_timer", "args": { "timer_id": timer, "at": at(60) } });
        let (_, body) = server.push(&ben, json!([start(1, &timer, BENS_TASK, 0), pause])).await;
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        assert_eq!(sweep(Utc::now()).await, 0);

        // Resumed: it reaches 12 hours counted 11 hours on, and is stopped at that instant.
        let resumed = Utc::now();
        let resume = json!({ "seq": 3, "name": "resume_timer", "args": { "timer_id": timer, "at": resumed.to_rfc3339() } });
        let (_, body) = server.push(&ben, json!([resume])).await;
        assert_eq!(outcomes(&body), ["applied"], "{body}");
        assert_eq!(sweep(resumed + Duration::hours(10)).await, 0);
        assert_eq!(sweep(resumed + Duration::hours(12)).await, 1);
        let pulled = server.pull(&ben, None).await;
        let entry = pulled["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["timer_id"] == json!(timer))
            .unwrap()
            .clone();
        assert_eq!(
            (&entry["duration_secs"], &entry["flag"], &entry["status"]),
            (&json!(12 * 3600), &json!("runaway"), &json!("draft"))
        );
        assert_eq!(
            pulled["timer_stop"]["by"],
            "it reached this workspace's 12-hour limit; check its hours"
        );
    })
    .await;
}

#[tokio::test]
async fn start_work_un_assigns_everyone_else_when_the_workspace_says_so() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;
        let ben = server.sign_in(BEN).await;
        let names = |pulled: &Value| -> (Vec<String>, usize) {
            let task = pulled["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|task| task["id"] == SHARED_TASK)
                .unwrap();
            let mut names: Vec<String> = task["assignees"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["name"].as_str().unwrap().to_string())
                .collect();
            names.sort();
            (names, task["teams"].as_array().unwrap().len())
        };
        // Off (the default): Start Work only adds.
        server
            .push(&ana, json!([start(1, &Uuid::now_v7(), SHARED_TASK, 0)]))
            .await;
        let before = names(&server.pull(&ana, None).await);
        assert_eq!(before.0, ["Ana Alvarez", "Ben Baker"]);

        let (status, team) = server.make_team(&admin, "Support", BEN_ID, "public").await;
        assert_eq!(status, StatusCode::CREATED, "{team}");
        let url = server.url(&admin, &format!("/tasks/{SHARED_TASK}/assignees"));
        let assignees = json!({ "user_ids": [ANA_ID, BEN_ID], "team_ids": [team["id"]] });
        let (status, body) = answer(
            server
                .http
                .put(url)
                .bearer_auth(&admin.token)
                .json(&assignees),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        server
            .as_admin(
                &admin,
                "/time/settings",
                json!({ "unassign_others_on_start": true }),
            )
            .await;
        server
            .push(&ben, json!([start(1, &Uuid::now_v7(), SHARED_TASK, 10)]))
            .await;
        assert_eq!(
            names(&server.pull(&ana, None).await),
            (vec!["Ben Baker".to_string()], 0)
        );
    })
    .await;
}

#[tokio::test]
async fn a_start_on_another_device_stops_the_running_timer_into_a_draft() {
    on_each_backend(|server| async move {
        let laptop = server.sign_in(ANA).await;
        let phone = server.sign_in(ANA).await;
        assert_ne!(laptop.device, phone.device);
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let (_, body) = server
            .push(&laptop, json!([start(1, &first, SHARED_TASK, 0)]))
            .await;
        assert_eq!(outcomes(&body), ["applied"]);
        let (_, body) = server
            .push(&phone, json!([start(1, &second, BENS_TASK, 30)]))
            .await;
        assert_eq!(outcomes(&body), ["applied"]);

        let pulled = server.pull(&laptop, None).await;
        assert_eq!(pulled["timer"]["id"], second.to_string());
        let entries = pulled["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["timer_id"], first.to_string());
        assert_eq!(entries[0]["duration_secs"], 30 * 60);
        assert_eq!(entries[0]["status"], "draft");

        // The laptop's own stop of the first timer arrives late: reconciled into the server's
        // entry (which the answer carries), nothing duplicated.
        let (_, body) = server
            .push(&laptop, json!([stop(2, &first, &Uuid::now_v7(), 40)]))
            .await;
        assert_eq!(outcomes(&body), ["reconciled"]);
        assert_eq!(body["results"][0]["reason"]["code"], "timer_stopped");
        assert_eq!(
            body["results"][0]["reason"]["details"]["server_entry"]["id"],
            entries[0]["id"]
        );
        assert_eq!(
            server.pull(&laptop, None).await["entries"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // A client-made id already used by someone else is refused.
        let ben = server.sign_in(BEN).await;
        let (_, body) = server
            .push(&ben, json!([start(1, &second, BENS_TASK, 50)]))
            .await;
        assert_eq!(body["results"][0]["reason"]["code"], "id_conflict");
    })
    .await;
}

/// T1 races: two devices of one user start a timer at the same moment, round after round, while
/// the last round's timer still runs; the server takes the two requests in whatever order they
/// come. One timer runs — the one started later, whichever arrived first — the other's time is
/// one draft that ends where the later one began, and the timer that ran before ends where the
/// earlier one began: nothing overlaps, no minute is counted twice, nothing is lost.
#[tokio::test]
async fn two_devices_starting_at_once_leave_one_timer_and_one_entry() {
    on_each_backend(|server| async move {
        let laptop = server.sign_in(ANA).await;
        let phone = server.sign_in(ANA).await;
        let (mut laptop_seq, mut phone_seq) = (0, 0);
        let mut running_before: Option<Uuid> = None;
        const ROUNDS: i64 = 12;
        for round in 0..ROUNDS {
            let (on_laptop, on_phone) = (Uuid::now_v7(), Uuid::now_v7());
            // Which device started a minute later changes each round.
            let laptop_later = round % 2 == 1;
            let minute = round * 10;
            let (laptop_at, phone_at) = if laptop_later {
                (minute + 1, minute)
            } else {
                (minute, minute + 1)
            };
            laptop_seq += 1;
            phone_seq += 1;
            let laptop_start = json!([start(laptop_seq, &on_laptop, SHARED_TASK, laptop_at)]);
            let phone_start = json!([start(phone_seq, &on_phone, BENS_TASK, phone_at)]);
            let ((_, from_laptop), (_, from_phone)) = tokio::join!(
                server.push(&laptop, laptop_start),
                server.push(&phone, phone_start)
            );
            assert_eq!(
                outcomes(&from_laptop),
                ["applied"],
                "round {round}: {from_laptop}"
            );
            assert_eq!(
                outcomes(&from_phone),
                ["applied"],
                "round {round}: {from_phone}"
            );

            let (later, earlier) = if laptop_later {
                (on_laptop, on_phone)
            } else {
                (on_phone, on_laptop)
            };
            let pulled = server.pull(&laptop, None).await;
            assert_eq!(pulled["timer"]["id"], later.to_string(), "round {round}");
            let entry = entry_of_timer(&pulled, &earlier);
            assert_eq!(entry["duration_secs"], 60, "round {round}: {entry}");
            assert_eq!(entry["status"], "draft", "round {round}");
            // The last round's timer, started a minute after that round's first start, ran until
            // this round's first start.
            if let Some(before) = running_before {
                let entry = entry_of_timer(&pulled, &before);
                assert_eq!(entry["duration_secs"], 9 * 60, "round {round}: {entry}");
            }
            running_before = Some(later);
        }

        let pulled = server.pull(&phone, None).await;
        assert_eq!(pulled["timer"]["id"], running_before.unwrap().to_string());
        let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = pulled["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let instant = |key: &str| e[key].as_str().unwrap().parse().unwrap();
                (instant("started_at"), instant("ended_at"))
            })
            .collect();
        assert_eq!(spans.len(), 2 * ROUNDS as usize - 1);
        spans.sort();
        for pair in spans.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "overlapping entries: {pair:?}");
        }
    })
    .await;
}
