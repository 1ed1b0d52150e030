//! Sync push and pull over HTTP, on both backends: sequences, fingerprints, the timer rules in
//! time order, refusals recorded, paged and snapshot pulls.

use super::*;

#[tokio::test]
async fn push_is_idempotent_and_pull_returns_each_entry_once() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let (timer, entry) = (Uuid::now_v7(), Uuid::now_v7());
        let batch = json!([start(1, &timer, BENS_TASK, 0), stop(2, &timer, &entry, 45)]);
        let (status, body) = server.push(&ana, batch.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        assert_eq!(body["last_applied_seq"], 2);

        // A retry (the answer was lost) changes nothing.
        let (_, body) = server.push(&ana, batch).await;
        assert_eq!(outcomes(&body), ["skipped", "skipped"]);

        let pulled = server.pull(&ana, None).await;
        let entries = pulled["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["id"], entry.to_string());
        assert_eq!(entries[0]["duration_secs"], 45 * 60);
        assert_eq!(entries[0]["status"], "draft");
        assert_eq!(entries[0]["source"], "timer");
        assert!(pulled["timer"].is_null());
        assert_eq!(pulled["last_applied_seq"], 2);

        // T2: starting work assigned Ana and moved the open task to in progress.
        let task = pulled["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == BENS_TASK)
            .unwrap();
        assert_eq!(task["status"], "in_progress");
        assert!(task["assignees"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "Ana Alvarez"));

        // Pulling from the returned cursor brings nothing new.
        let again = server.pull(&ana, pulled["cursor"].as_str()).await;
        assert!(again["entries"].as_array().unwrap().is_empty());
        assert!(again["tasks"].as_array().unwrap().is_empty());

        // Ben sees none of Ana's entries.
        let ben = server.sign_in(BEN).await;
        assert!(server.pull(&ben, None).await["entries"]
            .as_array()
            .unwrap()
            .is_empty());
    })
    .await;
}

/// On PostgreSQL, after the database dropped every connection (a restart, a failover), the
/// next push is applied: the pool checks a connection that sat idle over 100 ms before handing
/// it out, though not one used moments ago (a round trip saved on every transaction under
/// load; a connection dropped and taken again within those 100 ms fails its request once).
#[tokio::test]
async fn a_push_after_the_database_dropped_every_connection_is_applied() {
    on_each_backend(|server| async move {
        let Some(url) = &server.postgres_url else {
            return;
        };
        let ana = server.sign_in(ANA).await;
        let (timer, entry) = (Uuid::now_v7(), Uuid::now_v7());
        let (status, body) = server
            .push(&ana, json!([start(1, &timer, BENS_TASK, 0)]))
            .await;
        assert_eq!((status, outcomes(&body)), (StatusCode::OK, vec!["applied"]));

        let admin = sqlx::PgPool::connect(url).await.unwrap();
        let dropped: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND backend_type = 'client backend' \
               AND pid <> pg_backend_pid()",
        )
        .fetch_all(&admin)
        .await
        .unwrap();
        assert!(
            dropped.contains(&true),
            "the server's pool held connections"
        );
        admin.close().await;
        // A restart takes longer than this: every connection left from before is idle longer.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;

        let (status, body) = server
            .push(&ana, json!([stop(2, &timer, &entry, 30)]))
            .await;
        assert_eq!(
            (status, outcomes(&body)),
            (StatusCode::OK, vec!["applied"]),
            "{body}"
        );
    })
    .await;
}

