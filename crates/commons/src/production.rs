//! Peer-production verbs: `area`, `task`, `contrib`, `thread`, `record` and `stats`.
//! Each write signs one event with a local key and submits it; each read asks the node's
//! API and prints what a person needs (`--json` prints the node's answer as it is).

use crate::cli::{DataArgs, NodeArgs};
use crate::client::Client;
use crate::{data_dir, keys, parse_commons, parse_event_id};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use commons_core::production::bodies::{
    self, ContributionUpdate, NewArea, NewContribution, NewTask,
};
use commons_core::production::{Rule, Subject};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, EventId, SecretKey};
use serde_json::Value as Json;

/// Who acts where: the commons, the local key and the node.
#[derive(Args, Debug, Clone)]
pub struct Actor {
    /// The commons (hex id).
    #[arg(long)]
    pub commons: String,
    /// Name of the local key that signs.
    #[arg(long, default_value = "default")]
    pub key: String,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// Where to read from: the commons and the node.
#[derive(Args, Debug, Clone)]
pub struct Reader {
    /// The commons (hex id).
    #[arg(long)]
    pub commons: String,
    /// Print the node's JSON answer unchanged.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub node: NodeArgs,
}

#[derive(Subcommand, Debug)]
pub enum AreaCommand {
    /// Create an area (a subproject) with its maintainers and validation rule; commons
    /// maintainers only.
    #[command(
        after_help = "Examples:\n  commons area create --commons 6f1c… --slug docs --name Documentation --maintainer 01ab… --approvals 1 --chore tests --key alice\n  commons area create --commons 6f1c… --slug wiki --name Wiki --maintainer 01ab… --lazy-hours 72 --key alice"
    )]
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// An area maintainer's key (hex); repeat for several. Defaults to the signer.
        #[arg(long = "maintainer", value_name = "KEY")]
        maintainers: Vec<String>,
        /// Maintainer decision: this many area maintainers approve each contribution.
        #[arg(long, conflicts_with = "lazy_hours")]
        approvals: Option<u64>,
        /// Lazy consensus: accepted when this many hours of ledger time pass with no
        /// open maintainer objection.
        #[arg(long)]
        lazy_hours: Option<u64>,
        /// A chore every contribution must tick (e.g. tests, docs); repeat for several.
        #[arg(long = "chore")]
        chores: Vec<String>,
        /// Let authors approve their own contributions.
        #[arg(long)]
        self_approval: bool,
        /// Hours a claim lasts without activity (default 14 days).
        #[arg(long)]
        claim_hours: Option<u64>,
        #[command(flatten)]
        actor: Actor,
    },
    /// List the areas of a commons.
    #[command(after_help = "Example:\n  commons area list --commons 6f1c…")]
    List {
        #[command(flatten)]
        reader: Reader,
    },
    /// Nominate someone to maintain an area (or to stop); their record in the area shows.
    #[command(
        after_help = "Example:\n  commons area nominate --commons 6f1c… --area docs --nominee 01cd… --reason \"12 accepted guides\" --key bob"
    )]
    Nominate {
        #[arg(long)]
        area: String,
        #[arg(long, value_name = "KEY")]
        nominee: String,
        /// Nominate for removal instead.
        #[arg(long)]
        remove: bool,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Approve a nomination (area maintainers, or commons maintainers at their threshold).
    #[command(
        after_help = "Example:\n  commons area approve --commons 6f1c… --nomination 9e0a… --key alice"
    )]
    Approve {
        #[arg(long, value_name = "ID")]
        nomination: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Stop maintaining an area; always allowed.
    #[command(
        after_help = "Example:\n  commons area step-down --commons 6f1c… --area docs --key alice"
    )]
    StepDown {
        #[arg(long)]
        area: String,
        #[command(flatten)]
        actor: Actor,
    },
}

