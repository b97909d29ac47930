//! Router tests of the HTTP API, driven through `tower::ServiceExt::oneshot` (no socket)
//! against a node on a fresh SQLite store with a fixed clock.
//!
//! Every bad-input case of the issue has its own test that checks the status, the stable
//! code and that nothing was stored.
#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use commons_ledger::cbor::Value;
use commons_ledger::event::{BODY_LEN_MAX, leaf_data, signing_bytes};
use commons_ledger::hash::Hash;
use commons_ledger::merkle::{self, MemoryTree};
use commons_ledger::note::{Checkpoint, origin_for};
use commons_ledger::receipt::Receipt;
use commons_ledger::tiles;
use commons_ledger::{AuthorKey, CommonsId, Envelope, Event, EventId, Header, Kind, SecretKey};
use commons_node::CLOCK_SKEW_MS_MAX;
use commons_testkit::{Author, T0_MS, TestNode, genesis_body, key, profile_body};
use commons_web::{PAGE_SIZE_MAX, REQUEST_BODY_BYTES_MAX, WebConfig, router, routes};
use serde_json::Value as Json;
use std::net::SocketAddr;
use tower::ServiceExt;

/// A node hosting one commons whose ledger already holds a tick at the node's (fixed)
/// clock, so that later events append no tick and sizes move only by what a test submits.
struct App {
    test: TestNode,
    router: Router,
    commons: CommonsId,
    maintainer: Author,
    /// An author with one event (a profile at seq 0).
    alice: Author,
}

async fn spawn_app() -> App {
    spawn_app_with(WebConfig::default()).await
}

async fn spawn_app_with(config: WebConfig) -> App {
    let test = TestNode::start().await;
    let maintainer_key = key(1);
    let commons = test.create_commons(&maintainer_key, "Orchard").await;
    let maintainer = Author {
        key: maintainer_key,
        commons: Some(commons),
        next_seq: 1,
        prev: Some(EventId(commons.0)),
    };
    let mut alice = Author::new(key(2), commons);
    let profile = alice.profile("Alice");
    test.node
        .submit(&profile.envelope().encode())
        .await
        .unwrap();
    let router = router(test.node.clone(), config);
    App {
        test,
        router,
        commons,
        maintainer,
        alice,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts an error answer: status, stable code, and the one JSON error shape.
    fn assert_error(&self, status: StatusCode, code: &str) {
        let json = self.json();
        assert_eq!(
            (self.status, json["code"].as_str()),
            (status, Some(code)),
            "answer: {json}"
        );
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "answer: {json}"
        );
        assert_eq!(json.as_object().unwrap().len(), 2, "answer: {json}");
    }
}

impl App {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn post_envelope(&self, bytes: Vec<u8>) -> Answer {
        let request = Request::post("/api/v1/events")
            .header(header::CONTENT_TYPE, "application/cbor")
            .body(Body::from(bytes))
            .unwrap();
        self.send(request).await
    }

    async fn submit(&self, event: &Event) -> Answer {
        self.post_envelope(event.envelope().encode()).await
    }

    fn size(&self) -> u64 {
        self.test.node.commons(&self.commons).unwrap().size
    }

    fn n_commons(&self) -> usize {
        self.test.node.list_commons().len()
    }

    fn base(&self) -> String {
        format!("/api/v1/commons/{}", self.commons.to_hex())
    }

    /// Submits `bytes` and asserts the rejection and that the ledger did not change.
    async fn check_rejected(&self, bytes: Vec<u8>, status: StatusCode, code: &str) {
        let size = self.size();
        let n_commons = self.n_commons();
        let id = Event::decode(&bytes).ok().map(|e| e.id);
        self.post_envelope(bytes).await.assert_error(status, code);
        assert_eq!(self.size(), size, "the ledger grew");
        assert_eq!(self.n_commons(), n_commons, "a commons was created");
        if let Some(id) = id {
            let status = self
                .test
                .node
                .event_status(&self.commons, &id)
                .await
                .unwrap();
            assert_eq!(
                status,
                commons_node::EventStatus::Unknown,
                "the event was kept"
            );
        }
    }
}

/// An envelope for `header`, signed by `key`, with `body` as given (it may not match).
fn signed_envelope(key: &SecretKey, header_bytes: Vec<u8>, body: Option<Vec<u8>>) -> Vec<u8> {
    let signature = key.sign(&signing_bytes(&header_bytes));
    Envelope {
        header_bytes,
        signature,
        body,
    }
    .encode()
}

/// The header of the next event of `author`, with `body_bytes` bound into it.
fn next_header(author: &Author, kind: &str, body_bytes: &[u8]) -> Header {
    Header {
        commons: author.commons,
        author: author.public(),
        seq: author.next_seq,
        prev: author.prev,
        deps: vec![],
        time_ms: T0_MS,
        kind: Kind::new(kind).unwrap(),
        body_len: body_bytes.len() as u64,
        body_hash: Hash::of(&[body_bytes]),
    }
}

/// The identity point: `y = 1`, of order 1, so any signature "verifies" under it.
fn small_order_key() -> AuthorKey {
    let mut point = [0u8; 32];
    point[0] = 1;
    AuthorKey(point)
}

