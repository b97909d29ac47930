//! The peer-production API end to end over the router: events submitted to
//! `POST /api/v1/events` and read back through the board, task, contribution, record,
//! thread, feed and statistics routes.
#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use commons_core::production::bodies::{self, NewArea, NewContribution, NewTask};
use commons_core::production::{Rule, Subject};
use commons_ledger::{CommonsId, Event, EventId};
use commons_testkit::{Author, T0_MS, TestNode, key};
use commons_web::{WebConfig, router};
use serde_json::Value as Json;
use std::net::SocketAddr;
use tower::ServiceExt;

struct App {
    _test: TestNode,
    router: Router,
    commons: CommonsId,
    maintainer: Author,
    bob: Author,
    alice: Author,
}

impl App {
    async fn start() -> App {
        let test = TestNode::start().await;
        let maintainer_key = key(1);
        let commons = test.create_commons(&maintainer_key, "Orchard").await;
        let maintainer = Author {
            key: maintainer_key,
            commons: Some(commons),
            next_seq: 1,
            prev: Some(EventId(commons.0)),
        };
        let router = router(test.node.clone(), WebConfig::default());
        let mut app = App {
            _test: test,
            router,
            commons,
            maintainer,
            bob: Author::new(key(3), commons),
            alice: Author::new(key(2), commons),
        };
        let area = NewArea {
            slug: "docs".into(),
            name: "Documentation".into(),
            description: Some("Guides and reference".into()),
            maintainers: vec![app.maintainer.public(), app.bob.public()],
            threshold: None,
            rule: Rule::Maintainers { approvals: 1 },
            chores: vec![],
            self_approval: None,
            claim_ttl_ms: None,
        };
        let event = app
            .maintainer
            .sign("area.create", &area.body(), vec![], T0_MS);
        app.expect_ok(&event).await;
        app
    }

    async fn request(&self, request: Request<Body>) -> (StatusCode, Json) {
        let mut request = request;
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let json = serde_json::from_slice(&body).unwrap_or(Json::Null);
        (status, json)
    }

    async fn get(&self, path: &str) -> (StatusCode, Json) {
        let uri = format!("/api/v1/commons/{}{path}", self.commons.to_hex());
        self.request(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn submit(&self, event: &Event) -> (StatusCode, Json) {
        let request = Request::post("/api/v1/events")
            .header(header::CONTENT_TYPE, "application/cbor")
            .body(Body::from(event.envelope().encode()))
            .unwrap();
        self.request(request).await
    }

    async fn expect_ok(&self, event: &Event) {
        let (status, json) = self.submit(event).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{} refused: {json}",
            event.header.kind.as_str()
        );
    }

    async fn expect_refused(&self, event: &Event, code: &str) {
        let (status, json) = self.submit(event).await;
        assert!(status.is_client_error(), "{status}: {json}");
        assert_eq!(json["code"], code, "{json}");
    }
}

fn task(title: &str, chore: bool) -> NewTask {
    NewTask {
        area: "docs".into(),
        title: title.into(),
        description: Some(format!("Details of {title}")),
        labels: vec!["beginner".into()],
        effort_hours: Some(3),
        chore,
    }
}

fn care(title: &str, tasks: Vec<EventId>) -> NewContribution {
    NewContribution {
        area: "docs".into(),
        kind: "care".into(),
        title: title.into(),
        description: Some("Answered questions on the forum".into()),
        tasks,
        authors: vec![],
        effort_minutes: Some(90),
        sponsor: None,
        revision: None,
        evidence: vec![],
        checklist: vec![],
    }
}

#[tokio::test]
async fn a_task_is_posted_signalled_claimed_and_resolved_by_accepted_work() {
    let mut app = App::start().await;
    let posted = app.alice.sign(
        "task.post",
        &task("Write a tutorial", true).body(),
        vec![],
        T0_MS,
    );
    app.expect_ok(&posted).await;
    let quiet = app.alice.sign(
        "task.post",
        &task("Fix a typo", false).body(),
        vec![],
        T0_MS,
    );
    app.expect_ok(&quiet).await;
    let need = app.bob.sign(
        "task.signal",
        &bodies::signal(&posted.id, true),
        vec![],
        T0_MS,
    );
    app.expect_ok(&need).await;

    // The board ranks by the published points and explains them.
    let (status, board) = app.get("/tasks?area=docs").await;
    assert_eq!(status, StatusCode::OK, "{board}");
    assert_eq!(board["matching"], 2);
    assert!(board["ranking"].as_str().unwrap().contains("3 points"));
    let first = &board["tasks"][0];
    assert_eq!(first["id"], posted.id.to_hex());
    assert_eq!(first["score"]["needs"], 1);
    assert_eq!(first["score"]["total"], 3 + 5, "a need and the chore bonus");

    // Claiming takes it off the default board; another claim is refused.
    let claim = app
        .alice
        .sign("task.claim", &bodies::task_ref(&posted.id), vec![], T0_MS);
    app.expect_ok(&claim).await;
    let grab = app
        .bob
        .sign("task.claim", &bodies::task_ref(&posted.id), vec![], T0_MS);
    app.expect_refused(&grab, "task_claimed").await;
    app.bob.next_seq -= 1;
    app.bob.prev = Some(need.id);
    let (_, board) = app.get("/tasks").await;
    assert_eq!(board["matching"], 1);
    let (_, board) = app.get("/tasks?claimed=true").await;
    assert_eq!(board["matching"], 2);
    assert_eq!(board["tasks"][0]["claimed_by"], app.alice.public().to_hex());

    // Alice's care work naming the task is approved by a maintainer and resolves it.
    let work = app.alice.sign(
        "contrib.submit",
        &care("Tutorial", vec![posted.id]).body(),
        vec![],
        T0_MS,
    );
    app.expect_ok(&work).await;
    let (_, pending) = app
        .get(&format!("/contributions/{}", work.id.to_hex()))
        .await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["description"], "Answered questions on the forum");
    assert_eq!(pending["meets_rule"], false);
    let approve = app.maintainer.sign(
        "contrib.review",
        &bodies::review(&work.id, "approve", None),
        vec![],
        T0_MS,
    );
    app.expect_ok(&approve).await;
    let (_, accepted) = app
        .get(&format!("/contributions/{}", work.id.to_hex()))
        .await;
    assert_eq!(accepted["status"], "accepted", "{accepted}");
    assert_eq!(accepted["reviews"][0]["counts"], true);
    let (_, resolved) = app.get(&format!("/tasks/{}", posted.id.to_hex())).await;
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolved_by"], work.id.to_hex());
    assert_eq!(resolved["description"], "Details of Write a tutorial");

