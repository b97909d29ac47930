//! Value sharing for auditors outside the node: `distribution explain`, `distribution
//! payouts` and `export valueflows`. Each verb obtains the commons' whole ledger (from a
//! node over the API, as `commons export --node` does, or from an exported bundle),
//! verifies it as `commons verify` does (signatures, chains, Merkle roots, checkpoints,
//! core's rules), folds it with commons-core and computes every figure from that fold: a
//! node's word is never taken for an amount.
//!
//! Failures name a stable code first (`distribution_unknown: …`), so scripts can match
//! on it; a ledger that does not verify is refused with the audit's own code.

use crate::client;
use crate::progress::CliProgress;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use commons_core::State;
use commons_core::value::distribution::{self, Distribution, Policy, Status, Target};
use commons_core::value::equation::{self, Beneficiary, Role};
use commons_core::value::money::{Account, Line};
use commons_core::value::{INCOME, Income, PAYOUT, REVERSE};
use commons_ledger::merkle::Frontier;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Hash};
use commons_web::budget::Currency;
use num_rational::BigRational;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Largest exported ledger file read, in bytes (a bundle of a few million events).
pub const LEDGER_BYTES_MAX: u64 = 2 << 30;
/// Longest distribution id prefix or recipient name typed on the command line, in bytes.
pub const ARGUMENT_LEN_MAX: usize = 200;
/// Fewest hex digits of a distribution id prefix.
pub const ID_PREFIX_LEN_MIN: usize = 4;

/// Why a value verb refused, with a stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Fetching from a node needs `--commons`.
    CommonsRequired,
    /// `--commons` names another commons than the bundle's.
    CommonsMismatch,
    /// The ledger file cannot be read or is not a bundle.
    LedgerUnreadable,
    /// The ledger file is larger than [`LEDGER_BYTES_MAX`].
    LedgerTooLarge,
    /// A distribution id or prefix that is not hex, or too short or long.
    IdInvalid,
    /// No distribution has that id (or prefix).
    DistributionUnknown,
    /// Several distributions start with that prefix.
    DistributionAmbiguous,
    /// `--who` names nobody with a share in the distribution.
    RecipientUnknown,
}

impl Refusal {
    pub fn as_str(&self) -> &'static str {
        match self {
            Refusal::CommonsRequired => "commons_required",
            Refusal::CommonsMismatch => "commons_mismatch",
            Refusal::LedgerUnreadable => "ledger_unreadable",
            Refusal::LedgerTooLarge => "ledger_too_large",
            Refusal::IdInvalid => "id_invalid",
            Refusal::DistributionUnknown => "distribution_unknown",
            Refusal::DistributionAmbiguous => "distribution_ambiguous",
            Refusal::RecipientUnknown => "recipient_unknown",
        }
    }
}

fn refuse(code: Refusal, message: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{}: {message}", code.as_str())
}

/// Where the ledger comes from: an exported bundle, or a node.
#[derive(Args, Debug, Clone)]
pub struct LedgerSource {
    /// An exported ledger (a bundle written by `commons export`); takes precedence over
    /// --node.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// The node to fetch the ledger from.
    #[arg(
        long,
        env = "COMMONS_NODE",
        value_name = "URL",
        default_value = "http://127.0.0.1:7878"
    )]
    pub node: String,
    /// The commons (hex id); needed with a node, checked against a bundle.
    #[arg(long, value_name = "ID")]
    pub commons: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum DistributionCommand {
    /// Explain a distribution from the verified ledger: amount, pin, buckets, and for each
    /// recipient the weight, the amount, the incomes that funded it and the accepted
    /// contributions that earned the credit.
    #[command(
        after_help = "Examples:\n  commons distribution explain 9c1d --commons 6f1c… --node https://commons.example\n  commons distribution explain 9c1d --ledger trails.bundle --who 02ab…\n  commons distribution explain 9c1d --ledger trails.bundle --json\n\nID is a distribution's id or a prefix of at least 4 hex digits. --who takes a key (hex),\n`upstream:NAME` or a published display name. Every figure is recomputed from the\nverified ledger; the pin's root is checked against the ledger's own root at that size."
    )]
    Explain {
        /// The distribution (its `dist.propose` event id, or a prefix).
        id: String,
        /// Explain only this recipient.
        #[arg(long, value_name = "KEY")]
        who: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        source: LedgerSource,
    },
    /// Write the contribution graph a distribution ranked, window by window, as the CSV
    /// files `commons cred pagerank` (and networkx) read, so that an auditor recomputes its
    /// credit without this node's code: `window-K.graph.csv` (`source,target,weight`,
    /// back-flow edges included) and `window-K.seeds.csv` (`node,weight`, the credit the
    /// equation minted on each contribution).
    #[command(
        after_help = "Examples:\n  commons distribution graph 9c1d --ledger trails.bundle --out audit/\n  commons distribution graph 9c1d --commons 6f1c… --out audit/\n\nFor each window it prints the command that ranks it. Node ids: `c<id>` a contribution,\n`p<key>` a person, `u<name>` an upstream commons. A window's credit is its minted\nmilli-credits apportioned by the scores (largest remainder, ties by id), as\n`commons apportion` does; the distribution weighs people's credit summed over the\nwindows. Only a distribution proposed under graph terms has a graph."
    )]
    Graph {
        /// The distribution (its `dist.propose` event id, or a prefix).
        id: String,
        /// The directory to write the files into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        source: LedgerSource,
    },
    /// The payouts a distribution credits, one line per recipient; --csv for a CSV with
    /// `recipient,name,amount_minor,amount,currency`.
    #[command(
        after_help = "Examples:\n  commons distribution payouts 9c1d --ledger trails.bundle --csv > payouts.csv\n  commons distribution payouts 9c1d --commons 6f1c… --csv\n\nAmounts are what execution credits (amounts under the minimum payout are carried, not\nlisted); `amount` is the exact decimal in the currency's major unit."
    )]
    Payouts {
        /// The distribution (its `dist.propose` event id, or a prefix).
        id: String,
        /// Print CSV.
        #[arg(long)]
        csv: bool,
        #[command(flatten)]
        source: LedgerSource,
    },
}

