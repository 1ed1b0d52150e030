//! Groups and filters over HTTP, on both backends (P3): the default groups and where members
//! land, groups made, changed and deleted, and the four-step filter narrowing the entries list
//! (the timesheets page), which says which filter applied.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{answer, at, on_each_backend, SignedIn, TestServer, ANA, BEN, SHARED_TASK};

const ADMIN: &str = "admin@demo.stint.test";
const ANA_ID: &str = "01900000-0000-7000-8000-000000000102";
const BEN_ID: &str = "01900000-0000-7000-8000-000000000103";

impl TestServer {
    async fn groups(&self, admin: &SignedIn) -> Value {
        let (status, groups) = answer(
            self.http
                .get(self.url(admin, "/groups"))
                .bearer_auth(&admin.token),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{groups}");
        groups
    }

    async fn set_filters(
        &self,
        admin: &SignedIn,
        user: &str,
        filters: Value,
    ) -> (StatusCode, Value) {
        let url = self.url(admin, &format!("/members/{user}/filters"));
        answer(self.http.put(url).bearer_auth(&admin.token).json(&filters)).await
    }

    /// The entries list as `who` gets it: the ids' authors, and the filter and its source.
    async fn timesheets(&self, who: &SignedIn) -> (Vec<String>, String, String) {
        let (status, list) = answer(
            self.http
                .get(self.url(who, "/entries"))
                .bearer_auth(&who.token),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let mut authors: Vec<String> = list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["user_id"].as_str().unwrap().to_string())
            .collect();
        authors.sort();
        authors.dedup();
        let text = |key: &str| list[key].as_str().unwrap().to_string();
        (authors, text("filter"), text("filter_source"))
    }
}

fn group_id(groups: &Value, name: &str) -> Value {
    groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap()["id"]
        .clone()
}

fn entry(seq: i64, from: i64) -> Value {
    json!({ "seq": seq, "name": "record_entry", "args": {
        "entry_id": Uuid::now_v7(), "task_id": SHARED_TASK, "started_at": at(from),
        "ended_at": at(from + 30), "duration_secs": 1800, "description": "" } })
}

#[tokio::test]
async fn every_member_is_in_a_group_whose_filter_narrows_their_lists() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;
        let ben = server.sign_in(BEN).await;

