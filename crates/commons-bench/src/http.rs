//! The HTTP ingest path: the node's real router served on a loopback port, and many
//! concurrent clients each POSTing one envelope per request for its own authors, in chain
//! order, waiting for each answer before sending the next, as independent authors would.

use crate::ingest::{IngestRun, Tally, start_node};
use crate::workload::{Workload, split};
use anyhow::{Context, Result, ensure};
use commons_store::AnyStore;
use std::sync::Arc;
use std::time::Instant;

const EVENTS_PATH: &str = "/api/v1/events";
const CBOR: &str = "application/cbor";

/// Ingests the whole workload over HTTP into a node on `store`.
pub async fn ingest(
    workload: Arc<Workload>,
    store: AnyStore,
    n_clients: usize,
) -> Result<IngestRun> {
    let node = start_node(&workload, store).await?;
    // One address serves every client, so the per-client rate limit is lifted.
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

    let url = format!("{base}{EVENTS_PATH}");
    let genesis = post(&reqwest::Client::new(), &url, workload.genesis.clone()).await?;
    ensure!(
        genesis.0 == reqwest::StatusCode::OK,
        "the genesis was answered {}: {}",
        genesis.0,
        genesis.1
    );

    let started = Instant::now();
    let clients: Vec<_> = split(workload.chains.len(), n_clients)
        .into_iter()
        .map(|authors| {
            let workload = workload.clone();
            let url = url.clone();
            tokio::spawn(async move {
                // Each client keeps its own keep-alive connection, like a separate process.
                let client = reqwest::Client::new();
                let mut tally = Tally::default();
                for envelope in workload.interleaved(authors) {
                    match post(&client, &url, envelope.to_vec()).await {
                        Ok((status, _)) if status == reqwest::StatusCode::OK => {
                            tally.sequenced += 1
                        }
                        Ok((status, _)) if status == reqwest::StatusCode::ACCEPTED => {
                            tally.pending += 1
                        }
                        Ok((status, body)) => {
                            tally.fail(error_code(&body), format!("HTTP {status}: {body}"))
                        }
                        Err(error) => tally.fail("transport".to_owned(), format!("{error:#}")),
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
    let _ = stop.send(());
    server
        .await
        .context("the server task panicked")?
        .context("the server failed")?;
    IngestRun::finish(&node, &workload, tally, elapsed).await
}

/// POSTs one envelope; the answer's status and body.
async fn post(
    client: &reqwest::Client,
    url: &str,
    envelope: Vec<u8>,
) -> Result<(reqwest::StatusCode, String)> {
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, CBOR)
        .body(envelope)
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
