//! Association verbs: `assoc`, `member`, `poll` and `delegate`. Each write signs one
//! event with a local key and submits it like every other verb; each read asks the
//! node's association API (`--json` prints its answer as it is). Ballots are typed in a
//! readable form (`--rank "Ana>Ben"`, `--stance yes`, …) and options are named by name or
//! index; `poll recount` counts a closed poll's exported ballots locally and checks the
//! node's published result.

use crate::cli::NodeArgs;
use crate::client::Client;
use crate::production::{Actor, Reader, Signer, get, key_arg, print_or, query};
use crate::{parse_commons, parse_event_id};
use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Subcommand};
use commons_core::association::polls::{self, ballot_value};
use commons_core::association::statutes;
use commons_ledger::cbor::Value;
use commons_ledger::{CommonsId, EventId};
use commons_tally::{Availability, Ballot, ConsentStance, Profile, Stance};
use commons_web::association::{ParametersJson, RuleJson, StatutesJson};
use serde_json::Value as Json;
use std::path::PathBuf;

/// Statutes to start from: `commons assoc example > statutes.json`.
pub const EXAMPLE_STATUTES: &str = r#"{
  "name": "Friends of the tool library",
  "purpose": "Keep the tools shared, repaired and free to borrow",
  "admission": "maintainers",
  "chambers": [
    {"slug": "contributors", "name": "Contributors", "basis": "contributors"},
    {"slug": "users", "name": "Users", "basis": "declared"}
  ],
  "contributor_window_months": 6,
  "board_seats": 3,
  "board_term_months": 12,
  "rules": {
    "amend_statutes": {"method": "proposal", "electorate": "members", "threshold": "2/3", "quorum": "1/3"},
    "admit_member": {"method": "proposal", "electorate": "members", "threshold": "1/2", "strict": true},
    "suspend_member": {"method": "proposal", "electorate": "members", "threshold": "1/2", "quorum": "1/4"},
    "expel_member": {"method": "proposal", "electorate": "members", "threshold": "2/3", "quorum": "1/2"},
    "elect_board": {"method": "stv-scottish", "electorate": "members", "threshold": "0/1"},
    "general": {"method": "proposal", "electorate": "members", "threshold": "1/2", "strict": true}
  }
}
"#;

#[derive(Subcommand, Debug)]
pub enum AssocCommand {
    /// Show the statutes (every rule with its method, electorate and exact thresholds),
    /// their history, the board and the member counts.
    #[command(after_help = "Example:\n  commons assoc show --commons 6f1c…")]
    Show {
        #[command(flatten)]
        reader: Reader,
    },
    /// Adopt the association's first statutes from a JSON file; a commons maintainer,
    /// once. Later statutes change only by a poll under their `amend_statutes` rule
    /// (`commons poll open --decision amend_statutes --statutes FILE`).
    #[command(
        after_help = "Example:\n  commons assoc example > statutes.json\n  commons assoc adopt --file statutes.json --commons 6f1c… --key alice\n\nThe file has the shape `commons assoc show --json` prints under `statutes`;\nfractions are written \"n/d\"."
    )]
    Adopt {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        actor: Actor,
    },
    /// Print example statutes to edit before adopting them.
    #[command(after_help = "Example:\n  commons assoc example > statutes.json")]
    Example,
}

#[derive(Subcommand, Debug)]
pub enum MemberCommand {
    /// Apply to join the association (under `open` admission this admits you).
    #[command(
        after_help = "Example:\n  commons member apply --chamber users --statement \"I borrow tools every month\" --commons 6f1c… --key ann"
    )]
    Apply {
        /// A declared chamber to join; repeat for several.
        #[arg(long = "chamber")]
        chambers: Vec<String>,
        #[arg(long)]
        statement: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Admit an application (commons maintainers, under `maintainers` admission).
    #[command(after_help = "Example:\n  commons member admit 8d3e… --commons 6f1c… --key alice")]
    Admit {
        /// The application: the id of its member.apply event.
        application: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Refuse an application with a reason (commons maintainers).
    #[command(
        after_help = "Example:\n  commons member refuse 8d3e… --reason \"not a user yet\" --commons 6f1c… --key alice"
    )]
    Refuse {
        application: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Leave the association, or withdraw your waiting application.
    #[command(after_help = "Example:\n  commons member leave --commons 6f1c… --key ann")]
    Leave {
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// List members (or, with --applications, applications, pending ones first).
    #[command(
        after_help = "Examples:\n  commons member list --commons 6f1c… --chamber users\n  commons member list --commons 6f1c… --applications --status pending"
    )]
    List {
        /// Members: active, suspended, left or expelled. Applications: pending, admitted,
        /// refused or withdrawn.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        chamber: Option<String>,
        #[arg(long)]
        applications: bool,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        reader: Reader,
    },
}

/// How long a poll stays open, or when a decision is reviewed: `90s`, `30m`, `12h`, `7d`,
/// `2w`, from the later of the node's ledger time and this machine's clock.
pub(crate) fn duration_ms(text: &str) -> Result<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .with_context(|| format!("`{text}` is not a duration like 90s, 30m, 12h, 7d or 2w"))?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => bail!("`{text}` is not a duration like 90s, 30m, 12h, 7d or 2w"),
    };
    number
        .checked_mul(unit_ms)
        .context("that duration is too long")
}

