//! `commons cred`: contribution credit from files, with `commons-value`. `cred pagerank`
//! ranks the nodes of a weighted graph read from CSV and prints the scores, readable or
//! as JSON.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use commons_value::graph_csv::{GraphCsv, read_graph_csv, read_personalization_csv};
use commons_value::pagerank::{PageRank, PageRankParams, pagerank};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The largest graph or personalization file `commons cred` reads.
pub const CRED_FILE_BYTES_MAX: u64 = 4 << 30;

#[derive(Subcommand, Debug)]
pub enum CredCommand {
    /// Rank the nodes of a weighted directed graph by PageRank, with networkx's semantics:
    /// out-weights normalised per node, dangling nodes' scores redistributed by the
    /// personalization, convergence when an iteration changes the scores by less than
    /// nodes × tol in total.
    #[command(
        after_help = "Examples:\n  commons cred pagerank --graph credit.csv\n  commons cred pagerank --graph credit.csv --alpha 0.9 --personalization minted.csv --json\n\nThe graph file has the header `source,target,weight` (or `source,target`, every edge\nweighing 1); rows naming the same source and target again add their weights. The\npersonalization file has the header `node,weight`; nodes it leaves out weigh 0.\nWeights are finite non-negative numbers. A malformed file is refused with the line named.\n\n  $ cat credit.csv\n  source,target,weight\n  fix-parser,ann,2\n  fix-parser,bo,1\n  ann,fix-parser,0.25\n  $ commons cred pagerank --graph credit.csv --json\n  {\"scores\":{\"ann\":0.35133587194529703,\"bo\":0.23378794159018046,\"fix-parser\":0.414876186464522},\"iterations\":29}\n\nnetworkx.pagerank gives the same scores: the same operations in the same order."
    )]
    Pagerank(PagerankArgs),
}

#[derive(Args, Debug, Clone)]
pub struct PagerankArgs {
    /// The graph: a CSV file with the header `source,target,weight` (`-` for standard
    /// input).
    #[arg(long, value_name = "FILE")]
    pub graph: PathBuf,
    /// Damping: the probability of following an edge rather than teleporting.
    #[arg(long, default_value_t = 0.85, value_name = "A")]
    pub alpha: f64,
    /// Convergence tolerance per node.
    #[arg(long, default_value_t = 1.0e-6, value_name = "T")]
    pub tol: f64,
    /// Iterations before giving up.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_iter: u32,
    /// Teleport weights: a CSV file with the header `node,weight`; uniform without it.
    #[arg(long, value_name = "FILE")]
    pub personalization: Option<PathBuf>,
    /// Print `{"scores": {node: score, …}, "iterations": n}`.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: &CredCommand) -> Result<()> {
    match command {
        CredCommand::Pagerank(args) => run_pagerank(args),
    }
}

fn run_pagerank(args: &PagerankArgs) -> Result<()> {
    let text = crate::input::read_text_file(&args.graph, CRED_FILE_BYTES_MAX)?;
    let graph_csv = read_graph_csv(&text)
        .map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))
        .with_context(|| format!("cannot read {}", args.graph.display()))?;
    drop(text);
    let personalization = match &args.personalization {
        Some(path) => {
            let text = crate::input::read_text_file(path, CRED_FILE_BYTES_MAX)?;
            let values = read_personalization_csv(&text, &graph_csv)
                .map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(values)
        }
        None => None,
    };
    let graph = graph_csv
        .graph()
        .map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))
        .with_context(|| format!("cannot build the graph of {}", args.graph.display()))?;
    let params = PageRankParams {
        alpha: args.alpha,
        tol: args.tol,
        max_iter: args.max_iter,
        personalization,
        ..PageRankParams::default()
    };
    let rank = pagerank(&graph, &params)
        .map_err(|error| anyhow::anyhow!("cannot rank: {error} ({})", error.code()))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&JsonRank::new(&graph_csv, &rank))?
        );
    } else {
        print!("{}", render(&graph_csv, graph.n_edges(), args.alpha, &rank));
    }
    Ok(())
}

/// The JSON output; scores keyed by node id in bytewise order.
#[derive(Serialize)]
struct JsonRank<'a> {
    scores: BTreeMap<&'a str, f64>,
    iterations: u32,
}

impl<'a> JsonRank<'a> {
    fn new(graph: &'a GraphCsv, rank: &PageRank) -> Self {
        JsonRank {
            scores: graph
                .node_ids
                .iter()
                .map(String::as_str)
                .zip(rank.scores.iter().copied())
                .collect(),
            iterations: rank.iterations,
        }
    }
}

/// The readable result: a summary line, then one row per node, highest score first (ties
/// by id).
fn render(graph: &GraphCsv, n_edges: usize, alpha: f64, rank: &PageRank) -> String {
    use std::fmt::Write;
    let mut order: Vec<usize> = (0..graph.node_ids.len()).collect();
    order.sort_by(|&a, &b| {
        rank.scores[b]
            .total_cmp(&rank.scores[a])
            .then_with(|| graph.node_ids[a].cmp(&graph.node_ids[b]))
    });
    let width = order
        .iter()
        .map(|&i| graph.node_ids[i].chars().count())
        .max()
        .unwrap_or(0)
        .max("node".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "PageRank of {} nodes and {} edges (alpha {alpha}): converged in {} iterations",
        graph.node_ids.len(),
        n_edges,
        rank.iterations
    );
    let _ = writeln!(out, "{:>6}  {:<width$}  {:>12}", "rank", "node", "score");
    for (position, &node) in order.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>6}  {:<width$}  {:>12.10}",
            position + 1,
            graph.node_ids[node],
            rank.scores[node]
        );
    }
    out
}
