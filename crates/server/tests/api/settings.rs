//! A workspace's time settings (S): the spec's defaults until changed, changed only with
//! `time:settings`, every value held to its range, and carried to devices by the pull.

use super::*;

const ADMIN: &str = "admin@demo.stint.test";
/// "Write the FAQ on CSV exports", open in the demo.
const FAQ_TASK: &str = "01900000-0000-7000-8000-000000000305";

/// The item of `pulled[list]` whose `key` is `value`.
fn item(pulled: &Value, list: &str, key: &str, value: &str) -> Value {
    pulled[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|it| it[key] == value)
        .cloned()
        .unwrap_or_else(|| panic!("no {list} with {key} {value}"))
}

impl TestServer {
    async fn time_settings(&self, who: &SignedIn) -> Value {
        let url = self.url(who, "/time/settings");
        let (status, body) = answer(self.http.get(url).bearer_auth(&who.token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn change_time_settings(&self, who: &SignedIn, change: Value) -> (StatusCode, Value) {
        let url = self.url(who, "/time/settings");
        answer(self.http.patch(url).bearer_auth(&who.token).json(&change)).await
    }
}

#[tokio::test]
async fn time_settings_start_as_the_spec_says_and_only_admins_change_them() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let admin = server.sign_in(ADMIN).await;

        let defaults = json!({
            "week_start_day": 1, "rounding_minutes": 0, "rounding_strategy": "nearest",
            "default_billable": false, "require_description": false,
            "allow_future_entries": false, "default_hourly_rate_cents": 0,
            "default_currency": "USD", "default_weekly_hours": 40.0, "runaway_timer_hours": 12,
            "runaway_auto_stop": false, "idle_minutes": 10, "pomodoro_focus_minutes": 25,
            "pomodoro_break_minutes": 5, "pomodoro_long_break_minutes": 15,
            "automatic_entry_status": "submitted", "unassign_others_on_start": false,
            "allow_review_before_submit": true
        });
        assert_eq!(server.time_settings(&ana).await, defaults);

        // A member without `time:settings` changes nothing.
        let (status, body) = server
            .change_time_settings(&ana, json!({ "idle_minutes": 5 }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["details"]["permission"], "time:settings");

        // An admin changes what they name; the rest stays.
        let (status, changed) = server
            .change_time_settings(
                &admin,
                json!({ "rounding_minutes": 15, "rounding_strategy": "up", "idle_minutes": 5,
                        "auto_submit_day": 5, "default_weekly_hours": 37.5,
                        "onboarding_dismissed": true }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        let mut expected = defaults.clone();
        for (key, value) in [
            ("rounding_minutes", json!(15)),
            ("rounding_strategy", json!("up")),
            ("idle_minutes", json!(5)),
            ("auto_submit_day", json!(5)),
            ("default_weekly_hours", json!(37.5)),
        ] {
            expected[key] = value;
        }
        let dismissed = changed["onboarding_dismissed_at"].clone();
        assert!(dismissed.is_string(), "{changed}");
        expected["onboarding_dismissed_at"] = dismissed;
        assert_eq!(changed, expected);
        assert_eq!(server.time_settings(&ana).await, expected);

        // `null` unsets what may be unset; dismissing again keeps the first instant.
        let (status, changed) = server
            .change_time_settings(
                &admin,
                json!({ "auto_submit_day": null, "onboarding_dismissed": true }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        expected.as_object_mut().unwrap().remove("auto_submit_day");
        assert_eq!(changed, expected);

        // Out of range: 422 naming the field, and nothing changes (the valid field beside it
        // included).
        for (change, field) in [
            (json!({ "week_start_day": 7 }), "week_start_day"),
            (json!({ "rounding_minutes": 7 }), "rounding_minutes"),
            (json!({ "runaway_timer_hours": -2 }), "runaway_timer_hours"),
            (
                json!({ "default_weekly_hours": -40 }),
                "default_weekly_hours",
            ),
            (
                json!({ "idle_minutes": 0, "default_billable": true }),
                "idle_minutes",
            ),
            (json!({ "default_currency": "euro" }), "default_currency"),
            (
                json!({ "automatic_entry_status": "draft" }),
                "automatic_entry_status",
            ),
            (json!({ "auto_submit_day": 9 }), "auto_submit_day"),
        ] {
            let (status, body) = server.change_time_settings(&admin, change.clone()).await;
            assert_eq!(
                (
                    status,
                    body["code"].as_str(),
                    body["details"]["field"].as_str()
                ),
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("invalid_setting"),
                    Some(field)
                ),
                "{change}: {body}"
            );
        }
        let (status, body) = server
            .change_time_settings(&admin, json!({ "idle_minutes": "ten" }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(server.time_settings(&ana).await, expected);

        // Devices get them with the last page of a pull.
        let pulled = server.pull(&ana, None).await;
        assert_eq!(pulled["time_settings"], expected);
    })
    .await;
}

#[tokio::test]
async fn a_stopped_timer_is_rounded_once_and_keeps_its_counted_time() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ben = server.sign_in(BEN).await;
        let (status, body) = server
            .change_time_settings(
                &admin,
                json!({ "rounding_minutes": 15, "rounding_strategy": "up" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let timers: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let entries: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let record = |seq: i64, entry: &Uuid, duration: i64, raw: i64| {
            json!({ "seq": seq, "name": "record_entry", "args": {
                "entry_id": entry, "task_id": BENS_TASK, "started_at": at(100),
                "ended_at": at(110), "duration_secs": duration, "raw_duration_secs": raw,
                "description": "" } })
        };
        let (status, body) = server
            .push(
                &ben,
                json!([
                    // 7 minutes: up to 15.
                    start(1, &timers[0], BENS_TASK, 0),
                    stop(2, &timers[0], &entries[0], 7),
                    // 30 minutes, stopped by the next start (T1): a multiple stays as it is.
                    start(3, &timers[1], BENS_TASK, 20),
                    start(4, &timers[2], BENS_TASK, 50),
                    // 3 minutes: up to 15.
                    stop(5, &timers[2], &entries[1], 53),
                    // An entry re-sent by a device keeps its own hours, reviewed or rounded,
                    // within a day.
                    record(6, &entries[2], 900, 420),
                    record(7, &entries[3], 25 * 3600, 420),
                ]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            outcomes(&body),
            ["applied", "applied", "applied", "applied", "applied", "applied", "rejected"]
        );
        assert_eq!(body["results"][6]["reason"]["code"], "invalid_transition");

        let pulled = server.pull(&ben, None).await;
        let durations = |entry: &Uuid| {
            let entry = item(&pulled, "entries", "id", &entry.to_string());
            (
                entry["duration_secs"].clone(),
                entry["raw_duration_secs"].clone(),
            )
        };
        assert_eq!(durations(&entries[0]), (json!(900), json!(420)));
        assert_eq!(durations(&entries[1]), (json!(900), json!(180)));
        assert_eq!(durations(&entries[2]), (json!(900), json!(420)));
        let switched = item(&pulled, "entries", "timer_id", &timers[1].to_string());
        assert_eq!(
            (&switched["duration_secs"], &switched["raw_duration_secs"]),
            (&json!(1800), &json!(1800))
        );

        // Rounding off: counted time as it is.
        server
            .change_time_settings(&admin, json!({ "rounding_minutes": 0 }))
            .await;
        let (_, body) = server
            .push(
                &ben,
                json!([
                    start(8, &timers[3], BENS_TASK, 200),
                    stop(9, &timers[3], &entries[3], 202)
                ]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        let pulled = server.pull(&ben, None).await;
        let entry = item(&pulled, "entries", "id", &entries[3].to_string());
        assert_eq!(
            (&entry["duration_secs"], &entry["raw_duration_secs"]),
            (&json!(120), &json!(120))
        );
    })
    .await;
}

#[tokio::test]
async fn a_review_changes_a_draft_once_and_submitted_entries_are_locked() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ben = server.sign_in(BEN).await;
        server
            .change_time_settings(
                &admin,
                json!({ "require_description": true, "default_billable": true }),
            )
            .await;
        let (timers, entries): (Vec<Uuid>, Vec<Uuid>) =
            (0..3).map(|_| (Uuid::now_v7(), Uuid::now_v7())).unzip();
        let review = |seq: i64, entry: &Uuid, secs: i64, text: &str, submit: bool| {
            json!({ "seq": seq, "name": "review_entry", "args": {
                "entry_id": entry, "duration_secs": secs, "description": text,
                "billable": false, "submit": submit, "at": at(300) } })
        };
        let discard = |seq: i64, entry: &Uuid| {
            json!({ "seq": seq, "name": "discard_entry", "args": {
                "entry_id": entry, "at": at(300) } })
        };
        let (status, body) = server
            .push(
                &ben,
                json!([
                    start(1, &timers[0], BENS_TASK, 0),
                    stop(2, &timers[0], &entries[0], 30),
                    // Submitting needs a description here; a draft does not.
                    review(3, &entries[0], 2400, "  ", true),
                    review(4, &entries[0], 2400, "", false),
                    review(5, &entries[0], 25 * 3600, "Too long", false),
                    review(6, &entries[0], 1500, "Fixed the redirect", true),
                    // Submitted: locked for its author.
                    review(7, &entries[0], 60, "Changed my mind", false),
                    discard(8, &entries[0]),
                    // Made and thrown away in one push: never written.
                    start(9, &timers[1], BENS_TASK, 40),
                    stop(10, &timers[1], &entries[1], 50),
                    discard(11, &entries[1]),
                    review(12, &Uuid::now_v7(), 60, "", false),
                ]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let codes: Vec<&str> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["reason"]["code"]
                    .as_str()
                    .unwrap_or(r["outcome"].as_str().unwrap())
            })
            .collect();
        assert_eq!(
            codes,
            [
                "applied",
                "applied",
                "description_required",
                "applied",
                "invalid_entry",
                "applied",
                "entry_locked",
                "entry_locked",
                "applied",
                "applied",
                "applied",
                "unknown_entry"
            ]
        );

        let pulled = server.pull(&ben, None).await;
        let mine: Vec<&Value> = pulled["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| entries.contains(&e["id"].as_str().unwrap().parse().unwrap()))
            .collect();
        assert_eq!(mine.len(), 1, "{mine:?}");
        let reviewed = mine[0];
        assert_eq!(reviewed["status"], "submitted");
        assert_eq!(reviewed["description"], "Fixed the redirect");
        assert_eq!(reviewed["billable"], false);
        assert_eq!(
            (&reviewed["duration_secs"], &reviewed["raw_duration_secs"]),
            (&json!(1500), &json!(1800))
        );

        // Its feed: made; the draft's hours and billable; the submission's hours and status.
        let url = server.url(&ben, &format!("/entries/{}/activity", entries[0]));
        let (status, feed) = answer(server.http.get(url).bearer_auth(&ben.token)).await;
        assert_eq!(status, StatusCode::OK, "{feed}");
        let mut kinds: Vec<&str> = feed
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap())
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                "billable_toggled",
                "created",
                "hours_edited",
                "hours_edited",
                "status_changed"
            ]
        );

        // A draft already on the server is thrown away; devices hear of it.
        let (_, body) = server
            .push(
                &ben,
                json!([
                    start(13, &timers[2], BENS_TASK, 60),
                    stop(14, &timers[2], &entries[2], 70)
                ]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        let before = server.pull(&ben, None).await;
        let cursor = before["cursor"].as_str().unwrap().to_string();
        let (_, body) = server.push(&ben, json!([discard(15, &entries[2])])).await;
        assert_eq!(outcomes(&body), ["applied"]);
        let after = server.pull(&ben, Some(&cursor)).await;
        assert_eq!(
            after["removed"],
            json!([{ "entity": "entry", "id": entries[2] }])
        );
    })
    .await;
}

#[tokio::test]
async fn timer_access_only_stops_submit_and_complete_and_allow_a_description_alone() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ben = server.sign_in(BEN).await;
        let url = server.url(&admin, "/members/01900000-0000-7000-8000-000000000103");
        let timer_only = json!({ "timesheet_access": "timer_only" });
        let (status, body) = answer(
            server
                .http
                .patch(url)
                .bearer_auth(&admin.token)
                .json(&timer_only),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let (timers, entries): (Vec<Uuid>, Vec<Uuid>) =
            (0..5).map(|_| (Uuid::now_v7(), Uuid::now_v7())).unzip();
        let review = |seq: i64, entry: &Uuid, secs: i64, text: &str| {
            json!({ "seq": seq, "name": "review_entry", "args": {
                "entry_id": entry, "duration_secs": secs, "description": text,
                "billable": false, "submit": true, "at": at(300) } })
        };
        let (_, body) = server
            .push(
                &ben,
                json!([
                    // A switch (T1) submits the entry and leaves the task alone.
                    start(1, &timers[0], SHARED_TASK, 0),
                    start(2, &timers[1], BENS_TASK, 10),
                    // Their own Stop submits and completes the task.
                    stop(3, &timers[1], &entries[1], 30),
                    // Submitted: no review changes it.
                    review(4, &entries[1], 3600, ""),
                ]),
            )
            .await;
        // Refused, the server keeps its entry and hands it back for the device to take.
        assert_eq!(
            outcomes(&body),
            ["applied", "applied", "applied", "reconciled"]
        );
        assert_eq!(body["results"][3]["reason"]["code"], "entry_locked");
        assert_eq!(
            body["results"][3]["reason"]["details"]["server_entry"]["status"],
            "submitted"
        );

        let pulled = server.pull(&ben, None).await;
        let entry_of = |timer: &Uuid| item(&pulled, "entries", "timer_id", &timer.to_string());
        assert_eq!(entry_of(&timers[0])["status"], "submitted");
        assert_eq!(entry_of(&timers[1])["status"], "submitted");
        let task = |id: &str| item(&pulled, "tasks", "id", id);
        assert_eq!(
            (
                &task(BENS_TASK)["status"],
                &task(BENS_TASK)["percent_complete"]
            ),
            (&json!("completed"), &json!(100))
        );
        assert_ne!(task(SHARED_TASK)["status"], "completed");

        // A description required: the stop waits as a draft until they add one, and then gets
        // the workspace's automatic status.
        server
            .change_time_settings(
                &admin,
                json!({ "require_description": true, "automatic_entry_status": "approved" }),
            )
            .await;
        let (_, body) = server
            .push(
                &ben,
                json!([
                    start(5, &timers[2], SHARED_TASK, 100),
                    stop(6, &timers[2], &entries[2], 130),
                ]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        let pulled = server.pull(&ben, None).await;
        let draft = item(&pulled, "entries", "id", &entries[2].to_string());
        assert_eq!(draft["status"], "draft");
        let secs = draft["duration_secs"].as_i64().unwrap();
        let (_, body) = server
            .push(
                &ben,
                json!([
                    // They cannot change the hours, even bypassing the window.
                    review(7, &entries[2], secs + 60, "Triaged"),
                    review(8, &entries[2], secs, "Triaged")
                ]),
            )
            .await;
        assert_eq!(outcomes(&body), ["reconciled", "applied"]);
        assert_eq!(body["results"][0]["reason"]["code"], "forbidden");
        let pulled = server.pull(&ben, None).await;
        let done = item(&pulled, "entries", "id", &entries[2].to_string());
        assert_eq!(
            (&done["status"], &done["description"]),
            (&json!("approved"), &json!("Triaged"))
        );

        // A device that switched tasks says so on its stop: no task is completed by it. The
        // entry waits for its description as a draft, which they may not throw away.
        let switched = json!({ "seq": 10, "name": "stop_timer", "args": {
            "timer_id": timers[3], "entry_id": entries[3], "at": at(210), "switch": true } });
        let discard = json!({ "seq": 11, "name": "discard_entry",
            "args": { "entry_id": entries[3], "at": at(300) } });
        let (_, body) = server
            .push(
                &ben,
                json!([start(9, &timers[3], FAQ_TASK, 200), switched, discard]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied", "reconciled"]);
        assert_eq!(body["results"][2]["reason"]["code"], "forbidden");
        let pulled = server.pull(&ben, None).await;
        let kept = item(&pulled, "entries", "id", &entries[3].to_string());
        assert_eq!(kept["status"], "draft");
        // Started (T2), not completed.
        assert_eq!(
            item(&pulled, "tasks", "id", FAQ_TASK)["status"],
            "in_progress"
        );

        // Their answer to the idle prompt (T9) ends the timer where they went away: a stop they
        // did not make, so it completes nothing either, and waits for its description.
        let idle = json!({ "seq": 13, "name": "stop_timer", "args": {
            "timer_id": timers[4], "entry_id": entries[4], "at": at(400), "idle": true } });
        let (_, body) = server
            .push(&ben, json!([start(12, &timers[4], FAQ_TASK, 350), idle]))
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        let pulled = server.pull(&ben, None).await;
        let away = item(&pulled, "entries", "id", &entries[4].to_string());
        assert_eq!(
            (&away["status"], &away["flag"], &away["duration_secs"]),
            (&json!("draft"), &json!("needs_description"), &json!(3000))
        );
        assert_eq!(
            item(&pulled, "tasks", "id", FAQ_TASK)["status"],
            "in_progress"
        );
    })
    .await;
}

#[tokio::test]
async fn a_review_leaves_the_entrys_task_at_its_status_and_percent_for_those_who_review() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ben = server.sign_in(BEN).await;
        let (timer, entry) = (Uuid::now_v7(), Uuid::now_v7());
        let review = |seq: i64, task: &str, status: &str, percent: u8| {
            json!({ "seq": seq, "name": "review_entry", "args": {
                "entry_id": entry, "duration_secs": 1800, "description": "Redirect fixed",
                "billable": false, "submit": false, "at": at(300),
                "task": { "task_id": task, "status": status, "percent_complete": percent } } })
        };
        let (_, body) = server
            .push(
                &ben,
                json!([
                    start(1, &timer, BENS_TASK, 0),
                    stop(2, &timer, &entry, 30),
                    // Another task than the entry's, or over 100 %: refused.
                    review(3, SHARED_TASK, "completed", 100),
                    review(4, BENS_TASK, "completed", 101),
                    review(5, BENS_TASK, "in_progress", 60),
                    // The same again changes nothing more.
                    review(6, BENS_TASK, "in_progress", 60),
                ]),
            )
            .await;
        let codes: Vec<&str> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["reason"]["code"]
                    .as_str()
                    .unwrap_or(r["outcome"].as_str().unwrap())
            })
            .collect();
        assert_eq!(
            codes,
            [
                "applied",
                "applied",
                "invalid_entry",
                "invalid_entry",
                "applied",
                "applied"
            ],
            "{body}"
        );
        let task = item(&server.pull(&ben, None).await, "tasks", "id", BENS_TASK);
        assert_eq!(
            (&task["status"], &task["percent_complete"]),
            (&json!("in_progress"), &json!(60))
        );

        // Submitted, the review is settled: its task is not changed through it, not even by the
        // same values sent again with another task status.
        let submit = |seq: i64, status: &str, percent: u8| {
            json!({ "seq": seq, "name": "review_entry", "args": {
                "entry_id": entry, "duration_secs": 1800, "description": "Redirect fixed",
                "billable": false, "submit": true, "at": at(300),
                "task": { "task_id": BENS_TASK, "status": status, "percent_complete": percent } } })
        };
        let (_, body) = server
            .push(
                &ben,
                json!([submit(7, "in_progress", 70), submit(8, "completed", 100)]),
            )
            .await;
        assert_eq!(outcomes(&body)[0], "applied", "{body}");
        let task = item(&server.pull(&ben, None).await, "tasks", "id", BENS_TASK);
        assert_eq!(
            (&task["status"], &task["percent_complete"]),
            (&json!("in_progress"), &json!(70))
        );

        // *Timer access only* (T5): the task is read-only; the review is reconciled.
        let url = server.url(&admin, "/members/01900000-0000-7000-8000-000000000103");
        let timer_only = json!({ "timesheet_access": "timer_only" });
        let request = server
            .http
            .patch(url)
            .bearer_auth(&admin.token)
            .json(&timer_only);
        assert_eq!(answer(request).await.0, StatusCode::OK);
        let (_, body) = server
            .push(&ben, json!([review(9, BENS_TASK, "completed", 100)]))
            .await;
        assert_eq!(outcomes(&body), ["reconciled"], "{body}");
        let task = item(&server.pull(&ben, None).await, "tasks", "id", BENS_TASK);
        assert_eq!(task["percent_complete"], 70);
    })
    .await;
}

#[tokio::test]
async fn admins_edit_submitted_entries_and_the_feed_says_so() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;
        let ben = server.sign_in(BEN).await;
        let (timers, entries): (Vec<Uuid>, Vec<Uuid>) =
            (0..2).map(|_| (Uuid::now_v7(), Uuid::now_v7())).unzip();
        let submit = json!({ "seq": 5, "name": "review_entry", "args": {
            "entry_id": entries[0], "duration_secs": 1800, "description": "Redirects",
            "billable": false, "submit": true, "at": at(300) } });
        let (_, body) = server
            .push(
                &ben,
                json!([
                    start(1, &timers[0], BENS_TASK, 0),
                    stop(2, &timers[0], &entries[0], 30),
                    start(3, &timers[1], BENS_TASK, 40),
                    stop(4, &timers[1], &entries[1], 50),
                    submit
                ]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied"; 5], "{body}");
        let edit = |who: &SignedIn, entry: &Uuid, change: Value| {
            let url = server.url(who, &format!("/entries/{entry}"));
            answer(server.http.patch(url).bearer_auth(&who.token).json(&change))
        };

        // Members do not edit others' entries; hours stay within a day.
        let (status, _) = edit(&ana, &entries[0], json!({ "duration_secs": 60 })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = edit(&admin, &entries[0], json!({ "duration_secs": 90_000 })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        // A draft is its author's to review.
        let (status, body) = edit(&admin, &entries[1], json!({ "duration_secs": 60 })).await;
        assert_eq!(
            (status, &body["code"]),
            (StatusCode::CONFLICT, &json!("entry_locked"))
        );
        let (status, _) = edit(&admin, &Uuid::now_v7(), json!({ "billable": true })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, edited) = edit(
            &admin,
            &entries[0],
            json!({ "duration_secs": 3600, "billable": true }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(
            (
                &edited["duration_secs"],
                &edited["billable"],
                &edited["status"]
            ),
            (&json!(3600), &json!(true), &json!("submitted"))
        );
        // The same again records nothing more.
        let (status, _) = edit(&admin, &entries[0], json!({ "duration_secs": 3600 })).await;
        assert_eq!(status, StatusCode::OK);

        // The feed names the admin for each change; Ben's devices get the entry as edited.
        let url = server.url(&ben, &format!("/entries/{}/activity", entries[0]));
        let (_, activity) = answer(server.http.get(url).bearer_auth(&ben.token)).await;
        let by_admin: Vec<&str> = activity
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["actor"]["name"] == "Ada Admin")
            .map(|a| a["kind"].as_str().unwrap())
            .collect();
        assert_eq!(by_admin, ["hours_edited", "billable_toggled"], "{activity}");
        let pulled = server.pull(&ben, None).await;
        let mine = item(&pulled, "entries", "id", &entries[0].to_string());
        assert_eq!(
            (&mine["duration_secs"], &mine["billable"]),
            (&json!(3600), &json!(true))
        );
    })
    .await;
}