/// `commons export valueflows`.
#[derive(Args, Debug)]
pub struct ValueflowsArgs {
    #[command(flatten)]
    pub source: LedgerSource,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A verified ledger.
pub struct Verified {
    pub commons: CommonsId,
    pub events: Vec<commons_ledger::Event>,
    pub root: Hash,
}

/// Fetches or reads the ledger and verifies it fully.
pub async fn load(source: &LedgerSource) -> Result<Verified> {
    let named = source
        .commons
        .as_deref()
        .map(crate::parse_commons)
        .transpose()?;
    let bundle = match &source.ledger {
        Some(path) => {
            let bytes = read_ledger_file(path)?;
            let bundle = commons_node::bundle::read_bundle(&bytes).map_err(|e| {
                refuse(
                    Refusal::LedgerUnreadable,
                    format!("{}: {e} ({})", path.display(), e.code()),
                )
            })?;
            if let Some(named) = named.filter(|c| *c != bundle.commons) {
                return Err(refuse(
                    Refusal::CommonsMismatch,
                    format!(
                        "{} holds commons {}, not {named}",
                        path.display(),
                        bundle.commons
                    ),
                ));
            }
            bundle
        }
        None => {
            let commons = named.ok_or_else(|| {
                refuse(
                    Refusal::CommonsRequired,
                    "name the commons to fetch from the node with --commons ID (or read an exported ledger with --ledger FILE)",
                )
            })?;
            client::fetch_bundle(&source.node, &commons).await?
        }
    };
    let report = commons_node::audit::audit_bundle(&bundle, &CliProgress::new())
        .map_err(|failure| anyhow::anyhow!("the ledger does not verify: {failure}"))?;
    Ok(Verified {
        commons: bundle.commons,
        events: bundle.events,
        root: report.root,
    })
}

fn read_ledger_file(path: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .map_err(|e| {
            refuse(
                Refusal::LedgerUnreadable,
                format!("{}: {e}", path.display()),
            )
        })?
        .len();
    if size > LEDGER_BYTES_MAX {
        return Err(refuse(
            Refusal::LedgerTooLarge,
            format!(
                "{} has {size} bytes, more than {LEDGER_BYTES_MAX}",
                path.display()
            ),
        ));
    }
    crate::input::read_file(path, LEDGER_BYTES_MAX)
        .map_err(|e| refuse(Refusal::LedgerUnreadable, format!("{e:#}")))
}

/// Folds a verified ledger (through forks, like `commons_core::replay`); with `before`,
/// also returns the state just before the event at that index.
pub fn fold(events: &[Event], before: Option<u64>) -> Result<(State, Option<State>)> {
    let mut snapshot = None;
    let mut state: Option<State> = None;
    for (index, event) in (0u64..).zip(events) {
        if Some(index) == before {
            snapshot = state.clone();
        }
        let failed = |r: commons_core::Rejection| {
            anyhow::anyhow!("core refuses event {index} of a verified ledger: {r}")
        };
        state = Some(match state {
            None => commons_core::genesis(event, index).map_err(failed)?.0,
            Some(folded) if event.header.commons.is_none() => {
                commons_core::fork::fork(&folded, event, index).map_err(failed)?
            }
            Some(mut folded) => {
                commons_core::apply(&mut folded, event, index).map_err(failed)?;
                folded
            }
        });
    }
    let state = state.context("the ledger has no events")?;
    Ok((state, snapshot))
}

/// The `dist.propose` event named by a full id or a prefix: its ledger index and id.
pub fn find_distribution(events: &[Event], text: &str) -> Result<(u64, EventId)> {
    let prefix = text.trim().to_ascii_lowercase();
    if prefix.len() < ID_PREFIX_LEN_MIN
        || prefix.len() > 64
        || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(refuse(
            Refusal::IdInvalid,
            format!(
                "`{}` is not a distribution id: {ID_PREFIX_LEN_MIN} to 64 hex digits",
                truncated(text)
            ),
        ));
    }
    let mut found = (0u64..)
        .zip(events)
        .filter(|(_, e)| e.header.kind.as_str() == distribution::PROPOSE)
        .filter(|(_, e)| e.id.to_hex().starts_with(&prefix));
    match (found.next(), found.next()) {
        (Some((index, event)), None) => Ok((index, event.id)),
        (None, _) => Err(refuse(
            Refusal::DistributionUnknown,
            format!("no distribution of this commons has an id starting with {prefix}"),
        )),
        (Some(_), Some(_)) => Err(refuse(
            Refusal::DistributionAmbiguous,
            format!("several distributions have ids starting with {prefix}; type more digits"),
        )),
    }
}

