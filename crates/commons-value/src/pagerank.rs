//! Weighted PageRank by power iteration, with the semantics of networkx's `pagerank`
//! (networkx 3.x, `_pagerank_scipy`), so that a published networkx result is a test vector.
//!
//! The graph is directed and weighted. Parallel edges (the same source and target given
//! more than once) are one edge whose weight is the sum of theirs, added in the order
//! given; a self-loop is an ordinary edge. Each node's out-weights are normalised to sum
//! to one (the row-stochastic matrix `A`); a node whose out-weights sum to zero is
//! *dangling*. With damping `alpha`, personalization `p` (normalised to sum to one; by
//! default uniform) and dangling weights `d` (normalised; by default `p`), each iteration
//! computes
//!
//! ```text
//! x = alpha * (x @ A + sum(x[dangling]) * d) + (1 - alpha) * p
//! ```
//!
//! from a uniform start (or `nstart`, normalised), and stops when `sum(|x - xlast|) <
//! n_nodes * tol`, returning `x` and the number of iterations made; after `max_iter`
//! iterations without converging it fails with
//! [`PageRankError::PowerIterationFailedConvergence`].
//!
//! Nodes are the integers `0..n_nodes` and every vector is indexed by them; callers with
//! named nodes choose the numbering (the CSV reader numbers them by first appearance, as
//! networkx numbers the nodes of a graph built from the same rows). Unlike networkx,
//! personalization, dangling and start values must be finite and non-negative, and a
//! vector summing to zero is an error rather than a division by zero.
//!
//! The result is deterministic: the same graph gives the same bits on every machine,
//! because every sum is taken in a fixed order by one thread. The matrix is stored by
//! target (each node's in-edges, sources ascending, weights already normalised), so an
//! iteration pulls each new score in one pass with no allocation. The floating-point
//! operations are those networkx performs, in the order it performs them, except the sums
//! numpy takes (out-weights, the vectors' totals, the convergence test), which it adds
//! pairwise and this module left to right: with whole-number weights those sums are exact
//! either way and the scores equal networkx's to the bit; otherwise they agree to the last
//! few bits. PageRank scores are not money:
//! credit is quantised to integers (see `credrank`) before any money is computed.

use thiserror::Error;

/// Most nodes one graph takes (indexes must also fit `u32`).
pub const NODES_MAX: usize = 10_000_000;
/// Most edges one graph takes, counting parallel edges before they are merged.
pub const EDGES_MAX: usize = 100_000_000;
/// Most iterations a run may be allowed.
pub const ITERATIONS_MAX: u32 = 100_000;

/// One weighted edge from `source` to `target` (node indexes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    pub source: u32,
    pub target: u32,
    /// Finite and non-negative.
    pub weight: f64,
}

/// A vector of per-node values a run can be given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vector {
    Personalization,
    Dangling,
    Nstart,
}

impl std::fmt::Display for Vector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Personalization => "personalization",
            Self::Dangling => "dangling",
            Self::Nstart => "nstart",
        })
    }
}

