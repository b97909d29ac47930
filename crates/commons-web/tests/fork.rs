//! Router tests of forks over HTTP: a fork is created by submitting its genesis to the
//! usual route, `/lineage` gives what a verifier needs to check it against its parent,
//! `/forks` lists a commons' forks, and every refusal has its status and stable code.
#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use commons_core::fork::fork_genesis_body;
use commons_core::state::ForkParent;
use commons_ledger::merkle::verify_consistency;
use commons_ledger::note::{Checkpoint, origin_for};
use commons_ledger::{CommonsId, Event, Hash, Kind, SecretKey};
use commons_testkit::{Author, TestNode, key};
use commons_web::{WebConfig, router};
use serde_json::Value as Json;
use tower::ServiceExt;

struct App {
    test: TestNode,
    router: Router,
    /// A commons (CC-BY-SA-4.0) with a genesis and a profile.
    parent: CommonsId,
}

async fn spawn_app() -> App {
    let test = TestNode::start().await;
    let parent = test.create_commons(&key(1), "Orchard").await;
    let mut alice = Author::new(key(2), parent);
    test.node
        .submit(&alice.profile("Alice").envelope().encode())
        .await
        .unwrap();
    let router = router(test.node.clone(), WebConfig::default());
    App {
        test,
        router,
        parent,
    }
}

impl App {
    async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, body.to_vec())
    }

    async fn get_json(&self, uri: &str) -> (StatusCode, Json) {
        let (status, body) = self
            .send(Request::get(uri).body(Body::empty()).unwrap())
            .await;
        (status, serde_json::from_slice(&body).unwrap())
    }

    async fn submit(&self, event: &Event) -> (StatusCode, Json) {
        let request = Request::post("/api/v1/events")
            .header(header::CONTENT_TYPE, "application/cbor")
            .body(Body::from(event.envelope().encode()))
            .unwrap();
        let (status, body) = self.send(request).await;
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// The parent map naming the parent's latest checkpoint, fetched over HTTP.
    async fn latest_parent(&self) -> ForkParent {
        let uri = format!("/api/v1/commons/{}/checkpoint", self.parent.to_hex());
        let (status, note) = self
            .send(Request::get(uri).body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK);
        let note = String::from_utf8(note).unwrap();
        let (checkpoint, _) = Checkpoint::parse_and_verify(
            &note,
            &origin_for(&self.parent),
            &self.test.sequencer.author_key(),
        )
        .unwrap();
        ForkParent {
            commons: self.parent,
            size: checkpoint.size,
            root: checkpoint.root.0,
            checkpoint: note,
        }
    }

    fn fork_genesis(&self, creator: &SecretKey, licence: &str, parent: &ForkParent) -> Event {
        let body = fork_genesis_body(
            "Orchard, forked",
            &[creator.author_key()],
            1,
            &self.test.sequencer.author_key(),
            licence,
            parent,
        );
        Event::sign(
            creator,
            None,
            0,
            None,
            vec![],
            commons_testkit::T0_MS,
            Kind::new("commons.genesis").unwrap(),
            Some(&body),
        )
    }
}

