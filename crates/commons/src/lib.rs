//! The library half of the `commons` binary: one function per verb, so that tests can
//! drive every verb without spawning processes.

pub mod apportion;
pub mod association;
pub mod blob;
pub mod budget;
pub mod cli;
pub mod client;
pub mod cred;
pub mod demo;
pub mod input;
pub mod keys;
pub mod production;
pub mod progress;
pub mod tally;
pub mod value;

use anyhow::{Context, Result, bail};
use cli::{Cli, Command, DataArgs, KeyCommand, ProofVerify};
use commons_ledger::cbor::{self, Value};
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Kind, SecretKey};
use commons_node::audit;
use commons_node::{Node, NodeConfig, SystemClock};
use commons_store::{AnyStore, Store};
use progress::CliProgress;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Sets up logging to standard error; `RUST_LOG` overrides the verbosity flag.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "info,sqlx=warn",
        1 => "debug,sqlx=info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The data directory: `--data`, else `COMMONS_DATA` (clap reads both), else the
/// platform's data directory.
pub fn data_dir(args: &DataArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.data {
        return Ok(dir.clone());
    }
    directories::ProjectDirs::from("org", "commons", "commons")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .context("no platform data directory; pass --data DIR or set COMMONS_DATA")
}

/// Where the store lives: a PostgreSQL URL, or the SQLite file in the data directory.
pub fn store_location(data: &Path, database_url: Option<&str>) -> Result<String> {
    match database_url {
        Some(url) => Ok(url.to_owned()),
        None => {
            std::fs::create_dir_all(data)
                .with_context(|| format!("cannot create {}", data.display()))?;
            let path = data.join("commons.db");
            path.to_str()
                .map(str::to_owned)
                .context("the data directory path is not valid UTF-8")
        }
    }
}

pub async fn open_store(data: &Path, database_url: Option<&str>) -> Result<AnyStore> {
    let location = store_location(data, database_url)?;
    AnyStore::open(&location)
        .await
        .with_context(|| format!("cannot open the store at {}", redact_url(&location)))
}

/// Hides a password in a database URL before it is shown or logged.
pub fn redact_url(location: &str) -> String {
    match (location.find("://"), location.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &location[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &location[..scheme_end + 3],
                    &userinfo[..colon],
                    &location[at..]
                ),
                None => location.to_owned(),
            }
        }
        _ => location.to_owned(),
    }
}

pub fn parse_commons(text: &str) -> Result<CommonsId> {
    CommonsId::from_hex(text)
        .with_context(|| format!("`{text}` is not a commons id (64 hex digits)"))
}