fn truncated(text: &str) -> &str {
    let mut end = text.len().min(ARGUMENT_LEN_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The Merkle root of the first `size` events.
fn root_at(events: &[Event], size: u64) -> Option<Hash> {
    let size = usize::try_from(size).ok()?;
    let mut frontier = Frontier::empty();
    for event in events.get(..size)? {
        frontier.append(event.leaf_hash());
    }
    Some(frontier.root())
}

/// Exact minor units as a decimal in the currency's major unit, without separators:
/// `120050` EUR is `1200.50`.
pub fn decimal_text(minor: u64, currency: &str) -> String {
    Currency::of(currency).format_number(minor).replace(',', "")
}

/// An exact fraction as `n/d` (or `n` when whole), as the API shows fractions.
fn fraction_text(r: &BigRational) -> String {
    if r.is_integer() {
        r.numer().to_string()
    } else {
        format!("{}/{}", r.numer(), r.denom())
    }
}

/// Milli-credits as a decimal: `1500` is `1.500`.
fn milli_text(milli: u64) -> String {
    format!("{}.{:03}", milli / 1000, milli % 1000)
}

fn beneficiary_id(b: &Beneficiary) -> String {
    match b {
        Beneficiary::Person(key) => key.to_hex(),
        Beneficiary::Upstream(name) => format!("upstream:{name}"),
        Beneficiary::Task(task) => format!("task:{}", task.to_hex()),
    }
}

fn beneficiary_name(state: &State, b: &Beneficiary) -> Option<String> {
    match b {
        Beneficiary::Person(key) => state.display_name(key).map(str::to_owned),
        Beneficiary::Upstream(name) => Some(name.clone()),
        Beneficiary::Task(task) => state.production.tasks.get(task).map(|t| t.title.clone()),
    }
}

/// The recipient `--who` names: a key, `upstream:NAME` or a published display name.
fn resolve_who(state: &State, recipients: &[Beneficiary], who: &str) -> Result<Beneficiary> {
    let who = truncated(who.trim());
    let found = recipients.iter().find(|b| {
        beneficiary_id(b).eq_ignore_ascii_case(who)
            || matches!(b, Beneficiary::Person(k) if state.display_name(k) == Some(who))
    });
    found.cloned().ok_or_else(|| {
        refuse(
            Refusal::RecipientUnknown,
            format!("`{who}` has no share in this distribution (a key in hex, upstream:NAME or a display name)"),
        )
    })
}

/// One contribution's part of a recipient's credit.
struct CreditPart {
    contribution: EventId,
    title: String,
    role: Role,
    accepted_index: u64,
    credit: BigRational,
}

/// One income's part of a recipient's amount.
struct Funding<'a> {
    income: &'a Income,
    amount: u64,
}

/// Everything `distribution explain` shows, computed from the fold.
struct Explanation<'a> {
    commons: CommonsId,
    n_events: usize,
    root: Hash,
    d: &'a Distribution,
    ledger_root_at_pin: Option<Hash>,
    /// Where `immediate` credit starts: the pin of the last distribution executed before.
    immediate_since: u64,
    needed: u64,
    recipients: Vec<Beneficiary>,
    credit: BTreeMap<Beneficiary, Vec<CreditPart>>,
    incomes: Vec<&'a Income>,
}

fn explanation<'a>(
    verified: &Verified,
    state: &'a State,
    before: &'a State,
    d: &'a Distribution,
) -> Explanation<'a> {
    let immediate_since = before
        .economy
        .distributions
        .values()
        .filter(|x| matches!(x.status, Status::Executed { .. }))
        .map(|x| x.pin_size)
        .max()
        .unwrap_or(0);
    let mut credit: BTreeMap<Beneficiary, Vec<CreditPart>> = BTreeMap::new();
    let mut add = |id: &EventId, to: Beneficiary, role, part| {
        let Some(c) = before.production.contributions.get(id) else {
            return;
        };
        credit.entry(to).or_default().push(CreditPart {
            contribution: *id,
            title: c.title.clone(),
            role,
            accepted_index: equation::accepted(c).map_or(0, |(index, _)| index),
            credit: part,
        });
    };
    match &d.flows {
        // Under a graph equation: the edges the credit arrived by, as the proposal kept them.
        Some(flows) => {
            for (to, flows) in &flows.lifetime {
                for f in flows {
                    let part = commons_core::value::graph::credits(f.credit);
                    add(&f.contribution, to.clone(), f.role, part);
                }
            }
        }
        None => distribution::for_each_part(before, 0, d.pin_size, |id, to, role, part| {
            add(id, to, role, part)
        }),
    }
    let incomes = before
        .economy
        .income_order
        .iter()
        .filter_map(|id| before.economy.incomes.get(id))
        .filter(|i| i.currency == d.currency && !before.economy.books.reversed.contains_key(&i.id))
        .collect();
    Explanation {
        commons: verified.commons,
        n_events: verified.events.len(),
        root: verified.root,
        d,
        ledger_root_at_pin: root_at(&verified.events, d.pin_size),
        immediate_since,
        needed: state
            .association
            .statutes
            .as_ref()
            .map_or(0, |s| u64::from(s.treasurer_approvals)),
        recipients: d.totals.keys().cloned().collect(),
        credit,
        incomes,
    }
}

