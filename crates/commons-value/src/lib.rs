//! Exact value accounting for a commons, usable on its own (no workspace dependency, no IO,
//! no clock, no randomness).
//!
//! - [`apportion`] splits an integer budget among weighted recipients by largest remainder,
//!   ties broken by id: the parts always sum exactly to the budget, a zero weight gets zero,
//!   and the result does not depend on the order the recipients are given in. Every money
//!   split in commons goes through it.
//!
//! Money is integers in minor units; weights are integers (credit is quantised before any
//! money is computed); intermediate exact arithmetic uses `u128` or big rationals. No float
//! touches money.

pub mod apportion;

pub use apportion::apportion_rational;
pub use apportion::{ApportionError, apportion};