#[derive(Subcommand, Debug)]
pub enum TaskCommand {
    /// Post a need anyone can pick up.
    #[command(
        after_help = "Example:\n  commons task post --commons 6f1c… --area docs --title \"Write a first-steps guide\" --label beginner --effort-hours 4 --key ann"
    )]
    Post {
        #[arg(long)]
        area: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        #[arg(long = "label")]
        labels: Vec<String>,
        #[arg(long)]
        effort_hours: Option<u64>,
        /// Mark it as a chore: less appealing work that ranks higher.
        #[arg(long)]
        chore: bool,
        #[command(flatten)]
        actor: Actor,
    },
    /// The task board: open tasks ranked by the traces people leave on them.
    #[command(after_help = "Example:\n  commons task board --commons 6f1c… --area docs --limit 20")]
    Board {
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        label: Option<String>,
        /// Only chores.
        #[arg(long)]
        chores: bool,
        /// Include tasks someone has claimed.
        #[arg(long)]
        claimed: bool,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        reader: Reader,
    },
    /// Show one task.
    #[command(after_help = "Example:\n  commons task show 4b7e… --commons 6f1c…")]
    Show {
        task: String,
        #[command(flatten)]
        reader: Reader,
    },
    /// Say "I need this too" (or, with --interest, that you are interested).
    #[command(after_help = "Example:\n  commons task signal 4b7e… --commons 6f1c… --key bob")]
    Signal {
        task: String,
        #[arg(long)]
        interest: bool,
        #[command(flatten)]
        actor: Actor,
    },
    /// Pledge bounty money on a task (a promise, settled by the value tools).
    #[command(
        after_help = "Example:\n  commons task pledge 4b7e… --amount 5000 --currency EUR --commons 6f1c… --key acme\n\nThe amount is in minor units (5000 = 50.00 EUR)."
    )]
    Pledge {
        task: String,
        #[arg(long)]
        amount: u64,
        #[arg(long)]
        currency: String,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Claim a task: you select yourself for the work.
    #[command(after_help = "Example:\n  commons task claim 4b7e… --commons 6f1c… --key ann")]
    Claim {
        task: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Release your claim.
    #[command(after_help = "Example:\n  commons task release 4b7e… --commons 6f1c… --key ann")]
    Release {
        task: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Close a task with a reason (area maintainers).
    #[command(
        after_help = "Example:\n  commons task close 4b7e… --reason \"duplicate of 9a1f…\" --commons 6f1c… --key alice"
    )]
    Close {
        task: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: Actor,
    },
}