    // The record, the statistics and the feed show it.
    let (_, record) = app
        .get(&format!("/people/{}", app.alice.public().to_hex()))
        .await;
    assert_eq!(record["accepted"], 1);
    assert_eq!(record["tasks_done"], 1);
    assert_eq!(record["chores_done"], 1);
    assert_eq!(record["effort_minutes"], 90);
    assert_eq!(record["accepted_volunteer"], 1);
    assert_eq!(record["accepted_by_area"]["docs"], 1);
    assert_eq!(record["page"][0]["id"], work.id.to_hex());
    let (_, stats) = app.get("/statistics").await;
    assert_eq!(stats["accepted"], 1);
    assert_eq!(stats["decisions"], 1);
    assert_eq!(stats["chores_done"], 1);
    assert_eq!(stats["accepted_by_sponsor"][0]["key"], Json::Null);
    let (_, feed) = app.get("/feed?area=docs&limit=3").await;
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["contrib.review", "contrib.submit", "task.claim"]);
    let (_, listed) = app.get("/contributions?status=accepted").await;
    assert_eq!(listed["matching"], 1);
    let (_, areas) = app.get("/areas").await;
    assert_eq!(areas[0]["slug"], "docs");
    assert_eq!(areas[0]["contributions"], 1);
}

#[tokio::test]
async fn threads_show_posts_edits_and_hidings() {
    let mut app = App::start().await;
    let posted = app
        .alice
        .sign("task.post", &task("Translate", false).body(), vec![], T0_MS);
    app.expect_ok(&posted).await;
    let subject = Subject::Task(posted.id);
    let hello = app.bob.sign(
        "thread.post",
        &bodies::post(&subject, "Which language?", None, &[app.alice.public()]),
        vec![],
        T0_MS,
    );
    app.expect_ok(&hello).await;
    let edit = app.bob.sign(
        "thread.edit",
        &bodies::edit_post(&hello.id, "Which language first?", &[]),
        vec![],
        T0_MS,
    );
    app.expect_ok(&edit).await;
    let spam = app.alice.sign(
        "thread.post",
        &bodies::post(&subject, "buy now", None, &[]),
        vec![],
        T0_MS,
    );
    app.expect_ok(&spam).await;
    let hide = app.maintainer.sign(
        "thread.hide",
        &bodies::hide_post(&spam.id, "advertising"),
        vec![],
        T0_MS,
    );
    app.expect_ok(&hide).await;
    let (status, thread) = app
        .get(&format!("/threads/task/{}", posted.id.to_hex()))
        .await;
    assert_eq!(status, StatusCode::OK, "{thread}");
    assert_eq!(thread["posts_total"], 2);
    assert_eq!(thread["posts"][0]["text"], "Which language first?");
    assert_eq!(thread["posts"][0]["version"], 2);
    assert_eq!(thread["posts"][1]["text"], Json::Null);
    assert_eq!(thread["posts"][1]["hidden_reason"], "advertising");
    let nowhere = app.alice.sign(
        "thread.post",
        &bodies::post(&Subject::Task(EventId([7; 32])), "hello?", None, &[]),
        vec![],
        T0_MS,
    );
    app.expect_refused(&nowhere, "object_unknown").await;
}