#[tokio::test]
async fn refused_mutations_are_recorded_and_sync_goes_on() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let timer = Uuid::now_v7();
        let unknown_task = Uuid::now_v7().to_string();
        let refused = start(1, &Uuid::now_v7(), &unknown_task, 0);
        let batch = json!([
            refused.clone(),
            stop(2, &Uuid::now_v7(), &Uuid::now_v7(), 5),
            start(3, &timer, SHARED_TASK, 10),
            { "seq": 4, "name": "resume_timer", "args": { "timer_id": timer, "at": at(11) } },
        ]);
        let (status, body) = server.push(&ana, batch).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            outcomes(&body),
            ["rejected", "rejected", "applied", "rejected"]
        );
        let codes: Vec<_> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reason"]["code"].clone())
            .collect();
        assert_eq!(
            codes,
            [
                json!("unknown_task"),
                json!("unknown_timer"),
                Value::Null,
                json!("invalid_transition")
            ]
        );
        assert_eq!(body["last_applied_seq"], 4);
        let pulled = server.pull(&ana, None).await;
        assert_eq!(pulled["timer"]["id"], timer.to_string());
        assert_eq!(pulled["timer"]["state"], "running");

        // A gap halts the batch: nothing after it is applied, and the answer says where.
        let (status, body) = server
            .push(&ana, json!([stop(9, &timer, &Uuid::now_v7(), 20)]))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), Vec::<&str>::new());
        assert_eq!(body["halted"]["code"], "sequence_gap");
        assert_eq!(body["halted"]["details"]["expected"], 5);
        assert_eq!(body["last_applied_seq"], 4);

        // A retried rejection gets its reason back, not a bare "skipped".
        let (_, body) = server.push(&ana, json!([refused])).await;
        assert_eq!(outcomes(&body), ["rejected"]);
        assert_eq!(body["results"][0]["reason"]["code"], "unknown_task");

        // A protocol this server does not speak is refused with a clear error.
        let unknown = json!({ "protocol_version": 99, "stream_id": ana.stream, "mutations": [] });
        let (status, body) = server.push_raw(&ana, unknown).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "unsupported_protocol");
    })
    .await;
}

#[tokio::test]
async fn a_cursor_this_server_did_not_hand_out_starts_a_snapshot() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let foreign = format!("{}.5", Uuid::now_v7());
        for cursor in ["-1", "garbage", &foreign] {
            let url = format!(
                "{}/api/v1/workspaces/{}/sync/pull",
                server.base, ana.workspace
            );
            let query = [("cursor", cursor), ("protocol_version", "2")];
            let (status, body) =
                answer(server.http.get(url).query(&query).bearer_auth(&ana.token)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["snapshot"], true, "{cursor}");
            assert_eq!(body["tasks"].as_array().unwrap().len(), 7, "{cursor}");
        }
    })
    .await;
}

#[tokio::test]
async fn sequence_numbers_below_1_are_refused() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        for seq in [0, -5] {
            let batch = json!([
                start(1, &Uuid::now_v7(), SHARED_TASK, 0),
                start(seq, &Uuid::now_v7(), SHARED_TASK, 1)
            ]);
            let (status, body) = server.push(&ana, batch).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["code"], "invalid_request");
            assert_eq!(body["details"]["field"], "mutations[1].seq");
        }
        let pulled = server.pull(&ana, None).await;
        assert!(
            pulled["timer"].is_null(),
            "nothing of a refused batch is applied"
        );
        assert_eq!(pulled["last_applied_seq"], 0);
    })
    .await;
}

#[tokio::test]
async fn instants_outside_the_plausible_window_are_rejected() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let instant = |at: &str| {
            json!({ "name": "start_timer", "args": { "timer_id": Uuid::now_v7(), "task_id": SHARED_TASK, "at": at } })
        };
        let tomorrow_and_more = (Utc::now() + Duration::hours(25)).to_rfc3339();
        let mut batch = Vec::new();
        for (seq, at) in ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", &tomorrow_and_more]
            .into_iter()
            .enumerate()
        {
            let mut mutation = instant(at);
            mutation["seq"] = json!(seq + 1);
            batch.push(mutation);
        }
        let (status, body) = server.push(&ana, json!(batch)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["rejected", "rejected", "rejected"]);
        let codes: Vec<_> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reason"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            ["instant_out_of_range", "instant_out_of_range", "instant_in_future"]
        );
        // A few minutes ahead is a clock that jumped too (devices correct theirs).
        let soon = (Utc::now() + Duration::minutes(3)).to_rfc3339();
        let (_, body) = server.push(&ana, json!([{ "seq": 4, "name": "start_timer", "args": {
            "timer_id": Uuid::now_v7(), "task_id": SHARED_TASK, "at": soon } }])).await;
        assert_eq!(body["results"][0]["reason"]["code"], "instant_in_future");
        // Year 10000 (which would come back as "+10000-…", not RFC 3339) is refused the same way.
        let far = json!([{ "seq": 5, "name": "start_timer", "args": {
            "timer_id": Uuid::now_v7(), "task_id": SHARED_TASK, "at": "+10000-01-01T00:00:00Z" } }]);
        let (_, body) = server.push(&ana, far).await;
        assert_eq!(body["results"][0]["reason"]["code"], "instant_in_future");
        assert!(server.pull(&ana, None).await["timer"].is_null());
    })
    .await;
}

