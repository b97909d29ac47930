//! Participatory budgeting verbs: `budget open|propose|flag|review|vote|cancel|show|
//! recount|list|authorisations`. Each write signs one event with a local key and submits
//! it like every other verb; each read asks the node's budgeting API (`--json` prints its
//! answer as it is). Amounts are typed in major units (`1,200.50 EUR`) and read exactly into the
//! round's minor units; rounds and projects are named by id prefix or by name, ballots
//! readably (`--approve "Garden,Server"`, `--fund "Garden=250.00,Mural=50"`).

use crate::association::{duration_ms, name_or_key, short, time_base_ms};
use crate::cli::NodeArgs;
use crate::parse_event_id;
use crate::production::{Actor, Reader, Signer, get, print_or, query};
use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Subcommand};
use commons_core::association::budget as rules;
use commons_ledger::EventId;
use commons_tally::budget::Item;
use commons_web::budget::{BUDGET_PAGE_MAX, Currency};
use serde_json::Value as Json;

#[derive(Subcommand, Debug)]
pub enum BudgetCommand {
    /// Open a budgeting round (a commons maintainer or a board member): a pool, a model
    /// for ballots, a rule for the count, and two deadlines. The active members now are
    /// its electorate.
    #[command(
        after_help = "Examples:\n  commons budget open --title \"Spring 2027\" --pool \"3,000.00 EUR\" --model approval --rule equal_shares --proposals-close-in 7d --closes-in 14d --commons 6f1c… --key alice\n  commons budget open --title \"Tool fund\" --pool 1200 --currency EUR --model co_funding --proposals-close-in 3d --closes-in 10d --guidelines \"Tools only\" --commons 6f1c… --key alice\n  commons budget open --title \"Repairs\" --pool \"800 EUR\" --model knapsack --min-spend 400 --proposals-close-in 2d --closes-in 9d --commons 6f1c… --key alice"
    )]
    Open {
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        /// What projects must respect; members flag projects that break it.
        #[arg(long)]
        guidelines: Option<String>,
        /// The pool in major units, with its currency: "3,000.00 EUR".
        #[arg(long, value_name = "AMOUNT")]
        pool: String,
        /// The currency code, when --pool does not name it.
        #[arg(long)]
        currency: Option<String>,
        /// co_funding (members pledge equal allocations), knapsack (members pick a
        /// basket that fits the pool) or approval (members approve projects).
        #[arg(long)]
        model: String,
        /// greedy (by votes) or equal_shares (the method of equal shares); co-funding
        /// takes greedy.
        #[arg(long, default_value = "greedy")]
        rule: String,
        /// With equal_shares: none, greedy or add1 (what to do with what is left).
        #[arg(long)]
        completion: Option<String>,
        /// Knapsack: the least a basket must spend, in major units.
        #[arg(long, value_name = "AMOUNT")]
        min_spend: Option<String>,
        /// Approval: the fewest projects a ballot approves.
        #[arg(long)]
        min: Option<u32>,
        /// Approval: the most projects a ballot approves.
        #[arg(long)]
        max: Option<u32>,
        /// When proposals close: 90s, 30m, 12h, 7d, 2w from now (at least a minute).
        #[arg(long, value_name = "DURATION")]
        proposals_close_in: String,
        /// When voting closes and the round is counted, from now (at least a minute after
        /// proposals close, at most a year).
        #[arg(long, value_name = "DURATION")]
        closes_in: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Propose a project to an open round (active members), with an itemised budget in
    /// major units; optional items count towards its maximum cost only.
    #[command(
        after_help = "Example:\n  commons budget propose Spring --name \"Night-recording kit\" --item \"Two hydrophones=600.00\" --item \"Windshields=200\" --optional-item \"Spare batteries=50\" --commons 6f1c… --key ann"
    )]
    Propose {
        /// The round, by id (or id prefix) or title.
        round: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// A required item, LABEL=AMOUNT; repeat for several.
        #[arg(long = "item", value_name = "LABEL=AMOUNT")]
        items: Vec<String>,
        /// An optional item, LABEL=AMOUNT; repeat for several.
        #[arg(long = "optional-item", value_name = "LABEL=AMOUNT")]
        optional_items: Vec<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Flag a proposed project that breaks the round's guidelines, with a reason (active
    /// members); a maintainer or board member then reviews it.
    #[command(
        after_help = "Examples:\n  commons budget flag \"Ads for my shop\" --round Spring --reason \"serves one business\" --commons 6f1c… --key ben\n  commons budget flag 9c1d… --round 4a1b… --reason \"off topic\" --commons 6f1c… --key ben"
    )]
    Flag {
        /// The project, by name or id prefix (with --round), or by its full id.
        project: String,
        /// The round, by id (or id prefix) or title.
        #[arg(long)]
        round: Option<String>,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Review a flagged project (a commons maintainer or board member): keep it, which
    /// clears its flags, or exclude it from the count; with a reason.
    #[command(
        group(ArgGroup::new("decision").required(true)),
        after_help = "Examples:\n  commons budget review \"Ads for my shop\" --round Spring --exclude --reason \"breaks the guidelines\" --commons 6f1c… --key alice\n  commons budget review Cameras --round Spring --keep --reason \"they film wildlife only\" --commons 6f1c… --key alice"
    )]
    Review {
        project: String,
        #[arg(long)]
        round: Option<String>,
        #[arg(long, group = "decision")]
        keep: bool,
        #[arg(long, group = "decision")]
        exclude: bool,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Cast or change your ballot (members of the round's electorate); the last one
    /// counts. Projects by name or id prefix; a name holding a comma is matched whole.
    #[command(
        group(ArgGroup::new("ballot").required(true)),
        after_help = "Examples:\n  commons budget vote Spring --approve \"Garden,Server\" --commons 6f1c… --key ann\n  commons budget vote Repairs --basket \"Roof,Gate\" --commons 6f1c… --key ann\n  commons budget vote \"Tool fund\" --fund \"Garden=250.00,Mural=50\" --commons 6f1c… --key ann"
    )]
    Vote {
        /// The round, by id (or id prefix) or title.
        round: String,
        /// Approval rounds: the projects approved, comma-separated.
        #[arg(long, group = "ballot", value_name = "A,B")]
        approve: Option<String>,
        /// Knapsack rounds: the basket of projects, comma-separated.
        #[arg(long, group = "ballot", value_name = "A,B")]
        basket: Option<String>,
        /// Co-funding rounds: pledges from your allocation, PROJECT=AMOUNT in major
        /// units, comma-separated.
        #[arg(long, group = "ballot", value_name = "A=250.00,B=50")]
        fund: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Cancel a funded project (a commons maintainer or board member): a reversing entry
    /// releases its spending authorisation; the grant stays on record.
    #[command(
        after_help = "Example:\n  commons budget cancel Garden --round Spring --reason \"the plot was sold\" --commons 6f1c… --key alice"
    )]
    Cancel {
        project: String,
        #[arg(long)]
        round: Option<String>,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Show a round: its phase, pool, rule and guidelines, every project with its budget,
    /// flags and status, and once closed the outcome with the count sheet.
    #[command(after_help = "Example:\n  commons budget show Spring --commons 6f1c…")]
    Show {
        /// The round, by id (or id prefix) or title.
        round: String,
        #[command(flatten)]
        reader: Reader,
    },
    /// Recount a closed round from its published ballots and seed, and check that the
    /// count reproduces the recorded outcome exactly (exits non-zero if not). With
    /// --json, prints the recounted outcome.
    #[command(after_help = "Example:\n  commons budget recount Spring --commons 6f1c…")]
    Recount {
        /// The round, by id (or id prefix) or title.
        round: String,
        #[command(flatten)]
        reader: Reader,
    },
    /// List rounds: open ones first, then closed ones.
    #[command(after_help = "Example:\n  commons budget list --status open --commons 6f1c…")]
    List {
        /// open or closed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        reader: Reader,
    },
    /// The spending-authorisation ledger: grants to funded projects and the releases
    /// that reverse them, with each project's balance.
    #[command(
        after_help = "Examples:\n  commons budget authorisations --commons 6f1c…\n  commons budget authorisations --round Spring --project Garden --commons 6f1c…"
    )]
    Authorisations {
        /// Only this round's entries (id, id prefix or title).
        #[arg(long)]
        round: Option<String>,
        /// Only this project's entries (name or id prefix with --round, or full id).
        #[arg(long)]
        project: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        reader: Reader,
    },
}

