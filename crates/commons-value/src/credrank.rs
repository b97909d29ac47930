//! Contribution credit in the manner of SourceCred's CredRank: credit minted for each
//! contribution flows along a weighted graph to the people who authored it, the reviews
//! that checked it and the upstream commons it cites, and a lesser share flows back, so
//! that work which many contributions build on earns more than its own minting.
//!
//! The caller builds a [`CreditGraph`]: nodes with a [`NodeKind`], weighted edges (an
//! author's share of a contribution, a review's weight, a citation's weight) and the
//! credit *minted* for each contribution (its seed, computed elsewhere by the value
//! equation), all exact integers or ratios. [`CreditGraph::run`] then
//!
//! 1. adds, for every edge `u → v` of weight `w`, a back-flow edge `v → u` of weight
//!    `w · back_flow` (an eighth by default; zero adds none). Out-weights are normalised
//!    per node, so `back_flow` weighs a back-flow edge against the node's other out-edges
//!    (for a contribution that others cite, against its authors and its own citations); a
//!    node with back-flow edges only, such as a person, passes all its damped score back
//!    along them, as a dangling node would pass it to the seeds;
//! 2. runs [`pagerank`](crate::pagerank) with the minted credit, normalised, as the
//!    personalization (so teleports and dangling nodes return to contributions in
//!    proportion to their minting);
//! 3. splits `total_credit` (an integer the caller chooses) among all nodes in proportion
//!    to their scores with [`apportion`](crate::apportion()), so credit sums exactly to
//!    it;
//! 4. splits each node's integer credit among the edges it arrived by — `alpha · x[u] ·
//!    w_norm(u → v)` from each in-neighbour `u`, and the seed share `(alpha · dangling +
//!    1 − alpha) · p[v]` from its own minting — again with `apportion`, so a node's flows
//!    sum exactly to its credit.
//!
//! The flows are computed from the iterate the final scores were computed from, so each
//! node's flows are exactly the terms its score is the sum of.
//!
//! Determinism: nodes are numbered by id (bytewise order), whatever order they were added
//! in, so the same graph gives the same bits; every tie in an apportionment goes to the
//! smaller id (the seed share first). Scores are `f64`; they become integer weights by
//! scaling each set of values so that its largest is 2⁶² and rounding, which is exact
//! and the same everywhere.
//!
//! ```
//! use commons_value::credrank::{CreditGraph, CreditParams, FlowSource, NodeKind, Weight};
//!
//! let mut graph = CreditGraph::new();
//! graph.add_node("fix-parser", NodeKind::Contribution)?;
//! graph.add_node("ann", NodeKind::Person)?;
//! graph.add_node("bo", NodeKind::Person)?;
//! graph.add_node("libfoo", NodeKind::Upstream)?;
//! // Ann wrote two thirds, Bo one third; the fix builds on libfoo.
//! graph.add_edge("fix-parser", "ann", Weight::whole(2))?;
//! graph.add_edge("fix-parser", "bo", Weight::whole(1))?;
//! graph.add_edge("fix-parser", "libfoo", Weight::ratio(1, 2)?)?;
//! graph.seed("fix-parser", Weight::whole(30))?;
//!
//! let credit = graph.run(&CreditParams::new(1_000_000))?;
//! assert_eq!(credit.credits().iter().sum::<u64>(), 1_000_000);
//! assert!(credit.credit("ann") > credit.credit("bo"));
//! let into_ann = credit.flows_into("ann").unwrap();
//! assert_eq!(into_ann, [(FlowSource::Node("fix-parser"), credit.credit("ann").unwrap())]);
//! # Ok::<(), commons_value::credrank::CreditError>(())
//! ```

use crate::ID_BYTES_MAX;
use crate::apportion::{self, ApportionError};
use crate::pagerank::{self, Edge, Graph, PageRankError, PageRankParams};
use std::collections::{HashMap, HashSet};
use thiserror::Error;