#[tokio::test]
async fn a_batch_with_a_gap_keeps_what_came_before_it() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let timer = Uuid::now_v7();
        let batch = json!([
            start(1, &timer, SHARED_TASK, 0),
            stop(3, &timer, &Uuid::now_v7(), 5)
        ]);
        let (status, body) = server.push(&ana, batch).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["applied"]);
        assert_eq!(body["halted"]["code"], "sequence_gap");
        assert_eq!(body["halted"]["details"]["expected"], 2);
        assert_eq!(body["last_applied_seq"], 1);
        let pulled = server.pull(&ana, None).await;
        assert_eq!(
            pulled["timer"]["id"],
            timer.to_string(),
            "the start before the gap"
        );
        assert_eq!(pulled["last_applied_seq"], 1);
    })
    .await;
}

#[tokio::test]
async fn a_batch_that_overtakes_the_one_before_it_waits_for_it() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        // A device keeps two batches on their way: here the second arrives well before the
        // first, and waits for it instead of being answered as a gap.
        let later = server.push(&ana, json!([start(3, &second, SHARED_TASK, 6)]));
        let earlier = async {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let batch = json!([
                start(1, &first, SHARED_TASK, 0),
                stop(2, &first, &Uuid::now_v7(), 5)
            ]);
            server.push(&ana, batch).await
        };
        let ((status, later), (_, earlier)) = tokio::join!(later, earlier);
        assert_eq!(status, StatusCode::OK, "{later}");
        assert_eq!(outcomes(&earlier), ["applied", "applied"]);
        assert_eq!(outcomes(&later), ["applied"], "{later}");
        assert_eq!(later["halted"], Value::Null);
        assert_eq!(later["last_applied_seq"], 3);
        let pulled = server.pull(&ana, None).await;
        assert_eq!(pulled["timer"]["id"], second.to_string());
        assert_eq!(pulled["entries"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn pushes_and_timers_have_caps_with_clear_errors() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        // Over 1,000 mutations in one push: refused whole, with the limit.
        let too_many: Vec<Value> = (1..=1001)
            .map(|seq| start(seq, &Uuid::now_v7(), SHARED_TASK, seq))
            .collect();
        let (status, body) = server.push(&ana, json!(too_many)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], "too_many_mutations");
        assert_eq!(body["details"]["limit"], 1000);

        // A timer takes at most 1,000 segments: the resume that would open the 1,001st is
        // rejected, the timer stays as it was and can still be stopped.
        let timer = Uuid::now_v7();
        let second = |n: i64| {
            (Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap() + Duration::seconds(n))
                .to_rfc3339()
        };
        let mut mutations = vec![json!({ "seq": 1, "name": "start_timer",
            "args": { "timer_id": timer, "task_id": SHARED_TASK, "at": second(0) } })];
        for n in 1..=1000 {
            let seq = mutations.len() as i64 + 1;
            mutations.push(json!({ "seq": seq, "name": "pause_timer",
                "args": { "timer_id": timer, "at": second(2 * n - 1) } }));
            mutations.push(json!({ "seq": seq + 1, "name": "resume_timer",
                "args": { "timer_id": timer, "at": second(2 * n) } }));
        }
        let mut rejections = Vec::new();
        for chunk in mutations.chunks(1000) {
            let (status, body) = server.push(&ana, json!(chunk)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            for result in body["results"].as_array().unwrap() {
                if result["outcome"] == "rejected" {
                    rejections.push((result["seq"].clone(), result["reason"]["code"].clone()));
                }
            }
        }
        assert_eq!(rejections, [(json!(2001), json!("too_many_segments"))]);
        let pulled = server.pull(&ana, None).await;
        assert_eq!(pulled["timer"]["segments"].as_array().unwrap().len(), 1000);
        assert_eq!(pulled["timer"]["state"], "paused");
        let stop_seq = mutations.len() as i64 + 1;
        let entry = Uuid::now_v7();
        let (_, body) = server
            .push(
                &ana,
                json!([{ "seq": stop_seq, "name": "stop_timer",
                "args": { "timer_id": timer, "entry_id": entry, "at": second(5000) } }]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied"]);
        let entries = server.pull(&ana, None).await["entries"].clone();
        let entry = entries
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == entry.to_string())
            .unwrap();
        // 1,000 running seconds: one per segment (the rejected resume left the timer paused).
        assert_eq!(entry["duration_secs"], 1000);
    })
    .await;
}