/// Why a graph could not be built or ranked.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum PageRankError {
    /// More nodes than [`NODES_MAX`].
    #[error("{count} nodes is more than the {max} a graph takes")]
    TooManyNodes { count: usize, max: usize },
    /// More edges than [`EDGES_MAX`].
    #[error("{count} edges is more than the {max} a graph takes")]
    TooManyEdges { count: usize, max: usize },
    /// An edge names a node outside `0..n_nodes`.
    #[error("edge {edge_index} names node {node}, but the graph has {n_nodes} nodes")]
    NodeOutOfRange {
        edge_index: usize,
        node: u32,
        n_nodes: usize,
    },
    /// An edge weight is negative, infinite or not a number.
    #[error("edge {edge_index} has weight {weight}; a weight must be finite and non-negative")]
    InvalidWeight { edge_index: usize, weight: f64 },
    /// A node's out-weights sum to infinity, or to so little that their reciprocal is
    /// infinite.
    #[error("the out-weights of node {node} sum to {sum}, which cannot be normalised")]
    OutWeightOutOfRange { node: u32, sum: f64 },
    /// The damping factor is not in `0..=1`.
    #[error("alpha {0} is not between 0 and 1")]
    InvalidAlpha(f64),
    /// The tolerance is negative or not finite.
    #[error("tol {0} is not a finite non-negative number")]
    InvalidTolerance(f64),
    /// More iterations allowed than [`ITERATIONS_MAX`].
    #[error("max_iter {max_iter} is more than the {max} a run may make")]
    TooManyIterations { max_iter: u32, max: u32 },
    /// A vector's length is not the number of nodes.
    #[error("the {vector} vector has {length} values for {n_nodes} nodes")]
    VectorLength {
        vector: Vector,
        length: usize,
        n_nodes: usize,
    },
    /// A vector value is negative, infinite or not a number.
    #[error("the {vector} value of node {node} is {value}; it must be finite and non-negative")]
    InvalidVectorValue {
        vector: Vector,
        node: usize,
        value: f64,
    },
    /// A vector sums to zero (or to infinity), so it cannot be normalised.
    #[error("the {vector} vector sums to {sum}, so it cannot be normalised")]
    ZeroVector { vector: Vector, sum: f64 },
    /// The iteration had not converged after `max_iter` iterations.
    #[error("power iteration failed to converge in {max_iter} iterations")]
    PowerIterationFailedConvergence { max_iter: u32 },
}

impl PageRankError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManyNodes { .. } => "pagerank_too_many_nodes",
            Self::TooManyEdges { .. } => "pagerank_too_many_edges",
            Self::NodeOutOfRange { .. } => "pagerank_node_out_of_range",
            Self::InvalidWeight { .. } => "pagerank_invalid_weight",
            Self::OutWeightOutOfRange { .. } => "pagerank_out_weight_range",
            Self::InvalidAlpha(_) => "pagerank_invalid_alpha",
            Self::InvalidTolerance(_) => "pagerank_invalid_tol",
            Self::TooManyIterations { .. } => "pagerank_too_many_iterations",
            Self::VectorLength { .. } => "pagerank_vector_length",
            Self::InvalidVectorValue { .. } => "pagerank_invalid_vector_value",
            Self::ZeroVector { .. } => "pagerank_zero_vector",
            Self::PowerIterationFailedConvergence { .. } => "pagerank_failed_convergence",
        }
    }
}

/// A graph ready to rank: the row-normalised matrix stored by target.
#[derive(Clone, Debug)]
pub struct Graph {
    n_nodes: usize,
    /// The in-edges of node `t` are `in_offsets[t]..in_offsets[t + 1]`.
    in_offsets: Vec<usize>,
    /// Sources, ascending within each target.
    in_sources: Vec<u32>,
    /// `weight * (1 / out_weight(source))`, as networkx computes `Q @ A`.
    in_weights: Vec<f64>,
    /// Nodes whose out-weights sum to zero, ascending.
    dangling: Vec<u32>,
}