#[derive(Subcommand, Debug)]
pub enum PollCommand {
    /// Open a poll under the statutes' rule for its kind of decision (a general poll may
    /// state its own rule and options).
    #[command(
        after_help = "Examples:\n  commons poll open --title \"Move the wiki\" --closes-in 7d --commons 6f1c… --key ann\n  commons poll open --title \"Logo\" --method irv --option Fox --option Owl --option Bee --closes-in 3d --commons 6f1c… --key ann\n  commons poll open --title \"Board 2027\" --decision elect_board --candidate 01ab… --candidate 01cd… --closes-in 14d --commons 6f1c… --key ann\n  commons poll open --title \"Admit Ben\" --decision admit_member --application 8d3e… --closes-in 7d --commons 6f1c… --key ann\n  commons poll open --title \"New statutes\" --decision amend_statutes --statutes statutes.json --closes-in 14d --commons 6f1c… --key ann"
    )]
    Open {
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        /// general, amend_statutes, admit_member, suspend_member, expel_member or
        /// elect_board.
        #[arg(long, default_value = "general")]
        decision: String,
        /// How long it stays open: 90s, 30m, 12h, 7d, 2w (at least a minute of ledger time).
        #[arg(long, value_name = "DURATION")]
        closes_in: String,
        /// General polls: an option (candidate); repeat for several, in order.
        #[arg(long = "option")]
        options: Vec<String>,
        /// General polls: seats to fill (default 1).
        #[arg(long)]
        seats: Option<u64>,
        /// General polls: count by this method instead of the statutes' general rule
        /// (plurality, approval, score, dot, borda, irv, schulze, ranked-pairs,
        /// stv-scottish, consent, proposal, time …).
        #[arg(long)]
        method: Option<String>,
        /// With --method: who votes (members, contributors, maintainers, registered,
        /// chamber:<slug>, area:<slug>).
        #[arg(long, default_value = "members", requires = "method")]
        electorate: String,
        /// With --method: support needed, `n/d`.
        #[arg(long, default_value = "1/2", requires = "method")]
        threshold: String,
        /// With --method: turnout needed, `n/d`.
        #[arg(long, default_value = "0/1", requires = "method")]
        quorum: String,
        /// With --method: support must exceed the threshold rather than reach it.
        #[arg(long, requires = "method")]
        strict: bool,
        /// Approval: fewest approvals; score: lowest score.
        #[arg(long)]
        min: Option<u32>,
        /// Approval: most approvals; score: highest score.
        #[arg(long)]
        max: Option<u32>,
        /// Dot: dots per ballot.
        #[arg(long)]
        budget: Option<u32>,
        /// An area whose delegations are followed first.
        #[arg(long)]
        topic: Option<String>,
        /// Ballots cannot be changed once cast.
        #[arg(long)]
        final_ballots: bool,
        /// admit_member: the application (id of its member.apply).
        #[arg(long)]
        application: Option<String>,
        /// suspend_member, expel_member: the member's key.
        #[arg(long)]
        member: Option<String>,
        /// suspend_member, expel_member: why.
        #[arg(long)]
        reason: Option<String>,
        /// suspend_member: for how many days.
        #[arg(long)]
        suspend_days: Option<u64>,
        /// elect_board: a candidate's key; repeat for several.
        #[arg(long = "candidate", value_name = "KEY")]
        candidates: Vec<String>,
        /// amend_statutes: the proposed statutes (JSON, as `assoc adopt` reads).
        #[arg(long, value_name = "FILE")]
        statutes: Option<PathBuf>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Cast or change your ballot; options by name or by index (`poll show` lists them).
    #[command(
        group(ArgGroup::new("ballot").required(true)),
        after_help = "Examples:\n  commons poll vote 4a1b… --stance yes --commons 6f1c… --key ann\n  commons poll vote 4a1b… --rank \"Ana>Ben=Chloe\" --commons 6f1c… --key ann\n  commons poll vote 4a1b… --choice Ana --commons 6f1c… --key ann\n  commons poll vote 4a1b… --approve Ana,Ben --commons 6f1c… --key ann\n  commons poll vote 4a1b… --scores Ana=5,Ben=2 --commons 6f1c… --key ann\n  commons poll vote 4a1b… --consent object --reason \"too costly\" --commons 6f1c… --key ann\n  commons poll vote 4a1b… --availability Mon=yes,Tue=if_need_be --commons 6f1c… --key ann"
    )]
    Vote {
        poll: String,
        /// A ranking, most preferred first: `>` between ranks, `=` inside one; "" is blank.
        #[arg(long, group = "ballot", value_name = "A>B=C")]
        rank: Option<String>,
        /// yes, no, abstain or block.
        #[arg(long, group = "ballot")]
        stance: Option<String>,
        #[arg(long, group = "ballot", value_name = "OPTION")]
        choice: Option<String>,
        /// Options approved, comma-separated.
        #[arg(long, group = "ballot", value_name = "A,B")]
        approve: Option<String>,
        /// Scores or dots, comma-separated OPTION=N.
        #[arg(long, group = "ballot", value_name = "A=5,B=2")]
        scores: Option<String>,
        /// consent, object or resolved.
        #[arg(long, group = "ballot")]
        consent: Option<String>,
        /// Time slots, comma-separated SLOT=yes|if_need_be|no.
        #[arg(long, group = "ballot", value_name = "A=yes,B=no")]
        availability: Option<String>,
        /// In a poll tallied by chamber: the chamber this ballot is for.
        #[arg(long)]
        chamber: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Show a poll: its rules, electorate, live turnout, and once closed its result with
    /// the count sheet round by round.
    #[command(after_help = "Example:\n  commons poll show 4a1b… --commons 6f1c…")]
    Show {
        poll: String,
        #[command(flatten)]
        reader: Reader,
    },
    /// List polls: open ones first with their turnout, then closed ones.
    #[command(after_help = "Example:\n  commons poll list --commons 6f1c… --status open")]
    List {
        /// open or closed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        decision: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        reader: Reader,
    },
    /// Write the ballots a poll counted: BLT for ranked methods, or JSON (a
    /// commons_tally profile with method, parameters and seed) for any method.
    #[command(
        after_help = "Examples:\n  commons poll export 4a1b… --commons 6f1c… -o board.blt\n  commons poll export 4a1b… --format json --commons 6f1c… > ballots.json"
    )]
    Export {
        poll: String,
        /// blt or json.
        #[arg(long, default_value = "blt")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        reader: Reader,
    },
    /// Recount a closed poll here from its exported ballots and seed, and check that the
    /// node's published result (winners and every round) is what the count gives.
    #[command(
        after_help = "Example:\n  commons poll recount 4a1b… --commons 6f1c…\n\nExits non-zero when the recount differs from the published result."
    )]
    Recount {
        poll: String,
        #[command(flatten)]
        reader: Reader,
    },
    /// State a closed poll's outcome (its author or a commons maintainer), with an
    /// optional review date.
    #[command(
        after_help = "Example:\n  commons poll statement 4a1b… --text \"We move in March; Ana leads it\" --review-in 90d --commons 6f1c… --key ann"
    )]
    Statement {
        poll: String,
        #[arg(long)]
        text: String,
        /// Review the decision after this long: 30d, 12w, ….
        #[arg(long, value_name = "DURATION")]
        review_in: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// The rule a poll on this decision would follow, and the electorate it would freeze
    /// if opened now (size and hash).
    #[command(
        after_help = "Example:\n  commons poll preview --decision elect_board --commons 6f1c…"
    )]
    Preview {
        #[arg(long, default_value = "general")]
        decision: String,
        /// A general poll's own electorate, e.g. chamber:users.
        #[arg(long)]
        electorate: Option<String>,
        #[command(flatten)]
        reader: Reader,
    },
}

