//! Exact value accounting for a commons, usable on its own (no workspace dependency, no IO,
//! no clock, no randomness).
//!
//! - [`apportion`] splits an integer budget among weighted recipients by largest remainder,
//!   ties broken by id: the parts always sum exactly to the budget, a zero weight gets zero,
//!   and the result does not depend on the order the recipients are given in. Every money
//!   split in commons goes through it.
//! - [`pagerank`] ranks the nodes of a weighted directed graph by power iteration with
//!   networkx's semantics (damping, personalization, dangling nodes, tolerance, iteration
//!   limit), deterministically and fast: the matrix stored by target, sums in a fixed
//!   order, no allocation per iteration.
//! - [`credrank`] is contribution credit on top of it: credit minted for contributions
//!   flows to their authors, reviews and cited upstream commons (with a lesser back-flow),
//!   is quantised to integers with [`apportion()`], and is explained edge by edge — how
//!   much of each node's credit arrived over which edge, summing exactly to its credit.
//! - [`graph_csv`] reads the files `commons cred` takes (a graph, a personalization), and
//!   [`weights_csv`] the `id,weight` files of `commons apportion`; both name the line of
//!   any error with a stable code.
//! - [`policy`] holds the distribution policies, each a pure function from a budget and
//!   its recipients' facts to exact shares with their reasons: SourceCred's IMMEDIATE,
//!   RECENT, BALANCED and SPECIAL, Drips-style fixed splits in parts per million, GIVE
//!   circles, time-weighted payouts, claims (debt, one-time, equity), linear quadratic
//!   funding with capped matches, bounties, and [`policy::buckets`], which composes them
//!   into one explained [`policy::buckets::Distribution`]. Proportional splits go through
//!   [`apportion()`] or [`apportion_rational`] (the same rule on exact rational weights);
//!   fixed splits in parts per million follow Drips' cumulative rounding, exact by
//!   construction.
//!
//! Money is integers in minor units; weights are integers (credit is quantised before any
//! money is computed); intermediate exact arithmetic uses `u128` or big rationals. PageRank
//! scores are the one place floats appear: they are not money, are computed in a fixed
//! order so every machine gets the same bits, and become integer credit before anything
//! else reads them.

pub mod apportion;
pub mod credrank;
pub mod graph_csv;
pub mod pagerank;
pub mod policy;
pub mod weights_csv;

pub use apportion::apportion_rational;
pub use apportion::{ApportionError, apportion};
pub use credrank::{Credit, CreditError, CreditGraph, CreditParams, FlowSource, NodeKind, Weight};
pub use pagerank::{Graph, PageRank, PageRankError, PageRankParams, pagerank};
pub use policy::{Allocation, Basis, Policy, PolicyError, RecipientId, Share};
pub use weights_csv::{CsvError, read_weights_csv};

/// The longest node id, in bytes, that the credit graph builder and the graph reader take.
pub const ID_BYTES_MAX: usize = 256;