impl Explanation<'_> {
    /// The incomes that funded `amount`: every income the treasury had received in the
    /// currency before the proposal (reversed ones excluded), pro rata to its amount,
    /// apportioned so the parts sum to `amount` exactly.
    fn funding(&self, amount: u64) -> Vec<Funding<'_>> {
        let weights: Vec<(usize, u64)> = self
            .incomes
            .iter()
            .enumerate()
            .map(|(n, i)| (n, i.amount))
            .collect();
        match commons_value::apportion(amount, &weights) {
            Ok(parts) => self
                .incomes
                .iter()
                .zip(parts)
                .filter(|(_, a)| *a > 0)
                .map(|(income, amount)| Funding { income, amount })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    fn pin_matches(&self) -> bool {
        self.ledger_root_at_pin.map(|r| r.0) == Some(self.d.pin_root)
    }

    fn to_json(&self, state: &State, only: Option<&Beneficiary>) -> Json {
        let d = self.d;
        let money = |minor: u64| decimal_text(minor, &d.currency);
        let buckets: Vec<Json> = d
            .buckets
            .iter()
            .map(|b| {
                let (take, ppm, to, policy) = b.bucket.words();
                json!({
                    "name": b.bucket.name,
                    "take": take,
                    "share_ppm": ppm,
                    "to": to,
                    "policy": policy,
                    "amount": b.amount,
                    "amount_text": money(b.amount),
                    "n_recipients": b.shares.len(),
                })
            })
            .collect();
        let recipients: Vec<Json> = self
            .recipients
            .iter()
            .filter(|b| only.is_none_or(|o| o == *b))
            .map(|b| {
                let total = d.totals.get(b).copied().unwrap_or(0);
                let shares: Vec<Json> = d
                    .buckets
                    .iter()
                    .filter_map(|r| {
                        r.shares.iter().find(|s| s.to == *b).map(|s| {
                            json!({"bucket": r.bucket.name, "weight": s.weight, "amount": s.amount})
                        })
                    })
                    .collect();
                let funded_by: Vec<Json> = self
                    .funding(total)
                    .iter()
                    .map(|f| {
                        json!({
                            "income": f.income.id.to_hex(),
                            "kind": f.income.kind.as_str(),
                            "source": f.income.source,
                            "reference": f.income.reference,
                            "index": f.income.index,
                            "amount": f.amount,
                            "amount_text": money(f.amount),
                        })
                    })
                    .collect();
                let credit: Vec<Json> = self
                    .credit
                    .get(b)
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        json!({
                            "contribution": p.contribution.to_hex(),
                            "title": p.title,
                            "role": p.role.as_str(),
                            "accepted_index": p.accepted_index,
                            "credit": fraction_text(&p.credit),
                            "immediate": p.accepted_index >= self.immediate_since,
                        })
                    })
                    .collect();
                let carried = match b {
                    Beneficiary::Person(k) => d.carried.get(k).copied().unwrap_or(0),
                    Beneficiary::Upstream(_) | Beneficiary::Task(_) => 0,
                };
                json!({
                    "recipient": beneficiary_id(b),
                    "name": beneficiary_name(state, b),
                    "total": total,
                    "total_text": money(total),
                    "credited": d.credited.get(b).copied().unwrap_or(0),
                    "carried": carried,
                    "shares": shares,
                    "funded_by": funded_by,
                    "credit": credit,
                })
            })
            .collect();
        json!({
            "commons": self.commons.to_hex(),
            "distribution": d.id.to_hex(),
            "title": d.title,
            "status": d.status_str(),
            "proposed_index": d.index,
            "executed_index": match d.status {
                Status::Executed { index, .. } => Some(index),
                Status::Proposed | Status::Cancelled { .. } => None,
            },
            "amount": d.amount,
            "amount_text": money(d.amount),
            "currency": d.currency,
            "min_payout": d.min_payout,
            "pin": {
                "size": d.pin_size,
                "root": hex::encode(d.pin_root),
                "ledger_root": self.ledger_root_at_pin.map(|r| r.to_hex()),
                "matches_ledger": self.pin_matches(),
            },
            "config_hash": hex::encode(d.config_hash),
            "approvals": d.approvals.iter().map(|k| json!({"key": k.to_hex(), "name": state.display_name(k)})).collect::<Vec<_>>(),
            "approvals_needed": self.needed,
            "immediate_since": self.immediate_since,
            "verified": {"events": self.n_events, "root": self.root.to_hex()},
            "buckets": buckets,
            "recipients": recipients,
        })
    }

    fn to_text(&self, state: &State, only: Option<&Beneficiary>) -> String {
        use std::fmt::Write as _;
        let d = self.d;
        let currency = Currency::of(&d.currency);
        let mut out = String::new();
        let who = |k: &AuthorKey| match state.display_name(k) {
            Some(name) => format!("{name} ({})", short(&k.to_hex())),
            None => k.to_hex(),
        };
        let _ = writeln!(out, "distribution {} \"{}\"", d.id.to_hex(), d.title);
        let status = match d.status {
            Status::Executed { index, .. } => format!("executed at index {index}"),
            Status::Proposed => "proposed, not executed".to_owned(),
            Status::Cancelled { index, .. } => format!("cancelled at index {index}"),
        };
        let _ = writeln!(
            out,
            "  {} from the treasury, {status}",
            currency.format(d.amount)
        );
        let _ = writeln!(
            out,
            "  proposed by {} at index {}; approved by {} of the {} treasurer approvals needed{}",
            who(&d.by),
            d.index,
            d.approvals.len(),
            self.needed,
            if d.approvals.is_empty() {
                String::new()
            } else {
                format!(
                    ": {}",
                    d.approvals.iter().map(who).collect::<Vec<_>>().join(", ")
                )
            }
        );
        let pin = if self.pin_matches() {
            "the ledger's own root there".to_owned()
        } else {
            format!(
                "NOT the ledger's root there ({})",
                self.ledger_root_at_pin
                    .map_or("beyond the ledger".to_owned(), |r| r.to_hex())
            )
        };
        let _ = writeln!(
            out,
            "  pinned to ledger size {} (root {}: {pin})",
            d.pin_size,
            hex::encode(d.pin_root)
        );
        let _ = writeln!(out, "  configuration hash {}", hex::encode(d.config_hash));
        if d.min_payout > 0 {
            let _ = writeln!(
                out,
                "  minimum payout {} (less is carried to the next distribution)",
                currency.format(d.min_payout)
            );
        }
        let _ = writeln!(
            out,
            "  recomputed here from {} verified events (root {})",
            self.n_events,
            self.root.to_hex()
        );
        let _ = writeln!(out, "buckets");
        for b in &d.buckets {
            let (take, ppm, _, _) = b.bucket.words();
            let share = ppm.map_or(String::new(), |p| format!(" {}%", percent(p)));
            let goes = match &b.bucket.target {
                Target::Treasury => "kept in the treasury".to_owned(),
                Target::Upstream if b.shares.is_empty() => {
                    "no upstream credit: kept in the treasury".to_owned()
                }
                Target::Upstream => format!("{} upstream commons by credit", b.shares.len()),
                Target::Contributors(_) if b.shares.is_empty() => {
                    "no credit: kept in the treasury".to_owned()
                }
                Target::Contributors(Policy::Time(_)) => format!(
                    "{} contributors by validated effort, weighted per kind",
                    b.shares.len()
                ),
                Target::Contributors(p) => {
                    format!("{} contributors by {} credit", b.shares.len(), p.as_str())
                }
                Target::Person { memo, .. } => format!("to one person: {memo}"),
                Target::Splits(s) => format!("fixed splits among {} people", s.len()),
                Target::Quadratic(_) if b.shares.is_empty() => {
                    "no matchable pledges: kept in the treasury".to_owned()
                }
                Target::Quadratic(_) => {
                    format!("quadratic match of pledges on {} tasks", b.shares.len())
                }
                Target::Claims => format!("{} claims on future distributions", b.shares.len()),
                Target::Circle(_) if b.shares.is_empty() => {
                    "no GIVE received: kept in the treasury".to_owned()
                }
                Target::Circle(c) => format!(
                    "{} members of GIVE circle {} by GIVE received",
                    b.shares.len(),
                    c.to_hex()
                ),
            };
            let how = format!("{take}{share}");
            let _ = writeln!(
                out,
                "  {:<16} {how:<14} {:>16}  {goes}",
                b.bucket.name,
                currency.format(b.amount)
            );
        }
        let _ = writeln!(out, "recipients");
        for b in self
            .recipients
            .iter()
            .filter(|b| only.is_none_or(|o| o == *b))
        {
            let total = d.totals.get(b).copied().unwrap_or(0);
            let label = match b {
                Beneficiary::Person(k) => who(k),
                Beneficiary::Upstream(name) => format!("upstream commons {name}"),
                Beneficiary::Task(_) => format!(
                    "bounty escrow of task {}",
                    beneficiary_name(state, b).unwrap_or_else(|| beneficiary_id(b))
                ),
            };
            let _ = writeln!(out, "  {label}: {}", currency.format(total));
            for r in &d.buckets {
                if let Some(s) = r.shares.iter().find(|s| s.to == *b) {
                    let unit = r.bucket.target.weight_unit();
                    let total: u64 = r.shares.iter().map(|s| s.weight).sum();
                    let (weight, total) = if unit == distribution::CREDIT_WEIGHT {
                        (
                            milli_text(s.weight),
                            format!("{} credit", milli_text(total)),
                        )
                    } else {
                        (s.weight.to_string(), format!("{total} {unit}"))
                    };
                    let _ = writeln!(
                        out,
                        "    {}: weight {weight} of {total}, {}",
                        r.bucket.name,
                        currency.format(s.amount)
                    );
                }
            }
            match (b, d.credited.get(b)) {
                (Beneficiary::Person(k), None) if d.carried.contains_key(k) => {
                    let _ = writeln!(
                        out,
                        "    under the minimum payout: carried to the next distribution"
                    );
                }
                (_, Some(credited)) if *credited != total => {
                    let _ = writeln!(
                        out,
                        "    credited {} with what earlier distributions carried",
                        currency.format(*credited)
                    );
                }
                _ => {}
            }
            let funding = self.funding(total);
            if !funding.is_empty() {
                let _ = writeln!(
                    out,
                    "    funded by the {} treasury received before the proposal, pro rata:",
                    d.currency
                );
                for f in funding {
                    let _ = writeln!(
                        out,
                        "      {:>14}  of {} {} from {} ({}, index {})",
                        currency.format(f.amount),
                        currency.format(f.income.amount),
                        f.income.kind.as_str(),
                        f.income.source,
                        f.income.reference,
                        f.income.index
                    );
                }
            }
            if let Some(parts) = self.credit.get(b) {
                let _ = writeln!(
                    out,
                    "    credit from {} accepted contribution part(s) before index {}{}:",
                    parts.len(),
                    d.pin_size,
                    if self.immediate_since > 0 {
                        format!(" (* since index {}: immediate)", self.immediate_since)
                    } else {
                        String::new()
                    }
                );
                for p in parts {
                    let _ = writeln!(
                        out,
                        "      {:>10} {:<9} {}{} \"{}\" accepted at index {}",
                        fraction_text(&p.credit),
                        p.role.as_str(),
                        short(&p.contribution.to_hex()),
                        if self.immediate_since > 0 && p.accepted_index >= self.immediate_since {
                            "*"
                        } else {
                            ""
                        },
                        p.title,
                        p.accepted_index
                    );
                }
            }
        }
        out
    }
}

