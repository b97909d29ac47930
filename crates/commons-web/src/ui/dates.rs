//! Calendar dates in UTC for pages and filters, from milliseconds since the epoch, with
//! the days-from-civil algorithm (H. Hinnant, "chrono-Compatible Low-Level Date
//! Algorithms"), in integers.

const MS_PER_DAY: u64 = 86_400_000;

/// Year, month (1–12) and day (1–31) of day number `days` since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day number since 1970-01-01 of a civil date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a time.
pub fn format_date(ms: u64) -> String {
    let (y, m, d) = civil_from_days((ms / MS_PER_DAY) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM UTC` of a time.
pub fn format_datetime(ms: u64) -> String {
    let minutes = (ms % MS_PER_DAY) / 60_000;
    format!(
        "{} {:02}:{:02} UTC",
        format_date(ms),
        minutes / 60,
        minutes % 60
    )
}

/// The first millisecond of a `YYYY-MM-DD` date, or `None` if it is not a real date
/// from 1970 on.
pub fn parse_date(text: &str) -> Option<u64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    u64::try_from(days).ok().map(|d| d * MS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates_round_trip() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_datetime(1_767_225_600_000), "2026-01-01 00:00 UTC");
        assert_eq!(
            format_datetime(951_782_400_000 + 3_723_000),
            "2000-02-29 01:02 UTC"
        );
        assert_eq!(parse_date("2026-01-01"), Some(1_767_225_600_000));
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400_000));
        for days in (0..40_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        for text in [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "1969-12-31",
            "x",
            "2026-1",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