#[tokio::test]
async fn bad_queries_and_unknown_items_get_stable_codes() {
    let app = App::start().await;
    let unknown = EventId([9; 32]).to_hex();
    for (path, status, code) in [
        (
            format!("/tasks/{unknown}"),
            StatusCode::NOT_FOUND,
            "unknown_task",
        ),
        (
            format!("/contributions/{unknown}"),
            StatusCode::NOT_FOUND,
            "unknown_contribution",
        ),
        (
            format!("/artifacts/{unknown}"),
            StatusCode::NOT_FOUND,
            "unknown_artifact",
        ),
        (
            format!("/threads/task/{unknown}"),
            StatusCode::NOT_FOUND,
            "object_unknown",
        ),
        (
            format!("/threads/wiki/{unknown}"),
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
        (
            "/tasks?area=nowhere".to_owned(),
            StatusCode::NOT_FOUND,
            "unknown_area",
        ),
        (
            "/tasks?limit=0".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/tasks?limit=100000".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/tasks?offset=20000".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/contributions?status=lost".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/tasks?colour=red".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
    ] {
        let (got, json) = app.get(&path).await;
        assert_eq!(
            (got, json["code"].as_str()),
            (status, Some(code)),
            "{path}: {json}"
        );
    }
    let (got, json) = app
        .request(
            Request::get(format!(
                "/api/v1/commons/{}/tasks",
                EventId([1; 32]).to_hex()
            ))
            .body(Body::empty())
            .unwrap(),
        )
        .await;
    assert_eq!(
        (got, json["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_commons"))
    );
}

#[tokio::test]
async fn a_revision_needs_its_blob_uploaded_first_and_becomes_the_artifact_when_accepted() {
    let mut app = App::start().await;
    let text = b"# First steps\n\nWalk to the bridge.\n".to_vec();
    let blob = commons_ledger::BlobRef::of_bytes(&text);
    let contribution = NewContribution {
        area: "docs".into(),
        kind: "revision".into(),
        title: "First-steps guide".into(),
        description: None,
        tasks: vec![],
        authors: vec![],
        effort_minutes: Some(30),
        sponsor: None,
        revision: Some(bodies::RevisionSpec {
            artifact: None,
            base: None,
            name: Some("first-steps.md".into()),
            artifact_kind: Some("document".into()),
            media_type: "text/markdown".into(),
            blob,
        }),
        evidence: vec![],
        checklist: vec![],
    };
    let early = app
        .alice
        .sign("contrib.submit", &contribution.body(), vec![], T0_MS);
    app.expect_refused(&early, "blob_missing").await;
    app.alice.next_seq -= 1;
    app.alice.prev = None;

    let upload = Request::post("/api/v1/blobs")
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(text.clone()))
        .unwrap();
    let (status, stored) = app.request(upload).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["ref"], blob.name());
    let work = app
        .alice
        .sign("contrib.submit", &contribution.body(), vec![], T0_MS);
    assert_eq!(
        work.id, early.id,
        "the same event, now that its blob is here"
    );
    app.expect_ok(&work).await;
    let approve = app.bob.sign(
        "contrib.review",
        &bodies::review(&work.id, "approve", None),
        vec![],
        T0_MS,
    );
    app.expect_ok(&approve).await;
    let (status, artifact) = app.get(&format!("/artifacts/{}", work.id.to_hex())).await;
    assert_eq!(status, StatusCode::OK, "{artifact}");
    assert_eq!(artifact["name"], "first-steps.md");
    assert_eq!(artifact["revisions"][0]["blob"], blob.name());
    assert_eq!(
        artifact["revisions"][0]["authors"][0],
        app.alice.public().to_hex()
    );
    let (_, listed) = app.get("/artifacts").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}