#[derive(Subcommand, Debug)]
pub enum ContribCommand {
    /// Submit work without asking: care work, work done elsewhere (with evidence), or a
    /// revision of an artifact whose content is uploaded as a blob.
    #[command(
        after_help = "Examples:\n  commons contrib submit --commons 6f1c… --area docs --kind care --title \"Answered forum questions\" --effort-minutes 120 --key ann\n  commons contrib submit --commons 6f1c… --area docs --kind external --title \"Talk at FOSDEM\" --evidence https://example.org/talk --sponsor 01ef… --key ann\n  commons contrib submit --commons 6f1c… --area docs --kind revision --title \"First-steps guide\" --file guide.md --name guide.md --artifact-kind document --task 4b7e… --key ann"
    )]
    Submit {
        #[arg(long)]
        area: String,
        /// care, external or revision.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        /// A task this work resolves (hex id); repeat for several.
        #[arg(long = "task", value_name = "ID")]
        tasks: Vec<String>,
        /// A co-author and their share, KEY:SHARE; your own share is --share.
        #[arg(long = "coauthor", value_name = "KEY:SHARE")]
        coauthors: Vec<String>,
        /// Your share when there are co-authors.
        #[arg(long, default_value_t = 1)]
        share: u64,
        #[arg(long)]
        effort_minutes: Option<u64>,
        /// Paid work: the sponsoring organisation's key. Without it the work is declared
        /// volunteer work.
        #[arg(long, value_name = "KEY")]
        sponsor: Option<String>,
        /// A link or hash evidencing work done elsewhere; repeat for several.
        #[arg(long = "evidence")]
        evidence: Vec<String>,
        /// A chore you did (the area may require some); repeat for several.
        #[arg(long = "checklist")]
        checklist: Vec<String>,
        /// For a revision: the file with the new content.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// For a revision of an existing artifact: its id.
        #[arg(long)]
        artifact: Option<String>,
        /// For a revision: the revision it starts from.
        #[arg(long)]
        base: Option<String>,
        /// For a new artifact: its name and kind (document, design, code, media, dataset).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        artifact_kind: Option<String>,
        #[arg(long, default_value = "text/plain")]
        media_type: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Show one contribution with its reviews.
    #[command(after_help = "Example:\n  commons contrib show 77aa… --commons 6f1c…")]
    Show {
        contribution: String,
        #[command(flatten)]
        reader: Reader,
    },
    /// List contributions, newest first.
    #[command(
        after_help = "Example:\n  commons contrib list --commons 6f1c… --status pending --area docs"
    )]
    List {
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        reader: Reader,
    },
    /// Review: approve, request changes, object (with a reason) or comment.
    #[command(
        after_help = "Examples:\n  commons contrib review 77aa… --approve --commons 6f1c… --key alice\n  commons contrib review 77aa… --object --text \"breaks the build\" --commons 6f1c… --key bob"
    )]
    Review {
        contribution: String,
        #[arg(long, group = "verdict")]
        approve: bool,
        #[arg(long, group = "verdict")]
        changes: bool,
        #[arg(long, group = "verdict")]
        object: bool,
        #[arg(long, group = "verdict")]
        comment: bool,
        #[arg(long)]
        text: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Resolve your own objection.
    #[command(
        after_help = "Example:\n  commons contrib resolve 77aa… --review 31bc… --commons 6f1c… --key bob"
    )]
    Resolve {
        contribution: String,
        #[arg(long, value_name = "ID")]
        review: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Reject with a reason (area maintainers).
    #[command(
        after_help = "Example:\n  commons contrib reject 77aa… --reason \"out of scope\" --commons 6f1c… --key alice"
    )]
    Reject {
        contribution: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Withdraw your contribution.
    #[command(after_help = "Example:\n  commons contrib withdraw 77aa… --commons 6f1c… --key ann")]
    Withdraw {
        contribution: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Submit a new version of your contribution.
    #[command(
        after_help = "Example:\n  commons contrib revise 77aa… --checklist tests --file guide.md --commons 6f1c… --key ann"
    )]
    Revise {
        contribution: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        #[arg(long)]
        media_type: Option<String>,
        #[arg(long = "checklist")]
        checklist: Vec<String>,
        #[arg(long = "evidence")]
        evidence: Vec<String>,
        #[arg(long)]
        effort_minutes: Option<u64>,
        #[command(flatten)]
        actor: Actor,
    },
}

#[derive(Subcommand, Debug)]
pub enum ThreadCommand {
    /// Post in the discussion on an area, task, contribution or artifact.
    #[command(
        after_help = "Example:\n  commons thread post --on task:4b7e… --text \"I can take the French part\" --mention 01cd… --commons 6f1c… --key ann"
    )]
    Post {
        /// KIND:ID with KIND area, task, contribution or artifact.
        #[arg(long)]
        on: String,
        #[arg(long)]
        text: String,
        #[arg(long, value_name = "POST")]
        reply_to: Option<String>,
        /// Notify this key; repeat for several.
        #[arg(long = "mention", value_name = "KEY")]
        mentions: Vec<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Edit your post (a new version that supersedes it).
    #[command(
        after_help = "Example:\n  commons thread edit 5d2c… --text \"corrected\" --commons 6f1c… --key ann"
    )]
    Edit {
        post: String,
        #[arg(long)]
        text: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Hide a post with a reason (maintainers); it stays in the ledger.
    #[command(
        after_help = "Example:\n  commons thread hide 5d2c… --reason spam --commons 6f1c… --key alice"
    )]
    Hide {
        post: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Show a thread.
    #[command(after_help = "Example:\n  commons thread show --on task:4b7e… --commons 6f1c…")]
    Show {
        #[arg(long)]
        on: String,
        #[command(flatten)]
        reader: Reader,
    },
}