pub fn parse_event_id(text: &str) -> Result<EventId> {
    EventId::from_hex(text).with_context(|| format!("`{text}` is not an event id (64 hex digits)"))
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            data,
            listen,
            database_url,
            demo,
            insecure_cookies,
            posting,
        } => {
            serve(
                &data_dir(&data)?,
                listen,
                database_url.as_deref(),
                demo,
                insecure_cookies,
                posting.limits(),
            )
            .await
        }
        Command::Key(command) => key(command),
        Command::Blob(command) => blob::run(command).await,
        Command::Tally(args) => tally::run(&args),
        Command::Cred(command) => cred::run(&command),
        Command::Apportion(args) => apportion::run(&args),
        Command::Init {
            name,
            licence,
            maintainers,
            threshold,
            key,
            data,
            node,
        } => {
            init(
                &data_dir(&data)?,
                &node.node,
                &name,
                &licence,
                &maintainers,
                threshold,
                &key,
            )
            .await
        }
        Command::Fork {
            commons,
            at,
            name,
            licence,
            maintainers,
            threshold,
            key,
            data,
            node,
        } => {
            let options = ForkOptions {
                parent: parse_commons(&commons)?,
                at: &at,
                name: &name,
                licence: licence.as_deref(),
                maintainers: &maintainers,
                threshold,
            };
            fork(&data_dir(&data)?, &node.node, &options, &key).await
        }
        Command::Lineage { fork, node } => lineage(&node.node, &parse_commons(&fork)?).await,
        Command::Submit {
            commons,
            kind,
            body_json,
            deps,
            key,
            data,
            node,
        } => {
            submit(
                &data_dir(&data)?,
                &node.node,
                &commons,
                &kind,
                &body_json,
                &deps,
                &key,
            )
            .await
        }
        Command::Can {
            commons,
            kind,
            key,
            data,
            node,
        } => {
            let author = keys::load(&data_dir(&data)?, &key)?.author_key();
            let commons = parse_commons(&commons)?;
            let kind = Kind::new(&kind)?.as_str().to_owned();
            let answer = client::Client::new(&node.node)?
                .authorize(&commons, &author, &kind)
                .await?;
            let role = answer["role"].as_str().unwrap_or("nobody (unknown kind)");
            if answer["allowed"] == serde_json::Value::Bool(true) {
                println!("yes: {key} may submit {kind} here (it needs: {role})");
                Ok(())
            } else {
                anyhow::bail!(
                    "no ({}): {}",
                    answer["code"].as_str().unwrap_or("refused"),
                    answer["message"].as_str().unwrap_or("")
                )
            }
        }
        Command::Verify {
            data,
            bundle,
            commons,
            database_url,
        } => match bundle {
            Some(file) => verify_bundle(&file),
            None => {
                verify_store(
                    &data_dir(&data)?,
                    database_url.as_deref(),
                    commons.as_deref(),
                )
                .await
            }
        },
        Command::Export(args) => {
            if let Some(cli::ExportFormat::Valueflows(args)) = &args.format {
                return value::run_valueflows(args).await;
            }
            let commons = args
                .commons
                .as_deref()
                .context("name the commons: commons export COMMONS")?;
            let commons = parse_commons(commons)?;
            match args.node {
                Some(url) => client::export_from_node(&url, &commons).await,
                None => export_store(&data_dir(&args.data)?, &commons).await,
            }
        }
        Command::Import { file, data } => import(&data_dir(&data)?, &file).await,
        Command::Proof(args) => match args.verify {
            Some(ProofVerify::Verify { receipt, sequencer }) => {
                proof_verify(&receipt, sequencer.as_deref())
            }
            None => {
                let commons = args
                    .commons
                    .context("name the commons: commons proof COMMONS --event ID")?;
                let event = args
                    .event
                    .context("name the event: commons proof COMMONS --event ID")?;
                let receipt = client::Client::new(&args.node.node)?
                    .receipt(&parse_commons(&commons)?, &parse_event_id(&event)?)
                    .await?;
                print!("{receipt}");
                Ok(())
            }
        },
        Command::Area(command) => production::run_area(*command).await,
        Command::Task(command) => production::run_task(*command).await,
        Command::Contrib(command) => production::run_contrib(*command).await,
        Command::Thread(command) => production::run_thread(*command).await,
        Command::Assoc(command) => association::run_assoc(*command).await,
        Command::Member(command) => association::run_member(*command).await,
        Command::Poll(command) => association::run_poll(*command).await,
        Command::Delegate(command) => association::run_delegate(*command).await,
        Command::Budget(command) => budget::run_budget(*command).await,
        Command::Distribution(command) => value::run_distribution(*command).await,
        Command::Record { person, reader } => production::run_record(&person, &reader).await,
        Command::Stats { reader } => production::run_stats(&reader).await,
        Command::Rebuild {
            data,
            commons,
            database_url,
        } => {
            rebuild(
                &data_dir(&data)?,
                database_url.as_deref(),
                commons.as_deref(),
            )
            .await
        }
    }
}

