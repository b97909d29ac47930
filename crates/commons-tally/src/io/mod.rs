//! Reading and writing profiles: the BLT format of ranked-ballot counting programs
//! ([`blt`]), CSV with one ballot per row ([`csv`]) and a JSON shape that maps onto
//! [`crate::Ballot`] ([`json`]). Every reader names the line (or ballot) it refuses.

pub mod blt;
pub mod csv;
pub mod json;

/// The longest candidate name or title, in bytes.
pub const NAME_BYTES_MAX: usize = 1_000;
