//! Teams over HTTP, on both backends (P2): admins make and delete them, their default roles are
//! fixed, secured teams need the workspace's option, and a team's managers change its members
//! and custom roles within what they hold — never widening what the workspace grants.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{answer, on_each_backend, role_id, ANA, BEN};

const ADMIN: &str = "admin@demo.stint.test";
const ADMIN_ID: &str = "01900000-0000-7000-8000-000000000101";
const ANA_ID: &str = "01900000-0000-7000-8000-000000000102";
const BEN_ID: &str = "01900000-0000-7000-8000-000000000103";

fn member_roles(team: &Value, user: &str) -> Option<Value> {
    team["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == user)
        .map(|m| m["role_ids"].clone())
}

#[tokio::test]
async fn admins_make_teams_whose_default_roles_and_visibility_stay_fixed() {
    use reqwest::Method;
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;

        let (status, support) = server
            .make_team(&admin, " Support ", ANA_ID, "public")
            .await;
        assert_eq!(status, StatusCode::CREATED, "{support}");
        assert_eq!(support["name"], "Support");
        assert_eq!(support["work_logs"], "public");
        let roles = &support["roles"];
        assert_eq!(roles[0]["name"], "Team Lead");
        assert_eq!(roles[0]["default_role"], "team_lead");
        assert_eq!(
            roles[0]["permissions"],
            json!([
                "work_on_issues",
                "view_work_logs",
                "manage_work_logs",
                "manage_team"
            ])
        );
        assert_eq!(roles[1]["name"], "Team Member");
        assert_eq!(roles[1]["permissions"], json!(["work_on_issues"]));
        assert_eq!(
            member_roles(&support, ANA_ID),
            Some(json!([roles[0]["id"]]))
        );
        // The admin is in no team role here, but manages a public team.
        assert_eq!(support["my_permissions"], json!([]));
        assert_eq!(support["managed_by_me"], true);
        // The lead sees what Team Lead gives a member (who holds time:read and time:write).
        let seen_by_ana = server.team(&ana, &support).await;
        assert_eq!(seen_by_ana["my_permissions"], roles[0]["permissions"]);

        // Names are unique in any case; a lead must be an active member; only admins make teams.
        let (status, body) = server.make_team(&admin, "SUPPORT", ANA_ID, "public").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("name_taken"))
        );
        let stranger = Uuid::now_v7().to_string();
        let (status, body) = server.make_team(&admin, "Sales", &stranger, "public").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["details"]["field"], "lead_id");
        let (status, body) = server.make_team(&ana, "Sales", ANA_ID, "public").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

        // Secured teams only once an admin allows them; members cannot allow them.
        let (status, body) = server.make_team(&admin, "Legal", BEN_ID, "secured").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("secured_teams_off"))
        );
        let (status, _) = answer(
            server
                .http
                .patch(server.url(&ana, ""))
                .bearer_auth(&ana.token)
                .json(&json!({ "secured_teams": true })),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, workspace) = answer(
            server
                .http
                .get(server.url(&ana, ""))
                .bearer_auth(&ana.token),
        )
        .await;
        assert_eq!(
            (status, &workspace["secured_teams"]),
            (StatusCode::OK, &json!(false))
        );
        server.allow_secured_teams(&admin).await;
        let (status, legal) = server.make_team(&admin, "Legal", BEN_ID, "secured").await;
        assert_eq!(status, StatusCode::CREATED, "{legal}");
        // A secured team is managed from inside only: the admin holds no role there.
        assert_eq!(legal["managed_by_me"], false);

        // Every member lists the teams, by name.
        let (status, teams) = answer(
            server
                .http
                .get(server.url(&ana, "/teams"))
                .bearer_auth(&ana.token),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<&str> = teams
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Legal", "Support", "Web team"]);
        assert_eq!(teams[0]["my_permissions"], json!([]));
        assert_eq!(teams[0]["managed_by_me"], false);

        // Visibility never changes; the lead renames; someone without manage_team cannot.
        let (status, body) = server
            .on_team(
                &ana,
                Method::PATCH,
                &support,
                "",
                Some(json!({ "work_logs": "secured" })),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("work_logs_fixed"))
        );
        let (status, renamed) = server
            .on_team(
                &ana,
                Method::PATCH,
                &support,
                "",
                Some(json!({ "name": "Customer care", "work_logs": "public" })),
            )
            .await;
        assert_eq!(
            (status, renamed["name"].as_str()),
            (StatusCode::OK, Some("Customer care"))
        );
        let ben = server.sign_in(BEN).await;
        let (status, body) = server
            .on_team(
                &ben,
                Method::PATCH,
                &support,
                "",
                Some(json!({ "name": "Mine" })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["details"]["team_permission"], "manage_team");

        // Default team roles are fixed.
        let lead_role = roles[0]["id"].as_str().unwrap();
        let path = format!("/roles/{lead_role}");
        let rename = json!({ "name": "Boss", "permissions": [] });
        let (status, body) = server
            .on_team(&ana, Method::PUT, &support, &path, Some(rename))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("role_fixed"))
        );
        let (status, body) = server
            .on_team(&ana, Method::DELETE, &support, &path, None)
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("role_fixed"))
        );

        // Unknown teams are not found; a secured team's deletion says what becomes of its
        // entries and confirms it cannot be undone.
        let unknown = json!({ "id": Uuid::now_v7().to_string() });
        let (status, _) = server
            .on_team(&admin, Method::GET, &unknown, "", None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // `confirm` takes one value, for a public team too (which needs none).
        for (team, query) in [(&legal, "?entries=delete"), (&support, "?confirm=yes")] {
            let (status, body) = server
                .on_team(&admin, Method::DELETE, team, query, None)
                .await;
            assert_eq!(
                (status, &body["details"]["field"]),
                (StatusCode::BAD_REQUEST, &json!("confirm")),
                "{query}"
            );
        }
        let (status, body) = server
            .on_team(
                &admin,
                Method::DELETE,
                &legal,
                "?confirm=irreversible",
                None,
            )
            .await;
        assert_eq!(
            (status, &body["details"]["field"]),
            (StatusCode::BAD_REQUEST, &json!("entries"))
        );
        let (status, _) = server
            .on_team(
                &ben,
                Method::DELETE,
                &legal,
                "?entries=delete&confirm=irreversible",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = server
            .on_team(
                &admin,
                Method::DELETE,
                &legal,
                "?entries=delete&confirm=irreversible",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = server.on_team(&admin, Method::GET, &legal, "", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, deleted) = server
            .on_team(&admin, Method::DELETE, &support, "", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            deleted,
            json!({ "entries_converted": 0, "entries_deleted": 0 })
        );
    })
    .await;
}