#[tokio::test]
async fn a_deleted_task_reaches_devices_as_a_tombstone() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let workspace: Uuid = ana.workspace.parse().unwrap();
        let admin = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0101);
        let scope = stint_server::policy::seeding(workspace, admin);
        let settings = scope
            .require::<stint_storage::may::ChangeSettings>()
            .unwrap();
        let project = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0201);
        let task = stint_storage::TaskFields {
            id: Uuid::now_v7(),
            project_id: project,
            title: "Short-lived".into(),
            status: stint_domain::TaskStatus::Open,
            percent_complete: 0,
        };
        let mut tx = server.storage.begin().await.unwrap();
        assert!(tx.insert_task(settings, &task).await.unwrap());
        tx.commit().await.unwrap();
        let before = server.pull(&ana, None).await;
        assert!(before["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == task.id.to_string()));
        let cursor = before["cursor"].as_str().unwrap().to_string();

        // A task with time on it cannot go: refused, and nothing about it changes.
        let (timer, entry) = (Uuid::now_v7(), Uuid::now_v7());
        let (_, body) = server
            .push(
                &ana,
                json!([start(1, &timer, SHARED_TASK, 0), stop(2, &timer, &entry, 5)]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        let shared: Uuid = SHARED_TASK.parse().unwrap();
        let mut tx = server.storage.begin().await.unwrap();
        assert!(matches!(
            tx.delete_task(settings, shared).await,
            Err(stint_storage::StorageError::Conflict { .. })
        ));
        drop(tx);

        let mut tx = server.storage.begin().await.unwrap();
        tx.delete_task(settings, task.id).await.unwrap();
        tx.commit().await.unwrap();
        let after = server.pull(&ana, Some(&cursor)).await;
        assert_eq!(
            after["removed"],
            json!([{ "entity": "task", "id": task.id.to_string() }])
        );
        let everything = server.pull(&ana, None).await;
        let tasks = everything["tasks"].as_array().unwrap();
        assert!(tasks.iter().all(|t| t["id"] != task.id.to_string()));
        let shared_task = tasks.iter().find(|t| t["id"] == SHARED_TASK).unwrap();
        assert_eq!(
            shared_task["assignees"].as_array().unwrap().len(),
            2,
            "assignees kept"
        );
    })
    .await;
}

#[tokio::test]
async fn sequence_numbers_start_at_one() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        for seq in [0, -5] {
            let (status, body) = server
                .push(&ana, json!([start(seq, &Uuid::now_v7(), SHARED_TASK, 0)]))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["code"], "invalid_request");
        }
        assert!(server.pull(&ana, None).await["timer"].is_null());
    })
    .await;
}

fn record_entry(seq: i64, entry: &Uuid, task: &str, from: i64, to: i64) -> Value {
    json!({ "seq": seq, "name": "record_entry", "args": {
        "entry_id": entry, "task_id": task, "started_at": at(from),
        "ended_at": at(to), "duration_secs": (to - from) * 60, "description": "" } })
}