pub(crate) fn key_arg(text: &str) -> Result<AuthorKey> {
    AuthorKey::from_hex(text).map_err(|e| anyhow::anyhow!("`{text}` is not an author key: {e}"))
}

fn ids(texts: &[String]) -> Result<Vec<EventId>> {
    texts.iter().map(|t| parse_event_id(t)).collect()
}

fn subject_arg(text: &str) -> Result<Subject> {
    let (kind, id) = text
        .split_once(':')
        .context("--on is KIND:ID, e.g. task:4b7e…")?;
    let id = parse_event_id(id)?;
    Ok(match kind {
        "area" => Subject::Area(id),
        "task" => Subject::Task(id),
        "contribution" => Subject::Contribution(id),
        "artifact" => Subject::Artifact(id),
        _ => bail!("KIND is area, task, contribution or artifact"),
    })
}

/// A local key that signs events for one commons and submits them to a node.
pub(crate) struct Signer {
    pub(crate) key: SecretKey,
    pub(crate) commons: CommonsId,
    pub(crate) client: Client,
}

impl Signer {
    pub(crate) fn new(actor: &Actor) -> Result<Signer> {
        Ok(Signer {
            key: keys::load(&data_dir(&actor.data)?, &actor.key)?,
            commons: parse_commons(&actor.commons)?,
            client: Client::new(&actor.node.node)?,
        })
    }

    pub(crate) async fn send(&self, kind: &str, body: &Value) -> Result<()> {
        crate::sign_and_submit(&self.client, &self.key, &self.commons, kind, body, vec![]).await
    }
}

pub async fn run_area(command: AreaCommand) -> Result<()> {
    match command {
        AreaCommand::Create {
            slug,
            name,
            description,
            maintainers,
            approvals,
            lazy_hours,
            chores,
            self_approval,
            claim_hours,
            actor,
        } => {
            let signer = Signer::new(&actor)?;
            let maintainers = if maintainers.is_empty() {
                vec![signer.key.author_key()]
            } else {
                maintainers
                    .iter()
                    .map(|m| key_arg(m))
                    .collect::<Result<_>>()?
            };
            let rule = match (approvals, lazy_hours) {
                (_, Some(hours)) => Rule::Lazy {
                    window_ms: hours * 3_600_000,
                },
                (approvals, None) => Rule::Maintainers {
                    approvals: approvals.unwrap_or(1),
                },
            };
            let area = NewArea {
                slug,
                name,
                description,
                maintainers,
                threshold: None,
                rule,
                chores,
                self_approval: self_approval.then_some(true),
                claim_ttl_ms: claim_hours.map(|h| h * 3_600_000),
            };
            signer.send("area.create", &area.body()).await
        }
        AreaCommand::List { reader } => {
            let json = get(&reader, "/areas").await?;
            print_or(&reader, &json, |json| {
                for area in json.as_array().into_iter().flatten() {
                    let rule = &area["rule"];
                    let rule = match rule["kind"].as_str() {
                        Some("lazy") => format!(
                            "lazy consensus, {} h window",
                            rule["window_ms"].as_u64().unwrap_or(0) / 3_600_000
                        ),
                        _ => format!("{} maintainer approval(s)", rule["approvals"]),
                    };
                    println!(
                        "{:<16} {:<28} {} maintainer(s), {rule}, {} task(s), {} contribution(s)",
                        area["slug"].as_str().unwrap_or(""),
                        area["name"].as_str().unwrap_or(""),
                        area["maintainers"].as_array().map_or(0, Vec::len),
                        area["tasks"],
                        area["contributions"]
                    );
                }
            })
        }
        AreaCommand::Nominate {
            area,
            nominee,
            remove,
            reason,
            actor,
        } => {
            let body = bodies::nominate(&area, &key_arg(&nominee)?, !remove, reason.as_deref());
            Signer::new(&actor)?.send("area.nominate", &body).await
        }
        AreaCommand::Approve { nomination, actor } => {
            let body = bodies::approve_nomination(&parse_event_id(&nomination)?);
            Signer::new(&actor)?.send("area.approve", &body).await
        }
        AreaCommand::StepDown { area, actor } => {
            Signer::new(&actor)?
                .send("area.step_down", &bodies::step_down(&area))
                .await
        }
    }
}