#[tokio::test]
async fn team_managers_change_members_and_roles_within_what_they_hold() {
    use reqwest::Method;
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;
        let ben = server.sign_in(BEN).await;
        let (_, support) = server.make_team(&admin, "Support", ANA_ID, "public").await;
        let team_member = support["roles"][1]["id"].clone();

        // Added without roles, Ben is a Team Member.
        let ben_path = format!("/members/{BEN_ID}");
        let (status, team) = server
            .on_team(&ana, Method::PUT, &support, &ben_path, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::OK, "{team}");
        assert_eq!(member_roles(&team, BEN_ID), Some(json!([team_member])));
        assert_eq!(
            server.team(&ben, &support).await["my_permissions"],
            json!(["work_on_issues"])
        );

        // Custom roles: made by the lead, names unique in any case, given and taken.
        let viewer = json!({ "name": "Viewer", "permissions": ["view_work_logs"] });
        let (status, team) = server
            .on_team(&ana, Method::POST, &support, "/roles", Some(viewer))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{team}");
        let viewer_id = role_id(&team["roles"], "Viewer");
        let again = json!({ "name": "VIEWER", "permissions": [] });
        let (status, body) = server
            .on_team(&ana, Method::POST, &support, "/roles", Some(again))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("name_taken"))
        );
        let roles = json!({ "role_ids": [viewer_id] });
        let (status, _) = server
            .on_team(&ana, Method::PUT, &support, &ben_path, Some(roles))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            server.team(&ben, &support).await["my_permissions"],
            json!(["view_work_logs"])
        );

        // Ben cannot manage the team; a deputy with manage_team can, within what they hold.
        let (status, _) = server
            .on_team(
                &ben,
                Method::PUT,
                &support,
                &format!("/members/{ADMIN_ID}"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let deputy = json!({ "name": "Deputy", "permissions": ["manage_team"] });
        let (_, team) = server
            .on_team(&ana, Method::POST, &support, "/roles", Some(deputy))
            .await;
        let deputy_id = role_id(&team["roles"], "Deputy");
        let roles = json!({ "role_ids": [deputy_id] });
        let (status, _) = server
            .on_team(&ana, Method::PUT, &support, &ben_path, Some(roles))
            .await;
        assert_eq!(status, StatusCode::OK);
        // Team Lead holds what Ben does not (work_on_issues first).
        let lead_role = support["roles"][0]["id"].clone();
        let roles = json!({ "role_ids": [lead_role, deputy_id] });
        let (status, body) = server
            .on_team(&ben, Method::PUT, &support, &ben_path, Some(roles))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["details"]["team_permission"], "work_on_issues");
        // Nor may he act on Ana, who holds more; a role with more than he holds is refused too.
        let (status, _) = server
            .on_team(
                &ben,
                Method::DELETE,
                &support,
                &format!("/members/{ANA_ID}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let wide = json!({ "name": "Editor", "permissions": ["manage_work_logs"] });
        let (status, _) = server
            .on_team(&ben, Method::POST, &support, "/roles", Some(wide))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Within what he holds, he may.
        let (status, team) = server
            .on_team(
                &ben,
                Method::PUT,
                &support,
                &format!("/members/{ADMIN_ID}"),
                Some(json!({ "role_ids": [viewer_id] })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{team}");
        assert_eq!(member_roles(&team, ADMIN_ID), Some(json!([viewer_id])));

        // A role that is not the team's is refused; a user who is no active member is not found.
        let elsewhere = json!({ "role_ids": [Uuid::now_v7()] });
        let (status, body) = server
            .on_team(&ana, Method::PUT, &support, &ben_path, Some(elsewhere))
            .await;
        assert_eq!(
            (status, &body["details"]["field"]),
            (StatusCode::BAD_REQUEST, &json!("role_ids"))
        );
        let nobody = format!("/members/{}", Uuid::now_v7());
        let (status, _) = server
            .on_team(&ana, Method::PUT, &support, &nobody, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Deleting a custom role takes it from its holders.
        let path = format!("/roles/{}", viewer_id.as_str().unwrap());
        let (status, _) = server
            .on_team(&ana, Method::DELETE, &support, &path, None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            member_roles(&server.team(&ana, &support).await, ADMIN_ID),
            Some(json!([]))
        );

        // The team keeps someone who may manage it: Ana may step down while Ben is deputy, but
        // Ben cannot then leave or lose the role.
        let roles = json!({ "role_ids": [team_member] });
        let ana_path = format!("/members/{ANA_ID}");
        let (status, _) = server
            .on_team(&ana, Method::PUT, &support, &ana_path, Some(roles))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = server
            .on_team(&admin, Method::DELETE, &support, &ben_path, None)
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("last_team_manager"))
        );
        let path = format!("/roles/{}", deputy_id.as_str().unwrap());
        let (status, body) = server
            .on_team(&admin, Method::DELETE, &support, &path, None)
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("last_team_manager"))
        );
        let unmanaging = json!({ "name": "Deputy", "permissions": ["view_work_logs"] });
        let (status, body) = server
            .on_team(&admin, Method::PUT, &support, &path, Some(unmanaging))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("last_team_manager"))
        );

        // A secured team is managed from inside only: not even an admin adds themselves.
        server.allow_secured_teams(&admin).await;
        let (_, legal) = server.make_team(&admin, "Legal", ANA_ID, "secured").await;
        let (status, _) = server
            .on_team(
                &admin,
                Method::PUT,
                &legal,
                &format!("/members/{ADMIN_ID}"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = server
            .on_team(&ana, Method::PUT, &legal, &ben_path, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::OK);
    })
    .await;
}