#[tokio::test]
async fn the_same_number_with_other_content_is_a_divergence_not_a_retry() {
    on_each_backend(|server| async move {
        let mut ana = server.sign_in(ANA).await;
        let first = Uuid::now_v7();
        let (_, body) = server
            .push(&ana, json!([start(1, &first, SHARED_TASK, 0)]))
            .await;
        assert_eq!(outcomes(&body), ["applied"]);

        // A copy of the device numbers its next change 1 again, with other content: the batch
        // halts there; what came before it in the batch (none here) stays.
        let copied = Uuid::now_v7();
        let (status, body) = server
            .push(
                &ana,
                json!([
                    start(1, &copied, BENS_TASK, 5),
                    stop(2, &copied, &Uuid::now_v7(), 9)
                ]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["diverged"]);
        assert_eq!(body["halted"]["code"], "diverged");
        assert_eq!(body["last_applied_seq"], 1);
        assert_eq!(
            server.pull(&ana, None).await["timer"]["id"],
            first.to_string()
        );

        // On a new stream the same changes apply.
        ana.stream = Uuid::now_v7().to_string();
        let (_, body) = server
            .push(
                &ana,
                json!([
                    start(1, &copied, BENS_TASK, 5),
                    stop(2, &copied, &Uuid::now_v7(), 9)
                ]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        let pulled = server.pull(&ana, None).await;
        assert!(pulled["timer"].is_null());
        assert_eq!(pulled["entries"].as_array().unwrap().len(), 2);
        assert_eq!(pulled["last_applied_seq"], 2);
    })
    .await;
}

#[tokio::test]
async fn streams_and_fingerprints_are_checked() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let mut forged = v2(&start(1, &Uuid::now_v7(), SHARED_TASK, 0));
        forged["args"]["task_id"] = json!(BENS_TASK);
        let body = json!({ "protocol_version": PROTOCOL_VERSION, "stream_id": ana.stream, "mutations": [forged] });
        let (status, body) = server.push_raw(&ana, body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["rejected"], "a damaged change is not applied");
        assert_eq!(body["results"][0]["reason"]["code"], "fingerprint_mismatch");
        assert!(server.pull(&ana, None).await["timer"].is_null());

        // A fingerprint of the wrong shape, or a null where the schema has none, is a broken
        // client: the whole push is refused.
        let mut malformed = v2(&start(1, &Uuid::now_v7(), SHARED_TASK, 0));
        malformed["fingerprint"] = json!("");
        let mut null_timer = v2(&record_entry(1, &Uuid::now_v7(), SHARED_TASK, 0, 1));
        null_timer["args"]["timer_id"] = Value::Null;
        for (mutation, code) in [(malformed, "invalid_request"), (null_timer, "malformed_request")] {
            let body = json!({ "protocol_version": PROTOCOL_VERSION, "stream_id": ana.stream, "mutations": [mutation] });
            let (status, body) = server.push_raw(&ana, body).await;
            assert!(status.is_client_error(), "{status} {body}");
            assert_eq!(body["code"], code, "{body}");
        }

        // A batch that repeats a number answers the repeat like the first time.
        let timer = Uuid::now_v7();
        let (_, body) = server
            .push(&ana, json!([start(2, &timer, SHARED_TASK, 0), start(2, &timer, SHARED_TASK, 0)]))
            .await;
        assert_eq!(outcomes(&body), ["applied", "skipped"]);

        // A stream belongs to one device: another device (even of the same user) cannot use it.
        let mut phone = server.sign_in(ANA).await;
        phone.stream = ana.stream.clone();
        let (status, body) = server
            .push(&phone, json!([start(3, &Uuid::now_v7(), SHARED_TASK, 1)]))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "stream_taken");
        // A pull on someone else's stream learns nothing about it.
        assert_eq!(server.pull(&phone, None).await["last_applied_seq"], 0);
    })
    .await;
}

