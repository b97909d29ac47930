//! Router tests of `/api/v1/blobs`, driven through `tower::ServiceExt::oneshot` (no
//! socket) against a node on a fresh SQLite store: upload, download, idempotent
//! re-upload, algorithms, unknown and malformed names, limits and HEAD.
#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use commons_ledger::blob::{BlobAlg, BlobRef};
use commons_node::NodeConfig;
use commons_store::BLOB_BYTES_MAX;
use commons_testkit::TestNode;
use commons_web::{WebConfig, router};
use serde_json::Value as Json;
use std::net::SocketAddr;
use tower::ServiceExt;

struct App {
    test: TestNode,
    router: Router,
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
        assert_eq!(json.as_object().unwrap().len(), 2, "answer: {json}");
    }
}

async fn spawn_app() -> App {
    spawn_app_with(|_| {}, WebConfig::default()).await
}

async fn spawn_app_with(adjust: impl FnOnce(&mut NodeConfig), config: WebConfig) -> App {
    let test = TestNode::start_with(adjust).await;
    let router = router(test.node.clone(), config);
    App { test, router }
}

fn upload(uri: &str, bytes: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .unwrap()
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

    async fn put(&self, bytes: &[u8]) -> Answer {
        self.send(upload("/api/v1/blobs", bytes.to_vec())).await
    }

    async fn get(&self, name: &str) -> Answer {
        let uri = format!("/api/v1/blobs/{name}");
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn blob_bytes_total(&self) -> u64 {
        self.test.node.blob_bytes_total().await.unwrap()
    }
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn an_uploaded_blob_is_named_by_its_digest_and_downloads_with_immutable_headers() {
    let app = spawn_app().await;
    let bytes = content(5_000);
    let expected = BlobRef::of(BlobAlg::Sha256, &bytes);
    let answer = app.put(&bytes).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "ref": expected.name(),
            "alg": "sha256",
            "hash": hex::encode(expected.hash),
            "size": 5_000,
        })
    );
    let location = format!("/api/v1/blobs/{}", expected.name());
    assert_eq!(answer.header(header::LOCATION), Some(location.as_str()));

    let download = app.get(&expected.name()).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, bytes);
    assert_eq!(
        download.header(header::CONTENT_TYPE),
        Some("application/octet-stream")
    );
    assert_eq!(download.header(header::CONTENT_LENGTH), Some("5000"));
    let etag = format!("\"{}\"", expected.name());
    assert_eq!(download.header(header::ETAG), Some(etag.as_str()));
    assert_eq!(
        download.header(header::CACHE_CONTROL),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn uploading_the_same_bytes_again_answers_200_with_the_same_reference() {
    let app = spawn_app().await;
    let bytes = content(100);
    let first = app.put(&bytes).await;
    let second = app.put(&bytes).await;
    assert_eq!(
        (first.status, second.status),
        (StatusCode::CREATED, StatusCode::OK)
    );
    assert_eq!(first.json(), second.json());
    assert_eq!(app.blob_bytes_total().await, 100);
}

#[tokio::test]
async fn the_alg_query_picks_the_digest_and_an_unknown_alg_is_refused() {
    let app = spawn_app().await;
    let bytes = content(64);
    let answer = app
        .send(upload("/api/v1/blobs?alg=blake3", bytes.clone()))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let blake3 = BlobRef::of(BlobAlg::Blake3, &bytes);
    assert_eq!(answer.json()["ref"], blake3.name());
    assert_eq!(app.get(&blake3.name()).await.body, bytes);

    app.send(upload("/api/v1/blobs?alg=md5", content(65)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    app.send(upload("/api/v1/blobs?algo=sha256", content(65)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    assert_eq!(app.blob_bytes_total().await, 64);
}

#[tokio::test]
async fn an_unknown_blob_is_404_and_a_malformed_name_is_400() {
    let app = spawn_app().await;
    let unknown = BlobRef::of_bytes(b"never uploaded");
    app.get(&unknown.name())
        .await
        .assert_error(StatusCode::NOT_FOUND, "blob_unknown");
    let hex = hex::encode(unknown.hash);
    for name in [
        format!("md5:{hex}"),
        format!("sha256:{}", hex.to_uppercase()),
        format!("sha256:{}", &hex[..62]),
        hex.clone(),
    ] {
        app.get(&name)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
    }
}

#[tokio::test]
async fn head_answers_the_headers_of_get_without_the_bytes() {
    let app = spawn_app().await;
    let bytes = content(2_048);
    let name = app.put(&bytes).await.json()["ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let head = |name: &str| {
        Request::head(format!("/api/v1/blobs/{name}"))
            .body(Body::empty())
            .unwrap()
    };
    let answer = app.send(head(&name)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.is_empty());
    assert_eq!(answer.header(header::CONTENT_LENGTH), Some("2048"));
    let etag = format!("\"{name}\"");
    assert_eq!(answer.header(header::ETAG), Some(etag.as_str()));
    assert_eq!(
        answer.header(header::CACHE_CONTROL),
        Some("public, max-age=31536000, immutable")
    );
    let unknown = BlobRef::of_bytes(b"never uploaded").name();
    assert_eq!(app.send(head(&unknown)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_blob_over_the_limit_is_refused_with_413_and_nothing_is_stored() {
    let app = spawn_app().await;
    let limit = usize::try_from(BLOB_BYTES_MAX).unwrap();
    app.put(&vec![1; limit + 1])
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "blob_too_large");
    // A declared length over the limit is refused from the header alone.
    let declared = Request::post("/api/v1/blobs")
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, limit + 1)
        .body(Body::from(vec![1; limit + 1]))
        .unwrap();
    app.send(declared)
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "blob_too_large");
    assert_eq!(app.blob_bytes_total().await, 0);
    // Exactly the limit is stored.
    let answer = app.put(&vec![1; limit]).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.json()["alg"], "blake3");
    assert_eq!(app.blob_bytes_total().await, BLOB_BYTES_MAX);
}

#[tokio::test]
async fn a_blob_past_the_nodes_cap_is_refused_with_507() {
    let app = spawn_app_with(
        |config| config.blob_bytes_total_max = 100,
        WebConfig::default(),
    )
    .await;
    assert_eq!(app.put(&content(80)).await.status, StatusCode::CREATED);
    app.put(&[7; 21])
        .await
        .assert_error(StatusCode::INSUFFICIENT_STORAGE, "blob_store_full");
    assert_eq!(app.put(&content(80)).await.status, StatusCode::OK);
    assert_eq!(app.blob_bytes_total().await, 80);
}

#[tokio::test]
async fn a_blob_sent_as_anything_but_octet_stream_is_refused_with_415() {
    let app = spawn_app().await;
    let request = Request::post("/api/v1/blobs")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    app.send(request)
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_eq!(app.blob_bytes_total().await, 0);
}

#[tokio::test]
async fn blob_requests_count_against_the_clients_request_rate() {
    let app = spawn_app_with(
        |_| {},
        WebConfig {
            requests_per_minute_per_client: 1,
            request_burst_max: 2,
            ..WebConfig::default()
        },
    )
    .await;
    let from = |mut request: Request<Body>| {
        let address: SocketAddr = "192.0.2.1:1000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(address));
        request
    };
    let name = BlobRef::of_bytes(&content(10)).name();
    let get = || {
        from(
            Request::get(format!("/api/v1/blobs/{name}"))
                .body(Body::empty())
                .unwrap(),
        )
    };
    assert_eq!(
        app.send(from(upload("/api/v1/blobs", content(10))))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(app.send(get()).await.status, StatusCode::OK);
    app.send(get())
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    app.send(from(upload("/api/v1/blobs", content(11))))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(app.blob_bytes_total().await, 10);
}