        // The spec's four groups; the admin is in Administrators, Ana and Ben in Employees.
        let groups = server.groups(&admin).await;
        let summary: Vec<(&str, &str, usize, u64)> = groups
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let pages = g["pages"].as_array().unwrap().len();
                (g["name"].as_str().unwrap(), g["filter"].as_str().unwrap(), pages, g["member_count"].as_u64().unwrap())
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("Administrators", "none", 4, 1),
                ("Employees", "own_hours", 1, 2),
                ("Managers", "manager", 4, 0),
                ("Project leaders", "project_leader", 2, 0),
            ]
        );
        let (status, _) = answer(server.http.get(server.url(&ana, "/groups")).bearer_auth(&ana.token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // What Ana's window shows: her group, the pages she may open, each page's filter.
        let (status, pages) = answer(server.http.get(server.url(&ana, "/pages")).bearer_auth(&ana.token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(pages["group_name"], "Employees");
        assert_eq!(
            pages["pages"][0],
            json!({ "page": "timesheets", "may_open": true, "filter": "own_hours", "filter_source": "group" })
        );
        assert_eq!(pages["pages"][1]["may_open"], false);

        // Ana and Ben log time on a Support desk task; Ben leads that project and manages Ana,
        // and a Manager role lets him read everyone's public entries.
        assert_eq!(server.push(&ana, json!([entry(1, 0)])).await.0, StatusCode::OK);
        assert_eq!(server.push(&ben, json!([entry(1, 60)])).await.0, StatusCode::OK);
        let member = server.url(&admin, &format!("/members/{ANA_ID}"));
        let (status, _) = answer(server.http.patch(member).bearer_auth(&admin.token).json(&json!({ "manager_id": BEN_ID }))).await;
        assert_eq!(status, StatusCode::OK);
        server.give_role(&admin, BEN_ID, "Manager").await;
        let ben = server.sign_in(BEN).await;
        let employees = group_id(&groups, "Employees");
        let (ana_id, ben_id) = (ANA_ID.to_string(), BEN_ID.to_string());
        let both = vec![ana_id.clone(), ben_id.clone()];

        // (4) the group's filter: his own hours only.
        let group_filter = (vec![ben_id.clone()], "own_hours".into(), "group".into());
        assert_eq!(server.timesheets(&ben).await, group_filter);
        // (3) his own filter over it: the people he manages.
        let mine = json!({ "group_id": employees, "filter": "manager", "overrules": [] });
        let (status, body) = server.set_filters(&admin, BEN_ID, mine).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(server.timesheets(&ben).await, (vec![ana_id.clone()], "manager".into(), "user".into()));
        // (1) his overrule for the page over that: the projects he leads.
        let overruled = json!({ "group_id": employees, "filter": "manager",
                                "overrules": [{ "page": "timesheets", "filter": "project_leader" }] });
        server.set_filters(&admin, BEN_ID, overruled).await;
        assert_eq!(server.timesheets(&ben).await, (both.clone(), "project_leader".into(), "user_overrule".into()));
        // (2) a group's overrule for the page, over the group's (and his) filter.
        let auditors = json!({ "name": "Auditors", "filter": "none", "pages": ["timesheets", "reports"],
                               "overrules": [{ "page": "timesheets", "filter": "own_hours" }] });
        let (status, made) = answer(server.http.post(server.url(&admin, "/groups")).bearer_auth(&admin.token).json(&auditors)).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let moved = json!({ "group_id": made["id"], "filter": null, "overrules": [] });
        let (status, body) = server.set_filters(&admin, BEN_ID, moved).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(server.timesheets(&ben).await, (vec![ben_id.clone()], "own_hours".into(), "group_overrule".into()));
        // Filters narrow, never widen: Ana with no filter still sees only what she may.
        let none = json!({ "group_id": employees, "filter": "none", "overrules": [] });
        server.set_filters(&admin, ANA_ID, none).await;
        assert_eq!(server.timesheets(&ana).await, (vec![ana_id.clone()], "none".into(), "user".into()));

        // Groups: names unique in any case, one overrule per page, only empty ones deleted,
        // and a group that does not open a page keeps its members off it.
        let again = json!({ "name": "AUDITORS", "filter": "none", "pages": [], "overrules": [] });
        let (status, body) = answer(server.http.post(server.url(&admin, "/groups")).bearer_auth(&admin.token).json(&again)).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("name_taken")));
        let twice = json!({ "name": "Twice", "filter": "none", "pages": [],
                            "overrules": [{ "page": "reports", "filter": "none" }, { "page": "reports", "filter": "manager" }] });
        let (status, body) = answer(server.http.post(server.url(&admin, "/groups")).bearer_auth(&admin.token).json(&twice)).await;
        assert_eq!((status, &body["details"]["field"]), (StatusCode::BAD_REQUEST, &json!("overrules")));
        let many = json!({ "name": "Many", "filter": "none", "pages": vec!["members"; 5], "overrules": [] });
        let (status, body) = answer(server.http.post(server.url(&admin, "/groups")).bearer_auth(&admin.token).json(&many)).await;
        assert_eq!((status, &body["details"]["field"]), (StatusCode::BAD_REQUEST, &json!("pages")));
        let group_url = server.url(&admin, &format!("/groups/{}", made["id"].as_str().unwrap()));
        let (status, body) = answer(server.http.delete(&group_url).bearer_auth(&admin.token)).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("group_not_empty")));
        let closed = json!({ "name": "Auditors", "filter": "none", "pages": ["reports"], "overrules": [] });
        let (status, _) = answer(server.http.put(&group_url).bearer_auth(&admin.token).json(&closed)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = answer(server.http.get(server.url(&ben, "/entries")).bearer_auth(&ben.token)).await;
        assert_eq!((status, &body["details"]["page"]), (StatusCode::FORBIDDEN, &json!("timesheets")));
        let back = json!({ "group_id": employees, "filter": null, "overrules": [] });
        server.set_filters(&admin, BEN_ID, back).await;
        let (status, _) = answer(server.http.delete(&group_url).bearer_auth(&admin.token)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        // Unknown (or another workspace's) groups and people are not found.
        let nowhere = json!({ "group_id": Uuid::now_v7(), "filter": null, "overrules": [] });
        let (status, _) = server.set_filters(&admin, BEN_ID, nowhere).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = server.set_filters(&admin, &Uuid::now_v7().to_string(), json!({ "group_id": employees, "filter": null, "overrules": [] })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}