/// Most nodes one credit graph takes: every node is a recipient of one apportionment.
pub const CREDIT_NODES_MAX: usize = apportion::RECIPIENTS_MAX;
/// Most edges one credit graph takes; with their back-flow edges they stay within
/// [`pagerank::EDGES_MAX`].
pub const CREDIT_EDGES_MAX: usize = pagerank::EDGES_MAX / 2;
/// The back-flow a run adds by default: an eighth of each edge's weight.
pub const BACK_FLOW_DEFAULT: Weight = Weight {
    numerator: 1,
    denominator: 8,
};

/// Scores become integer weights with their largest at this value.
const INTEGER_WEIGHT_MAX: f64 = (1_u64 << 62) as f64;

/// What a node of the credit graph stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// A piece of work: the node minted credit is seeded on.
    Contribution,
    /// Someone who authors contributions or reviews.
    Person,
    /// A review of a contribution, crediting its reviewer.
    Review,
    /// An upstream commons (a cited work, a dependency), credited for what it enabled.
    Upstream,
}

impl NodeKind {
    /// The kind's name in lower case.
    pub fn name(self) -> &'static str {
        match self {
            Self::Contribution => "contribution",
            Self::Person => "person",
            Self::Review => "review",
            Self::Upstream => "upstream",
        }
    }
}

/// A non-negative exact weight: a whole number or a ratio of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weight {
    numerator: u64,
    denominator: u64,
}

impl Weight {
    /// Zero.
    pub const ZERO: Self = Self::whole(0);

    /// The whole number `n`.
    pub const fn whole(n: u64) -> Self {
        Self {
            numerator: n,
            denominator: 1,
        }
    }

    /// `numerator / denominator`; the denominator must not be zero.
    pub fn ratio(numerator: u64, denominator: u64) -> Result<Self, CreditError> {
        if denominator == 0 {
            return Err(CreditError::ZeroDenominator { numerator });
        }
        Ok(Self {
            numerator,
            denominator,
        })
    }

    pub fn numerator(self) -> u64 {
        self.numerator
    }

    pub fn denominator(self) -> u64 {
        self.denominator
    }

    pub fn is_zero(self) -> bool {
        self.numerator == 0
    }

    /// The nearest `f64` to each part, divided (IEEE, so the same everywhere).
    fn to_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

impl From<u64> for Weight {
    fn from(n: u64) -> Self {
        Self::whole(n)
    }
}

/// Why a credit graph could not be built or run.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum CreditError {
    #[error("more than {max} nodes")]
    TooManyNodes { max: usize },
    #[error("more than {max} edges")]
    TooManyEdges { max: usize },
    #[error("a node id must be 1 to {max} bytes; `{id}` is {length}")]
    InvalidId {
        id: String,
        length: usize,
        max: usize,
    },
    #[error("node `{0}` is added twice")]
    DuplicateNode(String),
    #[error("no node `{0}`")]
    UnknownNode(String),
    #[error("the edge from `{source_id}` to `{target_id}` is added twice")]
    DuplicateEdge {
        source_id: String,
        target_id: String,
    },
    #[error("an edge from `{0}` to itself")]
    SelfEdge(String),
    #[error("node `{0}` is seeded twice")]
    DuplicateSeed(String),
    #[error("the ratio {numerator}/0 has a zero denominator")]
    ZeroDenominator { numerator: u64 },
    #[error("no credit is minted: every seed is zero or there are none")]
    NoSeed,
    #[error("{0}")]
    PageRank(#[from] PageRankError),
    #[error("{0}")]
    Apportion(#[from] ApportionError),
}

impl CreditError {
    /// The stable code of this error (a PageRank or apportion error keeps its own).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManyNodes { .. } => "credit_too_many_nodes",
            Self::TooManyEdges { .. } => "credit_too_many_edges",
            Self::InvalidId { .. } => "credit_invalid_id",
            Self::DuplicateNode(_) => "credit_duplicate_node",
            Self::UnknownNode(_) => "credit_unknown_node",
            Self::DuplicateEdge { .. } => "credit_duplicate_edge",
            Self::SelfEdge(_) => "credit_self_edge",
            Self::DuplicateSeed(_) => "credit_duplicate_seed",
            Self::ZeroDenominator { .. } => "credit_zero_denominator",
            Self::NoSeed => "credit_no_seed",
            Self::PageRank(error) => error.code(),
            Self::Apportion(error) => error.code(),
        }
    }
}

