//! A small client of a node's HTTP API (`/api/v1`), for the CLI verbs that talk to a node.

use anyhow::{Context, Result, bail};
use commons_ledger::blob::{BlobAlg, BlobRef};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId};
use std::time::Duration;

/// How long one request may take before the CLI gives up.
const REQUEST_TIMEOUT_S: u64 = 60;
/// Entries fetched per request when exporting from a node.
const EXPORT_PAGE_ENTRIES: u64 = 1_000;
/// Most entries fetched from a node for one ledger: a larger checkpoint is refused
/// before anything is allocated for it.
pub const FETCH_ENTRIES_MAX: u64 = 50_000_000;

pub struct Client {
    base: String,
    http: reqwest::Client,
}

/// A node's answer to a submitted event.
#[derive(Debug)]
pub struct SubmitAnswer {
    pub status: String,
    pub index: Option<u64>,
}

impl Client {
    pub fn new(base: &str) -> Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(REQUEST_TIMEOUT_S))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Client {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> Result<reqwest::Response> {
        let url = self.url(path);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("cannot reach the node at {url}"))?;
        check(response).await
    }

    /// A text answer (a BLT file) as it is.
    pub async fn get_text(&self, path: &str) -> Result<String> {
        self.get(path)
            .await?
            .text()
            .await
            .with_context(|| format!("{path} did not answer text"))
    }

    pub async fn get_json(&self, path: &str) -> Result<serde_json::Value> {
        let bytes = self.get(path).await?.bytes().await?;
        serde_json::from_slice(&bytes).with_context(|| format!("{path} did not answer JSON"))
    }

    pub async fn sequencer(&self) -> Result<AuthorKey> {
        sequencer_field(&self.get_json("/api/v1/node").await?, "the node's")
    }

    /// The sequencer key named in a commons' governance.
    pub async fn commons_sequencer(&self, commons: &CommonsId) -> Result<AuthorKey> {
        let path = format!("/api/v1/commons/{}", commons.to_hex());
        sequencer_field(&self.get_json(&path).await?, "the commons'")
    }

    /// The node's answer to "may `author` submit `kind` in `commons`?".
    pub async fn authorize(
        &self,
        commons: &CommonsId,
        author: &AuthorKey,
        kind: &str,
    ) -> Result<serde_json::Value> {
        let path = format!(
            "/api/v1/commons/{}/authorize?author={}&kind={}",
            commons.to_hex(),
            author.to_hex(),
            kind
        );
        self.get_json(&path).await
    }

    pub async fn submit(&self, event: &Event) -> Result<SubmitAnswer> {
        let url = self.url("/api/v1/events");
        let response = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/cbor")
            .body(event.envelope().encode())
            .send()
            .await
            .with_context(|| format!("cannot reach the node at {url}"))?;
        let bytes = check(response).await?.bytes().await?;
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).context("the node did not answer JSON")?;
        Ok(SubmitAnswer {
            status: json["status"].as_str().unwrap_or("unknown").to_owned(),
            index: json["index"].as_u64(),
        })
    }

    /// The latest sequenced event of `author` in `commons`: `(seq, id)`.
    pub async fn chain_head(
        &self,
        commons: &CommonsId,
        author: &AuthorKey,
    ) -> Result<Option<(u64, EventId)>> {
        let json = self
            .get_json(&format!(
                "/api/v1/commons/{}/events?author={}&order=desc&limit=1",
                commons.to_hex(),
                author.to_hex()
            ))
            .await?;
        let events = json.get("events").unwrap_or(&json);
        let Some(latest) = events.as_array().and_then(|a| a.first()) else {
            return Ok(None);
        };
        let seq = latest["seq"]
            .as_u64()
            .context("the node's event has no seq")?;
        let id = latest["id"]
            .as_str()
            .and_then(EventId::from_hex)
            .context("the node's event has no id")?;
        Ok(Some((seq, id)))
    }

    pub async fn receipt(&self, commons: &CommonsId, event: &EventId) -> Result<String> {
        let path = format!(
            "/api/v1/commons/{}/receipt/{}",
            commons.to_hex(),
            event.to_hex()
        );
        Ok(self.get(&path).await?.text().await?)
    }

    pub async fn checkpoint(&self, commons: &CommonsId) -> Result<String> {
        Ok(self
            .get(&format!("/api/v1/commons/{}/checkpoint", commons.to_hex()))
            .await?
            .text()
            .await?)
    }

    /// The signed checkpoint the node stored at exactly `size`.
    pub async fn checkpoint_at(&self, commons: &CommonsId, size: u64) -> Result<String> {
        Ok(self
            .get(&format!(
                "/api/v1/commons/{}/checkpoints/{size}",
                commons.to_hex()
            ))
            .await?
            .text()
            .await?)
    }

    /// A commons' overview (`GET /api/v1/commons/{id}`).
    pub async fn overview(&self, commons: &CommonsId) -> Result<serde_json::Value> {
        self.get_json(&format!("/api/v1/commons/{}", commons.to_hex()))
            .await
    }

    /// A fork's lineage (`GET /api/v1/commons/{id}/lineage`).
    pub async fn lineage(&self, commons: &CommonsId) -> Result<serde_json::Value> {
        self.get_json(&format!("/api/v1/commons/{}/lineage", commons.to_hex()))
            .await
    }

    /// Whether `author` has an event among the first `size` of `commons`.
    pub async fn has_event_before(
        &self,
        commons: &CommonsId,
        author: &AuthorKey,
        size: u64,
    ) -> Result<bool> {
        let json = self
            .get_json(&format!(
                "/api/v1/commons/{}/events?author={}&before={size}&limit=1",
                commons.to_hex(),
                author.to_hex()
            ))
            .await?;
        let events = json.get("events").unwrap_or(&json);
        Ok(events.as_array().is_some_and(|a| !a.is_empty()))
    }

    /// Envelopes at indexes `from..to`, as raw CBOR envelope bytes.
    pub async fn entries(&self, commons: &CommonsId, from: u64, to: u64) -> Result<Vec<Vec<u8>>> {
        let bytes = self
            .get(&format!(
                "/api/v1/commons/{}/entries?from={from}&to={to}",
                commons.to_hex()
            ))
            .await?
            .bytes()
            .await?;
        let value = Value::decode(&bytes)
            .map_err(|e| anyhow::anyhow!("entries are not canonical CBOR: {e}"))?;
        let Some(items) = value.as_array() else {
            bail!("entries are not a CBOR array");
        };
        Ok(items.iter().map(Value::encode).collect())
    }
}