async fn serve(
    data: &Path,
    listen: std::net::SocketAddr,
    database_url: Option<&str>,
    demo: bool,
    insecure_cookies: bool,
    posting_limits: commons_node::posting::PostingLimits,
) -> Result<()> {
    let store = open_store(data, database_url).await?;
    let sequencer = keys::load_or_create(data, keys::SEQUENCER_KEY_NAME)?;
    let config = NodeConfig {
        posting_limits,
        ..NodeConfig::new(sequencer)
    };
    let node = Node::start(store, config, Arc::new(SystemClock))
        .await
        .context("cannot start the node")?;
    let ui = commons_web::ui::UiConfig {
        secret: commons_web::ui::secret::WebSecret::from_bytes(keys::load_or_create_secret(
            data,
            keys::WEB_SECRET_NAME,
        )?),
        secure_cookies: !insecure_cookies,
        ..commons_web::ui::UiConfig::default()
    };
    tracing::debug!(?ui, "web configuration");
    if demo {
        let summary = demo::seed(&node)
            .await
            .context("cannot seed the demo commons")?;
        tracing::info!("{summary}");
        let accounts = demo::seed_accounts(&node, &commons_web::ui::Ui::new(ui.clone()))
            .await
            .context("cannot create the demo accounts")?;
        tracing::info!("{accounts}");
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!("cannot listen on {listen}; pass another address with --listen")
        })?;
    let address = listener.local_addr()?;
    // Written without println!, which panics when standard output is closed (for example
    // `commons serve | head -1`); a node must keep serving whoever reads its banner.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "commons node serving {} at http://{address}/",
        data.display()
    );
    let _ = writeln!(
        out,
        "API: http://{address}/api/v1/commons   OpenAPI: http://{address}/api/v1/openapi.json"
    );
    let _ = out.flush();
    let router = commons_web::router(
        node,
        commons_web::WebConfig {
            ui,
            ..commons_web::WebConfig::default()
        },
    );
    commons_web::serve(listener, router)
        .await
        .context("the web server stopped")?;
    Ok(())
}

fn key(command: KeyCommand) -> Result<()> {
    match command {
        KeyCommand::New { name, data } => {
            let key = keys::create(&data_dir(&data)?, &name)?;
            println!("{}", key.author_key().to_hex());
        }
        KeyCommand::List { data } => {
            for (name, key) in keys::list(&data_dir(&data)?)? {
                println!("{name}\t{}", key.author_key().to_hex());
            }
        }
        KeyCommand::Show { name, data } => {
            println!(
                "{}",
                keys::load(&data_dir(&data)?, &name)?.author_key().to_hex()
            );
        }
        KeyCommand::SignChallenge {
            name,
            challenge,
            data,
        } => {
            let challenge = challenge.trim();
            if !challenge.starts_with(commons_web::ui::accounts::LINK_CHALLENGE_PREFIX) {
                anyhow::bail!(
                    "this is not a link-key challenge (it must start with {}); refusing to sign it",
                    commons_web::ui::accounts::LINK_CHALLENGE_PREFIX
                );
            }
            let key = keys::load(&data_dir(&data)?, &name)?;
            println!("key:       {}", key.author_key().to_hex());
            println!(
                "signature: {}",
                hex::encode(key.sign(challenge.as_bytes()).0)
            );
        }
    }
    Ok(())
}

pub(crate) fn now_ms() -> u64 {
    commons_node::Clock::now_ms(&SystemClock)
}

async fn init(
    data: &Path,
    node_url: &str,
    name: &str,
    licence: &str,
    maintainers: &[String],
    threshold: u64,
    key_name: &str,
) -> Result<()> {
    let key = keys::load(data, key_name)?;
    let client = client::Client::new(node_url)?;
    let sequencer = client.sequencer().await?;
    let maintainer_keys = parse_keys(maintainers, key.author_key())?;
    let body =
        commons_core::network::genesis_body(name, &maintainer_keys, threshold, &sequencer, licence);
    let event = Event::sign(
        &key,
        None,
        0,
        None,
        Vec::new(),
        now_ms(),
        Kind::new("commons.genesis")?,
        Some(&body),
    );
    let answer = client.submit(&event).await?;
    println!("{}", event.id.to_hex());
    eprintln!("created commons {name:?} ({})", answer.status);
    Ok(())
}

