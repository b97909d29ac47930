//! `commons apportion`: splits a budget among the recipients of an `id,weight` file by
//! largest remainder (`commons_value::apportion`, ties to the smaller id), so that anyone
//! can check a payout from a spreadsheet with the same rule the commons uses.

use anyhow::{Context, Result};
use clap::Args;
use commons_value::weights_csv::WEIGHTS_CSV_BYTES_MAX;
use commons_value::{apportion, read_weights_csv};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct ApportionArgs {
    /// The budget, an integer in minor units (cents, say).
    #[arg(long)]
    pub budget: u64,
    /// A CSV file with the header `id,weight` and one recipient per line, integer weights
    /// (`-` for standard input).
    #[arg(long, value_name = "FILE.csv")]
    pub weights: PathBuf,
    /// Print `{"allocations": {"<id>": amount, ...}}`.
    #[arg(long)]
    pub json: bool,
}

/// The amounts by id, as `--json` prints them.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Allocations {
    pub allocations: BTreeMap<String, u64>,
}

/// Reads, apportions and prints.
pub fn run(args: &ApportionArgs) -> Result<()> {
    let text = crate::input::read_text_file(&args.weights, WEIGHTS_CSV_BYTES_MAX as u64)?;
    let allocations = apportion_text(args.budget, &text)
        .with_context(|| format!("cannot apportion {}", args.weights.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&allocations)?);
    } else {
        print!("{}", render(&allocations));
    }
    Ok(())
}

/// Apportions `budget` by the weights of a CSV text.
pub fn apportion_text(budget: u64, text: &str) -> Result<Allocations> {
    let rows =
        read_weights_csv(text).map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))?;
    let parts =
        apportion(budget, &rows).map_err(|error| anyhow::anyhow!("{error} ({})", error.code()))?;
    Ok(Allocations {
        allocations: rows.into_iter().map(|(id, _)| id).zip(parts).collect(),
    })
}

/// One line per recipient, by id, amounts aligned, then the total.
pub fn render(allocations: &Allocations) -> String {
    let width = allocations
        .allocations
        .keys()
        .map(|id| id.chars().count())
        .chain(["total".len()])
        .max()
        .unwrap_or(0);
    let total: u128 = allocations
        .allocations
        .values()
        .map(|&a| u128::from(a))
        .sum();
    let digits = total.to_string().len();
    let mut out = String::new();
    for (id, amount) in &allocations.allocations {
        out.push_str(&format!("{id:<width$}  {amount:>digits$}\n"));
    }
    out.push_str(&format!("{:<width$}  {total:>digits$}\n", "total"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_apportioned_and_rendered_by_id() {
        let allocations = apportion_text(1_000, "id,weight\nzoe,1\nann,1\nbob,1\n").unwrap();
        assert_eq!(
            allocations.allocations.into_iter().collect::<Vec<_>>(),
            [
                ("ann".to_owned(), 334),
                ("bob".to_owned(), 333),
                ("zoe".to_owned(), 333)
            ]
        );
        let allocations = apportion_text(7, "id,weight\nann,3\nbartholomew,4\n").unwrap();
        assert_eq!(
            render(&allocations),
            "ann          3\nbartholomew  4\ntotal        7\n"
        );
    }

    #[test]
    fn errors_name_the_line_and_the_code() {
        let error = apportion_text(5, "id,weight\nann,1\nbob,x\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 3: the weight `x` is not a non-negative integer (csv_weight)"
        );
        let error = apportion_text(5, "id,weight\nann,0\n").unwrap_err();
        assert!(
            error.to_string().ends_with("(apportion_zero_weight)"),
            "{error}"
        );
    }
}
