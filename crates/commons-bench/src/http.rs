//! The HTTP ingest path: the node's real router served on a loopback port, and many
//! concurrent clients each sending the events of its own authors, in chain order, waiting
//! for each answer before sending the next request. A client sends either one envelope
//! per `POST /api/v1/events`, as an author with one event at a time would, or several per
//! `POST /api/v1/events/batch`, as a bridge, an importer or an author coming back online
//! with a backlog would.

use crate::ingest::{IngestRun, Tally, start_node};
use crate::workload::{Workload, split};
use anyhow::{Context, Result, ensure};
use commons_store::AnyStore;
use std::sync::Arc;
use std::time::Instant;

const EVENTS_PATH: &str = "/api/v1/events";
const BATCH_PATH: &str = "/api/v1/events/batch";
const CBOR: &str = "application/cbor";
const CBOR_SEQ: &str = "application/cbor-seq";

/// Ingests the events of `authors` over HTTP into a node on `store`, `batch_events`
/// envelopes per request (1: one per `POST /api/v1/events`; more: `POST
/// /api/v1/events/batch`).
pub async fn ingest(
    workload: Arc<Workload>,
    authors: std::ops::Range<usize>,
    store: AnyStore,
    n_clients: usize,
    batch_events: usize,
) -> Result<IngestRun> {
    let node = start_node(&workload, store).await?;
    // One address serves every client, so the per-client rate limit is lifted.
    let served = Served::start(&node).await?;
    let base = served.base.clone();

    let url = format!("{base}{EVENTS_PATH}");
    let batch_url = format!("{base}{BATCH_PATH}");
    let genesis = post(
        &reqwest::Client::new(),
        &url,
        CBOR,
        workload.genesis.clone(),
    )
    .await?;
    ensure!(
        genesis.0 == reqwest::StatusCode::OK,
        "the genesis was answered {}: {}",
        genesis.0,
        genesis.1
    );

    let started = Instant::now();
    let n_events = workload.n_events_of(authors.clone());
    let clients: Vec<_> = split(authors.len(), n_clients)
        .into_iter()
        .map(|part| {
            let workload = workload.clone();
            let part = authors.start + part.start..authors.start + part.end;
            let (url, batch_url) = (url.clone(), batch_url.clone());
            tokio::spawn(async move {
                // Each client keeps its own keep-alive connection, like a separate process.
                let client = reqwest::Client::new();
                let mut tally = Tally::default();
                let mut envelopes = workload.interleaved(part).peekable();
                while envelopes.peek().is_some() {
                    if batch_events == 1 {
                        let Some(envelope) = envelopes.next() else {
                            break;
                        };
                        let answer = post(&client, &url, CBOR, envelope.to_vec()).await;
                        count_single(&mut tally, answer);
                    } else {
                        let chunk: Vec<u8> = envelopes
                            .by_ref()
                            .take(batch_events)
                            .flatten()
                            .copied()
                            .collect();
                        let answer = post(&client, &batch_url, CBOR_SEQ, chunk).await;
                        count_batch(&mut tally, answer);
                    }
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for client in clients {
        tally.merge(client.await.context("a client task panicked")?);
    }
    let elapsed = started.elapsed();
    served.stop().await?;
    IngestRun::finish(&node, &workload, n_events, tally, elapsed).await
}

/// The node's real router served on a loopback port, without the per-client rate limit
/// (every benchmark client shares one address).
pub struct Served {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    pub async fn start(node: &commons_node::Node) -> Result<Served> {
        let router = commons_web::router(
            node.clone(),
            commons_web::WebConfig::default().without_rate_limit(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen on a loopback port")?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(commons_web::serve_with_shutdown(listener, router, async {
            let _ = stopped.await;
        }));
        Ok(Served { base, stop, server })
    }

    /// Stops serving once requests in flight are answered.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.server
            .await
            .context("the server task panicked")?
            .context("the server failed")
    }
}

fn count_single(tally: &mut Tally, answer: Result<(reqwest::StatusCode, String)>) {
    match answer {
        Ok((status, _)) if status == reqwest::StatusCode::OK => tally.sequenced += 1,
        Ok((status, _)) if status == reqwest::StatusCode::ACCEPTED => tally.pending += 1,
        Ok((status, body)) => tally.fail(error_code(&body), format!("HTTP {status}: {body}")),
        Err(error) => tally.fail("transport".to_owned(), format!("{error:#}")),
    }
}

/// Counts a batch's answers: one JSON object per envelope, an answer or an error.
fn count_batch(tally: &mut Tally, answer: Result<(reqwest::StatusCode, String)>) {
    let (status, body) = match answer {
        Ok((status, body)) if status == reqwest::StatusCode::OK => (status, body),
        Ok((status, body)) => {
            return tally.fail(error_code(&body), format!("HTTP {status}: {body}"));
        }
        Err(error) => return tally.fail("transport".to_owned(), format!("{error:#}")),
    };
    let Ok(serde_json::Value::Array(answers)) = serde_json::from_str(&body) else {
        return tally.fail(
            "batch_answer".to_owned(),
            format!("HTTP {status}: not a JSON array: {body}"),
        );
    };
    for answer in answers {
        match answer.get("status").and_then(|s| s.as_str()) {
            Some("sequenced") => tally.sequenced += 1,
            Some("pending") => tally.pending += 1,
            _ => tally.fail(error_code(&answer.to_string()), answer.to_string()),
        }
    }
}

/// POSTs one body; the answer's status and body.
async fn post(
    client: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(reqwest::StatusCode, String)> {
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .with_context(|| format!("reading the answer to POST {url}"))?;
    Ok((status, body))
}

/// The stable `code` of an API error body, or `http_error` if it has none.
fn error_code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "http_error".to_owned())
}