/// The parameters of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct CreditParams {
    /// The integer credit shared among the nodes (e.g. 10⁹ per interval).
    pub total_credit: u64,
    /// PageRank's damping (0.85).
    pub alpha: f64,
    /// PageRank's tolerance (1e-6 per node).
    pub tol: f64,
    /// PageRank's iteration limit (100).
    pub max_iter: u32,
    /// The weight of each back-flow edge relative to its edge ([`BACK_FLOW_DEFAULT`]).
    pub back_flow: Weight,
}

impl CreditParams {
    /// Shares `total_credit` with the default parameters.
    pub fn new(total_credit: u64) -> Self {
        let pagerank = PageRankParams::default();
        Self {
            total_credit,
            alpha: pagerank.alpha,
            tol: pagerank.tol,
            max_iter: pagerank.max_iter,
            back_flow: BACK_FLOW_DEFAULT,
        }
    }
}

/// A contribution graph under construction.
#[derive(Clone, Debug, Default)]
pub struct CreditGraph {
    ids: Vec<String>,
    kinds: Vec<NodeKind>,
    /// Looked up by id, never iterated.
    index: HashMap<String, u32>,
    /// (source, target, weight) by insertion index.
    edges: Vec<(u32, u32, Weight)>,
    /// (source, target) pairs already added; looked up, never iterated.
    edge_pairs: HashSet<(u32, u32)>,
    minted: Vec<Option<Weight>>,
}

impl CreditGraph {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty graph with room for `n_nodes` nodes and `n_edges` edges (capped at the
    /// limits), so that building a large one does not rehash as it grows.
    pub fn with_capacity(n_nodes: usize, n_edges: usize) -> Self {
        let (n_nodes, n_edges) = (n_nodes.min(CREDIT_NODES_MAX), n_edges.min(CREDIT_EDGES_MAX));
        Self {
            ids: Vec::with_capacity(n_nodes),
            kinds: Vec::with_capacity(n_nodes),
            index: HashMap::with_capacity(n_nodes),
            edges: Vec::with_capacity(n_edges),
            edge_pairs: HashSet::with_capacity(n_edges),
            minted: Vec::with_capacity(n_nodes),
        }
    }

    /// The number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.ids.len()
    }

    /// The number of edges (back-flow edges not counted).
    pub fn n_edges(&self) -> usize {
        self.edges.len()
    }

    /// Adds a node; its id (1 to [`ID_BYTES_MAX`] bytes) must be new.
    pub fn add_node(&mut self, id: impl Into<String>, kind: NodeKind) -> Result<(), CreditError> {
        let id = id.into();
        if id.is_empty() || id.len() > ID_BYTES_MAX {
            return Err(CreditError::InvalidId {
                length: id.len(),
                id,
                max: ID_BYTES_MAX,
            });
        }
        if self.ids.len() == CREDIT_NODES_MAX {
            return Err(CreditError::TooManyNodes {
                max: CREDIT_NODES_MAX,
            });
        }
        if self.index.contains_key(&id) {
            return Err(CreditError::DuplicateNode(id));
        }
        // Below CREDIT_NODES_MAX, so it fits u32.
        self.index.insert(id.clone(), self.ids.len() as u32);
        self.ids.push(id);
        self.kinds.push(kind);
        self.minted.push(None);
        Ok(())
    }

    /// Adds an edge along which credit flows from `source` to `target` in proportion to
    /// `weight` among `source`'s edges. Each ordered pair at most once; no self-loops.
    pub fn add_edge(
        &mut self,
        source: &str,
        target: &str,
        weight: Weight,
    ) -> Result<(), CreditError> {
        let from = self.node(source)?;
        let to = self.node(target)?;
        if from == to {
            return Err(CreditError::SelfEdge(source.to_owned()));
        }
        if self.edges.len() == CREDIT_EDGES_MAX {
            return Err(CreditError::TooManyEdges {
                max: CREDIT_EDGES_MAX,
            });
        }
        if !self.edge_pairs.insert((from, to)) {
            return Err(CreditError::DuplicateEdge {
                source_id: source.to_owned(),
                target_id: target.to_owned(),
            });
        }
        self.edges.push((from, to, weight));
        Ok(())
    }