/// Writes each window's graph and seeds into `dir`; returns what to tell the auditor.
fn write_graph_windows(
    dir: &std::path::Path,
    windows: &[commons_core::value::graph::WindowCsv],
) -> Result<String> {
    use std::fmt::Write as _;
    let mut text = String::new();
    for (k, w) in windows.iter().enumerate() {
        if w.minted == 0 {
            let _ = writeln!(
                text,
                "window {k}: entries {}..{}: nothing minted, no graph",
                w.from, w.to
            );
            continue;
        }
        let graph = dir.join(format!("window-{k}.graph.csv"));
        let seeds = dir.join(format!("window-{k}.seeds.csv"));
        for (path, body) in [(&graph, &w.graph), (&seeds, &w.seeds)] {
            std::fs::write(path, body)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let _ = writeln!(
            text,
            "window {k}: entries {}..{}: {} milli-credits minted, {} edge rows\n  commons cred pagerank --graph {} --personalization {} --alpha {} --tol {:e} --max-iter {} --json",
            w.from,
            w.to,
            w.minted,
            w.graph.lines().count().saturating_sub(1),
            graph.display(),
            seeds.display(),
            w.alpha,
            w.tol,
            w.max_iter
        );
    }
    Ok(text)
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

/// Parts per million as a percentage, exact: `150000` is `15`, `125` is `0.0125`.
fn percent(ppm: u64) -> String {
    let whole = ppm / 10_000;
    let fraction = ppm % 10_000;
    if fraction == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{fraction:04}")
            .trim_end_matches('0')
            .to_owned()
    }
}

/// The verified ledger, the state once the distribution `id` names (an id or a prefix)
/// was proposed and the state just before (what its proposal was computed on), and its
/// full id.
async fn load_distribution(
    source: &LedgerSource,
    id: &str,
) -> Result<(Verified, State, State, EventId)> {
    let verified = load(source).await?;
    let (index, id) = find_distribution(&verified.events, id)?;
    let (state, before) = fold(&verified.events, Some(index))?;
    let before = before.context("a distribution is never the genesis")?;
    Ok((verified, state, before, id))
}

/// The distribution `id` in a fold that accepted its `dist.propose`.
fn proposed<'a>(state: &'a State, id: &EventId) -> Result<&'a Distribution> {
    state
        .economy
        .distributions
        .get(id)
        .context("the fold has no distribution for a dist.propose it accepted")
}