fn reader_of(actor: &Actor) -> Reader {
    Reader {
        commons: actor.commons.clone(),
        json: false,
        node: NodeArgs {
            node: actor.node.node.clone(),
        },
    }
}

/// A full 64-digit id, if `text` is one.
fn full_id(text: &str) -> Option<EventId> {
    (text.len() == 64)
        .then(|| parse_event_id(text).ok())
        .flatten()
}

/// Picks one of `candidates` (id and name) named by `text`: the exact name, else a
/// unique case-insensitive name, else a unique id prefix.
fn pick<'c>(what: &str, candidates: &'c [(String, String)], text: &str) -> Result<&'c str> {
    let text = text.trim();
    let unique = |found: Vec<&'c (String, String)>| match found.as_slice() {
        [one] => Some(Ok(one.0.as_str())),
        [] => None,
        many => Some(Err(anyhow::anyhow!(
            "`{text}` names several {what}s: {}; give more of the id",
            many.iter()
                .map(|(id, name)| format!("{} {name}", &id[..12.min(id.len())]))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    };
    let exact = candidates.iter().filter(|(_, name)| name == text).collect();
    if let Some(found) = unique(exact) {
        return found;
    }
    let folded = candidates
        .iter()
        .filter(|(_, name)| name.eq_ignore_ascii_case(text))
        .collect();
    if let Some(found) = unique(folded) {
        return found;
    }
    let lower = text.to_ascii_lowercase();
    let is_hex = !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex {
        let prefixed = candidates
            .iter()
            .filter(|(id, _)| id.starts_with(&lower))
            .collect();
        if let Some(found) = unique(prefixed) {
            return found;
        }
    }
    bail!(
        "no {what} `{text}`; there are {}",
        if candidates.is_empty() {
            "none".to_owned()
        } else {
            candidates
                .iter()
                .map(|(id, name)| format!("{} {name}", &id[..12.min(id.len())]))
                .collect::<Vec<_>>()
                .join(", ")
        }
    )
}

/// The round named by `text`: a full id, or an id prefix or title among the listed rounds.
async fn round_id(reader: &Reader, text: &str) -> Result<EventId> {
    if let Some(id) = full_id(text) {
        return Ok(id);
    }
    let mut rounds: Vec<(String, String)> = Vec::new();
    loop {
        let path = format!(
            "/budgets{}",
            query(&[
                ("limit", Some(BUDGET_PAGE_MAX.to_string())),
                ("offset", Some(rounds.len().to_string())),
            ])
        );
        let page = get(reader, &path).await?;
        let got: Vec<(String, String)> = page["rounds"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["id"].as_str().unwrap_or("").to_owned(),
                    r["title"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        if got.is_empty() {
            break;
        }
        rounds.extend(got);
    }
    parse_event_id(pick("round", &rounds, text)?)
}

async fn round_json(reader: &Reader, round: &EventId) -> Result<Json> {
    get(reader, &format!("/budgets/{}", round.to_hex())).await
}

/// The projects of a round's JSON as (id, name).
fn projects_of(round: &Json) -> Vec<(String, String)> {
    round["projects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or("").to_owned(),
                p["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The project named by `text`: its full id, or (with the round) its name or id prefix.
async fn project_id(reader: &Reader, round: Option<&str>, text: &str) -> Result<EventId> {
    let Some(round) = round else {
        return full_id(text).with_context(|| {
            format!("name the round with --round to find project `{text}` by name or id prefix")
        });
    };
    let round = round_json(reader, &round_id(reader, round).await?).await?;
    parse_event_id(pick("project", &projects_of(&round), text)?)
}

fn currency_of(round: &Json) -> Currency {
    Currency::of(round["currency"].as_str().unwrap_or(""))
}

/// The currency code written before or after an amount, if any.
fn code_in(amount: &str) -> Option<String> {
    let amount = amount.trim();
    let is_code = |c: char| c.is_ascii_alphabetic();
    let code: String = if amount.starts_with(is_code) {
        amount.chars().take_while(|c| is_code(*c)).collect()
    } else {
        let tail: String = amount.chars().rev().take_while(|c| is_code(*c)).collect();
        tail.chars().rev().collect()
    };
    (!code.is_empty()).then(|| code.to_ascii_uppercase())
}

/// Projects named in a comma-separated list; consecutive pieces are joined when together
/// they make a project's name (which may hold a comma).
fn project_list(projects: &[(String, String)], text: &str) -> Result<Vec<EventId>> {
    let pieces: Vec<&str> = text.split(',').collect();
    let is_name = |candidate: &str| {
        projects
            .iter()
            .any(|(_, name)| name.eq_ignore_ascii_case(candidate.trim()))
    };
    let mut out = Vec::new();
    let mut start = 0;
    while start < pieces.len() {
        let end = (start + 1..=pieces.len())
            .rev()
            .find(|&end| is_name(&pieces[start..end].join(",")))
            .unwrap_or(start + 1);
        let text = pieces[start..end].join(",");
        if !text.trim().is_empty() {
            out.push(parse_event_id(pick("project", projects, &text)?)?);
        }
        start = end;
    }
    Ok(out)
}

/// `A=250.00,B=1,200.50` as `["A=250.00", "B=1,200.50"]`: a piece that starts with three
/// digits and follows an amount continues it (a thousands group); a piece without `=`
/// begins a name holding a comma.
fn fund_entries(text: &str) -> Vec<String> {
    let mut entries: Vec<String> = Vec::new();
    let mut name_so_far: Option<String> = None;
    for piece in text.split(',') {
        let continues_amount = piece.len() >= 3
            && piece.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && !piece.contains('=');
        if let Some(name) = name_so_far.take() {
            let joined = format!("{name},{piece}");
            if joined.contains('=') {
                entries.push(joined);
            } else {
                name_so_far = Some(joined);
            }
        } else if continues_amount && let Some(last) = entries.last_mut() {
            last.push(',');
            last.push_str(piece);
        } else if piece.contains('=') || piece.trim().is_empty() {
            entries.push(piece.to_owned());
        } else {
            name_so_far = Some(piece.to_owned());
        }
    }
    entries.extend(name_so_far);
    entries.retain(|e| !e.trim().is_empty());
    entries
}

fn pledges(round: &Json, text: &str) -> Result<Vec<(EventId, u64)>> {
    let projects = projects_of(round);
    let currency = currency_of(round);
    fund_entries(text)
        .iter()
        .map(|entry| {
            let (name, amount) = entry
                .rsplit_once('=')
                .with_context(|| format!("`{entry}` is not PROJECT=AMOUNT"))?;
            let project = parse_event_id(pick("project", &projects, name)?)?;
            Ok((project, currency.parse(amount)?))
        })
        .collect()
}

/// `LABEL=AMOUNT` as an item of a `budget.propose` body.
fn item(currency: &Currency, text: &str, optional: bool) -> Result<Item> {
    let (label, amount) = text
        .rsplit_once('=')
        .with_context(|| format!("`{text}` is not LABEL=AMOUNT"))?;
    Ok(Item {
        label: label.trim().to_owned(),
        amount: currency.parse(amount)?,
        optional,
    })
}

pub async fn run_budget(command: BudgetCommand) -> Result<()> {
    match command {
        BudgetCommand::Open {
            title,
            description,
            guidelines,
            pool,
            currency,
            model,
            rule,
            completion,
            min_spend,
            min,
            max,
            proposals_close_in,
            closes_in,
            actor,
        } => {
            let code = match (code_in(&pool), currency) {
                (Some(code), _) | (None, Some(code)) => code.to_ascii_uppercase(),
                (None, None) => bail!(
                    "name the currency: --pool \"1,000.00 EUR\" or --pool 1000 --currency EUR"
                ),
            };
            let currency = Currency::of(&code);
            let signer = Signer::new(&actor)?;
            let base_ms = time_base_ms(&signer.client, &signer.commons).await?;
            if min_spend.is_some() && model != "knapsack" {
                bail!("--min-spend bounds a knapsack round only");
            }
            if (min.is_some() || max.is_some()) && model != "approval" {
                bail!("--min and --max bound an approval round only");
            }
            if completion.is_some() && rule != "equal_shares" {
                bail!("--completion completes the method of equal shares only");
            }
            let min_spend = min_spend.map(|m| currency.parse(&m)).transpose()?;
            let round = rules::NewRound {
                title,
                description,
                guidelines,
                pool: currency.parse(&pool)?,
                currency: code,
                model: rules::model_named(&model, min_spend, min, max).with_context(|| {
                    format!("--model is co_funding, knapsack or approval, not `{model}`")
                })?,
                rule: rules::rule_named(Some(&rule), completion.as_deref()).with_context(
                    || "--rule is greedy or equal_shares, --completion none, greedy or add1",
                )?,
                proposals_close_ms: base_ms.saturating_add(duration_ms(&proposals_close_in)?),
                closes_ms: base_ms.saturating_add(duration_ms(&closes_in)?),
            };
            signer.send(rules::OPEN, &round.body()).await
        }
        BudgetCommand::Propose {
            round,
            name,
            description,
            items,
            optional_items,
            actor,
        } => {
            let reader = reader_of(&actor);
            let round = round_id(&reader, &round).await?;
            let currency = currency_of(&round_json(&reader, &round).await?);
            if items.is_empty() {
                bail!("a project needs at least one required --item LABEL=AMOUNT");
            }
            let mut list = Vec::new();
            for text in &items {
                list.push(item(&currency, text, false)?);
            }
            for text in &optional_items {
                list.push(item(&currency, text, true)?);
            }
            let body = rules::propose_body(&round, &name, description.as_deref(), &list);
            Signer::new(&actor)?.send(rules::PROPOSE, &body).await
        }
        BudgetCommand::Flag {
            project,
            round,
            reason,
            actor,
        } => {
            let project = project_id(&reader_of(&actor), round.as_deref(), &project).await?;
            let body = rules::project_body(&project, &reason);
            Signer::new(&actor)?.send(rules::FLAG, &body).await
        }
        BudgetCommand::Review {
            project,
            round,
            keep: _,
            exclude,
            reason,
            actor,
        } => {
            let project = project_id(&reader_of(&actor), round.as_deref(), &project).await?;
            let body = rules::review_body(&project, exclude, &reason);
            Signer::new(&actor)?.send(rules::REVIEW, &body).await
        }
        BudgetCommand::Vote {
            round,
            approve,
            basket,
            fund,
            actor,
        } => {
            let reader = reader_of(&actor);
            let round = round_id(&reader, &round).await?;
            let shown = round_json(&reader, &round).await?;
            let model = shown["model"]["name"].as_str().unwrap_or("");
            let projects = projects_of(&shown);
            let ballot = match (model, approve, basket, fund) {
                ("approval", Some(text), None, None) => {
                    rules::Ballot::Approve(project_list(&projects, &text)?)
                }
                ("knapsack", None, Some(text), None) => {
                    rules::Ballot::Basket(project_list(&projects, &text)?)
                }
                ("co_funding", None, None, Some(text)) => {
                    rules::Ballot::CoFund(pledges(&shown, &text)?)
                }
                ("approval", ..) => bail!("this is an approval round: vote with --approve"),
                ("knapsack", ..) => bail!("this is a knapsack round: vote with --basket"),
                _ => bail!("this is a co-funding round: vote with --fund PROJECT=AMOUNT,…"),
            };
            let body = rules::vote_body(&round, &ballot);
            Signer::new(&actor)?.send(rules::VOTE, &body).await
        }
        BudgetCommand::Cancel {
            project,
            round,
            reason,
            actor,
        } => {
            let project = project_id(&reader_of(&actor), round.as_deref(), &project).await?;
            let body = rules::project_body(&project, &reason);
            Signer::new(&actor)?.send(rules::CANCEL, &body).await
        }
        BudgetCommand::Show { round, reader } => {
            let round = round_id(&reader, &round).await?;
            let json = round_json(&reader, &round).await?;
            print_or(&reader, &json, print_round)
        }
        BudgetCommand::Recount { round, reader } => {
            let round = round_id(&reader, &round).await?;
            let shown = round_json(&reader, &round).await?;
            let path = format!("/budgets/{}/ballots", round.to_hex());
            let mut ballots: Vec<Json> = Vec::new();
            loop {
                let page = get(
                    &reader,
                    &format!(
                        "{path}{}",
                        query(&[
                            ("limit", Some(BUDGET_PAGE_MAX.to_string())),
                            ("offset", Some(ballots.len().to_string())),
                        ])
                    ),
                )
                .await?;
                let got = page["ballots"].as_array().cloned().unwrap_or_default();
                let matching = page["matching"].as_u64().unwrap_or(0);
                let empty = got.is_empty();
                ballots.extend(got);
                if empty || ballots.len() as u64 >= matching {
                    break;
                }
            }
            let recounted = commons_web::budget::recount(&shown, &ballots)
                .map_err(|e| anyhow::anyhow!("cannot recount: {e}"))?;
            let recounted = serde_json::to_value(&recounted)?;
            if recounted != shown["result"]["outcome"] {
                bail!(
                    "the recount of {} ballots differs from the recorded outcome: recorded {}, recounted {}",
                    ballots.len(),
                    shown["result"]["outcome"],
                    recounted
                );
            }
            print_or(&reader, &recounted, |outcome| {
                let currency = currency_of(&shown);
                println!(
                    "recount of {} ballot(s) with seed {} matches the recorded outcome: {} project(s) funded, {} spent, {} left",
                    ballots.len(),
                    outcome["seed"].as_str().unwrap_or(""),
                    outcome["funded"].as_array().map_or(0, Vec::len),
                    currency.format(outcome["total_spent"].as_u64().unwrap_or(0)),
                    currency.format(outcome["leftover"].as_u64().unwrap_or(0)),
                );
            })
        }
        BudgetCommand::List {
            status,
            limit,
            reader,
        } => {
            let path = format!(
                "/budgets{}",
                query(&[("status", status), ("limit", Some(limit.to_string()))])
            );
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, |json| {
                println!("{} round(s).", json["matching"]);
                for r in json["rounds"].as_array().into_iter().flatten() {
                    let currency = currency_of(r);
                    let amount = |field: &str| r[field].as_u64().map(|a| currency.format(a));
                    let spent = match (amount("spent"), amount("leftover")) {
                        (Some(spent), Some(leftover)) => {
                            format!("  spent {spent}, left {leftover}")
                        }
                        _ => format!("  closes at ledger ms {}", r["closes_ms"]),
                    };
                    println!(
                        "{}  {:<9} {:>16}  {}/{}  {}/{} voted  {}{}",
                        short(&r["id"]),
                        r["phase"].as_str().unwrap_or(""),
                        amount("pool").unwrap_or_default(),
                        r["model"]["name"].as_str().unwrap_or(""),
                        r["rule"]["name"].as_str().unwrap_or(""),
                        r["n_voters"],
                        r["electorate_size"],
                        r["title"].as_str().unwrap_or(""),
                        spent
                    );
                }
            })
        }
        BudgetCommand::Authorisations {
            round,
            project,
            limit,
            reader,
        } => {
            let round_filter = match &round {
                Some(text) => Some(round_id(&reader, text).await?),
                None => None,
            };
            let project_filter = match &project {
                Some(text) => Some(project_id(&reader, round.as_deref(), text).await?),
                None => None,
            };
            let path = format!(
                "/authorisations{}",
                query(&[
                    ("round", round_filter.map(|r| r.to_hex())),
                    ("project", project_filter.map(|p| p.to_hex())),
                    ("limit", Some(limit.to_string())),
                ])
            );
            let json = get(&reader, &path).await?;
            print_or(&reader, &json, print_authorisations)
        }
    }
}

fn print_authorisations(json: &Json) {
    println!("{} entr(y/ies).", json["matching"]);
    for e in json["entries"].as_array().into_iter().flatten() {
        let currency = currency_of(e);
        let amount = |field: &str| currency.format(e[field].as_u64().unwrap_or(0));
        println!(
            "index {:<6} {:<7} {:>16}  {} ({})  balance {}{}",
            e["index"].as_u64().unwrap_or(0),
            e["kind"].as_str().unwrap_or(""),
            amount("amount"),
            e["project_name"].as_str().unwrap_or(""),
            e["round_title"].as_str().unwrap_or(""),
            amount("balance_after"),
            e["reason"]
                .as_str()
                .map(|r| format!("  ({r})"))
                .unwrap_or_default()
        );
    }
    for (code, totals) in json["totals"].as_object().into_iter().flatten() {
        let currency = Currency::of(code);
        let amount = |field: &str| currency.format(totals[field].as_u64().unwrap_or(0));
        println!(
            "{code}: granted {}, released {}, authorised {}",
            amount("granted"),
            amount("released"),
            amount("balance")
        );
    }
}

fn print_round(json: &Json) {
    let currency = currency_of(json);
    let money = |value: &Json| {
        value
            .as_u64()
            .map_or_else(|| "-".to_owned(), |a| currency.format(a))
    };
    let model = &json["model"];
    let mut model_line = model["name"].as_str().unwrap_or("").to_owned();
    if let Some(min_spend) = model["min_spend"].as_u64() {
        model_line.push_str(&format!(" (spend at least {})", currency.format(min_spend)));
    }
    if model["name"] == "approval" {
        let max = model["max"]
            .as_u64()
            .map_or_else(|| "any".to_owned(), |m| m.to_string());
        model_line.push_str(&format!(" (approving {} to {max} projects)", model["min"]));
    }
    let rule = &json["rule"];
    let mut rule_line = rule["name"].as_str().unwrap_or("").to_owned();
    if let Some(completion) = rule["completion"].as_str() {
        rule_line.push_str(&format!(", completed by {completion}"));
    }
    println!(
        "{} — {} ({})",
        json["title"].as_str().unwrap_or(""),
        json["phase"].as_str().unwrap_or(""),
        json["id"].as_str().unwrap_or("")
    );
    if let Some(text) = json["description"].as_str() {
        println!("{text}");
    }
    if let Some(text) = json["guidelines"].as_str() {
        println!("guidelines: {text}");
    }
    println!(
        "pool {}; ballots: {model_line}; count: {rule_line}",
        money(&json["pool"])
    );
    println!(
        "proposals close at ledger ms {}, voting at {}; {} of {} member(s) voted (electorate hash {})",
        json["proposals_close_ms"],
        json["closes_ms"],
        json["n_voters"],
        json["electorate_size"],
        json["electorate_hash"].as_str().unwrap_or("")
    );
    for p in json["projects"].as_array().into_iter().flatten() {
        let cost = if p["min_cost"] == p["max_cost"] {
            money(&p["min_cost"])
        } else {
            format!(
                "{} to {}",
                currency.format_number(p["min_cost"].as_u64().unwrap_or(0)),
                money(&p["max_cost"])
            )
        };
        let mut line = format!(
            "{}  {:<9} {}  {}  by {}; {} backer(s)",
            short(&p["id"]),
            p["status"].as_str().unwrap_or(""),
            p["name"].as_str().unwrap_or(""),
            cost,
            name_or_key(&p["author"]),
            p["n_backers"]
        );
        if let Some(pledged) = p["pledged"].as_u64() {
            line.push_str(&format!(", {} pledged", currency.format(pledged)));
        }
        if let Some(granted) = p["granted"].as_u64() {
            line.push_str(&format!(
                "; granted {}, authorised {}",
                currency.format(granted),
                money(&p["authorised"])
            ));
        }
        if let Some(reason) = p["status_reason"].as_str() {
            line.push_str(&format!(
                " ({} by {}: {reason})",
                p["status"].as_str().unwrap_or(""),
                name_or_key(&p["status_by"])
            ));
        }
        println!("{line}");
        for item in p["items"].as_array().into_iter().flatten() {
            println!(
                "      {}{} {}",
                item["label"].as_str().unwrap_or(""),
                if item["optional"] == true {
                    " (optional)"
                } else {
                    ""
                },
                money(&item["amount"])
            );
        }
        for flag in p["flags"].as_array().into_iter().flatten() {
            println!(
                "      flagged by {}: {}",
                name_or_key(&flag["by"]),
                flag["reason"].as_str().unwrap_or("")
            );
        }
    }
    let result = &json["result"];
    if result.is_null() {
        return;
    }
    let outcome = &result["outcome"];
    if outcome.is_null() {
        println!(
            "closed without a count: {}",
            result["error"].as_str().unwrap_or("")
        );
        return;
    }
    // The outcome names projects by their index among those counted.
    let mut counted: Vec<(u64, String)> = json["projects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["count_index"].as_u64()?, p["name"].as_str()?.to_owned())))
        .collect();
    counted.sort();
    let names: Vec<String> = counted.into_iter().map(|(_, name)| name).collect();
    print_outcome(outcome, &currency, &names);
}

/// An exact amount `"n/d"` of minor units: money when whole, the fraction otherwise.
fn exact_money(currency: &Currency, value: &Json) -> String {
    let text = value.as_str().unwrap_or("");
    match text.strip_suffix("/1").map(str::parse::<u64>) {
        Some(Ok(minor)) => currency.format(minor),
        _ => format!("{text} minor units"),
    }
}

/// The count sheet: what was funded and how, line by line; `names` are the counted
/// projects' names by index.
fn print_outcome(outcome: &Json, currency: &Currency, names: &[String]) {
    let money = |value: &Json| currency.format(value.as_u64().unwrap_or(0));
    let name_of = |index: &Json| {
        index
            .as_u64()
            .and_then(|i| names.get(usize::try_from(i).ok()?))
            .cloned()
            .unwrap_or_else(|| format!("#{index}"))
    };
    let names_of = |list: &Json| {
        list.as_array()
            .into_iter()
            .flatten()
            .map(&name_of)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let funded: Vec<String> = outcome["funded"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            format!(
                "{} {}",
                g["name"].as_str().unwrap_or(""),
                money(&g["amount"])
            )
        })
        .collect();
    println!(
        "outcome: funded {}; spent {}, left {} ({} voter(s))",
        if funded.is_empty() {
            "nothing".to_owned()
        } else {
            funded.join(", ")
        },
        money(&outcome["total_spent"]),
        money(&outcome["leftover"]),
        outcome["n_voters"]
    );
    for step in outcome["steps"].as_array().into_iter().flatten() {
        let project = name_of(&step["project"]);
        match step["kind"].as_str().unwrap_or("") {
            "co_funding" => println!(
                "  {project}: {} backer(s) pledged {}, granted {}, returned {} (unfunded) + {} (above max)",
                step["n_backers"],
                money(&step["pledged"]),
                money(&step["granted"]),
                money(&step["returned_unfunded"]),
                money(&step["returned_above_max"])
            ),
            "greedy" => println!(
                "  {project} ({}): {} vote(s), cost {}, {} left before: {}",
                step["stage"].as_str().unwrap_or(""),
                step["votes"],
                money(&step["cost"]),
                money(&step["remaining_before"]),
                if step["funded"] == true {
                    "funded"
                } else {
                    "skipped"
                }
            ),
            _ => println!(
                "  {project} (equal_shares): cost {} at rho {}, paid by {} supporter(s), at most {} each",
                money(&step["cost"]),
                step["rho"].as_str().unwrap_or(""),
                step["payments"].as_array().map_or(0, Vec::len),
                exact_money(currency, &step["payment_cap"])
            ),
        }
    }
    for tie in outcome["tie_breaks"].as_array().into_iter().flatten() {
        println!(
            "  tie ({}) among {} broken by lot: {}",
            tie["stage"].as_str().unwrap_or(""),
            names_of(&tie["tied"]),
            names_of(&tie["order"])
        );
    }
    if let Some(report) = outcome["co_funding"].as_object() {
        println!(
            "  co-funding: {} per voter, {} not shared out, {} unpledged, {} returned",
            money(&report["allocation_per_voter"]),
            money(&report["allocation_remainder"]),
            money(&report["unpledged"]),
            money(&report["returned_total"])
        );
    }
    if let Some(report) = outcome["equal_shares"].as_object() {
        println!(
            "  equal shares: {} per voter, {} add1 increment(s)",
            exact_money(currency, &report["voter_share"]),
            report["add1_increments"]
        );
    }
    println!("  seed {}", outcome["seed"].as_str().unwrap_or(""));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pledges_keep_thousands_groups_and_names_with_commas_together() {
        assert_eq!(
            fund_entries("Garden=250.00,Mural=50"),
            ["Garden=250.00", "Mural=50"]
        );
        assert_eq!(
            fund_entries("Garden=1,200.50,Mural=50"),
            ["Garden=1,200.50", "Mural=50"]
        );
        assert_eq!(
            fund_entries("Signs, in Breton=1,000,Mural=5"),
            ["Signs, in Breton=1,000", "Mural=5"]
        );
        assert_eq!(fund_entries("Garden"), ["Garden"]);
    }

    #[test]
    fn projects_are_named_by_name_case_or_id_prefix_and_names_may_hold_commas() {
        let projects = vec![
            ("ab12".repeat(16), "Garden".to_owned()),
            ("cd34".repeat(16), "Signs, in Breton".to_owned()),
            ("ab99".repeat(16), "Server".to_owned()),
        ];
        let ids = |text: &str| {
            project_list(&projects, text)
                .map(|ids| ids.iter().map(|id| id.to_hex()[..4].to_owned()).collect())
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            ids("Garden,server"),
            Ok(vec!["ab12".to_owned(), "ab99".to_owned()])
        );
        assert_eq!(
            ids("Signs, in Breton,cd34"),
            Ok(vec!["cd34".to_owned(), "cd34".to_owned()])
        );
        assert!(ids("ab").unwrap_err().contains("several"));
        assert!(ids("Pond").unwrap_err().contains("no project `Pond`"));
        assert_eq!(ids(""), Ok(Vec::<String>::new()));
    }

    #[test]
    fn a_pool_names_its_currency_before_or_after_the_amount() {
        assert_eq!(code_in("3,000.00 EUR"), Some("EUR".to_owned()));
        assert_eq!(code_in("eur 50"), Some("EUR".to_owned()));
        assert_eq!(code_in("1200"), None);
    }
}