pub(crate) async fn get(reader: &Reader, path: &str) -> Result<Json> {
    let commons = parse_commons(&reader.commons)?;
    Client::new(&reader.node.node)?
        .get_json(&format!("/api/v1/commons/{}{path}", commons.to_hex()))
        .await
}

pub(crate) fn print_or(reader: &Reader, json: &Json, human: impl FnOnce(&Json)) -> Result<()> {
    if reader.json {
        println!("{}", serde_json::to_string_pretty(json)?);
    } else {
        human(json);
    }
    Ok(())
}

fn pretty(json: &Json) {
    println!(
        "{}",
        serde_json::to_string_pretty(json).unwrap_or_else(|_| json.to_string())
    );
}

/// A query string from the present parameters, percent-encoded.
pub(crate) fn query(params: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref()
                .map(|v| format!("{k}={}", urlencoding_component(v)))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn urlencoding_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn run_task(command: TaskCommand) -> Result<()> {
    match command {
        TaskCommand::Post {
            area,
            title,
            description,
            labels,
            effort_hours,
            chore,
            actor,
        } => {
            let task = NewTask {
                area,
                title,
                description,
                labels,
                effort_hours,
                chore,
            };
            Signer::new(&actor)?.send("task.post", &task.body()).await
        }
        TaskCommand::Board {
            area,
            label,
            chores,
            claimed,
            limit,
            reader,
        } => {
            let path = format!(
                "/tasks{}",
                query(&[
                    ("area", area),
                    ("label", label),
                    ("chores", chores.then(|| "true".to_owned())),
                    ("claimed", claimed.then(|| "true".to_owned())),
                    ("limit", Some(limit.to_string())),
                ])
            );
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, |json| {
                println!("{} open task(s) match.", json["matching"]);
                for task in json["tasks"].as_array().into_iter().flatten() {
                    let s = &task["score"];
                    println!(
                        "{:>4}  {}  {}{}  [{}: {} need, {} interested, {} pledge(s), {} day(s){}]{}",
                        s["total"],
                        &task["id"].as_str().unwrap_or("")
                            [..12.min(task["id"].as_str().unwrap_or("").len())],
                        task["title"].as_str().unwrap_or(""),
                        if task["chore"] == Json::Bool(true) {
                            " (chore)"
                        } else {
                            ""
                        },
                        task["area"].as_str().unwrap_or(""),
                        s["needs"],
                        s["interested"],
                        s["pledges"],
                        s["age_days"],
                        if s["chore"] == Json::Bool(true) {
                            ", chore"
                        } else {
                            ""
                        },
                        if task["claimed_by"].is_string() {
                            "  claimed"
                        } else {
                            ""
                        },
                    );
                }
                println!("\n{}", json["ranking"].as_str().unwrap_or(""));
            })
        }
        TaskCommand::Show { task, reader } => {
            let json = get(
                &reader,
                &format!("/tasks/{}", parse_event_id(&task)?.to_hex()),
            )
            .await?;
            print_or(&reader, &json, pretty)
        }
        TaskCommand::Signal {
            task,
            interest,
            actor,
        } => {
            let body = bodies::signal(&parse_event_id(&task)?, !interest);
            Signer::new(&actor)?.send("task.signal", &body).await
        }
        TaskCommand::Pledge {
            task,
            amount,
            currency,
            note,
            actor,
        } => {
            let body = bodies::pledge(&parse_event_id(&task)?, amount, &currency, note.as_deref());
            Signer::new(&actor)?.send("task.pledge", &body).await
        }
        TaskCommand::Claim { task, actor } => {
            let body = bodies::task_ref(&parse_event_id(&task)?);
            Signer::new(&actor)?.send("task.claim", &body).await
        }
        TaskCommand::Release { task, actor } => {
            let body = bodies::task_ref(&parse_event_id(&task)?);
            Signer::new(&actor)?.send("task.release", &body).await
        }
        TaskCommand::Close {
            task,
            reason,
            actor,
        } => {
            let body = bodies::close_task(&parse_event_id(&task)?, &reason);
            Signer::new(&actor)?.send("task.close", &body).await
        }
    }
}