#[derive(Subcommand, Debug)]
pub enum DelegateCommand {
    /// Delegate your vote, on one area's polls or on every poll; your own ballot always
    /// overrides it.
    #[command(
        after_help = "Examples:\n  commons delegate set --to 01ab… --commons 6f1c… --key ann\n  commons delegate set --to 01cd… --topic docs --commons 6f1c… --key ann"
    )]
    Set {
        #[arg(long, value_name = "KEY")]
        to: String,
        /// An area's slug; without it, every poll.
        #[arg(long)]
        topic: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Revoke your delegation on a topic (or your general one).
    #[command(
        after_help = "Example:\n  commons delegate revoke --topic docs --commons 6f1c… --key ann"
    )]
    Revoke {
        #[arg(long)]
        topic: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// List delegations (all, by topic) or one person's, both ways.
    #[command(
        after_help = "Examples:\n  commons delegate list --commons 6f1c…\n  commons delegate list --person 01ab… --commons 6f1c…"
    )]
    List {
        #[arg(long, value_name = "KEY")]
        person: Option<String>,
        #[arg(long)]
        topic: Option<String>,
        #[command(flatten)]
        reader: Reader,
    },
}

pub(crate) fn id_value(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

fn key_value(text: &str) -> Result<Value> {
    Ok(Value::bytes(key_arg(text)?.to_bytes().to_vec()))
}

fn read_statutes(path: &PathBuf) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let json: StatutesJson = serde_json::from_str(&text)
        .with_context(|| format!("{} is not statutes in JSON", path.display()))?;
    let value = json.to_value().map_err(anyhow::Error::msg)?;
    // Check them here with the ledger's own reader, before anything is signed.
    statutes::read(statutes::ADOPT, &value)
        .map_err(|r| anyhow::anyhow!("{}: {}", r.code.as_str(), r.message))?;
    Ok(value)
}

pub(crate) fn short(id: &Json) -> &str {
    let id = id.as_str().unwrap_or("");
    &id[..12.min(id.len())]
}

pub(crate) fn name_or_key(person: &Json) -> String {
    person["name"]
        .as_str()
        .map_or_else(|| short(&person["key"]).to_owned(), str::to_owned)
}

/// The later of the node's ledger time and this machine's clock: a poll closes in 7 days
/// from now, even when the ledger's last tick is older.
pub(crate) async fn time_base_ms(client: &Client, commons: &CommonsId) -> Result<u64> {
    let overview = client
        .get_json(&format!("/api/v1/commons/{}", commons.to_hex()))
        .await?;
    let ledger = overview["ledger_time_ms"].as_u64().unwrap_or(0);
    Ok(ledger.max(crate::now_ms()))
}

pub async fn run_assoc(command: AssocCommand) -> Result<()> {
    match command {
        AssocCommand::Show { reader } => {
            let json = get(&reader, "/association").await?;
            print_or(&reader, &json, print_association)
        }
        AssocCommand::Adopt { file, actor } => {
            let body = Value::text_map([("statutes", read_statutes(&file)?)]);
            Signer::new(&actor)?.send(statutes::ADOPT, &body).await
        }
        AssocCommand::Example => {
            print!("{EXAMPLE_STATUTES}");
            Ok(())
        }
    }
}