fn decode_envelopes(bytes: &[u8]) -> Vec<Envelope> {
    match Value::decode(bytes).unwrap() {
        Value::Array(items) => items
            .into_iter()
            .map(|item| Envelope::from_value(item).unwrap())
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn hashes(json: &Json) -> Vec<Hash> {
    json["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Bad input: one test per case, each a 4xx with its own code and nothing stored.
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn malformed_cbor_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.check_rejected(vec![0xff], StatusCode::BAD_REQUEST, "malformed_cbor")
        .await;
    let truncated = app.alice.clone().profile("Alice again").envelope().encode();
    app.check_rejected(
        truncated[..truncated.len() - 1].to_vec(),
        StatusCode::BAD_REQUEST,
        "malformed_cbor",
    )
    .await;
}

#[tokio::test]
async fn a_header_integer_in_a_longer_form_is_refused_as_non_canonical() {
    let app = spawn_app().await;
    let body = profile_body("Alice", "person").encode();
    let mut header_bytes = next_header(&app.alice, "agent.profile", &body).encode();
    // The version, 1, written with a one-byte argument (0x18 0x01) instead of inline.
    assert_eq!(header_bytes[1], 0x01);
    header_bytes.splice(1..2, [0x18, 0x01]);
    let envelope = signed_envelope(&app.alice.key, header_bytes, Some(body));
    app.check_rejected(envelope, StatusCode::BAD_REQUEST, "non_canonical")
        .await;
}

#[tokio::test]
async fn a_body_map_with_unsorted_keys_is_refused_as_non_canonical() {
    let app = spawn_app().await;
    // {"name": "A", "kind": "person"}: both keys encode to five bytes and "kind" sorts
    // first bytewise, but this writes "name" first.
    let mut body = vec![0xa2];
    body.extend([0x64, b'n', b'a', b'm', b'e', 0x61, b'A']);
    body.extend([
        0x64, b'k', b'i', b'n', b'd', 0x66, b'p', b'e', b'r', b's', b'o', b'n',
    ]);
    let header = next_header(&app.alice, "agent.profile", &body);
    let envelope = signed_envelope(&app.alice.key, header.encode(), Some(body));
    app.check_rejected(envelope, StatusCode::BAD_REQUEST, "non_canonical")
        .await;
}

#[tokio::test]
async fn a_wrong_version_is_refused() {
    let app = spawn_app().await;
    let body = profile_body("Alice", "person").encode();
    let mut header_bytes = next_header(&app.alice, "agent.profile", &body).encode();
    header_bytes[1] = 0x02;
    let envelope = signed_envelope(&app.alice.key, header_bytes, Some(body));
    app.check_rejected(envelope, StatusCode::BAD_REQUEST, "unsupported_version")
        .await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused() {
    let app = spawn_app().await;
    let body = Value::text_map([("name", Value::bytes(vec![0u8; BODY_LEN_MAX]))]);
    let event = app
        .alice
        .clone()
        .sign("agent.profile", &body, vec![], T0_MS);
    let envelope = event.envelope().encode();
    assert!(event.body.as_ref().unwrap().len() > BODY_LEN_MAX);
    assert!(
        envelope.len() <= REQUEST_BODY_BYTES_MAX,
        "the HTTP limit must let the ledger's own check speak"
    );
    app.check_rejected(envelope, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
        .await;
}

#[tokio::test]
async fn a_body_that_does_not_match_body_len_or_body_hash_is_refused() {
    let app = spawn_app().await;
    let event = app.alice.clone().profile("Alice again");
    let body = event.body.clone().unwrap();
    let mut same_length = body.clone();
    *same_length.last_mut().unwrap() ^= 1;
    let mut longer = body.clone();
    longer.push(0);
    for wrong in [same_length, longer, Vec::new()] {
        let envelope = Envelope {
            body: Some(wrong),
            ..event.envelope()
        };
        app.check_rejected(envelope.encode(), StatusCode::BAD_REQUEST, "body_mismatch")
            .await;
    }
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    let app = spawn_app().await;
    let mut envelope = app.alice.clone().profile("Alice again").envelope();
    envelope.signature.0[10] ^= 0x40;
    app.check_rejected(envelope.encode(), StatusCode::BAD_REQUEST, "bad_signature")
        .await;
    // A signature by another key is just as bad.
    let event = app.alice.clone().profile("Alice again");
    let forged = signed_envelope(&key(77), event.header_bytes.clone(), event.body.clone());
    app.check_rejected(forged, StatusCode::BAD_REQUEST, "bad_signature")
        .await;
}

#[tokio::test]
async fn an_event_by_a_small_order_key_is_refused() {
    let app = spawn_app().await;
    let body = profile_body("Nobody", "person").encode();
    let mut header = next_header(&Author::new(key(5), app.commons), "agent.profile", &body);
    header.author = small_order_key();
    let envelope = signed_envelope(&key(5), header.encode(), Some(body));
    app.check_rejected(envelope, StatusCode::BAD_REQUEST, "small_order_key")
        .await;
}

#[tokio::test]
async fn a_genesis_naming_a_small_order_maintainer_is_refused() {
    let app = spawn_app().await;
    let body = genesis_body(
        "Weak",
        &[small_order_key()],
        1,
        &app.test.sequencer.author_key(),
        "CC0-1.0",
    );
    let genesis = Event::sign(
        &key(6),
        None,
        0,
        None,
        vec![],
        T0_MS,
        Kind::new("commons.genesis").unwrap(),
        Some(&body),
    );
    let n_commons = app.n_commons();
    app.submit(&genesis)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "small_order_key");
    assert_eq!(app.n_commons(), n_commons);
    assert!(app.test.node.commons(&CommonsId(genesis.id.0)).is_none());
}

#[tokio::test]
async fn a_seq_gap_after_a_known_prev_is_refused() {
    let app = spawn_app().await;
    let body = profile_body("Alice", "person");
    // Alice's last event is at seq 0; this names it as prev but claims seq 2.
    let gap = Event::sign(
        &app.alice.key,
        Some(app.commons),
        2,
        app.alice.prev,
        vec![],
        T0_MS,
        Kind::new("agent.profile").unwrap(),
        Some(&body),
    );
    app.check_rejected(gap.envelope().encode(), StatusCode::CONFLICT, "seq_gap")
        .await;
}

#[tokio::test]
async fn a_prev_that_does_not_match_the_authors_last_event_is_refused() {
    let app = spawn_app().await;
    let body = profile_body("Alice", "person");
    // Seq 1 is Alice's next slot, but prev names the genesis, not her seq 0.
    let wrong_prev = Event::sign(
        &app.alice.key,
        Some(app.commons),
        1,
        Some(EventId(app.commons.0)),
        vec![],
        T0_MS,
        Kind::new("agent.profile").unwrap(),
        Some(&body),
    );
    app.check_rejected(
        wrong_prev.envelope().encode(),
        StatusCode::CONFLICT,
        "prev_mismatch",
    )
    .await;
}

#[tokio::test]
async fn more_than_32_deps_are_refused() {
    let app = spawn_app().await;
    let deps: Vec<EventId> = (0..33u8).map(|i| EventId([i; 32])).collect();
    let event = app.alice.clone().sign(
        "agent.profile",
        &profile_body("Alice", "person"),
        deps,
        T0_MS,
    );
    assert_eq!(event.header.deps.len(), 33);
    app.check_rejected(
        event.envelope().encode(),
        StatusCode::BAD_REQUEST,
        "too_many_deps",
    )
    .await;
}

#[tokio::test]
async fn unsorted_deps_are_refused() {
    let app = spawn_app().await;
    let body = profile_body("Alice", "person").encode();
    let mut header = next_header(&app.alice, "agent.profile", &body);
    header.deps = vec![app.alice.prev.unwrap(), EventId(app.commons.0)];
    header.deps.sort();
    header.deps.reverse();
    let envelope = signed_envelope(&app.alice.key, header.encode(), Some(body));
    app.check_rejected(envelope, StatusCode::BAD_REQUEST, "deps_unsorted")
        .await;
}

#[tokio::test]
async fn a_time_more_than_10_minutes_ahead_of_the_node_clock_is_refused() {
    let app = spawn_app().await;
    let ahead = T0_MS + CLOCK_SKEW_MS_MAX + 1;
    let event = app.alice.clone().sign(
        "agent.profile",
        &profile_body("Alice", "person"),
        vec![],
        ahead,
    );
    app.check_rejected(
        event.envelope().encode(),
        StatusCode::BAD_REQUEST,
        "time_in_future",
    )
    .await;
    // Once the node's clock catches up, the same event is within the allowed skew.
    app.test.clock.advance(1);
    let answer = app.submit(&event).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn an_event_for_an_unknown_commons_is_refused() {
    let app = spawn_app().await;
    let event = Author::new(key(2), CommonsId([7; 32])).profile("Alice");
    let answer = app.submit(&event).await;
    answer.assert_error(StatusCode::NOT_FOUND, "unknown_commons");
    assert_eq!(app.n_commons(), 1);
    assert_eq!(app.size(), 3);
}

#[tokio::test]
async fn an_unknown_kind_is_refused() {
    let app = spawn_app().await;
    let event = app
        .alice
        .clone()
        .sign("widget.frobnicate", &Value::text_map([]), vec![], T0_MS);
    app.check_rejected(
        event.envelope().encode(),
        StatusCode::BAD_REQUEST,
        "unknown_kind",
    )
    .await;
}

#[tokio::test]
async fn a_tick_from_anyone_but_the_sequencer_is_not_authorised() {
    let app = spawn_app().await;
    let tick = app.alice.clone().sign(
        "ledger.tick",
        &Value::text_map([("time", Value::Unsigned(T0_MS))]),
        vec![],
        T0_MS,
    );
    app.check_rejected(
        tick.envelope().encode(),
        StatusCode::FORBIDDEN,
        "not_authorised",
    )
    .await;
}

#[tokio::test]
async fn a_governance_update_from_a_non_maintainer_is_not_authorised() {
    let app = spawn_app().await;
    let update = app.alice.clone().sign(
        "gov.update",
        &Value::text_map([("name", Value::text("Alice's orchard"))]),
        vec![],
        T0_MS,
    );
    app.check_rejected(
        update.envelope().encode(),
        StatusCode::FORBIDDEN,
        "not_authorised",
    )
    .await;
    // The maintainer may.
    let update = app.maintainer.clone().sign(
        "gov.update",
        &Value::text_map([("name", Value::text("Shared orchard"))]),
        vec![],
        T0_MS,
    );
    assert_eq!(app.submit(&update).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_duplicate_gets_the_same_answer_and_is_stored_once() {
    let app = spawn_app().await;
    let event = app.alice.clone().profile("Alice, again");
    let first = app.submit(&event).await;
    assert_eq!(first.status, StatusCode::OK);
    let size = app.size();
    let second = app.submit(&event).await;
    assert_eq!((second.status, second.json()), (first.status, first.json()));
    assert_eq!(first.json()["id"], event.id.to_hex());
    assert_eq!(app.size(), size);
    let page = app
        .get(&format!(
            "{}/events?author={}",
            app.base(),
            app.alice.public().to_hex()
        ))
        .await
        .json();
    assert_eq!(
        page["events"].as_array().unwrap().len(),
        2,
        "seq 0 and this one, once"
    );
}

#[tokio::test]
async fn an_equivocation_is_refused_recorded_as_evidence_and_freezes_the_author() {
    let app = spawn_app().await;
    let mut alice = app.alice.clone();
    let fork_point = alice.clone();
    let first = alice.profile("Alice");
    assert_eq!(app.submit(&first).await.status, StatusCode::OK);
    let second = fork_point.clone().profile("Not Alice");
    assert_ne!(first.id, second.id);
    let size = app.size();

    app.submit(&second)
        .await
        .assert_error(StatusCode::CONFLICT, "equivocation");
    // The second event is not stored; the node recorded evidence in its place.
    let status = app
        .test
        .node
        .event_status(&app.commons, &second.id)
        .await
        .unwrap();
    assert_eq!(status, commons_node::EventStatus::Unknown);

    // The node answers the equivocation before its evidence commit is published (see the
    // report on commons-node), so sizes are compared once the next submission, which the
    // sequencer takes only after that commit, has been answered.
    let next = alice.profile("Alice, later");
    app.submit(&next)
        .await
        .assert_error(StatusCode::FORBIDDEN, "author_frozen");
    let status = app
        .test
        .node
        .event_status(&app.commons, &next.id)
        .await
        .unwrap();
    assert_eq!(status, commons_node::EventStatus::Unknown);

    assert_eq!(app.size(), size + 1, "only the evidence was appended");
    let evidence = app
        .get(&format!("{}/events?kind=evidence.equivocation", app.base()))
        .await
        .json();
    let evidence = evidence["events"].as_array().unwrap();
    assert_eq!(evidence.len(), 1);
    assert_eq!(
        evidence[0]["author"],
        app.test.sequencer.author_key().to_hex()
    );
    assert_eq!(evidence[0]["index"], size);
    let hex_of = |bytes: &[u8]| Json::String(hex::encode(bytes));
    assert_eq!(
        evidence[0]["body"]["first"][0]["$hex"],
        hex_of(&first.header_bytes)
    );
    assert_eq!(
        evidence[0]["body"]["second"][0]["$hex"],
        hex_of(&second.header_bytes)
    );
}

// ---------------------------------------------------------------------------------------
// Submitting: media type, body limit, pending events, genesis.
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_submission_that_is_not_cbor_is_refused_with_415() {
    let app = spawn_app().await;
    let envelope = app.alice.clone().profile("Alice again").envelope().encode();
    for content_type in [Some("application/json"), Some("text/plain"), None] {
        let mut request = Request::post("/api/v1/events");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let answer = app
            .send(request.body(Body::from(envelope.clone())).unwrap())
            .await;
        answer.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
    assert_eq!(app.size(), 3);
    // Parameters on the media type are fine.
    let request = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "Application/CBOR; foo=bar")
        .body(Body::from(envelope))
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_request_body_over_the_limit_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let too_long = vec![0u8; REQUEST_BODY_BYTES_MAX + 1];
    app.check_rejected(
        too_long.clone(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_too_large",
    )
    .await;
    // A declared length over the limit is refused from the header alone.
    let request = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/cbor")
        .header(header::CONTENT_LENGTH, too_long.len())
        .body(Body::from(too_long))
        .unwrap();
    app.send(request)
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large");

    // The limit is configurable, and a valid event over it is refused just the same.
    let small = spawn_app_with(WebConfig {
        request_body_bytes_max: 100,
        ..WebConfig::default()
    })
    .await;
    let event = small.alice.clone().profile("Alice again");
    assert!(event.envelope().encode().len() > 100);
    small
        .check_rejected(
            event.envelope().encode(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
        )
        .await;
}

#[tokio::test]
async fn an_event_whose_prev_is_missing_is_pending_until_its_prev_arrives() {
    let app = spawn_app().await;
    let mut bob = Author::new(key(3), app.commons);
    let first = bob.profile("Bob");
    let second = bob.profile("Robert");

    let answer = app.submit(&second).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(
        answer.json(),
        serde_json::json!({"id": second.id.to_hex(), "status": "pending", "index": null})
    );
    let status = app
        .get(&format!("{}/events/{}", app.base(), second.id.to_hex()))
        .await;
    assert_eq!(status.json()["status"], "pending");
    assert_eq!(status.json()["event"], Json::Null);
    // Asking again gives the same answer.
    assert_eq!(app.submit(&second).await.status, StatusCode::ACCEPTED);

    let answer = app.submit(&first).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        serde_json::json!({"id": first.id.to_hex(), "status": "sequenced", "index": 3})
    );
    let status = app
        .get(&format!("{}/events/{}", app.base(), second.id.to_hex()))
        .await
        .json();
    assert_eq!(status["status"], "sequenced");
    assert_eq!(status["index"], 4);
    assert_eq!(status["event"]["body"]["name"], "Robert");
    assert_eq!(app.submit(&second).await.json()["index"], 4);
}

#[tokio::test]
async fn a_genesis_that_names_another_sequencer_is_forbidden() {
    let app = spawn_app().await;
    let body = genesis_body(
        "Elsewhere",
        &[key(8).author_key()],
        1,
        &key(9).author_key(),
        "CC0-1.0",
    );
    let genesis = Event::sign(
        &key(8),
        None,
        0,
        None,
        vec![],
        T0_MS,
        Kind::new("commons.genesis").unwrap(),
        Some(&body),
    );
    app.submit(&genesis)
        .await
        .assert_error(StatusCode::FORBIDDEN, "sequencer_mismatch");
    assert_eq!(app.n_commons(), 1);
    // The same genesis naming this node's sequencer creates a commons, at index 0.
    let body = genesis_body(
        "Here",
        &[key(8).author_key()],
        1,
        &app.test.sequencer.author_key(),
        "CC0-1.0",
    );
    let genesis = Event::sign(
        &key(8),
        None,
        0,
        None,
        vec![],
        T0_MS,
        Kind::new("commons.genesis").unwrap(),
        Some(&body),
    );
    let answer = app.submit(&genesis).await;
    assert_eq!(
        answer.json(),
        serde_json::json!({"id": genesis.id.to_hex(), "status": "sequenced", "index": 0})
    );
    assert_eq!(app.n_commons(), 2);
}

// ---------------------------------------------------------------------------------------
// Reading: node, commons, events.
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_node_endpoint_names_the_sequencer_key() {
    let app = spawn_app().await;
    let node = app.get("/api/v1/node").await;
    assert_eq!(node.status, StatusCode::OK);
    let node = node.json();
    assert_eq!(node["sequencer"], app.test.sequencer.author_key().to_hex());
    assert_eq!(node["sequencer"].as_str().unwrap().len(), 66);
    assert_eq!(node["accepts_new_commons"], true);
    assert!(node["version"].is_string());
}

#[tokio::test]
async fn the_commons_list_and_overview_describe_the_commons() {
    let app = spawn_app().await;
    let list = app.get("/api/v1/commons").await.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], app.commons.to_hex());
    assert_eq!(list[0]["name"], "Orchard");
    assert_eq!(list[0]["size"], 3);
    assert_eq!(list[0]["licence"], "CC-BY-SA-4.0");

    let overview = app.get(&app.base()).await.json();
    assert_eq!(overview["id"], app.commons.to_hex());
    assert_eq!(overview["size"], 3);
    assert_eq!(
        overview["maintainers"],
        serde_json::json!([app.maintainer.public().to_hex()])
    );
    assert_eq!(overview["threshold"], 1);
    assert_eq!(
        overview["sequencer"],
        app.test.sequencer.author_key().to_hex()
    );
    assert_eq!(overview["governance_version"], 0);
    assert_eq!(overview["ledger_time_ms"], T0_MS);
    assert_eq!(overview["n_authors"], 3, "maintainer, sequencer and alice");
    let checkpoint = overview["checkpoint"].as_str().unwrap();
    assert!(checkpoint.starts_with(&format!("commons/{}\n3\n", app.commons.to_hex())));

    app.get(&format!("/api/v1/commons/{}", "ab".repeat(32)))
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_commons");
    app.get("/api/v1/commons/not-hex")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
    app.get(&format!(
        "/api/v1/commons/{}",
        app.commons.to_hex().to_uppercase()
    ))
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
}

#[tokio::test]
async fn events_render_as_json_for_people_and_page_with_a_next_cursor() {
    let app = spawn_app().await;
    let mut bob = Author::new(key(3), app.commons);
    for name in ["Bob", "Robert", "Rob"] {
        assert_eq!(app.submit(&bob.profile(name)).await.status, StatusCode::OK);
    }
    let size = app.size();
    assert_eq!(size, 6);

    let mut uri = format!("{}/events?limit=4", app.base());
    let mut indexes = Vec::new();
    let mut pages = 0;
    loop {
        let answer = app.get(&uri).await;
        assert_eq!(answer.status, StatusCode::OK);
        let page = answer.json();
        indexes.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["index"].as_u64().unwrap()),
        );
        pages += 1;
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(
                    answer.header(header::LINK),
                    Some(format!("<{next}>; rel=\"next\"").as_str())
                );
                uri = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(indexes, (0..size).collect::<Vec<_>>());
    assert_eq!(pages, 2);

    let page = app
        .get(&format!("{}/events?from=3&limit=1", app.base()))
        .await
        .json();
    let event = &page["events"][0];
    let stored = app.test.node.store();
    let expected = commons_store::Store::events_range(stored, &app.commons, 3, 4)
        .await
        .unwrap()
        .remove(0);
    let header = Header::decode(&expected.header_bytes).unwrap();
    assert_eq!(event["index"], 3);
    assert_eq!(event["id"], expected.id.to_hex());
    assert_eq!(event["commons"], app.commons.to_hex());
    assert_eq!(event["author"], bob.public().to_hex());
    assert_eq!(event["seq"], 0);
    assert_eq!(event["prev"], Json::Null);
    assert_eq!(event["deps"], serde_json::json!([]));
    assert_eq!(event["time"], T0_MS);
    assert_eq!(event["kind"], "agent.profile");
    assert_eq!(
        event["body"],
        serde_json::json!({"name": "Bob", "kind": "person"})
    );
    assert_eq!(event["body_len"], header.body_len);
    assert_eq!(event["body_hash"], header.body_hash.to_hex());
    assert_eq!(event["body_withheld"], false);
    assert_eq!(event["signature"], hex::encode(expected.signature.0));
    assert_eq!(
        page["next"],
        format!("{}/events?from=4&limit=1", app.base())
    );

    let by_bob = app
        .get(&format!(
            "{}/events?author={}&order=desc",
            app.base(),
            bob.public().to_hex()
        ))
        .await
        .json();
    let seqs: Vec<u64> = by_bob["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![2, 1, 0]);
    let ticks = app
        .get(&format!("{}/events?kind=ledger.tick", app.base()))
        .await
        .json();
    assert_eq!(ticks["events"].as_array().unwrap().len(), 1);
    let newest_first = app
        .get(&format!("{}/events?order=desc&limit=2", app.base()))
        .await
        .json();
    assert_eq!(newest_first["events"][0]["index"], 5);
    assert_eq!(
        newest_first["next"],
        format!("{}/events?before=4&limit=2&order=desc", app.base())
    );

    app.get(&format!("{}/events?kind=Not-A-Kind", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    app.get(&format!("{}/events?author=01zz", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    app.get(&format!("{}/events?order=sideways", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    app.get(&format!("{}/events?colour=red", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn events_are_served_as_a_cbor_array_of_envelopes_on_request() {
    let app = spawn_app().await;
    let by_param = app
        .get(&format!("{}/events?format=cbor&limit=2", app.base()))
        .await;
    assert_eq!(by_param.status, StatusCode::OK);
    assert_eq!(
        by_param.header(header::CONTENT_TYPE),
        Some("application/cbor")
    );
    assert!(
        by_param
            .header(header::LINK)
            .unwrap()
            .contains("format=cbor")
    );
    let envelopes = decode_envelopes(&by_param.body);
    assert_eq!(envelopes.len(), 2);
    assert_eq!(
        Event::from_envelope(envelopes[0].clone()).unwrap().id,
        EventId(app.commons.0)
    );

    let request = Request::get(format!("{}/events", app.base()))
        .header(header::ACCEPT, "application/json;q=0.5, application/cbor")
        .body(Body::empty())
        .unwrap();
    let by_accept = app.send(request).await;
    assert_eq!(
        by_accept.header(header::CONTENT_TYPE),
        Some("application/cbor")
    );
    let envelopes = decode_envelopes(&by_accept.body);
    assert_eq!(envelopes.len(), 3);
    for envelope in envelopes {
        Event::from_envelope(envelope)
            .unwrap()
            .verify_signature()
            .unwrap();
    }
}

#[tokio::test]
async fn one_event_is_served_with_its_status() {
    let app = spawn_app().await;
    let id = app.alice.prev.unwrap();
    let answer = app
        .get(&format!("{}/events/{}", app.base(), id.to_hex()))
        .await
        .json();
    assert_eq!(answer["id"], id.to_hex());
    assert_eq!(answer["status"], "sequenced");
    // Genesis, then Alice's profile; the node's tick follows the event it accompanies.
    assert_eq!(answer["index"], 1);
    assert_eq!(answer["reason"], Json::Null);
    assert_eq!(answer["event"]["body"]["name"], "Alice");
    app.get(&format!("{}/events/{}", app.base(), "00".repeat(32)))
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_event");
    app.get(&format!("{}/events/xyz", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
}

// ---------------------------------------------------------------------------------------
// Verifying: checkpoints, proofs, receipts, tiles.
// ---------------------------------------------------------------------------------------

/// The checkpoint the node serves now, verified with its sequencer key.
async fn verified_checkpoint(app: &App) -> Checkpoint {
    let answer = app.get(&format!("{}/checkpoint", app.base())).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        Some("text/plain; charset=utf-8")
    );
    let (checkpoint, _) = Checkpoint::parse_and_verify(
        &answer.text(),
        &origin_for(&app.commons),
        &app.test.sequencer.author_key(),
    )
    .unwrap();
    checkpoint
}

/// Leaf hashes of the ledger, from `/entries`.
async fn leaf_hashes(app: &App, size: u64) -> Vec<Hash> {
    let answer = app
        .get(&format!("{}/entries?from=0&to={size}", app.base()))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        Some("application/cbor")
    );
    decode_envelopes(&answer.body)
        .iter()
        .map(|e| merkle::leaf_hash(&leaf_data(&e.header_bytes, &e.signature)))
        .collect()
}

#[tokio::test]
async fn inclusion_and_consistency_proofs_verify_against_signed_checkpoints() {
    let app = spawn_app().await;
    let old = verified_checkpoint(&app).await;
    assert_eq!(old.size, 3);
    let mut bob = Author::new(key(3), app.commons);
    for i in 0..6 {
        assert_eq!(
            app.submit(&bob.profile(&format!("Bob {i}"))).await.status,
            StatusCode::OK
        );
    }
    let new = verified_checkpoint(&app).await;
    assert_eq!(new.size, 9);
    let leaves = leaf_hashes(&app, new.size).await;
    assert_eq!(
        MemoryTree::from_leaf_hashes(leaves.clone()).root(),
        new.root
    );

    for checkpoint in [&old, &new] {
        for index in 0..checkpoint.size {
            let uri = format!(
                "{}/proof/inclusion?index={index}&size={}",
                app.base(),
                checkpoint.size
            );
            let proof = app.get(&uri).await.json();
            assert_eq!(
                (proof["index"].as_u64(), proof["size"].as_u64()),
                (Some(index), Some(checkpoint.size))
            );
            assert_eq!(proof.as_object().unwrap().len(), 3);
            merkle::verify_inclusion(
                &leaves[index as usize],
                index,
                checkpoint.size,
                &hashes(&proof),
                &checkpoint.root,
            )
            .unwrap();
        }
    }
    let proof = app
        .get(&format!(
            "{}/proof/consistency?from={}&to={}",
            app.base(),
            old.size,
            new.size
        ))
        .await
        .json();
    assert_eq!(
        (proof["from"].as_u64(), proof["to"].as_u64()),
        (Some(old.size), Some(new.size))
    );
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &hashes(&proof)).unwrap();
    let empty = app
        .get(&format!(
            "{}/proof/consistency?from=0&to={}",
            app.base(),
            new.size
        ))
        .await
        .json();
    assert_eq!(empty["hashes"], serde_json::json!([]));

    for bad in [
        format!("{}/proof/inclusion?index=9&size=9", app.base()),
        format!("{}/proof/inclusion?index=0&size=10", app.base()),
        format!("{}/proof/consistency?from=5&to=4", app.base()),
        format!("{}/proof/consistency?from=1&to=10", app.base()),
    ] {
        app.get(&bad)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "out_of_range");
    }
    app.get(&format!("{}/proof/inclusion?index=0", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn a_receipt_verifies_offline_with_the_sequencer_key() {
    let app = spawn_app().await;
    let mut bob = Author::new(key(3), app.commons);
    let event = bob.profile("Bob");
    app.submit(&event).await;
    app.submit(&bob.profile("Robert")).await;

    let answer = app
        .get(&format!("{}/receipt/{}", app.base(), event.id.to_hex()))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        Some("text/plain; charset=utf-8")
    );
    let receipt = Receipt::parse(&answer.text()).unwrap();
    assert_eq!(receipt.index, 3);
    let checkpoint = receipt
        .verify_leaf_data(
            &event.leaf_data(),
            &origin_for(&app.commons),
            &app.test.sequencer.author_key(),
        )
        .unwrap();
    assert_eq!(checkpoint.size, app.size());
    // A receipt never verifies for another event.
    let other = bob.profile("Bobby");
    assert!(
        receipt
            .verify_leaf_data(
                &other.leaf_data(),
                &origin_for(&app.commons),
                &app.test.sequencer.author_key()
            )
            .is_err()
    );
    app.get(&format!("{}/receipt/{}", app.base(), other.id.to_hex()))
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_event");
}

#[tokio::test]
async fn tiles_and_entry_bundles_match_the_ledger_and_full_ones_are_immutable() {
    let app = spawn_app().await;
    let envelopes: Vec<Vec<u8>> = (0..300)
        .map(|i| {
            Author::new(key(1_000 + i), app.commons)
                .profile("Member")
                .envelope()
                .encode()
        })
        .collect();
    for answer in app.test.node.submit_many(&envelopes).await {
        answer.unwrap();
    }
    let checkpoint = verified_checkpoint(&app).await;
    let size = checkpoint.size;
    assert!(size > 256);
    let leaves = leaf_hashes(&app, size).await;
    let tree = MemoryTree::from_leaf_hashes(leaves.clone());

    let tile = |path: String| {
        let app = &app;
        async move { app.get(&format!("{}/tlog/{path}", app.base())).await }
    };

    let full = tile("tile/0/000".into()).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(
        full.header(header::CONTENT_TYPE),
        Some("application/octet-stream")
    );
    assert_eq!(
        full.header(header::CACHE_CONTROL),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        tiles::tile_hashes(&full.body, 256).unwrap(),
        leaves[..256].to_vec()
    );

    let width = u16::try_from(size - 256).unwrap();
    let partial = tile(format!("tile/0/001.p/{width}")).await;
    assert_eq!(partial.status, StatusCode::OK);
    assert_eq!(
        partial.header(header::CACHE_CONTROL),
        Some("public, max-age=60")
    );
    assert_eq!(
        tiles::tile_hashes(&partial.body, width).unwrap(),
        leaves[256..].to_vec()
    );

    let level_one = tile("tile/1/000.p/1".into()).await;
    assert_eq!(
        tiles::tile_hashes(&level_one.body, 1).unwrap(),
        vec![tree.range_hash(0, 256).unwrap()]
    );

    let bundle = tile("tile/entries/000".into()).await;
    assert_eq!(
        bundle.header(header::CACHE_CONTROL),
        Some("public, max-age=31536000, immutable")
    );
    let entries = tiles::decode_entry_bundle(&bundle.body).unwrap();
    assert_eq!(entries.len(), 256);
    for (entry, leaf) in entries.iter().zip(&leaves) {
        assert_eq!(merkle::leaf_hash(entry), *leaf);
    }
    let partial_bundle = tile(format!("tile/entries/001.p/{width}")).await;
    let entries = tiles::decode_entry_bundle(&partial_bundle.body).unwrap();
    assert_eq!(entries.len(), usize::from(width));

    let checkpoint_text = tile("checkpoint".into()).await;
    assert_eq!(checkpoint_text.status, StatusCode::OK);
    assert!(
        checkpoint_text
            .text()
            .starts_with(&format!("commons/{}\n{size}\n", app.commons.to_hex()))
    );

    tile("tile/0/001".into())
        .await
        .assert_error(StatusCode::NOT_FOUND, "tile_not_found");
    tile(format!("tile/0/001.p/{}", width + 1))
        .await
        .assert_error(StatusCode::NOT_FOUND, "tile_not_found");
    tile("tile/0/1".into())
        .await
        .assert_error(StatusCode::BAD_REQUEST, "tile_path_malformed");
    tile("tile/0/000.p/256".into())
        .await
        .assert_error(StatusCode::BAD_REQUEST, "tile_width_out_of_range");
}

// ---------------------------------------------------------------------------------------
// Limits.
// ---------------------------------------------------------------------------------------

fn from_address(mut request: Request<Body>, address: &str) -> Request<Body> {
    let address: SocketAddr = address.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

#[tokio::test]
async fn a_client_over_its_request_rate_gets_429_with_retry_after() {
    let app = spawn_app_with(WebConfig {
        requests_per_minute_per_client: 1,
        request_burst_max: 3,
        ..WebConfig::default()
    })
    .await;
    let get = |address: &str| {
        from_address(
            Request::get("/api/v1/node").body(Body::empty()).unwrap(),
            address,
        )
    };
    for _ in 0..3 {
        assert_eq!(app.send(get("192.0.2.1:1000")).await.status, StatusCode::OK);
    }
    let refused = app.send(get("192.0.2.1:2000")).await;
    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry_after: u64 = refused
        .header(header::RETRY_AFTER)
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Submissions count too, and are refused before anything is read.
    let envelope = app.alice.clone().profile("Alice again").envelope().encode();
    let post = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/cbor")
        .body(Body::from(envelope))
        .unwrap();
    app.send(from_address(post, "192.0.2.1:3000"))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(app.size(), 3);
    // Another client has its own bucket, and probes are never limited.
    assert_eq!(app.send(get("192.0.2.2:1000")).await.status, StatusCode::OK);
    let probe = from_address(
        Request::get("/healthz").body(Body::empty()).unwrap(),
        "192.0.2.1:4000",
    );
    assert_eq!(app.send(probe).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_page_larger_than_the_maximum_is_refused_and_the_maximum_is_served() {
    let app = spawn_app().await;
    app.get(&format!(
        "{}/events?limit={}",
        app.base(),
        PAGE_SIZE_MAX + 1
    ))
    .await
    .assert_error(StatusCode::BAD_REQUEST, "page_too_large");
    let page = app
        .get(&format!("{}/events?limit={PAGE_SIZE_MAX}", app.base()))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.json()["events"].as_array().unwrap().len(), 3);
    app.get(&format!("{}/events?limit=0", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");

    let small = spawn_app_with(WebConfig {
        page_size_default: 1,
        page_size_max: 2,
        ..WebConfig::default()
    })
    .await;
    small
        .get(&format!("{}/events?limit=3", small.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "page_too_large");
    let page = small.get(&format!("{}/events", small.base())).await.json();
    assert_eq!(
        page["events"].as_array().unwrap().len(),
        1,
        "the default page size applies"
    );
    assert_eq!(
        page["next"],
        format!("{}/events?from=1&limit=1", small.base())
    );
}

#[tokio::test]
async fn an_entries_range_larger_than_the_maximum_is_refused() {
    let app = spawn_app_with(WebConfig {
        entries_range_max: 2,
        ..WebConfig::default()
    })
    .await;
    app.get(&format!("{}/entries?from=0&to=3", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "range_too_large");
    let two = app
        .get(&format!("{}/entries?from=1&to=3", app.base()))
        .await;
    assert_eq!(two.status, StatusCode::OK);
    assert_eq!(decode_envelopes(&two.body).len(), 2);
    let none = app
        .get(&format!("{}/entries?from=2&to=2", app.base()))
        .await;
    assert_eq!(decode_envelopes(&none.body).len(), 0);
    app.get(&format!("{}/entries?from=2&to=4", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "out_of_range");
    app.get(&format!("{}/entries?from=2&to=1", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_range");
    app.get(&format!("{}/entries?from=0", app.base()))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
}

// ---------------------------------------------------------------------------------------
// The rest of the surface: unknown routes, OpenAPI, health, metrics, a real socket.
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_json_error_shape() {
    let app = spawn_app().await;
    app.get("/api/v1/nope")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // Outside the API an unknown path is the web UI's HTML 404 page.
    assert_eq!(app.get("/nope").await.status, StatusCode::NOT_FOUND);
    app.get("/api/v1/events/nope")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get("/api/v1/events")
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let delete = Request::delete("/api/v1/node").body(Body::empty()).unwrap();
    app.send(delete)
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_nothing_else() {
    let app = spawn_app().await;
    let answer = app.get("/api/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        Some("application/json")
    );
    let document = answer.json();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(
        document["components"]["schemas"]["Error"]["required"]
            == serde_json::json!(["code", "message"])
    );
    let paths = document["paths"].as_object().unwrap();

    let mut routed = std::collections::BTreeSet::new();
    for route in routes() {
        let path = route.openapi_path();
        let method = route.method.to_lowercase();
        let operation = &paths
            .get(&path)
            .unwrap_or_else(|| panic!("{path} is not documented"))[&method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(
            operation["responses"].is_object(),
            "{method} {path} has no responses"
        );
        routed.insert((path, method));
    }
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            documented.insert((path.clone(), method.clone()));
        }
    }
    assert_eq!(
        documented, routed,
        "the document names routes the router does not have"
    );

    // Every `$ref` resolves, so tools can load the document.
    let text = answer.text();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let pointer = reference.split('"').next().unwrap().trim_start_matches('#');
        assert!(
            !document.pointer(pointer).unwrap_or(&Json::Null).is_null(),
            "{pointer} does not resolve"
        );
    }
}

#[tokio::test]
async fn every_route_in_the_table_is_answered_by_the_router() {
    let app = spawn_app().await;
    let event = app.alice.prev.unwrap().to_hex();
    for route in routes() {
        let uri = route
            .path
            .replace("{id}", &app.commons.to_hex())
            .replace("{event_id}", &event)
            .replace("{*path}", "0/000.p/3");
        let request = Request::builder()
            .method(route.method)
            .uri(&uri)
            .body(Body::empty())
            .unwrap();
        let answer = app.send(request).await;
        let code = serde_json::from_slice::<Json>(&answer.body)
            .ok()
            .and_then(|j| j["code"].as_str().map(str::to_owned));
        assert_ne!(code.as_deref(), Some("not_found"), "{} {uri}", route.method);
        assert_ne!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{} {uri}",
            route.method
        );
    }
}

#[tokio::test]
async fn health_and_metrics_answer_for_operators() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(
        (health.status, health.text().as_str()),
        (StatusCode::OK, "ok")
    );
    app.get("/api/v1/nope").await;
    app.post_envelope(vec![0xff]).await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.text();
    assert!(text.contains("commons_events_sequenced_total"), "{text}");
    assert!(
        text.contains("commons_rejections_total{code=\"malformed_cbor\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "commons_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"unmatched\",status=\"404\""),
        "{text}"
    );
    assert!(
        text.contains("route=\"/api/v1/events\",status=\"400\""),
        "{text}"
    );
    assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    assert!(text.ends_with("# EOF\n"));
}

#[tokio::test]
async fn serve_keys_the_rate_limit_on_the_peer_address_and_stops_on_its_signal() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(WebConfig {
        requests_per_minute_per_client: 1,
        request_burst_max: 1,
        ..WebConfig::default()
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(commons_web::serve_with_shutdown(
        listener,
        app.router.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let status_of = |path: &'static str| async move {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response.split(' ').nth(1).unwrap().to_owned()
    };
    assert_eq!(status_of("/api/v1/node").await, "200");
    assert_eq!(status_of("/api/v1/node").await, "429");
    assert_eq!(status_of("/healthz").await, "200");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_front_page_lists_the_commons_with_markup_in_names_escaped() {
    let app = spawn_app().await;
    let hostile = key(77);
    app.test
        .create_commons(&hostile, "<script>alert(1)</script> & co")
        .await;
    let answer = app.get("/").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    let page = String::from_utf8(answer.body.to_vec()).unwrap();
    assert!(page.contains("Orchard"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;"));
    assert!(page.contains("&amp; co"));
    assert!(!page.contains("<script>"));
    assert!(page.contains(&format!("/c/{}", app.commons.to_hex())));
}

impl App {
    async fn post_batch(&self, body: Vec<u8>) -> Answer {
        let request = Request::post("/api/v1/events/batch")
            .header(header::CONTENT_TYPE, "application/cbor-seq")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }
}

fn cbor_sequence(events: &[Event]) -> Vec<u8> {
    events.iter().flat_map(|e| e.envelope().encode()).collect()
}

#[tokio::test]
async fn a_batch_is_answered_envelope_by_envelope_and_a_refused_envelope_refuses_nothing_else() {
    let app = spawn_app().await;
    let mut alice = app.alice.clone();
    let first = alice.profile("Alice, first");
    let second = alice.profile("Alice, second");
    let mut bob = Author::new(key(3), app.commons);
    let bob_profile = bob.profile("Bob");
    let mut forged = app.alice.clone().profile("not Alice").envelope();
    forged.signature.0[10] ^= 0x40;
    let size = app.size();

    let mut body = cbor_sequence(std::slice::from_ref(&first));
    body.extend(forged.encode());
    body.extend(cbor_sequence(&[
        second.clone(),
        bob_profile.clone(),
        first.clone(),
    ]));
    let answer = app.post_batch(body).await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let answers = answer.json();
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 5);
    for (answer, (event, index)) in [&answers[0], &answers[2], &answers[3]].into_iter().zip([
        (&first, size),
        (&second, size + 1),
        (&bob_profile, size + 2),
    ]) {
        assert_eq!(answer["id"], event.id.to_hex());
        assert_eq!(answer["status"], "sequenced");
        assert_eq!(answer["index"], index);
    }
    assert_eq!(answers[1]["code"], "bad_signature", "{}", answers[1]);
    assert!(
        answers[1]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    // A resubmission inside the batch gets the same answer as the first time.
    assert_eq!(answers[4], answers[0]);
    assert_eq!(
        app.size(),
        size + 3,
        "the three distinct events, nothing of the forged one"
    );
    // Each is then answered as if it had been submitted alone.
    assert_eq!(app.submit(&second).await.json(), answers[2]);
}

#[tokio::test]
async fn a_batch_over_the_envelope_limit_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let mut bob = Author::new(key(3), app.commons);
    let events: Vec<Event> = (0..=commons_web::api::BATCH_ENVELOPES_MAX)
        .map(|i| bob.profile(&format!("Bob {i}")))
        .collect();
    let size = app.size();
    app.post_batch(cbor_sequence(&events))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "batch_too_large");
    assert_eq!(app.size(), size);
    // One fewer is the limit itself, and passes.
    let answer = app
        .post_batch(cbor_sequence(
            &events[..commons_web::api::BATCH_ENVELOPES_MAX],
        ))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        app.size(),
        size + commons_web::api::BATCH_ENVELOPES_MAX as u64
    );
}

#[tokio::test]
async fn a_batch_body_over_the_byte_limit_is_refused() {
    let app = spawn_app().await;
    let body = vec![0u8; commons_web::api::BATCH_BODY_BYTES_MAX + 1];
    app.post_batch(body)
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large");
}

#[tokio::test]
async fn a_batch_with_a_cut_short_or_indefinite_item_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let event = app.alice.clone().profile("Alice again");
    let size = app.size();
    let mut cut_short = cbor_sequence(std::slice::from_ref(&event));
    cut_short.extend(&cbor_sequence(std::slice::from_ref(&event))[..20]);
    // An indefinite-length array, which no canonical envelope is.
    let indefinite = vec![0x9f, 0x01, 0xff];
    // An array that claims more items than the body holds.
    let claims_too_much = vec![0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    for body in [cut_short, indefinite, claims_too_much] {
        app.post_batch(body)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "batch_malformed");
    }
    assert_eq!(app.size(), size);
}

#[tokio::test]
async fn a_batch_must_be_sent_as_a_cbor_sequence() {
    let app = spawn_app().await;
    let event = app.alice.clone().profile("Alice again");
    let request = Request::post("/api/v1/events/batch")
        .header(header::CONTENT_TYPE, "application/cbor")
        .body(Body::from(event.envelope().encode()))
        .unwrap();
    app.send(request)
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}