impl Graph {
    /// Builds the graph of `n_nodes` nodes and `edges`, merging parallel edges by adding
    /// their weights in the order given.
    pub fn from_edges(n_nodes: usize, edges: &[Edge]) -> Result<Self, PageRankError> {
        if n_nodes > NODES_MAX {
            return Err(PageRankError::TooManyNodes {
                count: n_nodes,
                max: NODES_MAX,
            });
        }
        if edges.len() > EDGES_MAX {
            return Err(PageRankError::TooManyEdges {
                count: edges.len(),
                max: EDGES_MAX,
            });
        }
        for (edge_index, edge) in edges.iter().enumerate() {
            for node in [edge.source, edge.target] {
                if node as usize >= n_nodes {
                    return Err(PageRankError::NodeOutOfRange {
                        edge_index,
                        node,
                        n_nodes,
                    });
                }
            }
            if !(edge.weight.is_finite() && edge.weight >= 0.0) {
                return Err(PageRankError::InvalidWeight {
                    edge_index,
                    weight: edge.weight,
                });
            }
        }

        // Store by target with one stable counting sort: each target's in-edges in the
        // order given.
        let mut in_offsets = vec![0_usize; n_nodes + 1];
        for edge in edges {
            in_offsets[edge.target as usize + 1] += 1;
        }
        for node in 0..n_nodes {
            in_offsets[node + 1] += in_offsets[node];
        }
        let mut slots: Vec<(u32, f64)> = vec![(0, 0.0); edges.len()];
        {
            let mut next = in_offsets.clone();
            for edge in edges {
                let slot = &mut next[edge.target as usize];
                slots[*slot] = (edge.source, edge.weight);
                *slot += 1;
            }
        }

        // Order each target's sources (stably) and merge parallel edges, adding their
        // weights in the order given; compact in place.
        let mut written = 0;
        let mut read_start = 0;
        for target in 0..n_nodes {
            let read_end = in_offsets[target + 1];
            let segment = &mut slots[read_start..read_end];
            if !segment.is_sorted_by_key(|&(source, _)| source) {
                segment.sort_by_key(|&(source, _)| source);
            }
            in_offsets[target] = written;
            for read in read_start..read_end {
                let (source, weight) = slots[read];
                if written > in_offsets[target] && slots[written - 1].0 == source {
                    slots[written - 1].1 += weight;
                } else {
                    slots[written] = (source, weight);
                    written += 1;
                }
            }
            read_start = read_end;
        }
        in_offsets[n_nodes] = written;
        slots.truncate(written);

        // Out-weights: visiting targets in ascending order adds each source's weights in
        // the order of its row in networkx's matrix.
        let mut out_weight = vec![0.0_f64; n_nodes];
        for &(source, weight) in &slots {
            out_weight[source as usize] += weight;
        }
        let mut reciprocal = out_weight;
        let mut dangling = Vec::new();
        for (node, value) in reciprocal.iter_mut().enumerate() {
            let sum = *value;
            if sum == 0.0 {
                // node < n_nodes ≤ NODES_MAX < u32::MAX.
                dangling.push(node as u32);
                continue;
            }
            *value = 1.0 / sum;
            if !sum.is_finite() || !value.is_finite() {
                return Err(PageRankError::OutWeightOutOfRange {
                    node: node as u32,
                    sum,
                });
            }
        }
        // networkx normalises by multiplying with the reciprocal (`Q @ A`), not dividing.
        let in_sources: Vec<u32> = slots.iter().map(|&(source, _)| source).collect();
        let in_weights: Vec<f64> = slots
            .iter()
            .map(|&(source, weight)| weight * reciprocal[source as usize])
            .collect();
        Ok(Self {
            n_nodes,
            in_offsets,
            in_sources,
            in_weights,
            dangling,
        })
    }

    /// The number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.n_nodes
    }

    /// The number of edges, parallel edges merged.
    pub fn n_edges(&self) -> usize {
        self.in_sources.len()
    }

    /// The edges into `target` as (source, normalised weight), sources ascending.
    pub fn in_edges(&self, target: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        let range = self.in_range(target as usize);
        self.in_sources[range.clone()]
            .iter()
            .copied()
            .zip(self.in_weights[range].iter().copied())
    }

    /// The positions of the edges into `target` among all edges ordered by target, then
    /// source: a caller can keep one value per edge in a vector of [`Graph::n_edges`].
    pub fn in_range(&self, target: usize) -> std::ops::Range<usize> {
        self.in_offsets[target]..self.in_offsets[target + 1]
    }

    /// The dangling nodes (out-weights summing to zero), ascending.
    pub fn dangling_nodes(&self) -> &[u32] {
        &self.dangling
    }
}