impl Client {
    /// Uploads `bytes` as a blob named under `alg`; returns the node's reference and
    /// whether the node stored it now (false: it held it already).
    pub async fn put_blob(&self, alg: BlobAlg, bytes: Vec<u8>) -> Result<(BlobRef, bool)> {
        let url = self.url(&format!("/api/v1/blobs?alg={}", alg.as_str()));
        let response = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .with_context(|| format!("cannot reach the node at {url}"))?;
        let response = check(response).await?;
        let created = response.status() == reqwest::StatusCode::CREATED;
        let json: serde_json::Value = serde_json::from_slice(&response.bytes().await?)
            .context("the node did not answer JSON")?;
        let name = json["ref"]
            .as_str()
            .context("the node's answer names no blob")?;
        let (alg, hash) = BlobRef::parse_name(name)
            .map_err(|e| anyhow::anyhow!("the node's blob reference {name:?}: {e}"))?;
        let size = json["size"]
            .as_u64()
            .context("the node's answer gives no size")?;
        Ok((BlobRef { alg, hash, size }, created))
    }

    /// The bytes the node serves under `name` (`alg:hex`), at most `bytes_max` of them;
    /// the caller checks them against the name.
    pub async fn blob(&self, name: &str, bytes_max: u64) -> Result<Vec<u8>> {
        let mut response = self.get(&format!("/api/v1/blobs/{name}")).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if (bytes.len() + chunk.len()) as u64 > bytes_max {
                bail!("the node sent more than {bytes_max} bytes for {name}");
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// The `sequencer` key (hex, 33 bytes) of a JSON answer; `whose` names it in errors.
fn sequencer_field(json: &serde_json::Value, whose: &str) -> Result<AuthorKey> {
    let hex = json["sequencer"]
        .as_str()
        .with_context(|| format!("the answer does not name {whose} sequencer key"))?;
    AuthorKey::from_hex(hex).map_err(|e| anyhow::anyhow!("{whose} sequencer key is invalid: {e}"))
}

/// Turns an error answer into a readable error with the node's stable code.
async fn check(response: reqwest::Response) -> Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let bytes = response.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(json) if json["code"].is_string() => bail!(
            "the node refused ({status}, {}): {}",
            json["code"].as_str().unwrap_or_default(),
            json["message"].as_str().unwrap_or_default()
        ),
        _ => bail!(
            "the node answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        ),
    }
}

/// Fetches a commons' whole ledger and latest checkpoint from a node and writes a bundle
/// to standard output.
pub async fn export_from_node(url: &str, commons: &CommonsId) -> Result<()> {
    let bundle = fetch_bundle(url, commons).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    std::io::Write::write_all(&mut out, &bundle.encode())?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

/// Fetches a commons' whole ledger and latest checkpoint from a node as a bundle (not yet
/// verified: `audit::audit_bundle` does that).
pub async fn fetch_bundle(url: &str, commons: &CommonsId) -> Result<commons_node::bundle::Bundle> {
    let client = Client::new(url)?;
    let note = client.checkpoint(commons).await?;
    let sequencer = client.commons_sequencer(commons).await?;
    let checkpoint_text = commons_ledger::note::Note::parse(&note)
        .map_err(|e| anyhow::anyhow!("the node's checkpoint does not parse: {e}"))?
        .text;
    let checkpoint = commons_ledger::note::Checkpoint::parse(&checkpoint_text)
        .map_err(|e| anyhow::anyhow!("the node's checkpoint does not parse: {e}"))?;
    if checkpoint.size > FETCH_ENTRIES_MAX {
        bail!(
            "the node's checkpoint has {} entries, more than the {FETCH_ENTRIES_MAX} fetched for one ledger",
            checkpoint.size
        );
    }
    let mut envelopes = Vec::with_capacity(usize::try_from(checkpoint.size).unwrap_or(0));
    let mut from = 0;
    while from < checkpoint.size {
        let to = checkpoint.size.min(from + EXPORT_PAGE_ENTRIES);
        let page = client.entries(commons, from, to).await?;
        if page.len() as u64 != to - from {
            bail!("the node returned {} entries for {from}..{to}", page.len());
        }
        envelopes.extend(page);
        from = to;
    }
    let mut events = Vec::with_capacity(envelopes.len());
    for (index, bytes) in envelopes.iter().enumerate() {
        events.push(
            Event::decode(bytes)
                .map_err(|e| anyhow::anyhow!("entry {index} does not decode: {e}"))?,
        );
    }
    Ok(commons_node::bundle::Bundle {
        commons: *commons,
        sequencer,
        events,
        checkpoints: vec![commons_node::bundle::BundleCheckpoint {
            size: checkpoint.size,
            root: checkpoint.root,
            note,
        }],
    })
}