pub async fn run_distribution(command: DistributionCommand) -> Result<()> {
    match command {
        DistributionCommand::Explain {
            id,
            who,
            json,
            source,
        } => {
            let (verified, state, before, id) = load_distribution(&source, &id).await?;
            let d = proposed(&state, &id)?;
            let explanation = explanation(&verified, &state, &before, d);
            let only = who
                .as_deref()
                .map(|w| resolve_who(&state, &explanation.recipients, w))
                .transpose()?;
            if !explanation.pin_matches() {
                eprintln!(
                    "warning: the distribution's pin root is not the ledger's root at size {}",
                    d.pin_size
                );
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&explanation.to_json(&state, only.as_ref()))?
                );
            } else {
                print!("{}", explanation.to_text(&state, only.as_ref()));
            }
            Ok(())
        }
        DistributionCommand::Graph { id, out, source } => {
            let (_, state, before, id) = load_distribution(&source, &id).await?;
            let d = proposed(&state, &id)?;
            let windows = distribution::graph_windows(&before, d.pin_size)
                .map_err(|r| anyhow::anyhow!("cannot build the graph: {r}"))?
                .with_context(|| {
                    format!(
                        "distribution {} was proposed under an equation without graph terms: its credit does not flow along a graph",
                        short(&id.to_hex())
                    )
                })?;
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            print!("{}", write_graph_windows(&out, &windows)?);
            Ok(())
        }
        DistributionCommand::Payouts { id, csv, source } => {
            let verified = load(&source).await?;
            let (_, id) = find_distribution(&verified.events, &id)?;
            let (state, _) = fold(&verified.events, None)?;
            let d = proposed(&state, &id)?;
            if d.status == Status::Proposed {
                eprintln!(
                    "note: the distribution is proposed, not executed: these are the payouts it would credit"
                );
            }
            let mut out = std::io::stdout().lock();
            if csv {
                writeln!(out, "recipient,name,amount_minor,amount,currency")?;
            }
            let currency = Currency::of(&d.currency);
            for (b, amount) in &d.credited {
                let name = beneficiary_name(&state, b).unwrap_or_default();
                if csv {
                    writeln!(
                        out,
                        "{},{},{amount},{},{}",
                        csv_field(&beneficiary_id(b)),
                        csv_field(&name),
                        decimal_text(*amount, &d.currency),
                        d.currency
                    )?;
                } else {
                    let line = format!(
                        "{:<66} {:>18}  {name}",
                        beneficiary_id(b),
                        currency.format(*amount)
                    );
                    writeln!(out, "{}", line.trim_end())?;
                }
            }
            Ok(())
        }
    }
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

// ---------------------------------------------------------------------------------------
// ValueFlows

/// The JSON-LD context of the export: ValueFlows terms, OM 2 measures, exact decimals.
fn valueflows_context() -> Json {
    json!({
        "vf": "https://w3id.org/valueflows/ont/vf#",
        "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "action": {"@id": "vf:action", "@type": "@id"},
        "provider": {"@id": "vf:provider", "@type": "@id"},
        "receiver": {"@id": "vf:receiver", "@type": "@id"},
        "inScopeOf": {"@id": "vf:inScopeOf", "@type": "@id"},
        "corrects": {"@id": "vf:corrects", "@type": "@id"},
        "resourceConformsTo": {"@id": "vf:resourceConformsTo", "@type": "@id"},
        "resourceClassifiedAs": {"@id": "vf:resourceClassifiedAs", "@type": "@id"},
        "resourceQuantity": {"@id": "vf:resourceQuantity"},
        "effortQuantity": {"@id": "vf:effortQuantity"},
        "hasNumericalValue": {"@id": "om2:hasNumericalValue", "@type": "xsd:decimal"},
        "hasUnit": {"@id": "om2:hasUnit", "@type": "@id"},
        "hasPointInTime": {"@id": "vf:hasPointInTime", "@type": "xsd:dateTime"},
        "name": "vf:name",
        "note": "vf:note",
    })
}