/// The parameters of a run, networkx's defaults by [`Default`].
#[derive(Clone, Debug, PartialEq)]
pub struct PageRankParams {
    /// Damping: the probability of following an edge rather than teleporting (0.85).
    pub alpha: f64,
    /// Convergence when the L1 change of an iteration is below `n_nodes * tol` (1e-6).
    pub tol: f64,
    /// Iterations before giving up (100).
    pub max_iter: u32,
    /// Teleport weights per node, normalised; uniform when absent.
    pub personalization: Option<Vec<f64>>,
    /// Where dangling nodes' scores go, normalised; the personalization when absent.
    pub dangling: Option<Vec<f64>>,
    /// The start vector, normalised; uniform when absent.
    pub nstart: Option<Vec<f64>>,
}

impl Default for PageRankParams {
    fn default() -> Self {
        Self {
            alpha: 0.85,
            tol: 1.0e-6,
            max_iter: 100,
            personalization: None,
            dangling: None,
            nstart: None,
        }
    }
}

/// The scores of a converged run.
#[derive(Clone, Debug, PartialEq)]
pub struct PageRank {
    /// One score per node; they sum to one (up to rounding).
    pub scores: Vec<f64>,
    /// Iterations made, the converging one included.
    pub iterations: u32,
}

/// Ranks the nodes of `graph`.
pub fn pagerank(graph: &Graph, params: &PageRankParams) -> Result<PageRank, PageRankError> {
    let run = power_iteration(graph, params)?;
    Ok(PageRank {
        scores: run.scores,
        iterations: run.iterations,
    })
}

/// A converged run with the iterate before the last, from which the last was computed:
/// `credrank` splits each score into the flows that made it.
pub(crate) struct Iterated {
    pub scores: Vec<f64>,
    pub previous: Vec<f64>,
    pub iterations: u32,
    /// The normalised personalization.
    pub personalization: Vec<f64>,
}

pub(crate) fn power_iteration(
    graph: &Graph,
    params: &PageRankParams,
) -> Result<Iterated, PageRankError> {
    let alpha = params.alpha;
    if !(0.0..=1.0).contains(&alpha) {
        return Err(PageRankError::InvalidAlpha(alpha));
    }
    if !(params.tol.is_finite() && params.tol >= 0.0) {
        return Err(PageRankError::InvalidTolerance(params.tol));
    }
    if params.max_iter > ITERATIONS_MAX {
        return Err(PageRankError::TooManyIterations {
            max_iter: params.max_iter,
            max: ITERATIONS_MAX,
        });
    }
    let n = graph.n_nodes;
    if n == 0 {
        return Ok(Iterated {
            scores: Vec::new(),
            previous: Vec::new(),
            iterations: 0,
            personalization: Vec::new(),
        });
    }
    let uniform = || vec![1.0 / n as f64; n];
    let mut x = match &params.nstart {
        Some(values) => normalised(values, Vector::Nstart, n)?,
        None => uniform(),
    };
    let p = match &params.personalization {
        Some(values) => normalised(values, Vector::Personalization, n)?,
        None => uniform(),
    };
    let dangling_weights = match &params.dangling {
        Some(values) => normalised(values, Vector::Dangling, n)?,
        None => p.clone(),
    };
    let teleport = 1.0 - alpha;
    let threshold = n as f64 * params.tol;
    let mut next = vec![0.0_f64; n];
    for iteration in 1..=params.max_iter {
        // Python's sum over x[is_dangling]: left to right from zero.
        let dangling_mass = graph
            .dangling
            .iter()
            .fold(0.0_f64, |sum, &node| sum + x[node as usize]);
        let mut change = 0.0_f64;
        for (target, ((new, &old), (&personal, &dangling_weight))) in next
            .iter_mut()
            .zip(&x)
            .zip(p.iter().zip(&dangling_weights))
            .enumerate()
        {
            let range = graph.in_offsets[target]..graph.in_offsets[target + 1];
            let mut pulled = 0.0_f64;
            for (&source, &weight) in graph.in_sources[range.clone()]
                .iter()
                .zip(&graph.in_weights[range])
            {
                pulled += x[source as usize] * weight;
            }
            *new = alpha * (pulled + dangling_mass * dangling_weight) + teleport * personal;
            change += (*new - old).abs();
        }
        std::mem::swap(&mut x, &mut next);
        if change < threshold {
            return Ok(Iterated {
                scores: x,
                previous: next,
                iterations: iteration,
                personalization: p,
            });
        }
    }
    Err(PageRankError::PowerIterationFailedConvergence {
        max_iter: params.max_iter,
    })
}