fn rule_line(kind: &str, rule: &RuleJson) -> String {
    // An election has no support to reach, only a quorum.
    let support = if polls::method_elects(&rule.method) {
        String::new()
    } else {
        format!(
            ", support {} {}",
            if rule.strict { ">" } else { ">=" },
            rule.threshold
        )
    };
    let mut line = format!(
        "{kind:<15} {} by {}{support}, quorum {}",
        rule.method, rule.electorate, rule.quorum
    );
    if let Some(p) = &rule.progressive {
        line.push_str(&format!(
            ", rising to {} below {} turnout",
            p.max_threshold, p.full_turnout
        ));
    }
    if let Some(c) = &rule.chambers {
        match c.combine.as_str() {
            "weighted" => line.push_str(&format!(
                ", chambers weighted {:?}",
                c.weights.clone().unwrap_or_default()
            )),
            _ => line.push_str(&format!(
                ", passing in {} chamber(s)",
                c.required.unwrap_or_default()
            )),
        }
        if !c.veto.is_empty() {
            line.push_str(&format!(", veto {}", c.veto.join(", ")));
        }
    }
    line
}

fn print_association(json: &Json) {
    let Ok(statutes) = serde_json::from_value::<StatutesJson>(json["statutes"].clone()) else {
        println!("{json}");
        return;
    };
    println!("{}", statutes.name);
    if let Some(purpose) = &statutes.purpose {
        println!("{purpose}");
    }
    println!(
        "admission: {}; contributors: accepted work in {} month(s); board: {} seat(s) for {} month(s)",
        statutes.admission,
        statutes.contributor_window_months,
        statutes.board_seats,
        statutes.board_term_months
    );
    for chamber in &statutes.chambers {
        println!(
            "chamber {} ({}, {}): {} active member(s)",
            chamber.slug, chamber.name, chamber.basis, json["members"]["by_chamber"][&chamber.slug]
        );
    }
    for (kind, rule) in &statutes.rules {
        println!("{}", rule_line(kind, rule));
    }
    let m = &json["members"];
    println!(
        "members: {} active, {} suspended, {} left, {} expelled; {} application(s) waiting",
        m["active"], m["suspended"], m["left"], m["expelled"], m["applications_pending"]
    );
    let board: Vec<String> = json["board"]
        .as_array()
        .into_iter()
        .flatten()
        .map(name_or_key)
        .collect();
    if board.is_empty() {
        println!("board: none elected");
    } else {
        println!(
            "board: {} (until ledger ms {})",
            board.join(", "),
            json["board_until_ms"]
        );
    }
    println!(
        "statutes: {} version(s); polls: {} open, {} in all",
        json["history"].as_array().map_or(0, Vec::len),
        json["polls_open"],
        json["polls_total"]
    );
}

pub async fn run_member(command: MemberCommand) -> Result<()> {
    match command {
        MemberCommand::Apply {
            chambers,
            statement,
            actor,
        } => {
            let mut fields = Vec::new();
            if !chambers.is_empty() {
                fields.push((
                    "chambers",
                    Value::Array(chambers.into_iter().map(Value::text).collect()),
                ));
            }
            if let Some(statement) = statement {
                fields.push(("statement", Value::text(statement)));
            }
            Signer::new(&actor)?
                .send("member.apply", &Value::text_map(fields))
                .await
        }
        MemberCommand::Admit { application, actor } => {
            let body = Value::text_map([("application", id_value(&parse_event_id(&application)?))]);
            Signer::new(&actor)?.send("member.admit", &body).await
        }
        MemberCommand::Refuse {
            application,
            reason,
            actor,
        } => {
            let body = Value::text_map([
                ("application", id_value(&parse_event_id(&application)?)),
                ("refuse", Value::text(reason)),
            ]);
            Signer::new(&actor)?.send("member.admit", &body).await
        }
        MemberCommand::Leave { reason, actor } => {
            let fields: Vec<(&str, Value)> = reason
                .map(|r| ("reason", Value::text(r)))
                .into_iter()
                .collect();
            Signer::new(&actor)?
                .send("member.leave", &Value::text_map(fields))
                .await
        }
        MemberCommand::List {
            status,
            chamber,
            applications,
            limit,
            reader,
        } => {
            let limit = Some(limit.to_string());
            if applications {
                let path = format!(
                    "/applications{}",
                    query(&[("status", status), ("limit", limit)])
                );
                let json = get(&reader, &path).await?;
                return print_or(&reader, &json, |json| {
                    println!("{} application(s).", json["matching"]);
                    for a in json["applications"].as_array().into_iter().flatten() {
                        println!(
                            "{}  {:<10} {:<20} {}{}",
                            short(&a["id"]),
                            a["status"].as_str().unwrap_or(""),
                            name_or_key(&a["applicant"]),
                            a["chambers"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Json::as_str)
                                .collect::<Vec<_>>()
                                .join(","),
                            a["refuse_reason"]
                                .as_str()
                                .map(|r| format!("  ({r})"))
                                .unwrap_or_default()
                        );
                    }
                });
            }
            let path = format!(
                "/members{}",
                query(&[("status", status), ("chamber", chamber), ("limit", limit)])
            );
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, |json| {
                println!("{} member(s).", json["matching"]);
                for m in json["members"].as_array().into_iter().flatten() {
                    let list = |field: &str| {
                        m[field]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Json::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    println!(
                        "{}  {:<20} {:<9} roles {:<28} chambers {}{}",
                        short(&m["key"]),
                        m["name"].as_str().unwrap_or("-"),
                        m["status"].as_str().unwrap_or(""),
                        list("roles"),
                        list("chambers"),
                        m["reason"]
                            .as_str()
                            .map(|r| format!("  ({r})"))
                            .unwrap_or_default()
                    );
                }
            })
        }
    }
}