/// Ledger time (milliseconds since the Unix epoch) as an xsd:dateTime in UTC.
pub fn iso8601(time_ms: u64) -> String {
    let seconds = time_ms / 1000;
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
    let in_day = seconds % 86_400;
    let (year, month, day) = commons_web::ui::dates::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600,
        in_day % 3_600 / 60,
        in_day % 60,
        time_ms % 1000
    )
}

/// Builds the ValueFlows graph of a folded commons, in ledger order.
struct Flows<'a> {
    state: &'a State,
    commons_iri: String,
    agents: BTreeMap<String, Json>,
    events: Vec<Json>,
}

fn agent_iri(key: &AuthorKey) -> String {
    format!("urn:commons:agent:{}", key.to_hex())
}

/// An upstream commons' name in an IRI: unreserved bytes as they are, others %-encoded.
fn upstream_iri(name: &str) -> String {
    let mut iri = String::from("urn:commons:upstream:");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            iri.push(char::from(b));
        } else {
            iri.push_str(&format!("%{b:02X}"));
        }
    }
    iri
}

fn money_quantity(minor: u64, currency: &str) -> Json {
    json!({
        "@type": "om2:Measure",
        "hasNumericalValue": decimal_text(minor, currency),
        "hasUnit": format!("urn:commons:unit:{currency}"),
    })
}

fn credit_quantity(credit: &BigRational) -> Json {
    json!({
        "@type": "om2:Measure",
        "hasNumericalValue": milli_text(distribution::quantise(credit)),
        "hasUnit": "urn:commons:unit:credit",
    })
}