/// Team roles never widen workspace permissions (P2): without `time:write` a Team Member may
/// not log time to the team, and a Team Lead without `time:read` sees no work logs.
#[tokio::test]
async fn team_roles_never_widen_workspace_permissions() {
    use reqwest::Method;
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ben = server.sign_in(BEN).await;
        let (_, support) = server.make_team(&admin, "Support", BEN_ID, "public").await;
        assert_eq!(server.team(&ben, &support).await["managed_by_me"], true);
        let reader = json!({ "name": "Reader", "permissions": ["time:read"] });
        let (status, reader) = answer(
            server
                .http
                .post(server.url(&admin, "/roles"))
                .bearer_auth(&admin.token)
                .json(&reader),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let url = server.url(&admin, &format!("/members/{BEN_ID}/roles"));
        let roles = json!({ "role_ids": [reader["id"]] });
        let (status, _) = answer(server.http.put(url).bearer_auth(&admin.token).json(&roles)).await;
        assert_eq!(status, StatusCode::OK);
        let team = server.team(&ben, &support).await;
        assert_eq!(
            team["my_permissions"],
            json!(["view_work_logs", "manage_team"])
        );
        // Managing the team is the team's own business: he still may.
        let (status, _) = server
            .on_team(
                &ben,
                Method::PATCH,
                &support,
                "",
                Some(json!({ "name": "Help desk" })),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    })
    .await;
}