    /// Seeds `node` with the credit `minted` for it, once per node.
    pub fn seed(&mut self, node: &str, minted: Weight) -> Result<(), CreditError> {
        let index = self.node(node)? as usize;
        if self.minted[index].replace(minted).is_some() {
            return Err(CreditError::DuplicateSeed(node.to_owned()));
        }
        Ok(())
    }

    /// Forgets every seed, so the same graph can be run for another set of mintings.
    pub fn clear_seeds(&mut self) {
        self.minted.fill(None);
    }

    fn node(&self, id: &str) -> Result<u32, CreditError> {
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| CreditError::UnknownNode(id.to_owned()))
    }

    /// The graph [`CreditGraph::run`] ranks, as `commons cred pagerank` and networkx read
    /// one: `(graph, seeds)`, the first `source,target,weight` rows (each edge, then, when
    /// `back_flow` is not zero, its back-flow edge reversed at `back_flow` of its weight;
    /// rows of the same pair add up), the second the seeds as `node,weight`
    /// personalization rows. Weights are written as the shortest decimals that read back
    /// as the same floats. PageRank of the first with the second as personalization (and
    /// dangling distribution) at `run`'s alpha gives `run`'s scores, to the order floats
    /// are summed in; `run` then shares the credit by them with [`apportion`], so an
    /// auditor recomputes a window's credit from these two files.
    pub fn to_csv(&self, back_flow: Weight) -> (String, String) {
        use crate::graph_csv::csv_field;
        use std::fmt::Write as _;
        let mut graph = String::from("source,target,weight\n");
        let factor = back_flow.to_f64();
        for &(source, target, weight) in &self.edges {
            let (source, target) = (
                csv_field(&self.ids[source as usize]),
                csv_field(&self.ids[target as usize]),
            );
            let weight = weight.to_f64();
            let _ = writeln!(graph, "{source},{target},{weight}");
            if !back_flow.is_zero() {
                let _ = writeln!(graph, "{target},{source},{}", weight * factor);
            }
        }
        let mut seeds = String::from("node,weight\n");
        for (id, minted) in self.ids.iter().zip(&self.minted) {
            if let Some(minted) = minted {
                let _ = writeln!(seeds, "{},{}", csv_field(id), minted.to_f64());
            }
        }
        (graph, seeds)
    }

    /// Ranks the graph and shares `params.total_credit` (see the module documentation).
    pub fn run(&self, params: &CreditParams) -> Result<Credit, CreditError> {
        let n = self.ids.len();
        // Number the nodes by id.
        let mut by_id: Vec<u32> = (0..n as u32).collect();
        by_id.sort_unstable_by(|&a, &b| self.ids[a as usize].cmp(&self.ids[b as usize]));
        let mut rank = vec![0_u32; n];
        for (position, &node) in by_id.iter().enumerate() {
            rank[node as usize] = position as u32;
        }

        let back_flow = params.back_flow.to_f64();
        let with_back_flow = !params.back_flow.is_zero();
        let mut edges = Vec::with_capacity(self.edges.len() * (1 + usize::from(with_back_flow)));
        for &(source, target, weight) in &self.edges {
            let (source, target, weight) = (
                rank[source as usize],
                rank[target as usize],
                weight.to_f64(),
            );
            edges.push(Edge {
                source,
                target,
                weight,
            });
            if with_back_flow {
                edges.push(Edge {
                    source: target,
                    target: source,
                    weight: weight * back_flow,
                });
            }
        }
        // A pair gets at most its own edge and the back-flow of its reverse: a sum of two
        // terms, the same in either order.
        let graph = Graph::from_edges(n, &edges)?;
        drop(edges);

        let mut personalization = vec![0.0; n];
        for (node, minted) in self.minted.iter().enumerate() {
            if let Some(minted) = minted {
                personalization[rank[node] as usize] = minted.to_f64();
            }
        }
        if !personalization.iter().any(|&p| p > 0.0) {
            return Err(CreditError::NoSeed);
        }
        let iterated = pagerank::power_iteration(
            &graph,
            &PageRankParams {
                alpha: params.alpha,
                tol: params.tol,
                max_iter: params.max_iter,
                personalization: Some(personalization),
                dangling: None,
                nstart: None,
            },
        )?;

        let recipients: Vec<(u32, u64)> = (0..n as u32)
            .zip(integer_weights(&iterated.scores))
            .collect();
        let credits = apportion::apportion(params.total_credit, &recipients)?;

        // Each node's flows: the seed share, then one per in-edge.
        let previous = &iterated.previous;
        let dangling_mass = graph
            .dangling_nodes()
            .iter()
            .fold(0.0_f64, |sum, &node| sum + previous[node as usize]);
        let seed_factor = params.alpha * dangling_mass + (1.0 - params.alpha);
        let mut seed_amounts = vec![0_u64; n];
        let mut edge_amounts = vec![0_u64; graph.n_edges()];
        let mut flows: Vec<f64> = Vec::new();
        let mut shares: Vec<(u64, u64)> = Vec::new();
        for target in 0..n {
            if credits[target] == 0 {
                continue;
            }
            flows.clear();
            flows.push(seed_factor * iterated.personalization[target]);
            flows.extend(
                graph
                    .in_edges(target as u32)
                    .map(|(source, weight)| params.alpha * previous[source as usize] * weight),
            );
            shares.clear();
            // The seed's id 0 ranks before every source (id source + 1).
            shares.push((0, 0));
            shares.extend(
                graph
                    .in_edges(target as u32)
                    .map(|(source, _)| (u64::from(source) + 1, 0)),
            );
            for (share, weight) in shares.iter_mut().zip(integer_weights(&flows)) {
                share.1 = weight;
            }
            let parts = apportion::apportion(credits[target], &shares)?;
            seed_amounts[target] = parts[0];
            edge_amounts[graph.in_range(target)].copy_from_slice(&parts[1..]);
        }

        let ids: Vec<String> = by_id
            .iter()
            .map(|&i| self.ids[i as usize].clone())
            .collect();
        let kinds = by_id.iter().map(|&i| self.kinds[i as usize]).collect();
        Ok(Credit {
            ids,
            kinds,
            scores: iterated.scores,
            credits,
            iterations: iterated.iterations,
            seeded: iterated.personalization.iter().map(|&p| p > 0.0).collect(),
            graph,
            seed_amounts,
            edge_amounts,
        })
    }
}

