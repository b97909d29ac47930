//! `commons tally`: counts a file of ballots with `commons-tally` and prints the winners
//! and the round-by-round sheet, readable or as JSON.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use commons_tally::io::blt::parse_blt;
use commons_tally::io::csv::parse_csv;
use commons_tally::io::json::JsonProfile;
use commons_tally::{
    Candidate, METHOD_NAMES, Method, MethodParameters, Outcome, Profile, Round, TieRule, Totals,
};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The largest ballot file `commons tally` reads.
pub const BALLOT_FILE_BYTES_MAX: u64 = 1 << 30;

#[derive(Args, Debug, Clone)]
pub struct TallyArgs {
    /// The counting method.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(METHOD_NAMES))]
    pub method: String,
    /// Seats to fill; by default the file's (BLT and JSON), else 1.
    #[arg(long)]
    pub seats: Option<u32>,
    /// The ballot file (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub ballots: PathBuf,
    /// The file's format; by default its extension (.blt, .csv, .json).
    #[arg(long, value_enum)]
    pub format: Option<BallotFormat>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
    /// Seed of the lot that breaks remaining ties (64 hex digits); publish it with the
    /// result, e.g. one fixed before the vote closed.
    #[arg(long, value_name = "HEX", default_value = DEFAULT_SEED)]
    pub seed: String,
    /// Approval: fewest approvals per ballot. Score: lowest score.
    #[arg(long)]
    pub min: Option<u32>,
    /// Approval: most approvals per ballot. Score: highest score (default 5).
    #[arg(long)]
    pub max: Option<u32>,
    /// Dot: dots per ballot (default 10).
    #[arg(long)]
    pub budget: Option<u32>,
}

const DEFAULT_SEED: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotFormat {
    Blt,
    Csv,
    Json,
}

/// Reads, counts and prints.
pub fn run(args: &TallyArgs) -> Result<()> {
    let text = crate::input::read_text_file(&args.ballots, BALLOT_FILE_BYTES_MAX)?;
    let format = match args.format {
        Some(format) => format,
        None => format_from_extension(&args.ballots)?,
    };
    let method = Method::from_name(
        &args.method,
        MethodParameters {
            min: args.min,
            max: args.max,
            budget: args.budget,
        },
    )
    .map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))?;
    let seed = parse_seed(&args.seed)?;
    let profile = read_profile(&text, format, &method, args.seats)
        .with_context(|| format!("cannot read {}", args.ballots.display()))?;
    let outcome = commons_tally::count(&method, &profile, seed)
        .map_err(|error| anyhow::anyhow!("cannot count: {error} ({})", error.code()))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&JsonOutcome::new(&profile, &outcome))?
        );
    } else {
        print!("{}", render(&profile, &outcome));
    }
    Ok(())
}

fn format_from_extension(path: &Path) -> Result<BallotFormat> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("blt") => Ok(BallotFormat::Blt),
        Some("csv") => Ok(BallotFormat::Csv),
        Some("json") => Ok(BallotFormat::Json),
        _ => bail!(
            "cannot tell the format of {} from its name; pass --format blt, csv or json",
            path.display()
        ),
    }
}

fn parse_seed(text: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    bytes.with_context(|| format!("the seed `{text}` is not 64 hex digits"))
}

/// The profile in `text`, with `seats` overriding the file's.
pub fn read_profile(
    text: &str,
    format: BallotFormat,
    method: &Method,
    seats: Option<u32>,
) -> Result<Profile> {
    let mut profile = match format {
        BallotFormat::Blt => parse_blt(text)
            .map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))?
            .profile_without_withdrawn(),
        BallotFormat::Csv => parse_csv(text, method, 1)
            .map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))?,
        BallotFormat::Json => {
            let json: JsonProfile = serde_json::from_str(text).map_err(|error| {
                anyhow::anyhow!("line {}: {error} (json_malformed)", error.line())
            })?;
            json.into_profile()
                .map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))?
        }
    };
    if let Some(seats) = seats {
        profile.seats = seats;
    }
    Ok(profile)
}

/// The JSON output: the outcome with candidates named.
#[derive(Serialize)]
struct JsonOutcome<'a> {
    method: &'a str,
    candidates: &'a [String],
    seats: u32,
    winners: Vec<&'a str>,
    winners_before_tie_break: Vec<&'a str>,
    rounds: &'a [Round],
    tie_breaks: &'a [commons_tally::TieBreak],
    seed: String,
    ballots_counted: u64,
    ballots_blank: u64,
    totals: &'a Totals,
}