/// What `commons fork` was asked for.
struct ForkOptions<'a> {
    parent: CommonsId,
    /// A checkpoint size, or `latest`.
    at: &'a str,
    name: &'a str,
    licence: Option<&'a str>,
    maintainers: &'a [String],
    threshold: u64,
}

fn parse_keys(texts: &[String], default: AuthorKey) -> Result<Vec<AuthorKey>> {
    let mut keys = Vec::with_capacity(texts.len());
    for text in texts {
        keys.push(
            AuthorKey::from_hex(text).map_err(|e| anyhow::anyhow!("maintainer `{text}`: {e}"))?,
        );
    }
    if keys.is_empty() {
        keys.push(default);
    }
    Ok(keys)
}

/// Parses and verifies a checkpoint note of `commons` signed by `sequencer`.
fn verified_checkpoint(
    note: &str,
    commons: &CommonsId,
    sequencer: &AuthorKey,
    whose: &str,
) -> Result<commons_ledger::note::Checkpoint> {
    let (checkpoint, _) = commons_ledger::note::Checkpoint::parse_and_verify(
        note,
        &commons_ledger::note::origin_for(commons),
        sequencer,
    )
    .map_err(|e| {
        anyhow::anyhow!("{whose} checkpoint is not signed by its sequencer {sequencer}: {e}")
    })?;
    Ok(checkpoint)
}

async fn fork(
    data: &Path,
    node_url: &str,
    options: &ForkOptions<'_>,
    key_name: &str,
) -> Result<()> {
    let key = keys::load(data, key_name)?;
    let client = client::Client::new(node_url)?;
    let parent = options.parent;
    let note = match options.at {
        "latest" => client.checkpoint(&parent).await?,
        size => {
            let size: u64 = size
                .parse()
                .map_err(|_| anyhow::anyhow!("--at takes a tree size or `latest`, not `{size}`"))?;
            client.checkpoint_at(&parent, size).await?
        }
    };
    let checkpoint = verified_checkpoint(
        &note,
        &parent,
        &client.commons_sequencer(&parent).await?,
        "the parent's",
    )?;
    let licence = match options.licence {
        Some(licence) => licence.to_owned(),
        None => client.overview(&parent).await?["licence"]
            .as_str()
            .context("the parent's overview names no licence")?
            .to_owned(),
    };
    let maintainers = parse_keys(options.maintainers, key.author_key())?;
    let lineage = commons_core::state::ForkParent {
        commons: parent,
        size: checkpoint.size,
        root: checkpoint.root.0,
        checkpoint: note,
    };
    let body = commons_core::fork::fork_genesis_body(
        options.name,
        &maintainers,
        options.threshold,
        &client.sequencer().await?,
        &licence,
        &lineage,
    );
    // A genesis is seq 0 of its author's chain, so a key that already wrote in the
    // prefix cannot sign it; a one-time key does, and is thrown away.
    let signer = if client
        .has_event_before(&parent, &key.author_key(), checkpoint.size)
        .await?
    {
        eprintln!(
            "key {key_name} wrote in the parent's prefix: the genesis is signed with a one-time key"
        );
        SecretKey::generate(&mut rand_core::UnwrapErr(getrandom::SysRng))
    } else {
        key
    };
    let event = Event::sign(
        &signer,
        None,
        0,
        None,
        Vec::new(),
        now_ms(),
        Kind::new("commons.genesis")?,
        Some(&body),
    );
    let answer = client.submit(&event).await?;
    println!("{}", event.id.to_hex());
    eprintln!(
        "forked {} at size {} as {:?} ({})",
        parent, checkpoint.size, options.name, answer.status
    );
    Ok(())
}