fn coauthor(text: &str) -> Result<(AuthorKey, u64)> {
    let (key, share) = text.rsplit_once(':').context("--coauthor is KEY:SHARE")?;
    let share = share
        .parse()
        .with_context(|| format!("`{share}` is not a whole number share"))?;
    Ok((key_arg(key)?, share))
}

pub async fn run_contrib(command: ContribCommand) -> Result<()> {
    match command {
        ContribCommand::Submit {
            area,
            kind,
            title,
            description,
            tasks,
            coauthors,
            share,
            effort_minutes,
            sponsor,
            evidence,
            checklist,
            file,
            artifact,
            base,
            name,
            artifact_kind,
            media_type,
            actor,
        } => {
            let signer = Signer::new(&actor)?;
            let mut authors = Vec::new();
            if !coauthors.is_empty() {
                authors.push((signer.key.author_key(), share));
                for c in &coauthors {
                    authors.push(coauthor(c)?);
                }
            }
            let revision = match file {
                Some(path) => {
                    let (blob, _) = crate::blob::upload(&signer.client, &path).await?;
                    Some(bodies::RevisionSpec {
                        artifact: artifact.as_deref().map(parse_event_id).transpose()?,
                        base: base.as_deref().map(parse_event_id).transpose()?,
                        name,
                        artifact_kind,
                        media_type,
                        blob,
                    })
                }
                None if kind == "revision" => bail!("a revision needs --file with its content"),
                None => None,
            };
            let contribution = NewContribution {
                area,
                kind,
                title,
                description,
                tasks: ids(&tasks)?,
                authors,
                effort_minutes,
                sponsor: sponsor.as_deref().map(key_arg).transpose()?,
                revision,
                evidence,
                checklist,
            };
            signer.send("contrib.submit", &contribution.body()).await
        }
        ContribCommand::Show {
            contribution,
            reader,
        } => {
            let path = format!("/contributions/{}", parse_event_id(&contribution)?.to_hex());
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, pretty)
        }
        ContribCommand::List {
            area,
            status,
            limit,
            reader,
        } => {
            let path = format!(
                "/contributions{}",
                query(&[
                    ("area", area),
                    ("status", status),
                    ("limit", Some(limit.to_string()))
                ])
            );
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, |json| {
                println!("{} contribution(s) match.", json["matching"]);
                for c in json["contributions"].as_array().into_iter().flatten() {
                    println!(
                        "{}  {:<9} {:<8} {:<10} {}",
                        c["id"].as_str().unwrap_or(""),
                        c["status"].as_str().unwrap_or(""),
                        c["kind"].as_str().unwrap_or(""),
                        if c["paid"] == Json::Bool(true) {
                            "paid"
                        } else {
                            "volunteer"
                        },
                        c["title"].as_str().unwrap_or("")
                    );
                }
            })
        }
        ContribCommand::Review {
            contribution,
            approve,
            changes,
            object,
            comment: _,
            text,
            actor,
        } => {
            let verdict = if approve {
                "approve"
            } else if changes {
                "changes"
            } else if object {
                "object"
            } else {
                "comment"
            };
            let body = bodies::review(&parse_event_id(&contribution)?, verdict, text.as_deref());
            Signer::new(&actor)?.send("contrib.review", &body).await
        }
        ContribCommand::Resolve {
            contribution,
            review,
            actor,
        } => {
            let body = bodies::resolve(&parse_event_id(&contribution)?, &parse_event_id(&review)?);
            Signer::new(&actor)?.send("contrib.resolve", &body).await
        }
        ContribCommand::Reject {
            contribution,
            reason,
            actor,
        } => {
            let body = bodies::reject(&parse_event_id(&contribution)?, &reason);
            Signer::new(&actor)?.send("contrib.reject", &body).await
        }
        ContribCommand::Withdraw {
            contribution,
            reason,
            actor,
        } => {
            let body = bodies::withdraw(&parse_event_id(&contribution)?, reason.as_deref());
            Signer::new(&actor)?.send("contrib.withdraw", &body).await
        }
        ContribCommand::Revise {
            contribution,
            title,
            description,
            file,
            media_type,
            checklist,
            evidence,
            effort_minutes,
            actor,
        } => {
            let signer = Signer::new(&actor)?;
            let blob = match file {
                Some(path) => Some((
                    media_type,
                    crate::blob::upload(&signer.client, &path).await?.0,
                )),
                None => None,
            };
            let update = ContributionUpdate {
                title,
                description,
                blob,
                evidence: (!evidence.is_empty()).then_some(evidence),
                checklist: (!checklist.is_empty()).then_some(checklist),
                effort_minutes,
            };
            let body = update.body(&parse_event_id(&contribution)?);
            signer.send("contrib.revise", &body).await
        }
    }
}

