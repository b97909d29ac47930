//! `commons-bench value`: commons-value's PageRank and CredRank against networkx on the
//! same seeded credit graph, and `apportion` over a million recipients against summing
//! their weights, each measured in the same run.
//!
//! The graph (SplitMix64 from `--seed`) has 200,000 nodes — 60% contributions, 10% people,
//! 25% reviews, 5% upstream commons — and 1,000,000 distinct weighted edges: every node
//! gets one (a contribution its author, a person some authorship, a review its reviewer
//! and the contribution it reviews, an upstream commons a citation), then authorships
//! (weights 1–3), reviews, reviewers, citations between contributions and citations of
//! upstream commons fill the rest, their ends drawn with a skew towards popular nodes.
//! Every contribution is minted 1–100 credit. It is written as `graph.csv` and
//! `personalization.csv` under `target/commons-bench-value/`, and read back with
//! `commons_value::graph_csv` exactly as `commons cred pagerank` reads it.
//!
//! *PageRank*: the best time of building the `Graph` from the edge list (merging,
//! normalising, storing by target) plus `pagerank` with the minting as personalization,
//! against the best time of `networkx.pagerank` with the same personalization on a
//! `DiGraph` of the same rows (it converts the graph to a scipy sparse array, then
//! iterates), run by `scripts/bench-value-python.sh` (networkx, scipy and numpy pinned and
//! installed into a virtual environment under `target/` on first use). Every score must
//! agree with networkx's within 1e-6. *CredRank*: the best time of `CreditGraph::run` on
//! the same nodes, edges and minting (adding the back-flow edges, PageRank, integer credit
//! and the integer flows of every edge). *Apportion*: 10⁹ × 12 credit among 1,000,000
//! recipients, against summing their weights (the least any apportionment must do).
//!
//! Timing never fails the run; a failed computation, a disagreement beyond 1e-6 or a
//! failed Python run does.

use crate::random::SplitMix64;
use anyhow::{Context, Result, bail};
use commons_value::apportion::apportion;
use commons_value::credrank::{CreditGraph, CreditParams, NodeKind, Weight};
use commons_value::graph_csv::{read_graph_csv, read_personalization_csv};
use commons_value::pagerank::{Graph, PageRankParams, pagerank};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// PageRank must be at least this many times faster than networkx's.
pub const SPEEDUP_MIN: f64 = 30.0;
/// Apportioning among a million recipients must take less than this.
pub const APPORTION_MS_MAX: f64 = 200.0;
/// Largest difference allowed between a score and networkx's.
pub const AGREEMENT_MAX: f64 = 1e-6;
/// The credit the CredRank run shares: 10⁹ per interval, twelve intervals.
pub const TOTAL_CREDIT: u64 = 1_000_000_000 * 12;

/// Options of `commons-bench value`.
#[derive(Clone, Debug, clap::Args)]
pub struct ValueArgs {
    /// Nodes of the credit graph.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(100..=5_000_000))]
    pub nodes: u64,
    /// Edges of the credit graph (distinct source-target pairs).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(100..=20_000_000))]
    pub edges: u64,
    /// Recipients of the apportionment.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub recipients: u64,
    /// Seed of the generators.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timings of each Rust measurement; the best is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeats: u32,
    /// Timings of networkx.pagerank; the best is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub python_repeats: u32,
    /// Time commons-value alone, without the networkx baseline.
    #[arg(long)]
    pub skip_python: bool,
    /// Events of the commons the full distribution is measured in (0 skips it).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(0..=5_000_000))]
    pub distribution_events: u64,
    /// Measure only the full distribution (no graph, PageRank, CredRank or apportion).
    #[arg(long)]
    pub distribution_only: bool,
}

/// The seeded credit graph: node ids and kinds, edges by node index, minting per node.
struct CreditWorkload {
    ids: Vec<String>,
    kinds: Vec<NodeKind>,
    edges: Vec<(u32, u32, u64)>,
    minted: Vec<(u32, u64)>,
}