/// A holder of `time:settings` manages public teams, but gives only the team permissions their
/// workspace permissions cover: without `time:read_all` no viewing of others' logs.
#[tokio::test]
async fn an_admin_of_public_teams_gives_only_what_their_workspace_roles_cover() {
    use reqwest::Method;
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let (_, support) = server.make_team(&admin, "Support", ANA_ID, "public").await;
        let settings_only = json!({ "name": "People admin", "permissions": ["time:read", "time:write", "time:settings"] });
        let (status, _) = answer(server.http.post(server.url(&admin, "/roles")).bearer_auth(&admin.token).json(&settings_only)).await;
        assert_eq!(status, StatusCode::CREATED);
        server.give_role(&admin, BEN_ID, "People admin").await;
        let ben = server.sign_in(BEN).await;
        let lead = support["roles"][0]["id"].clone();
        let path = format!("/members/{BEN_ID}");
        let (status, body) = server
            .on_team(&ben, Method::PUT, &support, &path, Some(json!({ "role_ids": [lead] })))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["details"]["team_permission"], "view_work_logs");
        let (status, team) = server.on_team(&ben, Method::PUT, &support, &path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::OK, "{team}");
        assert_eq!(server.team(&ben, &support).await["my_permissions"], json!(["work_on_issues"]));
    })
    .await;
}

/// Two leads removing each other at the same moment: each decision was made on a team where the
/// other was still there, but the second write finds the team changed and is decided again —
/// the team always keeps someone who may manage it.
#[tokio::test]
async fn two_leads_removing_each_other_at_once_leave_one() {
    use reqwest::Method;
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;
        let ben = server.sign_in(BEN).await;
        for round in 0..10 {
            let (_, team) = server
                .make_team(&admin, &format!("Pair {round}"), ANA_ID, "public")
                .await;
            let lead = json!({ "role_ids": [team["roles"][0]["id"]] });
            let (status, _) = server
                .on_team(
                    &ana,
                    Method::PUT,
                    &team,
                    &format!("/members/{BEN_ID}"),
                    Some(lead),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            let (ben_path, ana_path) = (format!("/members/{BEN_ID}"), format!("/members/{ANA_ID}"));
            let (a, b) = tokio::join!(
                server.on_team(&ana, Method::DELETE, &team, &ben_path, None),
                server.on_team(&ben, Method::DELETE, &team, &ana_path, None),
            );
            let removed = [&a, &b]
                .iter()
                .filter(|(status, _)| *status == StatusCode::NO_CONTENT)
                .count();
            assert_eq!(removed, 1, "round {round}: {a:?} {b:?}");
            let left = server.team(&admin, &team).await;
            assert_eq!(
                left["members"].as_array().unwrap().len(),
                1,
                "round {round}: {left}"
            );
        }
    })
    .await;
}

/// The edges of changing a team's people: a role of another team, a deactivated member, adding
/// someone again without roles, and deactivating the only one who manages a secured team.
#[tokio::test]
async fn team_members_are_active_members_holding_the_teams_own_roles() {
    use reqwest::Method;
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;
        let (_, support) = server.make_team(&admin, "Support", ANA_ID, "public").await;
        let (_, sales) = server.make_team(&admin, "Sales", ANA_ID, "public").await;
        let ben_path = format!("/members/{BEN_ID}");

        // Another team's role is not this team's.
        let theirs = json!({ "role_ids": [sales["roles"][1]["id"]] });
        let (status, body) = server
            .on_team(&ana, Method::PUT, &support, &ben_path, Some(theirs))
            .await;
        assert_eq!(
            (status, &body["details"]["field"]),
            (StatusCode::BAD_REQUEST, &json!("role_ids"))
        );

        // Sent again without roles, a member keeps theirs (Team Lead here).
        let lead = json!({ "role_ids": [support["roles"][0]["id"]] });
        server
            .on_team(&ana, Method::PUT, &support, &ben_path, Some(lead.clone()))
            .await;
        let (status, team) = server
            .on_team(&ana, Method::PUT, &support, &ben_path, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(member_roles(&team, BEN_ID), Some(lead["role_ids"].clone()));

        // Deactivated, Ben cannot be added to another team.
        let member = server.url(&admin, &format!("/members/{BEN_ID}"));
        let (status, _) = answer(
            server
                .http
                .patch(&member)
                .bearer_auth(&admin.token)
                .json(&json!({ "active": false })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = server
            .on_team(&ana, Method::PUT, &sales, &ben_path, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Ana alone manages a secured team: she cannot be deactivated until someone else does.
        server.allow_secured_teams(&admin).await;
        server.make_team(&admin, "Legal", ANA_ID, "secured").await;
        let ana_member = server.url(&admin, &format!("/members/{ANA_ID}"));
        let (status, body) = answer(
            server
                .http
                .patch(&ana_member)
                .bearer_auth(&admin.token)
                .json(&json!({ "active": false })),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("last_team_manager"))
        );
    })
    .await;
}