/// An option by its exact name, else by a unique case-insensitive name, else by index.
fn option_index(options: &[String], text: &str) -> Result<usize> {
    let text = text.trim();
    if let Some(i) = options.iter().position(|o| o == text) {
        return Ok(i);
    }
    let folded: Vec<usize> = options
        .iter()
        .enumerate()
        .filter(|(_, o)| o.eq_ignore_ascii_case(text))
        .map(|(i, _)| i)
        .collect();
    if let [i] = folded.as_slice() {
        return Ok(*i);
    }
    match text.parse::<usize>() {
        Ok(i) if i < options.len() => Ok(i),
        _ => bail!(
            "no option `{text}`; the options are {}",
            options
                .iter()
                .enumerate()
                .map(|(i, o)| format!("{i} {o}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `A=x,B=y` as pairs of an option and its value.
fn pairs<'a>(options: &[String], text: &'a str) -> Result<Vec<(usize, &'a str)>> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (option, value) = p
                .rsplit_once('=')
                .with_context(|| format!("`{p}` is not OPTION=VALUE"))?;
            Ok((option_index(options, option)?, value.trim()))
        })
        .collect()
}

/// The readable ballot flags of `poll vote`.
struct BallotArgs {
    rank: Option<String>,
    stance: Option<String>,
    choice: Option<String>,
    approve: Option<String>,
    scores: Option<String>,
    consent: Option<String>,
    availability: Option<String>,
}

fn ballot(args: BallotArgs, options: &[String]) -> Result<Ballot> {
    if let Some(rank) = args.rank {
        let mut ranking = Vec::new();
        for group in rank.split('>').filter(|g| !g.trim().is_empty()) {
            ranking.push(
                group
                    .split('=')
                    .map(|o| option_index(options, o))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        return Ok(Ballot::Ranking(ranking));
    }
    if let Some(stance) = args.stance {
        return Ok(Ballot::Proposal(match stance.as_str() {
            "yes" => Stance::Yes,
            "no" => Stance::No,
            "abstain" => Stance::Abstain,
            "block" => Stance::Block,
            _ => bail!("--stance is yes, no, abstain or block"),
        }));
    }
    if let Some(choice) = args.choice {
        return Ok(Ballot::Choice(option_index(options, &choice)?));
    }
    if let Some(approve) = args.approve {
        return Ok(Ballot::Approval(
            approve
                .split(',')
                .filter(|o| !o.trim().is_empty())
                .map(|o| option_index(options, o))
                .collect::<Result<_>>()?,
        ));
    }
    if let Some(scores) = args.scores {
        return Ok(Ballot::Scores(
            pairs(options, &scores)?
                .into_iter()
                .map(|(o, v)| {
                    let score = v
                        .parse::<u32>()
                        .with_context(|| format!("`{v}` is not a whole number score"))?;
                    Ok((o, score))
                })
                .collect::<Result<_>>()?,
        ));
    }
    if let Some(consent) = args.consent {
        return Ok(Ballot::Consent(match consent.as_str() {
            "consent" => ConsentStance::Consent,
            "object" => ConsentStance::Object { resolved: false },
            "resolved" => ConsentStance::Object { resolved: true },
            _ => bail!("--consent is consent, object or resolved"),
        }));
    }
    if let Some(availability) = args.availability {
        return Ok(Ballot::Availability(
            pairs(options, &availability)?
                .into_iter()
                .map(|(o, v)| {
                    Ok((
                        o,
                        match v {
                            "yes" => Availability::Yes,
                            "if_need_be" => Availability::IfNeedBe,
                            "no" => Availability::No,
                            _ => bail!("availability is yes, if_need_be or no"),
                        },
                    ))
                })
                .collect::<Result<_>>()?,
        ));
    }
    bail!(
        "give a ballot: --rank, --stance, --choice, --approve, --scores, --consent or --availability"
    )
}

async fn poll_json(reader: &Reader, poll: &EventId) -> Result<Json> {
    get(reader, &format!("/polls/{}", poll.to_hex())).await
}

fn option_names(poll: &Json) -> Vec<String> {
    poll["rules"]["options"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

pub async fn run_poll(command: PollCommand) -> Result<()> {
    match command {
        PollCommand::Open {
            title,
            description,
            decision,
            closes_in,
            options,
            seats,
            method,
            electorate,
            threshold,
            quorum,
            strict,
            min,
            max,
            budget,
            topic,
            final_ballots,
            application,
            member,
            reason,
            suspend_days,
            candidates,
            statutes: statutes_file,
            actor,
        } => {
            let signer = Signer::new(&actor)?;
            let closes_ms = time_base_ms(&signer.client, &signer.commons)
                .await?
                .saturating_add(duration_ms(&closes_in)?);
            let mut fields = vec![
                ("title", Value::text(title)),
                ("decision", Value::text(decision.clone())),
                ("closes_ms", Value::Unsigned(closes_ms)),
            ];
            let mut optional = |name: &'static str, value: Option<Value>| {
                if let Some(value) = value {
                    fields.push((name, value));
                }
            };
            optional("description", description.map(Value::text));
            optional("topic", topic.map(Value::text));
            optional("final_ballots", final_ballots.then_some(Value::Bool(true)));
            optional("seats", seats.map(Value::Unsigned));
            if !options.is_empty() {
                optional(
                    "options",
                    Some(Value::Array(options.into_iter().map(Value::text).collect())),
                );
            }
            let parameters: Vec<(&str, Value)> = [("min", min), ("max", max), ("budget", budget)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, Value::Unsigned(u64::from(v)))))
                .collect();
            if !parameters.is_empty() {
                optional("parameters", Some(Value::text_map(parameters)));
            }
            if let Some(method) = method {
                let rule = RuleJson {
                    method,
                    electorate,
                    threshold,
                    strict,
                    quorum,
                    chambers: None,
                    progressive: None,
                };
                optional("rule", Some(rule.to_value().map_err(anyhow::Error::msg)?));
            }
            let application = application.map(|a| parse_event_id(&a)).transpose()?;
            optional("application", application.as_ref().map(id_value));
            optional("member", member.map(|m| key_value(&m)).transpose()?);
            optional("reason", reason.map(Value::text));
            optional("days", suspend_days.map(Value::Unsigned));
            if !candidates.is_empty() {
                let keys = candidates
                    .iter()
                    .map(|c| key_value(c))
                    .collect::<Result<_>>()?;
                optional("candidates", Some(Value::Array(keys)));
            }
            if let Some(file) = statutes_file {
                optional("statutes", Some(read_statutes(&file)?));
            }
            signer.send("poll.open", &Value::text_map(fields)).await
        }
        PollCommand::Vote {
            poll,
            rank,
            stance,
            choice,
            approve,
            scores,
            consent,
            availability,
            chamber,
            reason,
            actor,
        } => {
            let poll = parse_event_id(&poll)?;
            let reader = Reader {
                commons: actor.commons.clone(),
                json: false,
                node: NodeArgs {
                    node: actor.node.node.clone(),
                },
            };
            let shown = poll_json(&reader, &poll).await?;
            let args = BallotArgs {
                rank,
                stance,
                choice,
                approve,
                scores,
                consent,
                availability,
            };
            let ballot = ballot(args, &option_names(&shown))?;
            let mut fields = vec![("poll", id_value(&poll)), ("ballot", ballot_value(&ballot))];
            if let Some(chamber) = chamber {
                fields.push(("chamber", Value::text(chamber)));
            }
            if let Some(reason) = reason {
                fields.push(("reason", Value::text(reason)));
            }
            Signer::new(&actor)?
                .send("poll.vote", &Value::text_map(fields))
                .await
        }
        PollCommand::Show { poll, reader } => {
            let json = poll_json(&reader, &parse_event_id(&poll)?).await?;
            print_or(&reader, &json, print_poll)
        }
        PollCommand::List {
            status,
            decision,
            limit,
            reader,
        } => {
            let path = format!(
                "/polls{}",
                query(&[
                    ("status", status),
                    ("decision", decision),
                    ("limit", Some(limit.to_string())),
                ])
            );
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, |json| {
                println!("{} poll(s).", json["matching"]);
                for p in json["polls"].as_array().into_iter().flatten() {
                    let outcome = match p["passed"].as_bool() {
                        None => format!("closes at ledger ms {}", p["closes_ms"]),
                        Some(passed) => {
                            let winners: Vec<&str> = p["winners"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|w| w["name"].as_str())
                                .collect();
                            match (passed, winners.is_empty()) {
                                (true, false) => format!("elected {}", winners.join(", ")),
                                (true, true) => "passed".into(),
                                (false, _) => "did not pass".into(),
                            }
                        }
                    };
                    println!(
                        "{}  {:<6} {:<14} {:<13} turnout {:<7} {}  {}",
                        short(&p["id"]),
                        p["status"].as_str().unwrap_or(""),
                        p["decision"].as_str().unwrap_or(""),
                        p["method"].as_str().unwrap_or(""),
                        p["turnout"]["share"].as_str().unwrap_or(""),
                        p["title"].as_str().unwrap_or(""),
                        outcome
                    );
                }
            })
        }
        PollCommand::Export {
            poll,
            format,
            output,
            reader,
        } => {
            let commons = parse_commons(&reader.commons)?;
            let poll = parse_event_id(&poll)?;
            let extension = match format.as_str() {
                "blt" | "json" => format.as_str(),
                _ => bail!("--format is blt or json"),
            };
            let path = format!(
                "/api/v1/commons/{}/polls/{}/ballots.{extension}",
                commons.to_hex(),
                poll.to_hex()
            );
            let text = Client::new(&reader.node.node)?.get_text(&path).await?;
            match output {
                Some(file) => std::fs::write(&file, text)
                    .with_context(|| format!("cannot write {}", file.display())),
                None => {
                    print!("{text}");
                    Ok(())
                }
            }
        }
        PollCommand::Recount { poll, reader } => {
            let poll = parse_event_id(&poll)?;
            recount(&reader, &poll).await
        }
        PollCommand::Statement {
            poll,
            text,
            review_in,
            actor,
        } => {
            let signer = Signer::new(&actor)?;
            let mut fields = vec![
                ("poll", id_value(&parse_event_id(&poll)?)),
                ("statement", Value::text(text)),
            ];
            if let Some(review_in) = review_in {
                let review_ms = time_base_ms(&signer.client, &signer.commons)
                    .await?
                    .saturating_add(duration_ms(&review_in)?);
                fields.push(("review_ms", Value::Unsigned(review_ms)));
            }
            signer
                .send("poll.statement", &Value::text_map(fields))
                .await
        }
        PollCommand::Preview {
            decision,
            electorate,
            reader,
        } => {
            let path = format!(
                "/polls/preview{}",
                query(&[("decision", Some(decision)), ("electorate", electorate)])
            );
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, |json| {
                if let Ok(rule) = serde_json::from_value::<RuleJson>(json["rule"].clone()) {
                    println!(
                        "{}",
                        rule_line(json["decision"].as_str().unwrap_or(""), &rule)
                    );
                }
                match json["refusal"]["code"].as_str() {
                    Some(code) => println!(
                        "a poll opened now would be refused: {code}: {}",
                        json["refusal"]["message"].as_str().unwrap_or("")
                    ),
                    None => println!(
                        "electorate {}: {} voter(s), weight {}, hash {}",
                        json["electorate"].as_str().unwrap_or(""),
                        json["size"],
                        json["weight"],
                        json["hash"].as_str().unwrap_or("")
                    ),
                }
            })
        }
    }
}

fn print_poll(json: &Json) {
    let names = option_names(json);
    let name = |c: &Json| {
        c.as_u64()
            .and_then(|i| names.get(i as usize))
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let rules = &json["rules"];
    println!(
        "{} — {} ({} by {}, {})",
        json["title"].as_str().unwrap_or(""),
        json["status"].as_str().unwrap_or(""),
        json["decision"].as_str().unwrap_or(""),
        json["method"].as_str().unwrap_or(""),
        json["id"].as_str().unwrap_or("")
    );
    if let Some(text) = json["description"].as_str() {
        println!("{text}");
    }
    // The rule's fields, without the poll's own (options, seats, …) flattened beside them.
    let rule: serde_json::Map<String, Json> = rules
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| {
            [
                "method",
                "electorate",
                "threshold",
                "strict",
                "quorum",
                "chambers",
                "progressive",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Ok(rule) = serde_json::from_value::<RuleJson>(Json::Object(rule)) {
        println!(
            "rule: {}",
            rule_line(json["decision"].as_str().unwrap_or(""), &rule)
        );
    }
    if !names.is_empty() {
        let listed: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, o)| format!("{i} {o}"))
            .collect();
        println!(
            "options: {} ({} seat(s))",
            listed.join(", "),
            rules["seats"]
        );
    }
    println!(
        "electorate: {} voter(s), weight {}, hash {}",
        json["electorate"]["size"],
        json["electorate"]["weight"],
        json["electorate"]["hash"].as_str().unwrap_or("")
    );
    println!(
        "turnout: {} ({} voted themselves, {} ballot(s) cast); closes at ledger ms {}",
        json["turnout"]["share"].as_str().unwrap_or(""),
        json["turnout"]["voters"],
        json["n_ballots"],
        json["closes_ms"]
    );
    let result = &json["result"];
    if result.is_null() {
        return;
    }
    let winners: Vec<&str> = result["winners"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["name"].as_str())
        .collect();
    println!(
        "result: {}{}",
        if result["passed"] == Json::Bool(true) {
            "passed"
        } else {
            "did not pass"
        },
        if winners.is_empty() {
            String::new()
        } else {
            format!("; elected {}", winners.join(", "))
        }
    );
    let quorum = if result["quorum_met"] == Json::Bool(true) {
        "met"
    } else {
        "not met"
    };
    match result["support"].as_str() {
        Some(support) => println!(
            "  quorum {quorum}; support {support} (needed {})",
            result["required"].as_str().unwrap_or("-")
        ),
        None => println!("  quorum {quorum}"),
    }
    if let Some(counts) = result["counts"].as_object() {
        let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  counts: {}", counts.join(", "));
    }
    for chamber in result["chambers"].as_array().into_iter().flatten() {
        println!(
            "  chamber {}: support {}, turnout {}/{}, {}",
            chamber["slug"].as_str().unwrap_or(""),
            chamber["support"].as_str().unwrap_or(""),
            chamber["turnout_weight"],
            chamber["electorate_weight"],
            if chamber["passed"] == Json::Bool(true) {
                "passed"
            } else {
                "did not pass"
            }
        );
    }
    // A proposal's sheet has one round without tallies: its counts are above.
    for round in result["sheet"]["rounds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["tallies"].as_array().is_some_and(|t| !t.is_empty()))
    {
        let tallies: Vec<String> = round["tallies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                format!(
                    "{} {}",
                    name(&t["candidate"]),
                    t["votes"].as_str().unwrap_or("")
                )
            })
            .collect();
        let list = |field: &str| -> Vec<String> {
            round[field]
                .as_array()
                .into_iter()
                .flatten()
                .map(&name)
                .collect()
        };
        let mut line = format!("  round {}: {}", round["round"], tallies.join(", "));
        if !list("elected").is_empty() {
            line.push_str(&format!("; elected {}", list("elected").join(", ")));
        }
        if !list("eliminated").is_empty() {
            line.push_str(&format!("; excluded {}", list("eliminated").join(", ")));
        }
        println!("{line}");
    }
    for tie in result["sheet"]["tie_breaks"]
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "  tie ({}) among {} broken by {}: {}",
            tie["purpose"].as_str().unwrap_or(""),
            tie["among"]
                .as_array()
                .into_iter()
                .flatten()
                .map(&name)
                .collect::<Vec<_>>()
                .join(", "),
            tie["rule"].as_str().unwrap_or(""),
            tie["chosen"]
                .as_u64()
                .map_or_else(|| "-".to_owned(), |c| name(&Json::from(c)))
        );
    }
    for d in result["delegated"].as_array().into_iter().flatten() {
        println!(
            "  {} counted with {}'s ballot (delegation)",
            name_or_key(&d["from"]),
            name_or_key(&d["to"])
        );
    }
    println!("  seed {}", result["seed"].as_str().unwrap_or(""));
    if let Some(effect) = result["effect"].as_str() {
        println!("  effect: {effect}");
    }
    if let Some(error) = result["error"].as_str() {
        println!("  error: {error}");
    }
    for statement in json["statements"].as_array().into_iter().flatten() {
        println!(
            "statement by {}: {}{}",
            name_or_key(&statement["by"]),
            statement["text"].as_str().unwrap_or(""),
            statement["review_ms"]
                .as_u64()
                .map(|r| format!(" (review at ledger ms {r})"))
                .unwrap_or_default()
        );
    }
}

