//! Exact value accounting for a commons, usable on its own (no workspace dependency, no IO,
//! no clock, no randomness).
//!
//! - [`apportion`] splits an integer budget among weighted recipients by largest remainder,
//!   ties broken by id: the parts always sum exactly to the budget, a zero weight gets zero,
//!   and the result does not depend on the order the recipients are given in. Every money
//!   split in commons goes through it.
//! - [`policy`] holds the distribution policies, each a pure function from a budget and
//!   its recipients' facts to exact shares with their reasons: SourceCred's IMMEDIATE,
//!   RECENT, BALANCED and SPECIAL, Drips-style fixed splits in parts per million, GIVE
//!   circles, time-weighted payouts, claims (debt, one-time, equity), linear quadratic
//!   funding with capped matches, bounties, and [`policy::buckets`], which composes them
//!   into one explained [`policy::buckets::Distribution`]. Proportional splits go through
//!   [`apportion()`] or [`apportion_rational`] (the same rule on exact rational weights);
//!   fixed splits in parts per million follow Drips' cumulative rounding, exact by
//!   construction.
//! - [`weights_csv`] reads `id,weight` files for `commons apportion`.
//!
//! Money is integers in minor units; weights are integers (credit is quantised before any
//! money is computed); intermediate exact arithmetic uses `u128` or big rationals. No float
//! touches money.

pub mod apportion;
pub mod policy;
pub mod weights_csv;

pub use apportion::apportion_rational;
pub use apportion::{ApportionError, apportion};
pub use policy::{Allocation, Basis, Policy, PolicyError, RecipientId, Share};
pub use weights_csv::{CsvError, read_weights_csv};