pub async fn run_thread(command: ThreadCommand) -> Result<()> {
    match command {
        ThreadCommand::Post {
            on,
            text,
            reply_to,
            mentions,
            actor,
        } => {
            let subject = subject_arg(&on)?;
            let reply_to = reply_to.as_deref().map(parse_event_id).transpose()?;
            let mentions: Vec<AuthorKey> =
                mentions.iter().map(|m| key_arg(m)).collect::<Result<_>>()?;
            let body = bodies::post(&subject, &text, reply_to.as_ref(), &mentions);
            Signer::new(&actor)?.send("thread.post", &body).await
        }
        ThreadCommand::Edit { post, text, actor } => {
            let body = bodies::edit_post(&parse_event_id(&post)?, &text, &[]);
            Signer::new(&actor)?.send("thread.edit", &body).await
        }
        ThreadCommand::Hide {
            post,
            reason,
            actor,
        } => {
            let body = bodies::hide_post(&parse_event_id(&post)?, &reason);
            Signer::new(&actor)?.send("thread.hide", &body).await
        }
        ThreadCommand::Show { on, reader } => {
            let subject = subject_arg(&on)?;
            let path = format!("/threads/{}/{}", subject.kind_str(), subject.id().to_hex());
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, |json| {
                for post in json["posts"].as_array().into_iter().flatten() {
                    let author = post["author"].as_str().unwrap_or("");
                    match post["hidden_reason"].as_str() {
                        Some(reason) => {
                            println!("[{}] hidden: {reason}", &author[..12.min(author.len())])
                        }
                        None => println!(
                            "[{}]{} {}",
                            &author[..12.min(author.len())],
                            if post["version"].as_u64().unwrap_or(1) > 1 {
                                " (edited)"
                            } else {
                                ""
                            },
                            post["text"].as_str().unwrap_or("")
                        ),
                    }
                }
            })
        }
    }
}

/// `commons record`: a person's contribution record.
pub async fn run_record(person: &str, reader: &Reader) -> Result<()> {
    let key = key_arg(person)?;
    let json = get(reader, &format!("/people/{}", key.to_hex())).await?;
    print_or(reader, &json, |r| {
        println!("{}", r["name"].as_str().unwrap_or("(no published name)"));
        println!(
            "contributions {}: {} accepted, {} pending, {} rejected, {} withdrawn",
            r["contributions"], r["accepted"], r["pending"], r["rejected"], r["withdrawn"]
        );
        println!(
            "accepted work: {} paid, {} volunteer; effort {} min",
            r["accepted_paid"], r["accepted_volunteer"], r["effort_minutes"]
        );
        println!(
            "reviews given {} ({} as a maintainer); tasks done {}; chores done {}",
            r["reviews_given"], r["reviews_as_maintainer"], r["tasks_done"], r["chores_done"]
        );
    })
}

/// `commons stats`: the statistics of a commons.
pub async fn run_stats(reader: &Reader) -> Result<()> {
    let json = get(reader, "/statistics").await?;
    print_or(reader, &json, pretty)
}
