//! `commons-bench tally`: commons-tally against the Python package pref_voting on the
//! same seeded profiles, measured in the same run.
//!
//! Two profiles come from a seeded spatial model (voters in three clusters rank the
//! candidates by distance, with personal noise): 100,000 complete rankings of 10
//! candidates, each a ballot of weight 1, for plurality, instant runoff, Schulze and
//! ranked pairs; and 10,000 rankings truncated to 2–10 candidates for 5-seat Scottish and
//! Meek STV. Both are written as BLT under `target/commons-bench-tally/`, which
//! `scripts/bench-tally-python.sh` reads to time pref_voting (installed on first use
//! into a virtual environment under `target/`).
//!
//! For each method it prints the best time of `commons_tally::count` on the profile, the
//! best time of pref_voting (its profile built from the same ballots, then the method),
//! their ratio against the target of 50, and whether the winners agree. pref_voting's
//! profile constructor already computes the pairwise matrix that Schulze and ranked pairs
//! need, so its method-only time is also shown for reference. Timing never fails the run;
//! a failed count, a missing baseline or a failed Python run does.

use crate::random::SplitMix64;
use anyhow::{Context, Result, bail};
use commons_tally::io::blt::{Blt, write_blt};
use commons_tally::{Ballot, Method, Outcome, Profile, WeightedBallot};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Every method must count at least this many times faster than pref_voting.
pub const SPEEDUP_MIN: f64 = 50.0;
/// Schulze on the large profile must take less than this.
pub const SCHULZE_MS_MAX: f64 = 1_000.0;

/// Options of `commons-bench tally`.
#[derive(Clone, Debug, clap::Args)]
pub struct TallyArgs {
    /// Ballots of the single-winner profile.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub ballots: u64,
    /// Candidates of both profiles.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=100))]
    pub candidates: u64,
    /// Ballots of the STV profile.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub stv_ballots: u64,
    /// Seats of the STV profile.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub seats: u32,
    /// Seed of the profile generator (the lot's seed is fixed).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timings per method on each side; the best is reported. pref_voting times a method
    /// whose first run takes over 10 s only once.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeats: u32,
    /// Time commons-tally alone, without the pref_voting baseline (for profiling).
    #[arg(long)]
    pub skip_python: bool,
}

/// Rankings from a spatial model: candidates and three cluster centres on a 1000 × 1000
/// grid; each voter sits near a centre and ranks candidates by squared distance plus a
/// personal random offset. `truncate` ranks only the first 2 to all candidates.
fn spatial_profile(
    rng: &mut SplitMix64,
    n_candidates: usize,
    n_ballots: u64,
    seats: u32,
    truncate: bool,
) -> Profile {
    let point = |rng: &mut SplitMix64| (rng.below(1_000) as i64, rng.below(1_000) as i64);
    let candidates: Vec<(i64, i64)> = (0..n_candidates).map(|_| point(rng)).collect();
    let centres: Vec<(i64, i64)> = (0..3).map(|_| point(rng)).collect();
    let mut ballots = Vec::with_capacity(n_ballots as usize);
    let mut keyed: Vec<(i64, usize)> = Vec::with_capacity(n_candidates);
    for _ in 0..n_ballots {
        let centre = centres[rng.below(3) as usize];
        let noise = |rng: &mut SplitMix64| (0..3).map(|_| rng.below(401) as i64 - 200).sum::<i64>();
        let voter = (centre.0 + noise(rng), centre.1 + noise(rng));
        keyed.clear();
        for (candidate, position) in candidates.iter().enumerate() {
            let (dx, dy) = (position.0 - voter.0, position.1 - voter.1);
            let offset = rng.below(40_000) as i64;
            keyed.push((dx * dx + dy * dy + offset, candidate));
        }
        keyed.sort_unstable();
        let length = if truncate {
            2 + rng.below(n_candidates as u64 - 1) as usize
        } else {
            n_candidates
        };
        ballots.push(WeightedBallot {
            weight: 1,
            ballot: Ballot::Ranking(keyed[..length].iter().map(|(_, c)| vec![*c]).collect()),
        });
    }
    Profile {
        candidates: (0..n_candidates).map(|c| format!("C{}", c + 1)).collect(),
        seats,
        ballots,
    }
}

/// pref_voting's answer for one method.
#[derive(serde::Deserialize)]
struct PythonResult {
    profile_build_s: f64,
    method_s: f64,
    winners: Vec<usize>,
}

#[derive(serde::Deserialize)]
struct PythonReport {
    pref_voting: String,
    results: std::collections::BTreeMap<String, PythonResult>,
}

fn best_count(method: &Method, profile: &Profile, repeats: u32) -> Result<(Duration, Outcome)> {
    let mut best = Duration::MAX;
    let mut outcome = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let counted = commons_tally::count(method, profile, [0; 32])
            .with_context(|| format!("{} failed", method.name()))?;
        best = best.min(start.elapsed());
        outcome = Some(counted);
    }
    Ok((best, outcome.context("at least one repeat")?))
}

