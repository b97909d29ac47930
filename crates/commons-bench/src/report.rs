//! The closing table: each measured figure, its ratio to the baseline and its target.

use std::fmt::Write as _;
use std::time::Duration;

/// Events per second; zero for an empty run.
pub fn rate(n_events: usize, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        n_events as f64 / seconds
    } else {
        0.0
    }
}

/// A whole number with thousands separators: `200,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a figure is held to.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// The baseline itself.
    Baseline,
    /// At least this fraction of the baseline rate.
    RatioMin(f64),
    /// At least this many events per second.
    RateMin(f64),
    /// Below this many megabytes.
    MegabytesBelow(f64),
    /// Reported only.
    None,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub path: String,
    /// Events per second, or megabytes for the memory row.
    pub value: f64,
    pub ratio: Option<f64>,
    pub target: Target,
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Takes every ratio of `rows` against the baseline rate `to` instead of `from`; the
/// baseline's own row takes the rate `to`.
pub fn rebase(rows: &mut [Row], from: f64, to: f64) {
    for row in rows {
        if matches!(row.target, Target::Baseline) {
            row.value = to;
        } else if let Some(ratio) = &mut row.ratio {
            *ratio *= from / to;
        }
    }
}

impl Row {
    fn target_text(&self) -> String {
        match self.target {
            Target::Baseline => "baseline".to_owned(),
            Target::RatioMin(min) => format!(">= {min:.2} x raw"),
            Target::RateMin(min) => format!(">= {} ev/s", grouped(min as u64)),
            Target::MegabytesBelow(max) => format!("< {max:.0} MB"),
            Target::None => "-".to_owned(),
        }
    }

    fn verdict(&self) -> &'static str {
        let pass = match self.target {
            Target::Baseline | Target::None => return "-",
            Target::RatioMin(min) => self.ratio.is_some_and(|r| r >= min),
            Target::RateMin(min) => self.value >= min,
            Target::MegabytesBelow(max) => self.value < max,
        };
        if pass { "PASS" } else { "MISS" }
    }

    fn value_text(&self) -> String {
        match self.target {
            Target::MegabytesBelow(_) => format!("{:.1} MB", self.value),
            _ => format!("{} ev/s", grouped(self.value.round() as u64)),
        }
    }
}

/// The table, one row per figure, columns aligned.
pub fn table(rows: &[Row]) -> String {
    let header = ["path", "events/s", "ratio to raw", "target", "result"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|row| {
            [
                row.path.clone(),
                row.value_text(),
                row.ratio.map_or("-".to_owned(), |r| format!("{r:.2}")),
                row.target_text(),
                row.verdict().to_owned(),
            ]
        })
        .collect();
    // Text columns left-aligned, figures right-aligned.
    aligned(&header, &cells, |column| column != 0 && column < 3)
}

/// Peak resident set size of this process (`VmHWM`), in megabytes.
/// A text table: a header, a rule and the rows, each column as wide as its widest cell;
/// columns for which `right` says so are right-aligned.
pub fn aligned<const N: usize>(
    header: &[&str; N],
    cells: &[[String; N]],
    right: impl Fn(usize) -> bool,
) -> String {
    let mut widths = header.map(str::len);
    for row in cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if right(i) {
                let _ = write!(text, "{cell:>width$}  ");
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header.map(str::to_owned));
    line(&widths.map(|w| "-".repeat(w)));
    for row in cells {
        line(row);
    }
    out
}

pub fn peak_rss_megabytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kilobytes: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kilobytes / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_puts_a_comma_between_every_three_digits() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (200_000, "200,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn a_ratio_target_passes_at_the_minimum_and_misses_below_it() {
        let row = |ratio| Row {
            path: "p".to_owned(),
            value: 1.0,
            ratio: Some(ratio),
            target: Target::RatioMin(0.6),
        };
        assert_eq!(row(0.6).verdict(), "PASS");
        assert_eq!(row(0.59).verdict(), "MISS");
    }

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn rebasing_on_a_faster_baseline_lowers_every_ratio_and_moves_the_baseline_row() {
        let mut rows = vec![
            Row {
                path: "raw".to_owned(),
                value: 50.0,
                ratio: Some(1.0),
                target: Target::Baseline,
            },
            Row {
                path: "path".to_owned(),
                value: 40.0,
                ratio: Some(0.8),
                target: Target::RatioMin(0.6),
            },
            Row {
                path: "rss".to_owned(),
                value: 100.0,
                ratio: None,
                target: Target::MegabytesBelow(300.0),
            },
        ];
        rebase(&mut rows, 50.0, 80.0);
        assert_eq!((rows[0].value, rows[0].ratio), (80.0, Some(1.0)));
        assert_eq!(rows[1].ratio, Some(0.5));
        assert_eq!(rows[1].verdict(), "MISS");
        assert_eq!(rows[2].ratio, None);
    }
}