fn credit_workload(rng: &mut SplitMix64, n_nodes: u64, n_edges: u64) -> CreditWorkload {
    let n_people = n_nodes / 10;
    let n_reviews = n_nodes / 4;
    let n_upstream = n_nodes / 20;
    let n_contributions = n_nodes - n_people - n_reviews - n_upstream;
    // Indexes: contributions, then people, reviews, upstream commons.
    let contribution = |i: u64| i as u32;
    let person = |i: u64| (n_contributions + i) as u32;
    let review = |i: u64| (n_contributions + n_people + i) as u32;
    let upstream = |i: u64| (n_contributions + n_people + n_reviews + i) as u32;
    let mut ids = Vec::with_capacity(n_nodes as usize);
    let mut kinds = Vec::with_capacity(n_nodes as usize);
    for (count, prefix, kind) in [
        (n_contributions, "c", NodeKind::Contribution),
        (n_people, "p", NodeKind::Person),
        (n_reviews, "r", NodeKind::Review),
        (n_upstream, "u", NodeKind::Upstream),
    ] {
        for i in 0..count {
            ids.push(format!("{prefix}{i}"));
            kinds.push(kind);
        }
    }

    let mut edges: Vec<(u32, u32, u64)> = Vec::with_capacity(n_edges as usize);
    let mut pairs: HashSet<(u32, u32)> = HashSet::with_capacity(n_edges as usize);
    let mut add = |edges: &mut Vec<(u32, u32, u64)>, source: u32, target: u32, weight: u64| {
        if edges.len() as u64 >= n_edges || source == target || !pairs.insert((source, target)) {
            return;
        }
        edges.push((source, target, weight));
    };
    // Every node gets an edge, so every node is in the CSV.
    for i in 0..n_contributions {
        let author = person(rng.skewed(n_people));
        add(&mut edges, contribution(i), author, 1 + rng.below(3));
    }
    for i in 0..n_people {
        let work = contribution(rng.below(n_contributions));
        add(&mut edges, work, person(i), 1 + rng.below(3));
    }
    for i in 0..n_reviews {
        let reviewed = contribution(rng.below(n_contributions));
        add(&mut edges, reviewed, review(i), 1);
        let reviewer = person(rng.skewed(n_people));
        add(&mut edges, review(i), reviewer, 1);
    }
    for i in 0..n_upstream {
        let citing = contribution(rng.below(n_contributions));
        add(&mut edges, citing, upstream(i), 1);
    }
    while (edges.len() as u64) < n_edges {
        let work = contribution(rng.below(n_contributions));
        match rng.below(100) {
            0..40 => add(
                &mut edges,
                work,
                person(rng.skewed(n_people)),
                1 + rng.below(3),
            ),
            40..55 => add(&mut edges, work, review(rng.below(n_reviews)), 1),
            55..70 => {
                let reviewer = person(rng.skewed(n_people));
                add(&mut edges, review(rng.below(n_reviews)), reviewer, 1);
            }
            70..90 => {
                let cited = contribution(rng.skewed(n_contributions));
                add(&mut edges, work, cited, 1 + rng.below(2));
            }
            _ => add(&mut edges, work, upstream(rng.skewed(n_upstream)), 1),
        }
    }
    let minted = (0..n_contributions)
        .map(|i| (contribution(i), 1 + rng.below(100)))
        .collect();
    CreditWorkload {
        ids,
        kinds,
        edges,
        minted,
    }
}

/// The best of `repeats` timings of `f`, and its last result.
fn best_of<T>(repeats: u32, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let value = f()?;
        best = best.min(start.elapsed());
        last = Some(value);
    }
    Ok((best, last.context("at least one repeat")?))
}

fn milliseconds(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1_000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "PASS" } else { "MISS" }
}

/// networkx's report.
#[derive(serde::Deserialize)]
struct PythonReport {
    networkx: String,
    scipy: String,
    numpy: String,
    python: String,
    n_nodes: usize,
    n_edges: usize,
    build_s: f64,
    pagerank_s: Vec<f64>,
    conversion_s: Vec<f64>,
    same_node_order: bool,
}