fn milliseconds(seconds: f64) -> String {
    if seconds < 0.01 {
        format!("{:.3} ms", seconds * 1_000.0)
    } else {
        format!("{:.1} ms", seconds * 1_000.0)
    }
}

pub fn tally(args: &TallyArgs) -> Result<()> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let directory = workspace.join("target/commons-bench-tally");
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("cannot create {}", directory.display()))?;
    let n_candidates = args.candidates as usize;
    let mut rng = SplitMix64::new(args.seed);
    let ranked = spatial_profile(&mut rng, n_candidates, args.ballots, 1, false);
    let stv = spatial_profile(&mut rng, n_candidates, args.stv_ballots, args.seats, true);
    for (name, profile) in [("ranked.blt", &ranked), ("stv.blt", &stv)] {
        let blt = Blt {
            profile: profile.clone(),
            withdrawn: Vec::new(),
            title: format!("commons-bench tally, seed {}", args.seed),
        };
        std::fs::write(directory.join(name), write_blt(&blt)?)
            .with_context(|| format!("cannot write {name}"))?;
    }
    println!(
        "profiles (seed {}): {} complete rankings of {} candidates; {} truncated rankings for {} seats",
        args.seed, args.ballots, n_candidates, args.stv_ballots, args.seats
    );

    let methods: [(Method, &Profile); 6] = [
        (Method::Plurality, &ranked),
        (Method::Irv, &ranked),
        (Method::Schulze, &ranked),
        (Method::RankedPairs, &ranked),
        (Method::StvScottish, &stv),
        (Method::StvMeek, &stv),
    ];
    let mut rust = Vec::new();
    for (method, profile) in &methods {
        let (elapsed, outcome) = best_count(method, profile, args.repeats)?;
        println!(
            "  commons-tally {:<13} {:>12}  winners {:?}",
            method.name(),
            milliseconds(elapsed.as_secs_f64()),
            outcome.winners
        );
        rust.push((elapsed, outcome));
    }

    if args.skip_python {
        println!("pref_voting not measured (--skip-python): no ratios");
        return Ok(());
    }
    println!("timing pref_voting (scripts/bench-tally-python.sh; the first run installs it)…");
    let output = std::process::Command::new(workspace.join("scripts/bench-tally-python.sh"))
        .arg(&directory)
        .arg(args.repeats.to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run scripts/bench-tally-python.sh")?;
    if !output.status.success() {
        bail!("the pref_voting baseline failed ({})", output.status);
    }
    let report: PythonReport = serde_json::from_slice(&output.stdout)
        .context("the pref_voting baseline printed no report")?;

    println!();
    println!(
        "{:<13} {:>8} {:>12} {:>14} {:>9} {:>7}  {:<18} pref_voting method only",
        "method", "ballots", "commons", "pref_voting", "ratio", "target", "winners",
    );
    let mut all_agree = true;
    for ((method, profile), (elapsed, outcome)) in methods.iter().zip(&rust) {
        let python = report
            .results
            .get(method.name())
            .with_context(|| format!("pref_voting reported no {}", method.name()))?;
        let rust_s = elapsed.as_secs_f64();
        let python_s = python.profile_build_s + python.method_s;
        let ratio = python_s / rust_s.max(1e-9);
        let mut target_met = ratio >= SPEEDUP_MIN;
        if *method == Method::Schulze {
            target_met &= rust_s * 1_000.0 < SCHULZE_MS_MAX;
        }
        let agreement = agreement(method, outcome, &python.winners);
        all_agree &= agreement.starts_with("agree");
        println!(
            "{:<13} {:>8} {:>12} {:>14} {:>8.0}x {:>7}  {:<18} {} ({:.0}x)",
            method.name(),
            profile.ballots.len(),
            milliseconds(rust_s),
            milliseconds(python_s),
            ratio,
            if target_met { "PASS" } else { "MISS" },
            agreement,
            milliseconds(python.method_s),
            python.method_s / rust_s.max(1e-9)
        );
    }
    println!();
    println!(
        "commons = commons_tally::count from the in-memory ballots (validation included);\n\
         pref_voting {} = building its Profile from the same ballots + the method, best of {}.\n\
         Targets: >= {SPEEDUP_MIN:.0}x for every method, Schulze < {SCHULZE_MS_MAX:.0} ms.\n\
         pref_voting computes in floating point with tolerances; commons-tally in exact integers \
         (Scottish STV truncated to 5 decimals, Meek rounded up at 9), so STV winners may \
         legitimately differ on close counts.",
        report.pref_voting, args.repeats
    );
    if !all_agree {
        println!("winners differ for at least one method: see the table");
    }
    Ok(())
}

/// Whether pref_voting's winners (sorted; all tied winners for single-winner methods)
/// agree with the count.
fn agreement(method: &Method, outcome: &Outcome, python: &[usize]) -> String {
    let mut ours = match method {
        Method::StvScottish | Method::StvMeek => outcome.winners.clone(),
        _ => outcome.winners_before_tie_break.clone(),
    };
    ours.sort_unstable();
    if ours == python {
        "agree".to_string()
    } else {
        format!("DIFFER {ours:?} vs {python:?}")
    }
}