/// Counts the poll's exported ballots here and compares with the published sheet.
async fn recount(reader: &Reader, poll: &EventId) -> Result<()> {
    let published = poll_json(reader, poll).await?;
    if published["result"].is_null() {
        bail!("the poll is still open; it is counted when it closes");
    }
    let sheet = &published["result"]["sheet"];
    let input = get(reader, &format!("/polls/{}/ballots.json", poll.to_hex())).await?;
    let profile: Profile = serde_json::from_value(input.clone())
        .context("the node's ballots.json is not a commons_tally profile")?;
    let parameters: ParametersJson = serde_json::from_value(input["parameters"].clone())
        .context("the node's ballots.json has no method parameters")?;
    let method = parameters
        .method(input["method"].as_str().unwrap_or(""))
        .context("the poll's counting method")?;
    let seed: [u8; 32] = hex::decode(input["seed"].as_str().unwrap_or(""))
        .ok()
        .and_then(|s| s.try_into().ok())
        .context("the node's ballots.json has no 32-byte seed")?;
    if profile.ballots.is_empty() && sheet.is_null() {
        println!("no ballot was cast, so nothing was counted, as the node published");
        return Ok(());
    }
    let outcome = match (
        commons_tally::count(&method, &profile, seed),
        sheet.is_null(),
    ) {
        (Ok(outcome), false) => outcome,
        (Err(e), true) => {
            println!("the count fails here too ({e}), as the node published");
            return Ok(());
        }
        (Ok(_), true) => bail!("the node published no count sheet, but the ballots count"),
        (Err(e), false) => bail!("the recount failed: {e}"),
    };
    let recounted = serde_json::to_value(&outcome)?;
    if &recounted != sheet {
        bail!(
            "the recount differs from the published result:\npublished {}\nrecounted {}",
            sheet,
            recounted
        );
    }
    let winners: Vec<String> = outcome
        .winners
        .iter()
        .map(|w| profile.candidates.get(*w).cloned().unwrap_or_default())
        .collect();
    println!(
        "recount matches the published result: {} ballot weight counted in {} round(s){}",
        outcome.ballots_counted,
        outcome.rounds.len(),
        if winners.is_empty() {
            String::new()
        } else {
            format!(", elected {}", winners.join(", "))
        }
    );
    Ok(())
}