/// `values / sum(values)`, after checking them.
fn normalised(values: &[f64], vector: Vector, n_nodes: usize) -> Result<Vec<f64>, PageRankError> {
    if values.len() != n_nodes {
        return Err(PageRankError::VectorLength {
            vector,
            length: values.len(),
            n_nodes,
        });
    }
    if let Some((node, &value)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        return Err(PageRankError::InvalidVectorValue {
            vector,
            node,
            value,
        });
    }
    let sum = values.iter().fold(0.0_f64, |sum, &v| sum + v);
    if !(sum > 0.0 && sum.is_finite()) {
        return Err(PageRankError::ZeroVector { vector, sum });
    }
    Ok(values.iter().map(|&v| v / sum).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// networkx's test graph (test_pagerank.py, after Langville and Meyer): nodes 1 to 6
    /// as indexes 0 to 5, in the order networkx's `list(G)` gives them.
    fn langville_meyer() -> (Vec<u32>, Graph) {
        let labels = [1, 2, 3, 5, 4, 6];
        let pairs = [
            (1, 2),
            (1, 3),
            (3, 1),
            (3, 2),
            (3, 5),
            (4, 5),
            (4, 6),
            (5, 4),
            (5, 6),
            (6, 4),
        ];
        let index = |label: u32| labels.iter().position(|&l| l == label).unwrap() as u32;
        let edges: Vec<Edge> = pairs
            .iter()
            .map(|&(s, t)| Edge {
                source: index(s),
                target: index(t),
                weight: 1.0,
            })
            .collect();
        (labels.to_vec(), Graph::from_edges(6, &edges).unwrap())
    }

    /// Scores by label, for comparing with networkx's dicts.
    fn by_label(labels: &[u32], scores: &[f64]) -> Vec<(u32, f64)> {
        let mut pairs: Vec<(u32, f64)> =
            labels.iter().copied().zip(scores.iter().copied()).collect();
        pairs.sort_by_key(|&(label, _)| label);
        pairs
    }

    fn check(actual: &[(u32, f64)], expected: &[(u32, f64)], within: f64) {
        assert_eq!(actual.len(), expected.len());
        for ((label, a), (expected_label, e)) in actual.iter().zip(expected) {
            assert_eq!(label, expected_label);
            assert!((a - e).abs() <= within, "node {label}: {a} vs {e}");
        }
    }

    const LANGVILLE_MEYER_ALPHA_09: [(u32, f64); 6] = [
        (1, 0.03721197),
        (2, 0.05395735),
        (3, 0.04150565),
        (4, 0.37508082),
        (5, 0.20599833),
        (6, 0.28624589),
    ];

    #[test]
    fn the_networkx_test_graph_ranks_as_published() {
        let (labels, graph) = langville_meyer();
        let params = PageRankParams {
            alpha: 0.9,
            tol: 1.0e-8,
            ..PageRankParams::default()
        };
        let rank = pagerank(&graph, &params).unwrap();
        check(
            &by_label(&labels, &rank.scores),
            &LANGVILLE_MEYER_ALPHA_09,
            1e-6,
        );
        assert!(rank.iterations > 1 && rank.iterations <= 100);
        assert!((rank.scores.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_networkx_test_graph_ranks_to_the_bit_as_networkx_computes() {
        // networkx 3.4.2 (scipy 1.15.3), pagerank(G, alpha=0.9, tol=1e-8), printed with
        // repr: the same operations in the same order give the same bits.
        let (labels, graph) = langville_meyer();
        let params = PageRankParams {
            alpha: 0.9,
            tol: 1.0e-8,
            ..PageRankParams::default()
        };
        let rank = pagerank(&graph, &params).unwrap();
        assert_eq!(
            by_label(&labels, &rank.scores),
            [
                (1, 0.03721197337932639),
                (2, 0.053957363787491906),
                (3, 0.04150566302577845),
                (4, 0.37508079842876135),
                (5, 0.20599832787380884),
                (6, 0.2862458735048331),
            ]
        );
    }

    #[test]
    fn any_start_vector_converges_to_the_same_ranks() {
        let (labels, graph) = langville_meyer();
        let params = PageRankParams {
            alpha: 0.9,
            tol: 1.0e-8,
            nstart: Some(vec![0.9, 0.1, 0.3, 0.0, 0.5, 0.7]),
            ..PageRankParams::default()
        };
        let rank = pagerank(&graph, &params).unwrap();
        check(
            &by_label(&labels, &rank.scores),
            &LANGVILLE_MEYER_ALPHA_09,
            1e-6,
        );
    }

    #[test]
    fn dangling_mass_follows_the_dangling_vector_as_published() {
        // networkx's dangling_edges {1: 2, 2: 3, 3: 0, 4: 0, 5: 0, 6: 0} at the defaults;
        // the published values are given to 1e-8, so compare them with a converged run.
        let (labels, graph) = langville_meyer();
        let weight_of = |label: u32| match label {
            1 => 2.0,
            2 => 3.0,
            _ => 0.0,
        };
        let params = PageRankParams {
            tol: 1.0e-10,
            max_iter: 1_000,
            dangling: Some(labels.iter().map(|&l| weight_of(l)).collect()),
            ..PageRankParams::default()
        };
        let rank = pagerank(&graph, &params).unwrap();
        check(
            &by_label(&labels, &rank.scores),
            &[
                (1, 0.10844518),
                (2, 0.18618601),
                (3, 0.0710892),
                (4, 0.2683668),
                (5, 0.15919783),
                (6, 0.20671497),
            ],
            1e-6,
        );
        // At networkx's default tolerance the answer is within the test's own 1e-4.
        let params = PageRankParams {
            dangling: params.dangling.clone(),
            ..PageRankParams::default()
        };
        let rank = pagerank(&graph, &params).unwrap();
        assert!((rank.scores[0] - 0.10844518).abs() < 1e-4);
    }

    /// networkx's `complete_graph(4)`: every ordered pair of distinct nodes.
    fn complete_graph_4() -> Graph {
        let mut edges = Vec::new();
        for source in 0..4 {
            for target in 0..4 {
                if source != target {
                    edges.push(Edge {
                        source,
                        target,
                        weight: 1.0,
                    });
                }
            }
        }
        Graph::from_edges(4, &edges).unwrap()
    }

    #[test]
    fn personalization_weights_the_teleport_as_published() {
        let params = PageRankParams {
            personalization: Some(vec![1.0, 1.0, 4.0, 4.0]),
            ..PageRankParams::default()
        };
        let rank = pagerank(&complete_graph_4(), &params).unwrap();
        let expected = [
            0.23246732615667579,
            0.23246732615667579,
            0.267532673843324,
            0.2675326738433241,
        ];
        for (score, expected) in rank.scores.iter().zip(expected) {
            assert!((score - expected).abs() <= 1e-6, "{score} vs {expected}");
        }
    }

    #[test]
    fn one_nonzero_personalization_value_as_published() {
        // Also networkx's incomplete personalization {3: 1}: missing nodes weigh zero.
        let params = PageRankParams {
            personalization: Some(vec![0.0, 0.0, 0.0, 1.0]),
            ..PageRankParams::default()
        };
        let rank = pagerank(&complete_graph_4(), &params).unwrap();
        let expected = [
            0.22077931820379187,
            0.22077931820379187,
            0.22077931820379187,
            0.3376620453886241,
        ];
        for (score, expected) in rank.scores.iter().zip(expected) {
            assert!((score - expected).abs() <= 1e-6, "{score} vs {expected}");
        }
    }

    #[test]
    fn a_zero_personalization_vector_is_refused() {
        let params = PageRankParams {
            personalization: Some(vec![0.0; 4]),
            ..PageRankParams::default()
        };
        let error = pagerank(&complete_graph_4(), &params).unwrap_err();
        assert_eq!(error.code(), "pagerank_zero_vector");
        assert_eq!(
            error.to_string(),
            "the personalization vector sums to 0, so it cannot be normalised"
        );
    }

    #[test]
    fn no_iterations_allowed_fails_to_converge() {
        let (_, graph) = langville_meyer();
        let params = PageRankParams {
            max_iter: 0,
            ..PageRankParams::default()
        };
        let error = pagerank(&graph, &params).unwrap_err();
        assert_eq!(
            error,
            PageRankError::PowerIterationFailedConvergence { max_iter: 0 }
        );
        assert_eq!(error.code(), "pagerank_failed_convergence");
    }

    #[test]
    fn parallel_edges_are_summed_like_a_multigraph() {
        // networkx's test_multigraph: the undirected multigraph 1-2 (×3), 2-3 (×2),
        // "3"-3 (×2), as directed edges both ways; nodes 1, 2, 3, "3" are 0, 1, 2, 3.
        let mut edges = Vec::new();
        for (a, b, times) in [(0, 1, 3), (1, 2, 2), (3, 2, 2)] {
            for _ in 0..times {
                edges.push(Edge {
                    source: a,
                    target: b,
                    weight: 1.0,
                });
                edges.push(Edge {
                    source: b,
                    target: a,
                    weight: 1.0,
                });
            }
        }
        let graph = Graph::from_edges(4, &edges).unwrap();
        assert_eq!(graph.n_edges(), 6);
        let rank = pagerank(&graph, &PageRankParams::default()).unwrap();
        let expected = [
            0.21066048614468322,
            0.3395308825985378,
            0.28933951385531687,
            0.16046911740146227,
        ];
        for (score, expected) in rank.scores.iter().zip(expected) {
            assert!((score - expected).abs() <= 1e-6, "{score} vs {expected}");
        }
    }

    #[test]
    fn an_empty_graph_has_no_scores() {
        let graph = Graph::from_edges(0, &[]).unwrap();
        let rank = pagerank(&graph, &PageRankParams::default()).unwrap();
        assert!(rank.scores.is_empty());
        assert_eq!(rank.iterations, 0);
    }

    #[test]
    fn bad_edges_and_parameters_are_refused_with_their_codes() {
        let edge = |source, target, weight| Edge {
            source,
            target,
            weight,
        };
        let code = |result: Result<Graph, PageRankError>| result.unwrap_err().code();
        assert_eq!(
            code(Graph::from_edges(2, &[edge(0, 2, 1.0)])),
            "pagerank_node_out_of_range"
        );
        for weight in [-1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                code(Graph::from_edges(2, &[edge(0, 1, weight)])),
                "pagerank_invalid_weight"
            );
        }
        assert_eq!(
            code(Graph::from_edges(
                2,
                &[edge(0, 1, f64::MAX), edge(0, 0, f64::MAX)]
            )),
            "pagerank_out_weight_range"
        );
        assert_eq!(
            code(Graph::from_edges(NODES_MAX + 1, &[])),
            "pagerank_too_many_nodes"
        );
        let graph = Graph::from_edges(2, &[edge(0, 1, 1.0)]).unwrap();
        let run = |params: PageRankParams| pagerank(&graph, &params).unwrap_err().code();
        let defaults = PageRankParams::default;
        assert_eq!(
            run(PageRankParams {
                alpha: 1.5,
                ..defaults()
            }),
            "pagerank_invalid_alpha"
        );
        assert_eq!(
            run(PageRankParams {
                tol: f64::NAN,
                ..defaults()
            }),
            "pagerank_invalid_tol"
        );
        assert_eq!(
            run(PageRankParams {
                max_iter: ITERATIONS_MAX + 1,
                ..defaults()
            }),
            "pagerank_too_many_iterations"
        );
        assert_eq!(
            run(PageRankParams {
                personalization: Some(vec![1.0]),
                ..defaults()
            }),
            "pagerank_vector_length"
        );
        assert_eq!(
            run(PageRankParams {
                dangling: Some(vec![1.0, -1.0]),
                ..defaults()
            }),
            "pagerank_invalid_vector_value"
        );
        assert_eq!(
            run(PageRankParams {
                nstart: Some(vec![0.0, 0.0]),
                ..defaults()
            }),
            "pagerank_zero_vector"
        );
    }

    /// A seeded random graph of `n` nodes (for the laws below).
    fn random_edges(n: u32, pairs: &[(u32, u32, u8)]) -> Vec<Edge> {
        pairs
            .iter()
            .map(|&(s, t, w)| Edge {
                source: s % n,
                target: t % n,
                weight: f64::from(w),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn scores_sum_to_one_and_do_not_depend_on_the_order_of_edges(
            n in 1u32..30,
            pairs in proptest::collection::vec((0u32..30, 0u32..30, 0u8..5), 0..120),
            rotate in 0usize..120,
        ) {
            let edges = random_edges(n, &pairs);
            let graph = Graph::from_edges(n as usize, &edges).unwrap();
            let rank = pagerank(&graph, &PageRankParams::default()).unwrap();
            prop_assert!((rank.scores.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            prop_assert!(rank.scores.iter().all(|&s| s > 0.0));
            // Rotating distinct edges changes no bit: sums run in a fixed order.
            let mut distinct = edges.clone();
            distinct.sort_by_key(|e| (e.source, e.target));
            distinct.dedup_by_key(|e| (e.source, e.target));
            let once = pagerank(&Graph::from_edges(n as usize, &distinct).unwrap(), &PageRankParams::default()).unwrap();
            let mut rotated = distinct.clone();
            if !rotated.is_empty() {
                let len = rotated.len();
                rotated.rotate_left(rotate % len);
            }
            let again = pagerank(&Graph::from_edges(n as usize, &rotated).unwrap(), &PageRankParams::default()).unwrap();
            prop_assert_eq!(once, again);
        }

        #[test]
        fn the_result_is_a_fixed_point_within_the_tolerance(
            n in 1u32..30,
            pairs in proptest::collection::vec((0u32..30, 0u32..30, 1u8..5), 0..120),
        ) {
            let graph = Graph::from_edges(n as usize, &random_edges(n, &pairs)).unwrap();
            let params = PageRankParams { tol: 1e-12, max_iter: 10_000, ..PageRankParams::default() };
            let x = pagerank(&graph, &params).unwrap().scores;
            let dangling: f64 = graph.dangling_nodes().iter().map(|&d| x[d as usize]).sum();
            for target in 0..n {
                let pulled: f64 = graph.in_edges(target).map(|(s, w)| x[s as usize] * w).sum();
                let expected = 0.85 * (pulled + dangling / f64::from(n)) + 0.15 / f64::from(n);
                prop_assert!((x[target as usize] - expected).abs() < 1e-9);
            }
        }
    }
}