/// `values` as integer weights in the same proportions: scaled so the largest is 2⁶²,
/// then rounded. All zero when every value is zero.
fn integer_weights(values: &[f64]) -> impl Iterator<Item = u64> + '_ {
    let largest = values.iter().fold(0.0_f64, |m, &v| m.max(v));
    values.iter().map(move |&v| {
        if largest > 0.0 {
            // v / largest ≤ 1, so the product is at most 2⁶² and the cast exact.
            (v / largest * INTEGER_WEIGHT_MAX).round() as u64
        } else {
            0
        }
    })
}

/// Where some of a node's credit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlowSource<'a> {
    /// The credit minted for the node itself (teleports and redistributed dangling
    /// credit return to nodes in proportion to their minting).
    Seed,
    /// An in-neighbour, over its edge (or back-flow edge) to the node.
    Node(&'a str),
}

/// The result of a run: per node (ordered by id) its kind, score, integer credit and the
/// flows its credit arrived by.
#[derive(Clone, Debug)]
pub struct Credit {
    ids: Vec<String>,
    kinds: Vec<NodeKind>,
    scores: Vec<f64>,
    credits: Vec<u64>,
    iterations: u32,
    seeded: Vec<bool>,
    graph: Graph,
    seed_amounts: Vec<u64>,
    /// One per edge of `graph`, in its by-target order.
    edge_amounts: Vec<u64>,
}