async fn lineage(node_url: &str, fork: &CommonsId) -> Result<()> {
    let client = client::Client::new(node_url)?;
    let json = client.lineage(fork).await?;
    let text = |value: &serde_json::Value, what: &str| -> Result<String> {
        Ok(value
            .as_str()
            .with_context(|| format!("the lineage has no {what}"))?
            .to_owned())
    };
    let parent = parse_commons(&text(&json["parent"]["commons"], "parent commons")?)?;
    let parent_note = text(&json["parent"]["checkpoint"], "parent checkpoint")?;
    let parent_sequencer = client.commons_sequencer(&parent).await?;
    let parent_checkpoint =
        verified_checkpoint(&parent_note, &parent, &parent_sequencer, "the parent's")?;
    let named_size = json["parent"]["size"].as_u64();
    let named_root = text(&json["parent"]["root"], "parent root")?;
    if named_size != Some(parent_checkpoint.size) || named_root != parent_checkpoint.root.to_hex() {
        bail!("the parent checkpoint's size and root differ from those the fork's genesis names");
    }
    println!(
        "ok  parent checkpoint: {} at size {} signed by its sequencer {parent_sequencer}",
        parent, parent_checkpoint.size
    );
    let fork_sequencer = client.commons_sequencer(fork).await?;
    let fork_note = text(&json["fork_checkpoint"], "fork checkpoint")?;
    let fork_checkpoint = verified_checkpoint(&fork_note, fork, &fork_sequencer, "the fork's")?;
    println!(
        "ok  fork checkpoint: {fork} at size {} signed by its sequencer {fork_sequencer}",
        fork_checkpoint.size
    );
    let proof = json["consistency_proof"]
        .as_array()
        .context("the lineage has no consistency proof")?
        .iter()
        .map(|hash| {
            hash.as_str()
                .and_then(commons_ledger::Hash::from_hex)
                .context("a proof hash is not 32 bytes of hex")
        })
        .collect::<Result<Vec<_>>>()?;
    commons_ledger::merkle::verify_consistency(
        parent_checkpoint.size,
        fork_checkpoint.size,
        &parent_checkpoint.root,
        &fork_checkpoint.root,
        &proof,
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "the consistency proof from size {} to {} does not verify: {e}",
            parent_checkpoint.size,
            fork_checkpoint.size
        )
    })?;
    println!(
        "ok  consistency proof: the fork's ledger at size {} extends the parent's at size {} ({} hashes)",
        fork_checkpoint.size,
        parent_checkpoint.size,
        proof.len()
    );
    Ok(())
}

async fn submit(
    data: &Path,
    node_url: &str,
    commons: &str,
    kind: &str,
    body_json: &Path,
    deps: &[String],
    key_name: &str,
) -> Result<()> {
    let key = keys::load(data, key_name)?;
    let commons = parse_commons(commons)?;
    let text = if body_json == Path::new("-") {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(body_json)
            .with_context(|| format!("cannot read {}", body_json.display()))?
    };
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", body_json.display()))?;
    let body = cbor::json::from_json(&json)
        .map_err(|e| anyhow::anyhow!("the body cannot be encoded: {e}"))?;
    let deps = deps
        .iter()
        .map(|d| parse_event_id(d))
        .collect::<Result<Vec<_>>>()?;
    let client = client::Client::new(node_url)?;
    let kind = Kind::new(kind).map_err(|e| anyhow::anyhow!("kind `{kind}`: {e}"))?;
    sign_and_submit(&client, &key, &commons, kind.as_str(), &body, deps).await
}