pub fn value(args: &ValueArgs) -> Result<()> {
    if args.distribution_only {
        print_load();
        let measurement = one_full_distribution(args)?
            .context("--distribution-only needs --distribution-events above 0")?;
        println!("{measurement}");
        if let Some(megabytes) = crate::report::peak_rss_megabytes() {
            println!(
                "memory: peak RSS (VmHWM) {megabytes:.1} MB (the folded state of the whole \
                 commons and one copy of it with the distribution)"
            );
        }
        return Ok(());
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let directory = workspace.join("target/commons-bench-value");
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("cannot create {}", directory.display()))?;

    let mut rng = SplitMix64::new(args.seed);
    let workload = credit_workload(&mut rng, args.nodes, args.edges);
    let mut graph_text = String::with_capacity(workload.edges.len() * 20);
    graph_text.push_str("source,target,weight\n");
    for &(source, target, weight) in &workload.edges {
        let _ = writeln!(
            graph_text,
            "{},{},{weight}",
            workload.ids[source as usize], workload.ids[target as usize]
        );
    }
    let mut personalization_text = String::from("node,weight\n");
    for &(node, minted) in &workload.minted {
        let _ = writeln!(
            personalization_text,
            "{},{minted}",
            workload.ids[node as usize]
        );
    }
    std::fs::write(directory.join("graph.csv"), &graph_text).context("cannot write graph.csv")?;
    std::fs::write(directory.join("personalization.csv"), &personalization_text)
        .context("cannot write personalization.csv")?;
    print_load();
    println!(
        "credit graph (seed {}): {} nodes, {} edges, {} contributions minted; CSV in {}",
        args.seed,
        workload.ids.len(),
        workload.edges.len(),
        workload.minted.len(),
        directory.display()
    );

    // Read back as `commons cred pagerank` reads it: nodes numbered by first appearance.
    let (read_time, graph_csv) = best_of(1, || {
        read_graph_csv(&graph_text).context("cannot read graph.csv")
    })?;
    let personalization = read_personalization_csv(&personalization_text, &graph_csv)
        .context("cannot read personalization.csv")?;
    if graph_csv.node_ids.len() != workload.ids.len() {
        bail!(
            "graph.csv has {} nodes, expected {}",
            graph_csv.node_ids.len(),
            workload.ids.len()
        );
    }
    let mut nodes_text = graph_csv.node_ids.join("\n");
    nodes_text.push('\n');
    std::fs::write(directory.join("nodes.txt"), nodes_text).context("cannot write nodes.txt")?;
    drop(graph_text);

    // PageRank: build + iterate, and each part alone.
    let params = PageRankParams {
        personalization: Some(personalization),
        ..PageRankParams::default()
    };
    let (build_time, graph) = best_of(args.repeats, || {
        Ok(Graph::from_edges(
            graph_csv.node_ids.len(),
            &graph_csv.edges,
        )?)
    })?;
    let (iterate_time, rank) = best_of(args.repeats, || Ok(pagerank(&graph, &params)?))?;
    let (pagerank_time, _) = best_of(args.repeats, || {
        let graph = Graph::from_edges(graph_csv.node_ids.len(), &graph_csv.edges)?;
        Ok(pagerank(&graph, &params)?)
    })?;
    println!(
        "commons-value pagerank: {} (graph build {}, {} iterations {}); CSV read {}",
        milliseconds(pagerank_time),
        milliseconds(build_time),
        rank.iterations,
        milliseconds(iterate_time),
        milliseconds(read_time),
    );

    // CredRank on the same graph.
    let (credit_build_time, credit_graph) = best_of(1, || {
        let mut credit_graph = CreditGraph::with_capacity(workload.ids.len(), workload.edges.len());
        for (id, &kind) in workload.ids.iter().zip(&workload.kinds) {
            credit_graph.add_node(id.as_str(), kind)?;
        }
        for &(source, target, weight) in &workload.edges {
            credit_graph.add_edge(
                &workload.ids[source as usize],
                &workload.ids[target as usize],
                Weight::whole(weight),
            )?;
        }
        for &(node, minted) in &workload.minted {
            credit_graph.seed(&workload.ids[node as usize], Weight::whole(minted))?;
        }
        Ok(credit_graph)
    })?;
    let credit_params = CreditParams::new(TOTAL_CREDIT);
    let (credrank_time, credit) = best_of(args.repeats, || Ok(credit_graph.run(&credit_params)?))?;
    let credit_sum: u64 = credit.credits().iter().sum();
    if credit_sum != TOTAL_CREDIT {
        bail!("CredRank credit sums to {credit_sum}, not {TOTAL_CREDIT}");
    }
    let busiest = credit
        .ids()
        .iter()
        .zip(credit.credits())
        .filter(|(id, _)| id.starts_with('p'))
        .max_by_key(|&(id, &amount)| (amount, std::cmp::Reverse(id.as_str())))
        .map(|(id, _)| id.clone())
        .context("no person")?;
    let flows = credit.flows_into(&busiest).context("no flows")?;
    let flow_sum: u64 = flows.iter().map(|(_, amount)| amount).sum();
    if Some(flow_sum) != credit.credit(&busiest) {
        bail!("the flows into {busiest} do not sum to its credit");
    }
    println!(
        "commons-value credrank: {} ({} edges with back-flow, {} iterations, {} credit \
         apportioned, every edge's flow quantised); building the CreditGraph {}",
        milliseconds(credrank_time),
        credit_graph.n_edges() * 2,
        credit.iterations(),
        TOTAL_CREDIT,
        milliseconds(credit_build_time),
    );
    println!(
        "  most credited person {busiest}: {} credit over {} flows",
        credit.credit(&busiest).unwrap_or(0),
        flows.len()
    );
    drop(credit);
    drop(credit_graph);

    // Apportion over a million recipients against summing their weights.
    let recipients: Vec<(u32, u64)> = (0..args.recipients as u32)
        .map(|id| (id, rng.below(1_000_000_000)))
        .collect();
    let (sum_time, total) = best_of(args.repeats, || {
        Ok(black_box(&recipients)
            .iter()
            .map(|&(_, w)| u128::from(w))
            .sum::<u128>())
    })?;
    let (apportion_time, parts) = best_of(args.repeats, || {
        Ok(apportion(TOTAL_CREDIT, black_box(&recipients))?)
    })?;
    if parts.iter().sum::<u64>() != TOTAL_CREDIT || total == 0 {
        bail!("the apportionment does not sum to the budget");
    }
    let named: Vec<(String, u64)> = recipients
        .iter()
        .map(|&(id, w)| (format!("member-{id:07}"), w))
        .collect();
    let (named_time, _) = best_of(args.repeats, || {
        Ok(apportion(TOTAL_CREDIT, black_box(&named))?)
    })?;
    drop(named);
    drop(recipients);

    // One full distribution for a commons of 1,000,000 events (value equation, credit,
    // policy, every share), printed with the other figures.
    let full_distribution = one_full_distribution(args)?;

    // networkx.
    let python = if args.skip_python {
        None
    } else {
        println!(
            "timing networkx.pagerank (scripts/bench-value-python.sh; the first run installs it)…"
        );
        let output = std::process::Command::new(workspace.join("scripts/bench-value-python.sh"))
            .arg(&directory)
            .arg(args.python_repeats.to_string())
            .stderr(std::process::Stdio::inherit())
            .output()
            .context("cannot run scripts/bench-value-python.sh")?;
        if !output.status.success() {
            bail!("the networkx baseline failed ({})", output.status);
        }
        let report: PythonReport = serde_json::from_slice(&output.stdout)
            .context("the networkx baseline printed no report")?;
        let bytes = std::fs::read(directory.join("networkx-scores.f64"))
            .context("cannot read networkx-scores.f64")?;
        let theirs: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|chunk| f64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])))
            .collect();
        if theirs.len() != rank.scores.len() {
            bail!(
                "networkx returned {} scores for {} nodes",
                theirs.len(),
                rank.scores.len()
            );
        }
        let max_difference = rank
            .scores
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0_f64, f64::max);
        let identical = rank
            .scores
            .iter()
            .zip(&theirs)
            .filter(|(a, b)| a.to_bits() == b.to_bits())
            .count();
        Some((report, max_difference, identical))
    };

    println!();
    println!(
        "{:<40} {:>12} {:>14} {:>9} {:>7}",
        "measurement", "commons", "baseline", "ratio", "target"
    );
    if let Some((report, max_difference, identical)) = &python {
        let networkx = Duration::from_secs_f64(
            report
                .pagerank_s
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min),
        );
        let ratio = networkx.as_secs_f64() / pagerank_time.as_secs_f64().max(1e-9);
        println!(
            "{:<40} {:>12} {:>14} {:>8.0}x {:>7}",
            "pagerank (build + iterate) vs networkx",
            milliseconds(pagerank_time),
            milliseconds(networkx),
            ratio,
            verdict(ratio >= SPEEDUP_MIN)
        );
        println!(
            "{:<40} {:>12} {:>14} {:>8.0}x",
            "credrank (full run) vs networkx pagerank",
            milliseconds(credrank_time),
            milliseconds(networkx),
            networkx.as_secs_f64() / credrank_time.as_secs_f64().max(1e-9),
        );
        let agree = *max_difference <= AGREEMENT_MAX && report.same_node_order;
        let conversion_s = report
            .conversion_s
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        println!(
            "  of networkx's time, converting the DiGraph to a scipy sparse array takes {:.0} ms \
             (best of {}), the iterations the rest",
            conversion_s * 1_000.0,
            args.python_repeats
        );
        println!(
            "scores: max |commons - networkx| = {max_difference:.3e} over {} nodes ({} bit-identical); \
             node order {}: {}",
            report.n_nodes,
            identical,
            if report.same_node_order {
                "the same"
            } else {
                "DIFFERENT"
            },
            if agree {
                "agree within 1e-6"
            } else {
                "DISAGREE"
            }
        );
        println!(
            "networkx {} (scipy {}, numpy {}, Python {}): {} nodes, {} edges; building its DiGraph from the CSV {:.0} ms (not in the ratio)",
            report.networkx,
            report.scipy,
            report.numpy,
            report.python,
            report.n_nodes,
            report.n_edges,
            report.build_s * 1_000.0
        );
        if !agree {
            bail!("the scores disagree with networkx's beyond {AGREEMENT_MAX}");
        }
    } else {
        println!(
            "{:<40} {:>12} {:>14}",
            "pagerank (build + iterate)",
            milliseconds(pagerank_time),
            "not measured"
        );
        println!(
            "{:<40} {:>12} {:>14}",
            "credrank (full run)",
            milliseconds(credrank_time),
            "not measured"
        );
    }
    let apportion_ratio = apportion_time.as_secs_f64() / sum_time.as_secs_f64().max(1e-9);
    println!(
        "{:<40} {:>12} {:>14} {:>8.1}x {:>7}",
        format!("apportion {} recipients (u32 ids)", args.recipients),
        milliseconds(apportion_time),
        milliseconds(sum_time),
        apportion_ratio,
        verdict(apportion_time.as_secs_f64() * 1_000.0 < APPORTION_MS_MAX)
    );
    println!(
        "{:<40} {:>12} {:>14} {:>8.1}x {:>7}",
        format!("apportion {} recipients (text ids)", args.recipients),
        milliseconds(named_time),
        milliseconds(sum_time),
        named_time.as_secs_f64() / sum_time.as_secs_f64().max(1e-9),
        verdict(named_time.as_secs_f64() * 1_000.0 < APPORTION_MS_MAX)
    );
    if let Some(measurement) = full_distribution {
        println!("{measurement}");
    }
    println!();
    println!(
        "pagerank = Graph::from_edges (merge, normalise, store by target) + pagerank, personalised \
         by the minting, best of {}; networkx = networkx.pagerank(G, personalization=…) on a \
         DiGraph of the same rows (its conversion to a scipy array included), best of {}.\n\
         credrank = CreditGraph::run: back-flow edges, PageRank, integer credit for every node \
         and the integer flow of every edge, best of {}.\n\
         apportion = commons_value::apportion of {TOTAL_CREDIT} (largest remainder, ties by id); \
         baseline = summing the same weights in u128, best of {}; the ratio is apportion / sum.\n\
         Targets: pagerank >= {SPEEDUP_MIN:.0}x networkx, apportion < {APPORTION_MS_MAX:.0} ms; \
         scores within {AGREEMENT_MAX:e} of networkx's.",
        args.repeats, args.python_repeats, args.repeats, args.repeats
    );
    if let Some(megabytes) = crate::report::peak_rss_megabytes() {
        println!(
            "memory: peak RSS (VmHWM) {megabytes:.1} MB (this process: the workload, its CSV text, \
             both graphs and the recipients; networkx runs in its own process)"
        );
    }
    Ok(())
}