impl<'a> JsonOutcome<'a> {
    fn new(profile: &'a Profile, outcome: &'a Outcome) -> JsonOutcome<'a> {
        let named = |candidates: &[Candidate]| {
            candidates
                .iter()
                .map(|c| profile.candidates[*c].as_str())
                .collect()
        };
        JsonOutcome {
            method: outcome.method,
            candidates: &profile.candidates,
            seats: profile.seats,
            winners: named(&outcome.winners),
            winners_before_tie_break: named(&outcome.winners_before_tie_break),
            rounds: &outcome.rounds,
            tie_breaks: &outcome.tie_breaks,
            seed: hex::encode(outcome.seed),
            ballots_counted: outcome.ballots_counted,
            ballots_blank: outcome.ballots_blank,
            totals: &outcome.totals,
        }
    }
}

/// The readable result: winners, the sheet (a row per candidate, a column per round),
/// what each round did, the tie-breaks and the method's totals.
pub fn render(profile: &Profile, outcome: &Outcome) -> String {
    use std::fmt::Write;
    let name = |c: &Candidate| profile.candidates[*c].as_str();
    let names = |cs: &[Candidate]| cs.iter().map(name).collect::<Vec<_>>().join(", ");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} ballots counted, {} blank; seed {}",
        outcome.method,
        outcome.ballots_counted,
        outcome.ballots_blank,
        hex::encode(outcome.seed)
    );
    match &outcome.totals {
        Totals::Proposal {
            yes,
            no,
            abstain,
            block,
            passed,
        } => {
            let _ = writeln!(
                out,
                "{}: yes {yes}, no {no}, abstain {abstain}, block {block}",
                if *passed { "PASSED" } else { "NOT PASSED" }
            );
            return out;
        }
        Totals::Consent {
            consent,
            objections_open,
            objections_resolved,
            passed,
        } => {
            let _ = writeln!(
                out,
                "{}: consent {consent}, open objections {objections_open}, resolved objections {objections_resolved}",
                if *passed { "PASSED" } else { "NOT PASSED" }
            );
            return out;
        }
        _ => {}
    }
    let _ = writeln!(out, "Winners: {}", names(&outcome.winners));
    if !outcome.tie_breaks.is_empty() {
        let _ = writeln!(
            out,
            "Before tie-breaks: {}",
            names(&outcome.winners_before_tie_break)
        );
    }

    let with_tallies: Vec<&Round> = outcome
        .rounds
        .iter()
        .filter(|r| !r.tallies.is_empty())
        .collect();
    if !with_tallies.is_empty() {
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut header = vec!["".to_string()];
        header.extend(with_tallies.iter().map(|r| format!("R{}", r.round)));
        rows.push(header);
        for (candidate, candidate_name) in profile.candidates.iter().enumerate() {
            let mut row = vec![candidate_name.clone()];
            row.extend(with_tallies.iter().map(|r| {
                r.tallies
                    .iter()
                    .find(|t| t.candidate == candidate)
                    .map_or(String::new(), |t| t.votes.clone())
            }));
            rows.push(row);
        }
        let mut exhausted = vec!["exhausted".to_string()];
        exhausted.extend(with_tallies.iter().map(|r| r.exhausted.clone()));
        rows.push(exhausted);
        if with_tallies.iter().any(|r| r.lost_to_rounding.is_some()) {
            let mut lost = vec!["lost to rounding".to_string()];
            lost.extend(
                with_tallies
                    .iter()
                    .map(|r| r.lost_to_rounding.clone().unwrap_or_default()),
            );
            rows.push(lost);
        }
        if with_tallies.iter().any(|r| r.quota.is_some()) {
            let mut quota = vec!["quota".to_string()];
            quota.extend(
                with_tallies
                    .iter()
                    .map(|r| r.quota.clone().unwrap_or_default()),
            );
            rows.push(quota);
        }
        out.push('\n');
        out.push_str(&table(&rows));
    }

    if outcome.rounds.len() > 1 || outcome.rounds.iter().any(|r| !r.transfers.is_empty()) {
        out.push('\n');
        for round in &outcome.rounds {
            let mut actions = Vec::new();
            if !round.elected.is_empty() {
                actions.push(format!("elected {}", names(&round.elected)));
            }
            if let Some(from) = round.surplus_of {
                actions.push(format!("surplus of {} transferred", name(&from)));
            }
            if !round.eliminated.is_empty() {
                actions.push(format!("eliminated {}", names(&round.eliminated)));
            }
            if !round.transfers.is_empty() {
                let moved: Vec<String> = round
                    .transfers
                    .iter()
                    .map(|t| match &t.to {
                        Some(to) => format!("{} to {}", t.votes, name(to)),
                        None => format!("{} exhausted", t.votes),
                    })
                    .collect();
                actions.push(moved.join(", "));
            }
            let iterations = round.iterations.map_or(String::new(), |n| {
                format!(" ({n} iteration{})", if n == 1 { "" } else { "s" })
            });
            let _ = writeln!(
                out,
                "Round {}{iterations}: {}",
                round.round,
                if actions.is_empty() {
                    "no change".to_string()
                } else {
                    actions.join("; ")
                }
            );
        }
    }

    if !outcome.tie_breaks.is_empty() {
        let _ = writeln!(out, "\nTie-breaks:");
        for tie in &outcome.tie_breaks {
            let round = tie.round.map_or(String::new(), |r| format!("round {r}, "));
            let rule = match (tie.rule, tie.looked_at_round) {
                (TieRule::Backwards, Some(earlier)) => format!("backwards to round {earlier}"),
                (TieRule::Backwards, None) => "backwards".to_string(),
                (TieRule::Lot, _) => "lot".to_string(),
            };
            let chosen = tie
                .chosen
                .as_ref()
                .map_or(String::new(), |c| format!(" -> {}", name(c)));
            let _ = writeln!(
                out,
                "  {round}{} among {}: {rule}, order {}{chosen}",
                tie.purpose.as_str(),
                names(&tie.among),
                names(&tie.result),
            );
        }
    }

    match &outcome.totals {
        Totals::Schulze {
            pairwise,
            condorcet_winner,
            smith_set,
            ranking,
            ..
        }
        | Totals::RankedPairs {
            pairwise,
            condorcet_winner,
            smith_set,
            ranking,
            ..
        } => {
            out.push_str("\nPairwise preferences (row over column):\n");
            let mut rows = vec![
                std::iter::once(String::new())
                    .chain(profile.candidates.iter().cloned())
                    .collect::<Vec<_>>(),
            ];
            for (i, row) in pairwise.iter().enumerate() {
                let mut cells = vec![profile.candidates[i].clone()];
                cells.extend(row.iter().enumerate().map(|(j, v)| {
                    if i == j {
                        "-".to_string()
                    } else {
                        v.to_string()
                    }
                }));
                rows.push(cells);
            }
            out.push_str(&table(&rows));
            let _ = writeln!(
                out,
                "Condorcet winner: {}",
                condorcet_winner.as_ref().map_or("none", |c| name(c))
            );
            let _ = writeln!(out, "Smith set: {}", names(smith_set));
            let order: Vec<String> = ranking.iter().map(|rank| names(rank)).collect();
            let _ = writeln!(out, "Ranking: {}", order.join(" > "));
            if let Totals::RankedPairs { pairs, .. } = &outcome.totals {
                out.push_str("Pairs in locking order:\n");
                for pair in pairs {
                    let _ = writeln!(
                        out,
                        "  {} over {} by {}: {}{}",
                        name(&pair.winner),
                        name(&pair.loser),
                        pair.margin,
                        if pair.locked {
                            "locked"
                        } else {
                            "skipped (cycle)"
                        },
                        if pair.tied { ", order by lot" } else { "" }
                    );
                }
            }
        }
        Totals::StvScottish {
            quota, valid_votes, ..
        } => {
            let _ = writeln!(out, "\nQuota {quota} of {valid_votes} valid votes");
        }
        Totals::StvMeek {
            final_quota,
            valid_votes,
            iterations,
            ..
        } => {
            let _ = writeln!(
                out,
                "\nFinal quota {final_quota} of {valid_votes} valid votes, {iterations} iterations"
            );
        }
        Totals::Time {
            yes,
            if_need_be,
            no,
        } => {
            out.push('\n');
            let mut rows = vec![vec![
                String::new(),
                "yes".to_string(),
                "if need be".to_string(),
                "no".to_string(),
            ]];
            for (slot, slot_name) in profile.candidates.iter().enumerate() {
                rows.push(vec![
                    slot_name.clone(),
                    yes[slot].to_string(),
                    if_need_be[slot].to_string(),
                    no[slot].to_string(),
                ]);
            }
            out.push_str(&table(&rows));
        }
        _ => {}
    }
    out
}

/// Left-aligned first column, right-aligned others, two spaces apart.
fn table(rows: &[Vec<String>]) -> String {
    let n_columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n_columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