fn hash(json: &Json) -> Hash {
    Hash::from_hex(json.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_fork_submitted_to_the_events_route_has_a_lineage_that_verifies() {
    let app = spawn_app().await;
    let parent = app.latest_parent().await;
    let genesis = app.fork_genesis(&key(50), "CC-BY-SA-4.0", &parent);
    let fork = CommonsId(genesis.id.0);
    let (status, answer) = app.submit(&genesis).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["index"], parent.size);

    let (status, lineage) = app
        .get_json(&format!("/api/v1/commons/{}/lineage", fork.to_hex()))
        .await;
    assert_eq!(status, StatusCode::OK, "{lineage}");
    assert_eq!(lineage["parent"]["commons"], app.parent.to_hex());
    assert_eq!(lineage["parent"]["size"], parent.size);
    assert_eq!(lineage["parent"]["checkpoint"], parent.checkpoint.as_str());
    let sequencer = app.test.sequencer.author_key();
    let (parent_checkpoint, _) = Checkpoint::parse_and_verify(
        lineage["parent"]["checkpoint"].as_str().unwrap(),
        &origin_for(&app.parent),
        &sequencer,
    )
    .unwrap();
    assert_eq!(parent_checkpoint.root, hash(&lineage["parent"]["root"]));
    let (fork_checkpoint, _) = Checkpoint::parse_and_verify(
        lineage["fork_checkpoint"].as_str().unwrap(),
        &origin_for(&fork),
        &sequencer,
    )
    .unwrap();
    assert_eq!(fork_checkpoint.size, parent.size + 1);
    let proof: Vec<Hash> = lineage["consistency_proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(hash)
        .collect();
    verify_consistency(
        parent_checkpoint.size,
        fork_checkpoint.size,
        &parent_checkpoint.root,
        &fork_checkpoint.root,
        &proof,
    )
    .unwrap();
    // A proof for another root does not verify.
    assert!(
        verify_consistency(
            parent_checkpoint.size,
            fork_checkpoint.size,
            &Hash([9; 32]),
            &fork_checkpoint.root,
            &proof,
        )
        .is_err()
    );

    let (status, forks) = app
        .get_json(&format!("/api/v1/commons/{}/forks", app.parent.to_hex()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        forks,
        serde_json::json!([{
            "id": fork.to_hex(),
            "name": "Orchard, forked",
            "fork_size": parent.size,
        }])
    );
    let (status, none) = app
        .get_json(&format!("/api/v1/commons/{}/forks", fork.to_hex()))
        .await;
    assert_eq!((status, none), (StatusCode::OK, serde_json::json!([])));
}

#[tokio::test]
async fn the_lineage_of_a_commons_that_is_not_a_fork_is_not_found() {
    let app = spawn_app().await;
    let (status, error) = app
        .get_json(&format!("/api/v1/commons/{}/lineage", app.parent.to_hex()))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_a_fork"))
    );
    let unknown = CommonsId([5; 32]).to_hex();
    for path in ["lineage", "forks"] {
        let (status, error) = app
            .get_json(&format!("/api/v1/commons/{unknown}/{path}"))
            .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("unknown_commons")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_refused_fork_answers_its_code_and_creates_nothing() {
    let app = spawn_app().await;
    let parent = app.latest_parent().await;
    // Notes signed by a key that sequences nothing.
    let note_of = |commons: &CommonsId| {
        Checkpoint {
            origin: origin_for(commons),
            size: parent.size,
            root: Hash(parent.root),
            extensions: Vec::new(),
        }
        .sign(&key(77))
        .unwrap()
        .to_text()
    };
    let unsigned = ForkParent {
        checkpoint: note_of(&app.parent),
        ..parent.clone()
    };
    let orphan = ForkParent {
        commons: CommonsId([5; 32]),
        checkpoint: note_of(&CommonsId([5; 32])),
        ..parent.clone()
    };
    let n_commons = app.test.node.list_commons().len();
    for (lineage, licence, status, code) in [
        (
            &unsigned,
            "CC-BY-SA-4.0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "checkpoint_unknown",
        ),
        (
            &orphan,
            "CC-BY-SA-4.0",
            StatusCode::NOT_FOUND,
            "parent_unknown",
        ),
        (
            &parent,
            "MIT",
            StatusCode::UNPROCESSABLE_ENTITY,
            "licence_incompatible",
        ),
    ] {
        let genesis = app.fork_genesis(&key(50), licence, lineage);
        let (answer_status, answer) = app.submit(&genesis).await;
        assert_eq!(
            (answer_status, answer["code"].as_str()),
            (status, Some(code)),
            "{answer}"
        );
        assert!(app.test.node.commons(&CommonsId(genesis.id.0)).is_none());
    }
    assert_eq!(app.test.node.list_commons().len(), n_commons);
}