/// Other work on the machine slows every figure; the ratios are measured in one run.
fn print_load() {
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        println!(
            "load average {} on {} cores before the run",
            load.join(" "),
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
}

/// The time of one full distribution for a commons of `--distribution-events` events
/// (`value_distribution`): the value equation over every accepted contribution, credit,
/// the buckets' policies and every share, against folding the whole ledger and against
/// `apportion` over the same recipients; `None` when skipped.
pub fn one_full_distribution(args: &ValueArgs) -> Result<Option<String>> {
    if args.distribution_events == 0 {
        return Ok(None);
    }
    println!(
        "building a commons of {} events with commons-core (the peer-production workload, seed {}, then statutes, an equation and {} incomes)…",
        args.distribution_events, args.seed, 1_000
    );
    let f = crate::value_distribution::measure(
        args.distribution_events,
        args.seed,
        args.repeats.min(3),
    )?;
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  built {} events in {:.1} s (signing and decoding included), of which apply (the fold) {:.1} s; {} accepted contributions",
        f.n_events,
        f.build.as_secs_f64(),
        f.fold.as_secs_f64(),
        f.n_accepted
    );
    let _ = writeln!(
        out,
        "{:<40} {:>12} {:>14} {:>8.3}x {:>7}",
        format!("full distribution, {} recipients", f.n_recipients),
        milliseconds(f.propose),
        format!("fold {}", milliseconds(f.fold)),
        ms(f.propose) / ms(f.fold).max(1e-9),
        verdict(ms(f.propose) < crate::value_distribution::DISTRIBUTION_MS_MAX)
    );
    let _ = writeln!(
        out,
        "{:<40} {:>12} {:>14} {:>8.0}x",
        "  the same vs apportion over its recipients",
        milliseconds(f.propose),
        milliseconds(f.apportion),
        ms(f.propose) / ms(f.apportion).max(1e-9)
    );
    let _ = writeln!(
        out,
        "{:<40} {:>12}",
        "  of which one pass of credit (valuation)",
        milliseconds(f.credit)
    );
    let _ = writeln!(
        out,
        "{:<40} {:>12} {:>14} {:>8.3}x {:>7}",
        format!("  through the graph, {} people", f.graph_people),
        milliseconds(f.graph),
        format!("fold {}", milliseconds(f.fold)),
        ms(f.graph) / ms(f.fold).max(1e-9),
        verdict(ms(f.graph) < crate::value_distribution::DISTRIBUTION_MS_MAX)
    );
    let _ = write!(
        out,
        "{:<40} {:>12}\n  distribution = applying dist.propose (every accepted contribution valued, credit \
         quantised, four buckets, every share apportioned) to a copy of the folded state, best of \
         {}; through the graph = the same buckets computed with the equation's default graph terms \
         (CredRank over contributions, people and upstream commons per interval, flows kept); fold = apply of every event of the ledger; execute = dist.execute after two approvals. \
         Target: distribution < {:.0} s.",
        "  execute (credit every recipient)",
        milliseconds(f.execute),
        f.repeats,
        crate::value_distribution::DISTRIBUTION_MS_MAX / 1_000.0
    );
    Ok(Some(out))
}