impl<'a> Flows<'a> {
    fn new(state: &'a State, commons: &CommonsId) -> Flows<'a> {
        let commons_iri = format!("urn:commons:commons:{}", commons.to_hex());
        let mut agents = BTreeMap::new();
        agents.insert(
            commons_iri.clone(),
            json!({"@id": commons_iri, "@type": "vf:Organization", "name": state.governance.name}),
        );
        Flows {
            state,
            commons_iri,
            agents,
            events: Vec::new(),
        }
    }

    fn person(&mut self, key: &AuthorKey) -> String {
        let iri = agent_iri(key);
        let agent = self.state.agents.get(key);
        let kind = match agent.and_then(|a| a.kind) {
            Some(commons_core::state::AgentKind::Organisation) => "vf:Organization",
            _ => "vf:Person",
        };
        let mut node = json!({"@id": iri, "@type": kind});
        if let Some(name) = self.state.display_name(key) {
            node["name"] = json!(name);
        }
        self.agents.insert(iri.clone(), node);
        iri
    }

    fn upstream(&mut self, name: &str) -> String {
        let iri = upstream_iri(name);
        self.agents.insert(
            iri.clone(),
            json!({"@id": iri, "@type": "vf:Organization", "name": name}),
        );
        iri
    }

    fn beneficiary(&mut self, b: &Beneficiary) -> String {
        match b {
            Beneficiary::Person(key) => self.person(key),
            Beneficiary::Upstream(name) => self.upstream(name),
            // The association holds a task's bounty escrow.
            Beneficiary::Task(_) => self.commons_iri.clone(),
        }
    }

    /// Who paid an income: their agent when they have a key, otherwise an agent named
    /// by the income's source text.
    fn source(&mut self, income: &Income) -> Json {
        match &income.source_agent {
            Some(key) => json!(self.person(key)),
            None => json!({"@type": "vf:Agent", "name": income.source}),
        }
    }

    /// `work` by each author and reviewer of each accepted contribution, and `cite` of
    /// each upstream commons the equation credits, with the credit each part earned.
    fn contributions(&mut self) {
        let state = self.state;
        let mut parts: Vec<(u64, EventId, Beneficiary, Role, BigRational)> = Vec::new();
        distribution::for_each_part(state, 0, u64::MAX, |id, to, role, part| {
            let index = state
                .production
                .contributions
                .get(id)
                .and_then(equation::accepted)
                .map_or(0, |(index, _)| index);
            parts.push((index, *id, to, role, part));
        });
        // Declared minutes split among the authors by their shares, exactly.
        for (index, id, to, role, credit) in parts {
            let Some(c) = state.production.contributions.get(&id) else {
                continue;
            };
            let time_ms = equation::accepted(c).map_or(0, |(_, t)| t);
            let provider = self.beneficiary(&to);
            let action = if role == Role::Upstream {
                "cite"
            } else {
                "work"
            };
            let mut event = json!({
                "@id": format!("urn:commons:event:{}#{}/{}", id.to_hex(), role.as_str(), beneficiary_id(&to)),
                "@type": "vf:EconomicEvent",
                "action": format!("vf:{action}"),
                "provider": provider,
                "receiver": self.commons_iri,
                "inScopeOf": self.commons_iri,
                "resourceConformsTo": "urn:commons:unit:credit",
                "resourceClassifiedAs": format!("urn:commons:role:{}", role.as_str()),
                "resourceQuantity": credit_quantity(&credit),
                "hasPointInTime": iso8601(time_ms),
                "note": format!("{} (ledger index {index})", c.title),
            });
            if role == Role::Author
                && let Beneficiary::Person(key) = &to
                && let Some(minutes) = author_minutes(c, key)
            {
                event["effortQuantity"] = json!({
                    "@type": "om2:Measure",
                    "hasNumericalValue": minutes.to_string(),
                    "hasUnit": "om2:minute-Time",
                });
            }
            self.events.push(event);
        }
    }

    /// Money: incomes, their reversals, distribution credits and payouts, line by line.
    fn money(&mut self, references: &BTreeMap<EventId, String>) {
        let state = self.state;
        let books = &state.economy.books;
        for (n, line) in books.lines.iter().enumerate() {
            let Some((provider, receiver, class)) = self.parties(line) else {
                continue;
            };
            let t = &line.transfer;
            let mut event = json!({
                "@id": format!("urn:commons:event:{}#line/{n}", line.event.to_hex()),
                "@type": "vf:EconomicEvent",
                "action": "vf:transfer",
                "provider": provider,
                "receiver": receiver,
                "inScopeOf": self.commons_iri,
                "resourceConformsTo": format!("urn:commons:unit:{}", t.currency),
                "resourceClassifiedAs": format!("urn:commons:money:{class}"),
                "resourceQuantity": money_quantity(t.amount, &t.currency),
                "hasPointInTime": iso8601(line.time_ms),
            });
            if let Some(reference) = references.get(&line.event) {
                event["note"] = json!(reference);
            }
            if let Some(reversed) = line.reverses {
                let lines = books.lines_of(&reversed);
                let offset = books.by_event.get(&reversed).map_or(0, |(start, _)| *start);
                // Reversal lines mirror the original's in reverse order.
                let mirrored = books
                    .by_event
                    .get(&line.event)
                    .map_or(0, |(start, _)| n - start);
                let original_n = offset + lines.len().saturating_sub(mirrored + 1);
                event["corrects"] = json!(format!(
                    "urn:commons:event:{}#line/{original_n}",
                    reversed.to_hex()
                ));
            }
            self.events.push(event);
        }
    }

    /// Provider, receiver and class of a money line; `None` for movements inside the
    /// commons (amounts carried to a later distribution).
    fn parties(&mut self, line: &Line) -> Option<(Json, Json, &'static str)> {
        let t = &line.transfer;
        let (from, to) = if line.reverses.is_some() {
            (&t.to, &t.from)
        } else {
            (&t.from, &t.to)
        };
        let original = line.reverses.unwrap_or(line.event);
        let state: &'a State = self.state;
        let commons = json!(self.commons_iri);
        let (provider, receiver, class) = match (from, to) {
            (Account::Income(_), _) => {
                let income = state.economy.incomes.get(&original)?;
                (self.source(income), commons, "income")
            }
            (Account::Owed(key), Account::PaidOut) => (commons, json!(self.person(key)), "payout"),
            (Account::Upstream(name), Account::PaidOut) => {
                (commons, json!(self.upstream(name)), "payout")
            }
            (_, Account::Owed(key)) => (commons, json!(self.person(key)), "credited"),
            (_, Account::Upstream(name)) => (commons, json!(self.upstream(name)), "credited"),
            _ => return None,
        };
        if line.reverses.is_some() {
            Some((receiver, provider, class))
        } else {
            Some((provider, receiver, class))
        }
    }
}

/// An author's declared minutes of a contribution: the whole effort split by the
/// co-authors' shares (largest remainder, so the parts sum to the effort).
fn author_minutes(c: &commons_core::production::Contribution, key: &AuthorKey) -> Option<u64> {
    if c.effort_minutes == 0 || c.authors.is_empty() {
        return None;
    }
    let parts = commons_value::apportion(c.effort_minutes, &c.authors).ok()?;
    c.authors
        .iter()
        .zip(parts)
        .find(|((k, _), _)| k == key)
        .map(|(_, m)| m)
}

/// The ValueFlows JSON-LD of a verified, folded commons.
pub fn valueflows(verified: &Verified, state: &State) -> Json {
    let mut flows = Flows::new(state, &verified.commons);
    flows.contributions();
    // Payout references are in the events' bodies; the state keeps no copy.
    let references: BTreeMap<EventId, String> = verified
        .events
        .iter()
        .filter(|e| matches!(e.header.kind.as_str(), PAYOUT | INCOME | REVERSE))
        .filter_map(|e| {
            let body = e.body_value()?;
            let text = body
                .get("reference")
                .or_else(|| body.get("reason"))?
                .as_text()?;
            Some((e.id, text.to_owned()))
        })
        .collect();
    flows.money(&references);
    let mut units: Vec<Json> = state
        .economy
        .books
        .currencies()
        .iter()
        .map(|c| json!({"@id": format!("urn:commons:unit:{c}"), "@type": "om2:Unit", "name": c}))
        .collect();
    units.push(json!({"@id": "urn:commons:unit:credit", "@type": "om2:Unit", "name": "credit (thousandths, floored as distributions quantise it)"}));
    let mut graph: Vec<Json> = flows.agents.into_values().collect();
    graph.extend(units);
    graph.extend(flows.events);
    json!({
        "@context": valueflows_context(),
        "@id": format!("urn:commons:commons:{}#valueflows", verified.commons.to_hex()),
        "vf:note": format!("exported from {} verified events, root {}", verified.events.len(), verified.root.to_hex()),
        "@graph": graph,
    })
}

pub async fn run_valueflows(args: &ValueflowsArgs) -> Result<()> {
    let verified = load(&args.source).await?;
    let (state, _) = fold(&verified.events, None)?;
    let text = serde_json::to_string_pretty(&valueflows(&verified, &state))?;
    match &args.output {
        Some(path) => std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_time_prints_as_utc_date_time() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_780_304_400_000), "2026-06-01T09:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
    }

    #[test]
    fn percentages_and_decimals_are_exact() {
        assert_eq!(percent(150_000), "15");
        assert_eq!(percent(125), "0.0125");
        assert_eq!(decimal_text(120_050, "EUR"), "1200.50");
        assert_eq!(decimal_text(7, "JPY"), "7");
        assert_eq!(csv_field("Ti ar Son, co-op"), "\"Ti ar Son, co-op\"");
        assert_eq!(
            upstream_iri("Open Street/Map"),
            "urn:commons:upstream:Open%20Street%2FMap"
        );
    }
}
