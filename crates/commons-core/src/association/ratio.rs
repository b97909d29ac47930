//! Exact fractions for thresholds, quorums and chamber weights, and the exact comparisons
//! a poll's result rests on. Statutes hold small fractions (`2/3`); results compare
//! them with sums of ballot weights through big rationals, so nothing is ever rounded.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};

/// Largest denominator a statutes fraction may have.
pub const RATIO_DEN_MAX: u64 = 1_000_000;

/// A fraction in `[0, 1]`, kept as written (not reduced) so it shows as the statutes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// A fraction in `[0, 1]` with a denominator from 1 to [`RATIO_DEN_MAX`].
    pub fn new(num: u64, den: u64) -> Option<Ratio> {
        (den > 0 && den <= RATIO_DEN_MAX && num <= den).then_some(Ratio { num, den })
    }

    pub fn big(&self) -> BigRational {
        BigRational::new(BigInt::from(self.num), BigInt::from(self.den))
    }

    /// `n/d` as shown in statutes and results.
    pub fn text(&self) -> String {
        format!("{}/{}", self.num, self.den)
    }
}

/// `part / whole` exactly; zero when `whole` is zero.
pub fn fraction(part: u64, whole: u64) -> BigRational {
    if whole == 0 {
        BigRational::zero()
    } else {
        BigRational::new(BigInt::from(part), BigInt::from(whole))
    }
}

/// Whether `value` meets `threshold`: `>` when strict, `>=` otherwise.
pub fn meets(value: &BigRational, threshold: &BigRational, strict: bool) -> bool {
    if strict {
        value > threshold
    } else {
        value >= threshold
    }
}

/// The support a poll needs at `turnout`: `threshold` at `full_turnout` or more, rising
/// linearly to `max_threshold` as turnout falls to `quorum`.
pub fn progressive_threshold(
    threshold: Ratio,
    quorum: Ratio,
    full_turnout: Ratio,
    max_threshold: Ratio,
    turnout: &BigRational,
) -> BigRational {
    let base = threshold.big();
    let full = full_turnout.big();
    let q = quorum.big();
    if *turnout >= full || full <= q {
        return base;
    }
    let t = if *turnout < q {
        q.clone()
    } else {
        turnout.clone()
    };
    let rise = max_threshold.big() - base.clone();
    let share = (full.clone() - t) / (full - q);
    let required = base + rise * share;
    if required > BigRational::one() {
        BigRational::one()
    } else {
        required
    }
}

/// A big rational as `n/d` in lowest terms.
pub fn show(value: &BigRational) -> String {
    if value.is_integer() {
        value.numer().to_string()
    } else {
        format!("{}/{}", value.numer(), value.denom())
    }
}