pub async fn run_delegate(command: DelegateCommand) -> Result<()> {
    match command {
        DelegateCommand::Set { to, topic, actor } => {
            let mut fields = vec![("to", key_value(&to)?)];
            if let Some(topic) = topic {
                fields.push(("topic", Value::text(topic)));
            }
            Signer::new(&actor)?
                .send("delegate.set", &Value::text_map(fields))
                .await
        }
        DelegateCommand::Revoke { topic, actor } => {
            let fields: Vec<(&str, Value)> = topic
                .map(|t| ("topic", Value::text(t)))
                .into_iter()
                .collect();
            Signer::new(&actor)?
                .send("delegate.revoke", &Value::text_map(fields))
                .await
        }
        DelegateCommand::List {
            person,
            topic,
            reader,
        } => {
            if let Some(person) = person {
                let key = key_arg(&person)?;
                let json = get(&reader, &format!("/people/{}/delegations", key.to_hex())).await?;
                return print_or(&reader, &json, |json| {
                    for d in json["delegates_to"].as_array().into_iter().flatten() {
                        println!(
                            "delegates on {} to {}",
                            d["topic"].as_str().unwrap_or(""),
                            name_or_key(d)
                        );
                    }
                    for d in json["delegated_by"].as_array().into_iter().flatten() {
                        println!(
                            "trusted on {} by {}",
                            d["topic"].as_str().unwrap_or(""),
                            name_or_key(d)
                        );
                    }
                });
            }
            let path = format!("/delegations{}", query(&[("topic", topic)]));
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, |json| {
                println!("{} delegation(s).", json["matching"]);
                for d in json["delegations"].as_array().into_iter().flatten() {
                    println!(
                        "{:<8} {} -> {}",
                        d["topic"].as_str().unwrap_or(""),
                        name_or_key(&d["from"]),
                        name_or_key(&d["to"])
                    );
                }
            })
        }
    }
}
