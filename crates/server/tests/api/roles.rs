//! Workspace roles over HTTP, on both backends: custom roles made, edited and deleted by holders
//! of `time:settings`, default roles fixed, and what a member holds deciding what they may do.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{answer, on_each_backend, role_id, start, SignedIn, TestServer, ANA, BEN, SHARED_TASK};

const ADMIN: &str = "admin@demo.stint.test";
/// The demo users' fixed ids.
const ADMIN_ID: &str = "01900000-0000-7000-8000-000000000101";
const ANA_ID: &str = "01900000-0000-7000-8000-000000000102";
const BEN_ID: &str = "01900000-0000-7000-8000-000000000103";

impl TestServer {
    async fn set_roles(
        &self,
        who: &SignedIn,
        user: &str,
        role_ids: Vec<Value>,
    ) -> (StatusCode, Value) {
        let url = self.url(who, &format!("/members/{user}/roles"));
        answer(
            self.http
                .put(url)
                .bearer_auth(&who.token)
                .json(&json!({ "role_ids": role_ids })),
        )
        .await
    }
}

#[tokio::test]
async fn admins_make_edit_and_delete_custom_roles_and_default_ones_stay_fixed() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let roles = server.roles(&admin).await;
        let names: Vec<&str> = roles
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Admin", "Finance", "Manager", "Member"]);
        assert_eq!(
            roles[0]["permissions"],
            json!([
                "time:read",
                "time:read_all",
                "time:write",
                "time:approve",
                "time:settings",
                "time:invoice"
            ])
        );
        assert_eq!(roles[3]["permissions"], json!(["time:read", "time:write"]));
        assert_eq!(roles[3]["default_role"], "member");

        let http = &server.http;
        let new = json!({ "name": "  Invoicer ", "permissions": ["time:invoice", "time:read"] });
        let (status, created) = answer(
            http.post(server.url(&admin, "/roles"))
                .bearer_auth(&admin.token)
                .json(&new),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["name"], "Invoicer");
        assert_eq!(created["permissions"], json!(["time:read", "time:invoice"]));
        assert!(created.get("default_role").is_none());

        // Names are unique in any case; default roles cannot be changed or deleted.
        let same = json!({ "name": "INVOICER", "permissions": [] });
        let (status, body) = answer(
            http.post(server.url(&admin, "/roles"))
                .bearer_auth(&admin.token)
                .json(&same),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("name_taken"))
        );
        let member_role = role_id(&roles, "Member");
        let member_url = server.url(&admin, &format!("/roles/{}", member_role.as_str().unwrap()));
        let (status, body) =
            answer(http.put(&member_url).bearer_auth(&admin.token).json(&same)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("role_fixed"))
        );
        let (status, body) = answer(http.delete(&member_url).bearer_auth(&admin.token)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("role_fixed"))
        );

        // A custom role is edited; a name another role has is refused.
        let invoicer_url = server.url(
            &admin,
            &format!("/roles/{}", created["id"].as_str().unwrap()),
        );
        let edit = json!({ "name": "Billing", "permissions": ["time:invoice"] });
        let (status, edited) = answer(
            http.put(&invoicer_url)
                .bearer_auth(&admin.token)
                .json(&edit),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(
            (edited["name"].as_str(), edited["permissions"].clone()),
            (Some("Billing"), json!(["time:invoice"]))
        );
        let clash = json!({ "name": "manager", "permissions": [] });
        let (status, body) = answer(
            http.put(&invoicer_url)
                .bearer_auth(&admin.token)
                .json(&clash),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("name_taken"))
        );
        let (status, body) = answer(
            http.put(&invoicer_url)
                .bearer_auth(&admin.token)
                .json(&json!({ "name": " ", "permissions": [] })),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request"))
        );
        let (status, _) = answer(http.delete(&invoicer_url).bearer_auth(&admin.token)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(server.roles(&admin).await.as_array().unwrap().len(), 4);

        // An id that is not a role of this workspace is no role at all.
        let elsewhere = server.url(&admin, &format!("/roles/{}", Uuid::now_v7()));
        let (status, _) = answer(http.put(&elsewhere).bearer_auth(&admin.token).json(&edit)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = answer(http.delete(&elsewhere).bearer_auth(&admin.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Members without `time:settings` see nothing of it.
        let ana = server.sign_in(ANA).await;
        for path in ["/roles", "/members"] {
            let (status, body) =
                answer(http.get(server.url(&ana, path)).bearer_auth(&ana.token)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
            assert_eq!(body["details"]["permission"], "time:settings");
        }
        let (status, _) = answer(
            http.post(server.url(&ana, "/roles"))
                .bearer_auth(&ana.token)
                .json(&new),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn the_roles_a_member_holds_decide_what_they_may_do() {
    on_each_backend(|server| async move {
        let http = &server.http;
        let admin = server.sign_in(ADMIN).await;
        let reader = json!({ "name": "Reader", "permissions": ["time:read"] });
        let (_, reader) = answer(
            http.post(server.url(&admin, "/roles"))
                .bearer_auth(&admin.token)
                .json(&reader),
        )
        .await;
        let ben_id = BEN_ID;

        // Reading only: Ben's pull works, his push is refused and changes nothing.
        let (status, member) = server
            .set_roles(&admin, ben_id, vec![reader["id"].clone()])
            .await;
        assert_eq!(status, StatusCode::OK, "{member}");
        assert_eq!(member["role_ids"], json!([reader["id"]]));
        let ben = server.sign_in(BEN).await;
        let (_, signed_in) = answer(
            http.post(format!("{}/api/v1/auth/token", server.base))
                .json(&json!({ "email": BEN, "password": super::PASSWORD, "device_name": "test" })),
        )
        .await;
        assert_eq!(signed_in["workspaces"][0]["roles"], json!(["Reader"]));
        assert_eq!(
            signed_in["workspaces"][0]["permissions"],
            json!(["time:read"])
        );
        let (status, body) = server
            .push(&ben, json!([start(1, &Uuid::now_v7(), SHARED_TASK, 0)]))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["details"]["permission"], "time:write");
        assert!(server.pull(&ben, None).await["timer"].is_null());

        // Deleting the role takes it from Ben: he may not even read now.
        let reader_url = server.url(
            &admin,
            &format!("/roles/{}", reader["id"].as_str().unwrap()),
        );
        assert_eq!(
            answer(http.delete(&reader_url).bearer_auth(&admin.token))
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        let tasks = http.get(server.url(&ben, "/tasks")).bearer_auth(&ben.token);
        assert_eq!(answer(tasks).await.0, StatusCode::FORBIDDEN);

        // The member role back: he logs time again.
        let member_role = role_id(&server.roles(&admin).await, "Member");
        assert_eq!(
            server.set_roles(&admin, ben_id, vec![member_role]).await.0,
            StatusCode::OK
        );
        let (status, body) = server
            .push(&ben, json!([start(1, &Uuid::now_v7(), SHARED_TASK, 0)]))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    })
    .await;
}

#[tokio::test]
async fn someone_always_holds_the_admin_role_and_only_the_workspaces_roles_are_given() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let roles = server.roles(&admin).await;
        let (admin_id, ana_id) = (ADMIN_ID, ANA_ID);
        let (admin_role, member_role) = (role_id(&roles, "Admin"), role_id(&roles, "Member"));

        let (status, body) = server
            .set_roles(&admin, admin_id, vec![member_role.clone()])
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("last_admin"))
        );
        assert_eq!(server.roles(&admin).await, roles, "nothing changed");

        // With Ana an admin too, the first admin may step down.
        let both = vec![member_role.clone(), admin_role.clone()];
        assert_eq!(
            server.set_roles(&admin, ana_id, both).await.0,
            StatusCode::OK
        );
        let (status, member) = server
            .set_roles(&admin, admin_id, vec![member_role.clone()])
            .await;
        assert_eq!(status, StatusCode::OK, "{member}");
        // …and is no longer allowed to change roles.
        let (status, _) = server
            .set_roles(&admin, ana_id, vec![member_role.clone()])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Unknown roles and people, or another workspace's, are refused without a trace.
        let ana = server.sign_in(ANA).await;
        let (status, body) = server
            .set_roles(&ana, admin_id, vec![json!(Uuid::now_v7())])
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request"))
        );
        let (status, _) = server
            .set_roles(&ana, &Uuid::now_v7().to_string(), vec![member_role])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn admins_set_members_manager_hours_and_access_and_deactivate_them() {
    on_each_backend(|server| async move {
        let http = &server.http;
        let admin = server.sign_in(ADMIN).await;
        let (admin_id, ana_id, ben_id) = (ADMIN_ID, ANA_ID, BEN_ID);
        let ben_row = server.member(&admin, ben_id).await;
        assert_eq!(
            (ben_row["active"].clone(), ben_row["weekly_hours"].clone()),
            (json!(true), json!(40.0))
        );
        assert_eq!(ben_row["timesheet_access"], "full");
        let patch = |user: &str, body: Value| {
            http.patch(server.url(&admin, &format!("/members/{user}")))
                .bearer_auth(&admin.token)
                .json(&body)
        };

        let (status, ben) = answer(patch(
            ben_id,
            json!({ "manager_id": ana_id, "weekly_hours": 32.5, "timesheet_access": "timer_only" }),
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{ben}");
        assert_eq!(ben["manager_id"], ana_id);
        assert_eq!(
            (ben["weekly_hours"].clone(), ben["timesheet_access"].clone()),
            (json!(32.5), json!("timer_only"))
        );
        // `null` clears the manager; what is left out stays.
        let (_, ben) = answer(patch(ben_id, json!({ "manager_id": null }))).await;
        assert!(ben.get("manager_id").is_none());
        assert_eq!(ben["weekly_hours"], 32.5);
        // Nobody manages themselves, and a manager is a member here.
        for manager in [ben_id.to_string(), Uuid::now_v7().to_string()] {
            let (status, body) = answer(patch(ben_id, json!({ "manager_id": manager }))).await;
            assert_eq!(
                (status, body["details"]["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some("manager_id"))
            );
        }
        assert_eq!(
            answer(patch(ben_id, json!({ "weekly_hours": 169 })))
                .await
                .0,
            StatusCode::BAD_REQUEST
        );

        // Ben logs time, then is deactivated: his token no longer reaches the workspace, and he
        // is no member of it when he signs in; his entry stays for when he is back.
        let bens_device = server.sign_in(BEN).await;
        let timer = Uuid::now_v7();
        let (_, body) = server
            .push(
                &bens_device,
                json!([
                    start(1, &timer, SHARED_TASK, 0),
                    super::stop(2, &timer, &Uuid::now_v7(), 5)
                ]),
            )
            .await;
        assert_eq!(super::outcomes(&body), ["applied", "applied"]);
        assert_eq!(
            answer(patch(ben_id, json!({ "active": false }))).await.0,
            StatusCode::OK
        );
        let tasks = http
            .get(server.url(&bens_device, "/tasks"))
            .bearer_auth(&bens_device.token);
        assert_eq!(answer(tasks).await.0, StatusCode::NOT_FOUND);
        let body = json!({ "email": BEN, "password": super::PASSWORD, "device_name": "test" });
        let (_, signed_in) = answer(
            http.post(format!("{}/api/v1/auth/token", server.base))
                .json(&body),
        )
        .await;
        assert_eq!(signed_in["workspaces"], json!([]));
        assert_eq!(
            answer(patch(ben_id, json!({ "active": true }))).await.0,
            StatusCode::OK
        );
        assert_eq!(
            server.pull(&bens_device, None).await["entries"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // The only active admin stays active.
        let (status, body) = answer(patch(admin_id, json!({ "active": false }))).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("last_admin"))
        );
    })
    .await;
}

#[tokio::test]
async fn nobody_gives_what_they_do_not_hold() {
    on_each_backend(|server| async move {
        let http = &server.http;
        let admin = server.sign_in(ADMIN).await;
        let roles = server.roles(&admin).await;
        let people = json!({ "name": "People", "permissions": ["time:settings"] });
        let (_, people) = answer(
            http.post(server.url(&admin, "/roles"))
                .bearer_auth(&admin.token)
                .json(&people),
        )
        .await;
        // Ana looks after people: she holds Member and People (read, write, settings).
        let ana_roles = vec![role_id(&roles, "Member"), people["id"].clone()];
        assert_eq!(server.set_roles(&admin, ANA_ID, ana_roles.clone()).await.0, StatusCode::OK);
        let ana = server.sign_in(ANA).await;

        // What she holds she may give; more she may not, to others or to herself.
        let member = vec![role_id(&roles, "Member")];
        assert_eq!(server.set_roles(&ana, BEN_ID, member).await.0, StatusCode::OK);
        for (user, role) in [(BEN_ID, "Manager"), (ANA_ID, "Admin"), (BEN_ID, "Finance")] {
            let (status, body) = server.set_roles(&ana, user, vec![role_id(&roles, role)]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
        }
        let approver = json!({ "name": "Approver", "permissions": ["time:approve"] });
        let (status, body) = answer(
            http.post(server.url(&ana, "/roles"))
                .bearer_auth(&ana.token)
                .json(&approver),
        )
        .await;
        assert_eq!((status, body["details"]["permission"].as_str()), (StatusCode::FORBIDDEN, Some("time:approve")));
        // Nor may she act on someone who holds more: the admin stays as the admin set things.
        let patch = |user: &str| {
            http.patch(server.url(&ana, &format!("/members/{user}")))
                .bearer_auth(&ana.token)
                .json(&json!({ "active": false }))
        };
        assert_eq!(answer(patch(ADMIN_ID)).await.0, StatusCode::FORBIDDEN);
        let (status, _) = server.set_roles(&ana, ADMIN_ID, ana_roles).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(answer(patch(BEN_ID)).await.0, StatusCode::OK);
        // Nor invite with roles she does not hold.
        let url = server.url(&ana, "/invitations");
        let invite = json!({ "email": "x@example.test", "name": "X", "role_ids": [role_id(&roles, "Admin")] });
        assert_eq!(answer(http.post(&url).bearer_auth(&ana.token).json(&invite)).await.0, StatusCode::FORBIDDEN);
        // Nor sign the admin out of their devices; Ben she may.
        let sign_out = |user: &str| {
            http.delete(server.url(&ana, &format!("/members/{user}/devices")))
                .bearer_auth(&ana.token)
        };
        assert_eq!(answer(sign_out(ADMIN_ID)).await.0, StatusCode::FORBIDDEN);
        let admins_tasks = http.get(server.url(&admin, "/tasks")).bearer_auth(&admin.token);
        assert_eq!(answer(admins_tasks).await.0, StatusCode::OK);
        assert_eq!(answer(sign_out(BEN_ID)).await.0, StatusCode::NO_CONTENT);
    })
    .await;
}

#[tokio::test]
async fn two_changes_to_one_member_at_once_both_hold() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let patch = |body: Value| {
            server
                .http
                .patch(server.url(&admin, &format!("/members/{BEN_ID}")))
                .bearer_auth(&admin.token)
                .json(&body)
        };
        // Each round changes Ben's hours and his access at the same moment; a change that read
        // the member before the other wrote must not put the other's field back.
        for round in 0..10 {
            let hours = 20.0 + f64::from(round);
            let access = if round % 2 == 0 { "timer_only" } else { "full" };
            let (hours_change, access_change) = tokio::join!(
                answer(patch(json!({ "weekly_hours": hours }))),
                answer(patch(json!({ "timesheet_access": access }))),
            );
            for (status, body) in [&hours_change, &access_change] {
                assert_eq!(*status, StatusCode::OK, "{body}");
            }
            let ben = server.member(&admin, BEN_ID).await;
            assert_eq!(
                (ben["weekly_hours"].clone(), ben["timesheet_access"].clone()),
                (json!(hours), json!(access)),
                "round {round}"
            );
        }
    })
    .await;
}
