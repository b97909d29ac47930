//! Fixed-point helpers: STV keeps fractional votes as integers counting units of
//! 10^-decimals, and prints them as exact decimal strings made by integer arithmetic.

/// `units` of 10^-`decimals` as a decimal string with exactly `decimals` places.
pub(crate) fn decimal(units: u128, decimals: u32) -> String {
    if decimals == 0 {
        return units.to_string();
    }
    let scale = 10u128.pow(decimals);
    format!(
        "{}.{:0width$}",
        units / scale,
        units % scale,
        width = decimals as usize
    )
}

/// Reads what [`decimal`] writes, back into units; `None` if it is not such a string.
pub fn parse_decimal(text: &str, decimals: u32) -> Option<u128> {
    let scale = 10u128.checked_pow(decimals)?;
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    if whole.is_empty() || fraction.len() > decimals as usize {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u128 = whole.parse().ok()?;
    let mut fraction_units: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    for _ in fraction.len()..decimals as usize {
        fraction_units *= 10;
    }
    whole.checked_mul(scale)?.checked_add(fraction_units)
}

/// ⌈numerator / denominator⌉ for a non-zero denominator.
pub(crate) fn div_ceil(numerator: u128, denominator: u128) -> u128 {
    assert!(denominator > 0, "division by zero in a count");
    numerator.div_ceil(denominator)
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_every_place_and_read_back() {
        assert_eq!(decimal(123_456_789, 5), "1234.56789");
        assert_eq!(decimal(5, 5), "0.00005");
        assert_eq!(decimal(42, 0), "42");
        assert_eq!(parse_decimal("1234.56789", 5), Some(123_456_789));
        assert_eq!(parse_decimal("0.5", 5), Some(50_000));
        assert_eq!(parse_decimal("7", 5), Some(700_000));
        assert_eq!(parse_decimal("1.234567", 5), None);
        assert_eq!(parse_decimal("-1", 5), None);
    }
}