/// Ids are made by devices and unique across workspaces: one used in another workspace is
/// refused like one of another user's, though the other workspace's rows are out of sight (on
/// PostgreSQL, row level security hides them; see `stint_timer_ids_elsewhere`).
#[tokio::test]
async fn an_id_taken_in_another_workspace_is_refused() {
    on_each_backend(|server| async move {
        let (second, _) = demo::add_second_workspace(&*server.storage).await.unwrap();
        let ana = server.sign_in(ANA).await;
        let (timer, entry) = (Uuid::now_v7(), Uuid::now_v7());
        let batch = json!([
            start(1, &timer, SHARED_TASK, 0),
            stop(2, &timer, &entry, 30)
        ]);
        let (_, body) = server.push(&ana, batch).await;
        assert_eq!(outcomes(&body), ["applied", "applied"], "{body}");

        let elsewhere = SignedIn {
            workspace: second.to_string(),
            stream: Uuid::now_v7().to_string(),
            ..ana.clone()
        };
        assert_ne!(elsewhere.workspace, ana.workspace);
        let pulled = server.pull(&elsewhere, None).await;
        let task = pulled["tasks"][0]["id"].as_str().unwrap().to_string();
        let batch = json!([
            start(1, &timer, &task, 40),
            record_entry(2, &entry, &task, 50, 60),
            start(3, &Uuid::now_v7(), &task, 70),
        ]);
        let (status, body) = server.push(&elsewhere, batch).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["rejected", "rejected", "applied"]);
        for result in &body["results"].as_array().unwrap()[..2] {
            assert_eq!(result["reason"]["code"], "id_conflict", "{body}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_recorded_entry_is_kept_once_and_the_servers_version_wins() {
    on_each_backend(|server| async move {
        let mut ana = server.sign_in(ANA).await;
        let entry = Uuid::now_v7();
        let (_, body) = server
            .push(&ana, json!([record_entry(1, &entry, SHARED_TASK, 0, 30)]))
            .await;
        assert_eq!(outcomes(&body), ["applied"]);
        // Sent again on a new stream (after a restore): skipped.
        ana.stream = Uuid::now_v7().to_string();
        let (_, body) = server
            .push(&ana, json!([record_entry(1, &entry, SHARED_TASK, 0, 30)]))
            .await;
        assert_eq!(outcomes(&body), ["skipped"]);
        // Other values for the same entry: the server's stay, and come back in the answer.
        let (_, body) = server
            .push(&ana, json!([record_entry(2, &entry, SHARED_TASK, 0, 45)]))
            .await;
        assert_eq!(outcomes(&body), ["reconciled"]);
        let server_entry = &body["results"][0]["reason"]["details"]["server_entry"];
        assert_eq!(server_entry["duration_secs"], 30 * 60);
        // Ends before it starts: refused.
        let (_, body) = server
            .push(
                &ana,
                json!([record_entry(3, &Uuid::now_v7(), SHARED_TASK, 30, 0)]),
            )
            .await;
        assert_eq!(outcomes(&body), ["rejected"]);
        let entries = server.pull(&ana, None).await["entries"].clone();
        assert_eq!(entries.as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_large_pull_comes_in_pages_each_entry_once() {
    use stint_api::sync::SNAPSHOT_PAGE_SIZE;
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let total = SNAPSHOT_PAGE_SIZE as i64 + 500;
        let mutations: Vec<Value> = (1..=total)
            .map(|n| record_entry(n, &Uuid::now_v7(), SHARED_TASK, -2 * n, -2 * n + 1))
            .collect();
        for chunk in mutations.chunks(MAX_MUTATIONS_PER_PUSH) {
            let (status, body) = server.push(&ana, json!(chunk)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        // Page by page, by hand: a snapshot in more than one page, then the change log.
        let url = format!(
            "{}/api/v1/workspaces/{}/sync/pull",
            server.base, ana.workspace
        );
        let mut cursor: Option<String> = None;
        let mut seen = std::collections::HashMap::new();
        let mut snapshot_pages = 0;
        loop {
            let mut query = vec![("protocol_version", PROTOCOL_VERSION.to_string())];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.clone()));
            }
            let (status, page) =
                answer(server.http.get(&url).query(&query).bearer_auth(&ana.token)).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let entries = page["entries"].as_array().unwrap();
            assert!(entries.len() <= SNAPSHOT_PAGE_SIZE);
            if page["snapshot"] == true {
                snapshot_pages += 1;
                for entry in entries {
                    *seen
                        .entry(entry["id"].as_str().unwrap().to_string())
                        .or_insert(0) += 1;
                }
            }
            cursor = page["cursor"].as_str().map(str::to_string);
            if page["more"] == false {
                break;
            }
        }
        assert_eq!(snapshot_pages, 2);
        assert_eq!(seen.len() as i64, total);
        assert!(seen.values().all(|&count| count == 1), "each entry once");
    })
    .await;
}

#[tokio::test]
async fn a_recorded_entry_of_a_running_timer_stops_it_and_keeps_its_text() {
    on_each_backend(|server| async move {
        let mut ana = server.sign_in(ANA).await;
        let (timer, entry) = (Uuid::now_v7(), Uuid::now_v7());
        let mut recorded = record_entry(2, &entry, SHARED_TASK, 0, 30);
        recorded["args"]["timer_id"] = json!(timer);
        recorded["args"]["description"] = json!("wrote the plan");
        let (_, body) = server
            .push(
                &ana,
                json!([start(1, &timer, SHARED_TASK, 0), recorded.clone()]),
            )
            .await;
        assert_eq!(outcomes(&body), ["applied", "applied"]);
        let pulled = server.pull(&ana, None).await;
        assert!(
            pulled["timer"].is_null(),
            "the timer stopped into the entry"
        );
        assert_eq!(pulled["entries"][0]["description"], "wrote the plan");
        // Sent again after a restore, on a new stream: the server has it.
        ana.stream = Uuid::now_v7().to_string();
        recorded["seq"] = json!(1);
        let (_, body) = server.push(&ana, json!([recorded])).await;
        assert_eq!(outcomes(&body), ["skipped"]);
    })
    .await;
}

#[tokio::test]
async fn one_batch_carries_a_whole_day_of_transitions() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let (a, b, a_entry) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let transition = |seq: i64, name: &str, timer: &Uuid, minutes: i64| {
            json!({ "seq": seq, "name": name, "args": { "timer_id": timer, "at": at(minutes) } })
        };
        // Each mutation sees what the ones before it in the same batch did: A is paused and
        // resumed, B's start stops A (20 minutes counted), a refused stop changes nothing, and
        // B is paused and resumed, still running at the end.
        let batch = json!([
            start(1, &a, SHARED_TASK, 0),
            transition(2, "pause_timer", &a, 10),
            transition(3, "resume_timer", &a, 20),
            start(4, &b, BENS_TASK, 30),
            stop(5, &a, &a_entry, 35),
            transition(6, "pause_timer", &b, 40),
            transition(7, "resume_timer", &b, 50),
        ]);
        let (status, body) = server.push(&ana, batch).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            outcomes(&body),
            ["applied", "applied", "applied", "applied", "reconciled", "applied", "applied"]
        );

        let pulled = server.pull(&ana, None).await;
        let timer = &pulled["timer"];
        assert_eq!(timer["id"], b.to_string());
        assert_eq!(timer["state"], "running");
        let segments = timer["segments"].as_array().unwrap();
        assert_eq!(segments.len(), 2, "{timer}");
        assert_eq!(segments[0]["end"].as_str().map(parse), Some(parse(&at(40))));
        assert_eq!(segments[1]["start"].as_str().map(parse), Some(parse(&at(50))));
        assert!(segments[1]["end"].is_null());
        let entries = pulled["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["timer_id"], a.to_string());
        assert_eq!(entries[0]["duration_secs"], 20 * 60);
        assert_eq!(
            body["results"][4]["reason"]["details"]["server_entry"]["id"],
            entries[0]["id"]
        );
    })
    .await;
}

fn parse(text: &str) -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 instant")
        .with_timezone(&Utc)
}
