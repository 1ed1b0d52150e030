//! Personal access tokens and devices over HTTP, on both backends (I3).

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::{
    answer, on_each_backend, start, SignedIn, TestServer, ANA, BEN, PASSWORD, SHARED_TASK,
};

impl TestServer {
    fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn tasks_status(&self, token: &str) -> StatusCode {
        let url = format!(
            "{}/api/v1/workspaces/01900000-0000-7000-8000-000000000001/tasks",
            self.base
        );
        answer(self.http.get(url).bearer_auth(token)).await.0
    }

    /// Signs in as `email` on the device `device_id` (a new one when `None`): the answer's
    /// token and device id.
    async fn sign_in_on(&self, email: &str, device_id: Option<&str>) -> (String, String) {
        let mut body = json!({ "email": email, "password": PASSWORD, "device_name": "laptop" });
        if let Some(device_id) = device_id {
            body["device_id"] = json!(device_id);
        }
        let (status, answer) = answer(self.http.post(self.api("/auth/token")).json(&body)).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let text = |key: &str| answer[key].as_str().unwrap().to_string();
        (text("token"), text("device_id"))
    }
}

#[tokio::test]
async fn personal_access_tokens_are_shown_once_act_as_their_user_and_can_be_revoked() {
    on_each_backend(|server| async move {
        let http = &server.http;
        let ana = server.sign_in(ANA).await;
        let tomorrow = Utc::now() + chrono::Duration::days(1);
        let request = json!({ "name": " CI export ", "expires_at": tomorrow });
        let (status, made) = answer(
            http.post(server.api("/tokens"))
                .bearer_auth(&ana.token)
                .json(&request),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert_eq!(made["name"], "CI export");
        let pat = made["token"].as_str().unwrap().to_string();
        let (status, forever) = answer(
            http.post(server.api("/tokens"))
                .bearer_auth(&ana.token)
                .json(&json!({ "name": "forever" })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(forever.get("expires_at").is_none());

        // Listed without the token itself, newest first.
        let (_, listed) = answer(http.get(server.api("/tokens")).bearer_auth(&ana.token)).await;
        let names: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["forever", "CI export"]);
        assert!(!listed.to_string().contains(&pat));

        // It reads as Ana; it cannot push (no device to number changes on).
        assert_eq!(server.tasks_status(&pat).await, StatusCode::OK);
        let as_pat = SignedIn {
            token: pat.clone(),
            ..ana.clone()
        };
        let (status, _) = server
            .push(&as_pat, json!([start(1, &Uuid::now_v7(), SHARED_TASK, 0)]))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Bad requests change nothing.
        let past = json!({ "name": "old", "expires_at": Utc::now() - chrono::Duration::hours(1) });
        let (status, body) = answer(
            http.post(server.api("/tokens"))
                .bearer_auth(&ana.token)
                .json(&past),
        )
        .await;
        assert_eq!(
            (status, body["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("expires_at"))
        );
        let null = json!({ "name": "null expiry", "expires_at": null });
        assert_eq!(
            answer(
                http.post(server.api("/tokens"))
                    .bearer_auth(&ana.token)
                    .json(&null)
            )
            .await
            .0,
            StatusCode::BAD_REQUEST
        );

        // Ben cannot see or revoke Ana's token: it answers like none at all.
        let ben = server.sign_in(BEN).await;
        let (_, bens) = answer(http.get(server.api("/tokens")).bearer_auth(&ben.token)).await;
        assert_eq!(bens, json!([]));
        let ana_token_url = server.api(&format!("/tokens/{}", made["id"].as_str().unwrap()));
        assert_eq!(
            answer(http.delete(&ana_token_url).bearer_auth(&ben.token))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(server.tasks_status(&pat).await, StatusCode::OK);

        // Ana revokes it: it stops working at once.
        assert_eq!(
            answer(http.delete(&ana_token_url).bearer_auth(&ana.token))
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(server.tasks_status(&pat).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            answer(http.delete(&ana_token_url).bearer_auth(&ana.token))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn devices_are_listed_and_signed_out_remotely_one_or_all() {
    on_each_backend(|server| async move {
        let http = &server.http;
        let (old_laptop_token, laptop_id) = server.sign_in_on(ANA, None).await;
        // Signing in again on a device ends its older token.
        let (laptop, same) = server.sign_in_on(ANA, Some(&laptop_id)).await;
        assert_eq!(same, laptop_id);
        assert_eq!(
            server.tasks_status(&old_laptop_token).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(server.tasks_status(&laptop).await, StatusCode::OK);
        let (phone, phone_id) = server.sign_in_on(ANA, None).await;
        let (_, pat) = answer(
            http.post(server.api("/tokens"))
                .bearer_auth(&laptop)
                .json(&json!({ "name": "script" })),
        )
        .await;
        let pat = pat["token"].as_str().unwrap().to_string();

        let (_, devices) = answer(http.get(server.api("/devices")).bearer_auth(&laptop)).await;
        let listed: Vec<(String, bool, bool)> = devices
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["id"].as_str().unwrap().to_string(),
                    d["signed_in"] == true,
                    d["current"] == true,
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (phone_id.clone(), true, false),
                (laptop_id.clone(), true, true)
            ]
        );

        // Another user's device is no device of yours.
        let ben = server.sign_in(BEN).await;
        let phone_url = server.api(&format!("/devices/{phone_id}"));
        assert_eq!(
            answer(http.delete(&phone_url).bearer_auth(&ben.token))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(server.tasks_status(&phone).await, StatusCode::OK);

        // The laptop signs the phone out; then everything, itself too. The script's token stays.
        assert_eq!(
            answer(http.delete(&phone_url).bearer_auth(&laptop)).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(server.tasks_status(&phone).await, StatusCode::UNAUTHORIZED);
        let (_, devices) = answer(http.get(server.api("/devices")).bearer_auth(&laptop)).await;
        assert_eq!(devices[0]["signed_in"], false);
        assert_eq!(
            answer(http.delete(server.api("/devices")).bearer_auth(&laptop))
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(server.tasks_status(&laptop).await, StatusCode::UNAUTHORIZED);
        assert_eq!(server.tasks_status(&pat).await, StatusCode::OK);
        assert_eq!(server.tasks_status(&ben.token).await, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn an_admin_signs_a_member_out_of_every_device() {
    on_each_backend(|server| async move {
        let http = &server.http;
        let admin = server.sign_in("admin@demo.stint.test").await;
        let ben = server.sign_in(BEN).await;
        let ben_elsewhere = server.sign_in(BEN).await;
        let ben_id = "01900000-0000-7000-8000-000000000103";
        let url = |user: &str| {
            format!(
                "{}/api/v1/workspaces/{}/members/{user}/devices",
                server.base, admin.workspace
            )
        };
        // Ana holds no `time:settings`; an unknown user is no member.
        let ana = server.sign_in(ANA).await;
        assert_eq!(
            answer(http.delete(url(ben_id)).bearer_auth(&ana.token))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let unknown = Uuid::now_v7().to_string();
        assert_eq!(
            answer(http.delete(url(&unknown)).bearer_auth(&admin.token))
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        // Ben's script token goes with his devices.
        let (_, bens_script) = answer(
            http.post(server.api("/tokens"))
                .bearer_auth(&ben.token)
                .json(&json!({ "name": "script" })),
        )
        .await;
        let bens_script = bens_script["token"].as_str().unwrap().to_string();
        assert_eq!(server.tasks_status(&bens_script).await, StatusCode::OK);

        assert_eq!(
            answer(http.delete(url(ben_id)).bearer_auth(&admin.token))
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        for token in [&ben.token, &ben_elsewhere.token, &bens_script] {
            assert_eq!(server.tasks_status(token).await, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(server.tasks_status(&ana.token).await, StatusCode::OK);
    })
    .await;
}

/// A device id this user has not signed in with gets a fresh one, whether nobody has it or
/// another user does: the answers are alike, so they tell nothing of others' devices, and
/// the other user's device keeps working.
#[tokio::test]
async fn a_device_id_of_another_user_is_answered_like_an_unknown_one() {
    on_each_backend(|server| async move {
        let (anas_token, anas_device) = server.sign_in_on(ANA, None).await;
        let unknown = Uuid::now_v7().to_string();
        for sent in [&anas_device, &unknown] {
            let (bens_token, given) = server.sign_in_on(BEN, Some(sent)).await;
            assert_ne!(&given, sent);
            assert!(Uuid::parse_str(&given).is_ok());
            assert_eq!(server.tasks_status(&bens_token).await, StatusCode::OK);
            // Ben keeps the id he was given.
            let (_, again) = server.sign_in_on(BEN, Some(&given)).await;
            assert_eq!(again, given);
        }
        assert_eq!(server.tasks_status(&anas_token).await, StatusCode::OK);
        let (_, devices) = answer(
            server
                .http
                .get(server.api("/devices"))
                .bearer_auth(&anas_token),
        )
        .await;
        let anas: Vec<&str> = devices
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert_eq!(anas, [anas_device.as_str()]);
    })
    .await;
}