/// Signs `body` as the next event of `key`'s chain in `commons` and submits it, printing
/// the id and the node's answer.
pub async fn sign_and_submit(
    client: &client::Client,
    key: &commons_ledger::SecretKey,
    commons: &CommonsId,
    kind: &str,
    body: &Value,
    deps: Vec<EventId>,
) -> Result<()> {
    let head = client.chain_head(commons, &key.author_key()).await?;
    let event = Event::sign(
        key,
        Some(*commons),
        head.map_or(0, |(seq, _)| seq + 1),
        head.map(|(_, id)| id),
        deps,
        now_ms(),
        Kind::new(kind).map_err(|e| anyhow::anyhow!("kind `{kind}`: {e}"))?,
        Some(body),
    );
    let answer = client.submit(&event).await?;
    match answer.index {
        Some(index) => println!("{} {} at index {index}", event.id.to_hex(), answer.status),
        None => println!("{} {}", event.id.to_hex(), answer.status),
    }
    Ok(())
}

async fn selected_commons(store: &AnyStore, only: Option<&str>) -> Result<Vec<CommonsId>> {
    match only {
        Some(text) => Ok(vec![parse_commons(text)?]),
        None => Ok(store
            .list_commons()
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect()),
    }
}

async fn verify_store(data: &Path, database_url: Option<&str>, only: Option<&str>) -> Result<()> {
    let store = open_store(data, database_url).await?;
    let progress = CliProgress::new();
    let all = selected_commons(&store, only).await?;
    if all.is_empty() {
        println!("no commons to verify in {}", data.display());
    }
    for commons in all {
        let report = audit::audit_store(&store, &commons, &progress)
            .await
            .map_err(|failure| {
                anyhow::anyhow!("commons {commons}: verification failed: {failure}")
            })?;
        println!(
            "ok {commons}: {} events, root {}, {} checkpoints, {} projection rows",
            report.n_events, report.root, report.n_checkpoints, report.n_rows
        );
    }
    Ok(())
}

fn verify_bundle(file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bundle = commons_node::bundle::read_bundle(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let report = audit::audit_bundle(&bundle, &CliProgress::new())
        .map_err(|failure| anyhow::anyhow!("{}: verification failed: {failure}", file.display()))?;
    println!(
        "ok {}: {} events, root {}, {} checkpoints",
        file.display(),
        report.n_events,
        report.root,
        report.n_checkpoints
    );
    Ok(())
}

async fn export_store(data: &Path, commons: &CommonsId) -> Result<()> {
    let store = open_store(data, None).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    commons_node::bundle::export(&store, commons, &mut out, &CliProgress::new())
        .await
        .map_err(|e| anyhow::anyhow!("export failed: {e}"))?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

async fn import(data: &Path, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bundle = commons_node::bundle::read_bundle(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let store = open_store(data, None).await?;
    let report = commons_node::bundle::import(&store, &bundle, &CliProgress::new())
        .await
        .map_err(|e| anyhow::anyhow!("import failed: {e}"))?;
    println!("imported {report:?}");
    Ok(())
}

fn proof_verify(file: &Path, sequencer: Option<&str>) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let checked = commons_node::receipt::verify_receipt_text(&text, sequencer)
        .map_err(|e| anyhow::anyhow!("{}: the receipt does not verify: {e}", file.display()))?;
    println!("{checked}");
    Ok(())
}

async fn rebuild(data: &Path, database_url: Option<&str>, only: Option<&str>) -> Result<()> {
    let store = open_store(data, database_url).await?;
    let progress = CliProgress::new();
    for commons in selected_commons(&store, only).await? {
        let report = audit::rebuild(&store, &commons, &progress)
            .await
            .map_err(|e| anyhow::anyhow!("commons {commons}: rebuild failed: {e}"))?;
        if report.equal_to_previous {
            println!(
                "ok {commons}: {} projection rows rebuilt, equal to the stored ones",
                report.n_rows
            );
        } else {
            println!(
                "{commons}: {} projection rows rebuilt; they differed from the stored ones:",
                report.n_rows
            );
            for difference in &report.differences {
                println!("  {difference}");
            }
        }
    }
    Ok(())
}
