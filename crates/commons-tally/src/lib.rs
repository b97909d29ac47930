//! Pure vote counting: ballots and a seed in, an outcome that anyone can recount out.

pub mod budget;
