//! Exact non-negative fractions, so that the method of equal shares never rounds a price
//! it compares and every price it shows can be checked by hand.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

/// A non-negative fraction kept in lowest terms, shown and serialized as `"n/d"`.
///
/// Because it is always reduced, two ratios are equal exactly when their parts are, and
/// the derived `Eq` agrees with the value order of `Ord`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    numerator: u128,
    denominator: u128,
}

impl Ratio {
    /// Zero, as `0/1`.
    pub const ZERO: Ratio = Ratio {
        numerator: 0,
        denominator: 1,
    };

    /// The fraction `numerator / denominator` in lowest terms, or `None` when the
    /// denominator is zero.
    pub fn new(numerator: u128, denominator: u128) -> Option<Ratio> {
        if denominator == 0 {
            return None;
        }
        let divisor = greatest_common_divisor(numerator, denominator);
        Some(Ratio {
            numerator: numerator / divisor,
            denominator: denominator / divisor,
        })
    }

    /// The whole number `value` as `value/1`.
    pub fn whole(value: u128) -> Ratio {
        Ratio {
            numerator: value,
            denominator: 1,
        }
    }

    /// The numerator in lowest terms.
    pub fn numerator(&self) -> u128 {
        self.numerator
    }

    /// The denominator in lowest terms, never zero.
    pub fn denominator(&self) -> u128 {
        self.denominator
    }

    /// The fraction with `numerator` over a denominator the caller has already proven
    /// non-zero; for internal prices whose denominators are counts of supporters.
    pub(crate) fn of(numerator: u128, denominator: u128) -> Ratio {
        assert!(
            denominator != 0,
            "a price is never divided by zero supporters"
        );
        let divisor = greatest_common_divisor(numerator, denominator);
        Ratio {
            numerator: numerator / divisor,
            denominator: denominator / divisor,
        }
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Ratio) -> Ordering {
        compare_fractions(
            self.numerator,
            self.denominator,
            other.numerator,
            other.denominator,
        )
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Ratio) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Compares `a/b` with `c/d` (denominators non-zero) without multiplying, so any u128
/// parts compare exactly: equal whole parts reduce the question to the remainders, and
/// `ra/b < rc/d` holds exactly when `d/rc < b/ra`, a Euclid-like descent that ends within
/// about 180 rounds.
fn compare_fractions(mut a: u128, mut b: u128, mut c: u128, mut d: u128) -> Ordering {
    loop {
        let (whole_left, rest_left) = (a / b, a % b);
        let (whole_right, rest_right) = (c / d, c % d);
        if whole_left != whole_right {
            return whole_left.cmp(&whole_right);
        }
        match (rest_left == 0, rest_right == 0) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => (a, b, c, d) = (d, rest_right, b, rest_left),
        }
    }
}

fn greatest_common_divisor(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // gcd(0, d) = d and d is never zero here, so callers never divide by zero.
    a
}