impl Credit {
    /// The node ids, in bytewise order; the other slices follow it.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    pub fn kinds(&self) -> &[NodeKind] {
        &self.kinds
    }

    /// PageRank scores, summing to one.
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// Integer credit, summing to the total.
    pub fn credits(&self) -> &[u64] {
        &self.credits
    }

    /// PageRank iterations made.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.ids
            .binary_search_by(|probe| probe.as_str().cmp(id))
            .ok()
    }

    pub fn score(&self, id: &str) -> Option<f64> {
        self.position(id).map(|i| self.scores[i])
    }

    pub fn credit(&self, id: &str) -> Option<u64> {
        self.position(id).map(|i| self.credits[i])
    }

    pub fn kind(&self, id: &str) -> Option<NodeKind> {
        self.position(id).map(|i| self.kinds[i])
    }

    /// The credit of `node` by where it came from: its seed share (when it was seeded)
    /// and each in-edge, in-neighbours in id order; the amounts sum to its credit. `None`
    /// for an unknown node.
    pub fn flows_into(&self, node: &str) -> Option<Vec<(FlowSource<'_>, u64)>> {
        let target = self.position(node)?;
        let mut flows = Vec::new();
        if self.seeded[target] {
            flows.push((FlowSource::Seed, self.seed_amounts[target]));
        }
        for ((source, _), &amount) in self
            .graph
            .in_edges(target as u32)
            .zip(&self.edge_amounts[self.graph.in_range(target)])
        {
            flows.push((FlowSource::Node(&self.ids[source as usize]), amount));
        }
        Some(flows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Two contributions by Ann (alone) and by Ann and Bo (2:1), a review of the second by
    /// Cy, and a citation of upstream `libfoo` by both.
    fn small_commons() -> CreditGraph {
        let mut graph = CreditGraph::new();
        for (id, kind) in [
            ("c1", NodeKind::Contribution),
            ("c2", NodeKind::Contribution),
            ("ann", NodeKind::Person),
            ("bo", NodeKind::Person),
            ("cy", NodeKind::Person),
            ("r1", NodeKind::Review),
            ("libfoo", NodeKind::Upstream),
        ] {
            graph.add_node(id, kind).unwrap();
        }
        for (source, target, weight) in [
            ("c1", "ann", Weight::whole(1)),
            ("c2", "ann", Weight::whole(2)),
            ("c2", "bo", Weight::whole(1)),
            ("c2", "r1", Weight::ratio(1, 2).unwrap()),
            ("r1", "cy", Weight::whole(1)),
            ("c1", "libfoo", Weight::ratio(1, 4).unwrap()),
            ("c2", "libfoo", Weight::ratio(1, 4).unwrap()),
        ] {
            graph.add_edge(source, target, weight).unwrap();
        }
        graph.seed("c1", Weight::whole(10)).unwrap();
        graph.seed("c2", Weight::whole(30)).unwrap();
        graph
    }

    #[test]
    fn the_exported_csv_ranks_to_the_same_scores_through_the_pagerank_cli_path() {
        let graph = small_commons();
        let params = CreditParams::new(1_000_000);
        let credit = graph.run(&params).unwrap();
        let (edges, seeds) = graph.to_csv(params.back_flow);
        assert!(edges.starts_with("source,target,weight\nc1,ann,1\nann,c1,"));
        assert_eq!(seeds, "node,weight\nc1,10\nc2,30\n");
        let csv = crate::graph_csv::read_graph_csv(&edges).unwrap();
        let personalization = crate::graph_csv::read_personalization_csv(&seeds, &csv).unwrap();
        let rank = pagerank::pagerank(
            &csv.graph().unwrap(),
            &PageRankParams {
                alpha: params.alpha,
                personalization: Some(personalization),
                ..PageRankParams::default()
            },
        )
        .unwrap();
        assert_eq!(csv.node_ids.len(), credit.ids().len());
        for (id, score) in csv.node_ids.iter().zip(&rank.scores) {
            let expected = credit.score(id).unwrap();
            assert!(
                (score - expected).abs() < 1e-12,
                "{id}: {score} vs {expected}"
            );
        }
        // Without back-flow only the edges are written.
        let (edges, _) = graph.to_csv(Weight::ZERO);
        assert_eq!(edges.lines().count(), 1 + graph.n_edges());
    }

    #[test]
    fn credit_sums_to_the_total_and_each_nodes_flows_sum_to_its_credit() {
        let credit = small_commons()
            .run(&CreditParams::new(1_000_000_000))
            .unwrap();
        assert_eq!(credit.credits().iter().sum::<u64>(), 1_000_000_000);
        assert_eq!(
            credit.ids(),
            ["ann", "bo", "c1", "c2", "cy", "libfoo", "r1"]
        );
        for (id, &amount) in credit.ids().iter().zip(credit.credits()) {
            let flows = credit.flows_into(id).unwrap();
            assert_eq!(flows.iter().map(|(_, a)| a).sum::<u64>(), amount, "{id}");
        }
        assert!((credit.scores().iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // Ann authored more than Bo; the reviewer and the upstream get some.
        let of = |id| credit.credit(id).unwrap();
        assert!(of("ann") > of("bo"));
        assert!(of("cy") > 0 && of("libfoo") > 0);
        // Bo's credit comes from c2 only; c2's from its seed and the back-flows.
        assert_eq!(
            credit.flows_into("bo").unwrap(),
            [(FlowSource::Node("c2"), of("bo"))]
        );
        let into_c2 = credit.flows_into("c2").unwrap();
        assert_eq!(
            into_c2
                .iter()
                .map(|(source, _)| *source)
                .collect::<Vec<_>>(),
            [
                FlowSource::Seed,
                FlowSource::Node("ann"),
                FlowSource::Node("bo"),
                FlowSource::Node("libfoo"),
                FlowSource::Node("r1"),
            ]
        );
        assert!(into_c2.iter().all(|&(_, amount)| amount > 0));
        assert_eq!(credit.flows_into("nobody"), None);
        assert_eq!(credit.kind("libfoo"), Some(NodeKind::Upstream));
    }

    #[test]
    fn the_scores_are_pagerank_of_the_graph_with_back_flow_seeded_by_minting() {
        // Without back-flow a chain c -> p: p dangles, so its score returns to c.
        let mut graph = CreditGraph::new();
        graph.add_node("c", NodeKind::Contribution).unwrap();
        graph.add_node("p", NodeKind::Person).unwrap();
        graph.add_edge("c", "p", Weight::whole(1)).unwrap();
        graph.seed("c", Weight::whole(1)).unwrap();
        let params = CreditParams {
            back_flow: Weight::ZERO,
            tol: 1e-12,
            max_iter: 1_000,
            ..CreditParams::new(100)
        };
        let credit = graph.run(&params).unwrap();
        // The fixed point: x_p = a·x_c and x_c = a·x_p + (1 − a), so x_c = 1/(1 + a).
        let a = 0.85;
        assert!((credit.score("c").unwrap() - 1.0 / (1.0 + a)).abs() < 1e-9);
        assert_eq!(credit.credit("c"), Some(54));
        assert_eq!(credit.credit("p"), Some(46));
        // c's credit all arrives as its seed share (teleport and p's dangling mass).
        assert_eq!(credit.flows_into("c").unwrap(), [(FlowSource::Seed, 54)]);
    }

    #[test]
    fn building_errors_have_stable_codes() {
        let mut graph = small_commons();
        let code = |result: Result<(), CreditError>| result.unwrap_err().code();
        assert_eq!(
            code(graph.add_node("ann", NodeKind::Person)),
            "credit_duplicate_node"
        );
        assert_eq!(
            code(graph.add_node("", NodeKind::Person)),
            "credit_invalid_id"
        );
        assert_eq!(
            code(graph.add_node("x".repeat(ID_BYTES_MAX + 1), NodeKind::Person)),
            "credit_invalid_id"
        );
        assert_eq!(
            code(graph.add_edge("c1", "ann", Weight::whole(1))),
            "credit_duplicate_edge"
        );
        assert_eq!(
            code(graph.add_edge("c1", "c1", Weight::whole(1))),
            "credit_self_edge"
        );
        assert_eq!(
            code(graph.add_edge("c1", "zed", Weight::whole(1))),
            "credit_unknown_node"
        );
        assert_eq!(
            code(graph.seed("c1", Weight::whole(1))),
            "credit_duplicate_seed"
        );
        assert_eq!(
            Weight::ratio(1, 0).unwrap_err().code(),
            "credit_zero_denominator"
        );

        let mut unseeded = CreditGraph::new();
        unseeded.add_node("a", NodeKind::Contribution).unwrap();
        unseeded.seed("a", Weight::ZERO).unwrap();
        let error = unseeded.run(&CreditParams::new(10)).unwrap_err();
        assert_eq!(error.code(), "credit_no_seed");

        let params = CreditParams {
            max_iter: 1,
            ..CreditParams::new(10)
        };
        let error = small_commons().run(&params).unwrap_err();
        assert_eq!(error.code(), "pagerank_failed_convergence");
    }

    #[test]
    fn a_zero_total_gives_everyone_zero() {
        let credit = small_commons().run(&CreditParams::new(0)).unwrap();
        assert!(credit.credits().iter().all(|&c| c == 0));
        assert!(
            credit
                .flows_into("ann")
                .unwrap()
                .iter()
                .all(|&(_, amount)| amount == 0)
        );
    }

    /// A random graph: node i has kind i % 4, edges (s, t, w) between distinct nodes.
    fn random_graph(
        n: usize,
        edges: &[(usize, usize, u64)],
        seeds: &[(usize, u64)],
        order: &[usize],
        reverse_edges: bool,
    ) -> CreditGraph {
        let kinds = [
            NodeKind::Contribution,
            NodeKind::Person,
            NodeKind::Review,
            NodeKind::Upstream,
        ];
        let mut graph = CreditGraph::new();
        for &i in order {
            graph.add_node(format!("n{i}"), kinds[i % 4]).unwrap();
        }
        // The first edge of each pair, then in the given order or reversed.
        let mut seen = HashSet::new();
        let mut distinct: Vec<(usize, usize, u64)> = edges
            .iter()
            .map(|&(s, t, w)| (s % n, t % n, w))
            .filter(|&(s, t, _)| s != t && seen.insert((s, t)))
            .collect();
        if reverse_edges {
            distinct.reverse();
        }
        for (s, t, w) in distinct {
            graph
                .add_edge(&format!("n{s}"), &format!("n{t}"), Weight::whole(w))
                .unwrap();
        }
        let mut seeded = HashSet::new();
        for &(node, minted) in seeds {
            if seeded.insert(node % n) {
                graph
                    .seed(&format!("n{}", node % n), Weight::ratio(minted, 3).unwrap())
                    .unwrap();
            }
        }
        graph
    }

    proptest! {
        #[test]
        fn credit_and_flows_sum_exactly_and_do_not_depend_on_insertion_order(
            n in 1usize..25,
            edges in proptest::collection::vec((0usize..25, 0usize..25, 0u64..5), 0..80),
            seeds in proptest::collection::vec((0usize..25, 1u64..100), 1..6),
            total in 0u64..=u64::MAX,
            rotate in 0usize..25,
        ) {
            let order: Vec<usize> = (0..n).collect();
            let mut rotated = order.clone();
            rotated.rotate_left(rotate % n);
            let params = CreditParams { max_iter: 10_000, ..CreditParams::new(total) };
            let credit = random_graph(n, &edges, &seeds, &order, false).run(&params).unwrap();
            prop_assert_eq!(
                credit.credits().iter().map(|&c| u128::from(c)).sum::<u128>(),
                u128::from(total)
            );
            for (id, &amount) in credit.ids().iter().zip(credit.credits()) {
                let flows = credit.flows_into(id).unwrap();
                prop_assert_eq!(flows.iter().map(|(_, a)| u128::from(*a)).sum::<u128>(), u128::from(amount));
            }
            let again = random_graph(n, &edges, &seeds, &rotated, true).run(&params).unwrap();
            prop_assert_eq!(credit.scores(), again.scores());
            prop_assert_eq!(credit.credits(), again.credits());
            for id in credit.ids() {
                prop_assert_eq!(credit.flows_into(id), again.flows_into(id));
            }
        }
    }
}
