//! CSV ballots: a header row, then one ballot per row (RFC 4180 quoting; blank lines are
//! ignored).
//!
//! For every method that elects candidates the header names the candidates, optionally
//! after a first column called `weight` (a whole number; a blank weight is 1). Each cell
//! is that row's ballot for the column's candidate, and its meaning depends on the method:
//!
//! | methods | cell | blank cell |
//! |---|---|---|
//! | plurality, borda, borda-truncated, irv, schulze, ranked-pairs, stv-scottish, stv-meek | the rank, a whole number from 1 (most preferred); equal numbers rank equal, gaps are ignored; plurality counts rank 1 | unranked |
//! | approval | `1` approved, `0` not | not approved |
//! | score, dot | the score or the number of dots | not scored |
//! | time | `yes`, `ifneedbe` (or `if-need-be`) or `no` | no |
//!
//! ```text
//! weight,Alice,Bob,Carol
//! 3,1,2,
//! 1,2,1,1
//! ```
//!
//! For consent and proposals the header is one column (any name) and each cell is a
//! stance: `consent`, `object` or `object-resolved`; `yes`, `no`, `abstain` or `block`.

use crate::io::NAME_BYTES_MAX;
use crate::{
    Availability, BALLOTS_MAX, Ballot, CANDIDATES_MAX, Candidate, ConsentStance, Method, Profile,
    Stance, WeightedBallot,
};

/// Why a CSV text cannot be read, naming its line (1-based).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

impl CsvError {
    /// The stable code of every CSV error.
    pub fn code(&self) -> &'static str {
        "csv_malformed"
    }
}

fn error(line: usize, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        message: message.into(),
    }
}

/// Reads CSV ballots for `method` into a profile with `seats` seats.
pub fn parse_csv(text: &str, method: &Method, seats: u32) -> Result<Profile, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = records(text)?.into_iter();
    let Some((header_line, header)) = records.next() else {
        return Err(error(1, "the file is empty; expected a header row"));
    };
    let weighted = header.first().map(|cell| cell.trim()) == Some("weight");
    let names: Vec<String> = header
        .iter()
        .skip(usize::from(weighted))
        .map(|cell| cell.trim().to_string())
        .collect();
    let decision = matches!(method, Method::Consent | Method::Proposal);
    if decision && names.len() != 1 {
        return Err(error(
            header_line,
            format!("{} takes one column of stances", method.name()),
        ));
    }
    if !decision {
        if names.is_empty() || names.len() > CANDIDATES_MAX {
            return Err(error(
                header_line,
                format!(
                    "{} candidates; between 1 and {CANDIDATES_MAX} are allowed",
                    names.len()
                ),
            ));
        }
        for (index, name) in names.iter().enumerate() {
            if name.is_empty() || name.len() > NAME_BYTES_MAX {
                return Err(error(
                    header_line,
                    format!("column {} has no name or too long a name", index + 1),
                ));
            }
            if names[..index].contains(name) {
                return Err(error(
                    header_line,
                    format!("candidate {name:?} appears twice"),
                ));
            }
        }
    }

    let mut ballots = Vec::new();
    for (line, record) in records {
        if record.len() != header.len() {
            return Err(error(
                line,
                format!(
                    "{} cells, but the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        if ballots.len() == BALLOTS_MAX {
            return Err(error(line, format!("more than {BALLOTS_MAX} ballots")));
        }
        let (weight, cells) = if weighted {
            let cell = record[0].trim();
            let weight = if cell.is_empty() {
                1
            } else {
                cell.parse::<u64>().map_err(|_| {
                    error(line, format!("the weight {cell:?} is not a whole number"))
                })?
            };
            (weight, &record[1..])
        } else {
            (1, &record[..])
        };
        let ballot = parse_row(line, method, cells)?;
        ballots.push(WeightedBallot { weight, ballot });
    }
    Ok(Profile {
        candidates: if decision { Vec::new() } else { names },
        seats,
        ballots,
    })
}

fn parse_row(line: usize, method: &Method, cells: &[String]) -> Result<Ballot, CsvError> {
    let nonblank = cells
        .iter()
        .map(|cell| cell.trim())
        .enumerate()
        .filter(|(_, cell)| !cell.is_empty());
    let number = |candidate: Candidate, cell: &str| -> Result<u32, CsvError> {
        cell.parse::<u32>().map_err(|_| {
            error(
                line,
                format!("column {}: {cell:?} is not a whole number", candidate + 1),
            )
        })
    };
    let ballot = match method {
        Method::Approval { .. } => {
            let mut approved = Vec::new();
            for (candidate, cell) in nonblank {
                match cell {
                    "1" => approved.push(candidate),
                    "0" => {}
                    _ => {
                        return Err(error(
                            line,
                            format!("column {}: approval is 1 or 0, not {cell:?}", candidate + 1),
                        ));
                    }
                }
            }
            Ballot::Approval(approved)
        }
        Method::Score { .. } | Method::Dot { .. } => Ballot::Scores(
            nonblank
                .map(|(candidate, cell)| Ok((candidate, number(candidate, cell)?)))
                .collect::<Result<_, CsvError>>()?,
        ),
        Method::Time => {
            let mut slots = Vec::new();
            for (slot, cell) in nonblank {
                let availability = match cell.to_ascii_lowercase().as_str() {
                    "yes" => Availability::Yes,
                    "ifneedbe" | "if-need-be" => Availability::IfNeedBe,
                    "no" => Availability::No,
                    _ => {
                        return Err(error(
                            line,
                            format!("column {}: {cell:?} is not yes, ifneedbe or no", slot + 1),
                        ));
                    }
                };
                slots.push((slot, availability));
            }
            Ballot::Availability(slots)
        }
        Method::Consent | Method::Proposal => {
            let cell = cells[0].trim().to_ascii_lowercase();
            match (method, cell.as_str()) {
                (Method::Consent, "consent") => Ballot::Consent(ConsentStance::Consent),
                (Method::Consent, "object") => {
                    Ballot::Consent(ConsentStance::Object { resolved: false })
                }
                (Method::Consent, "object-resolved") => {
                    Ballot::Consent(ConsentStance::Object { resolved: true })
                }
                (Method::Proposal, "yes") => Ballot::Proposal(Stance::Yes),
                (Method::Proposal, "no") => Ballot::Proposal(Stance::No),
                (Method::Proposal, "abstain") => Ballot::Proposal(Stance::Abstain),
                (Method::Proposal, "block") => Ballot::Proposal(Stance::Block),
                _ => {
                    return Err(error(
                        line,
                        format!("{cell:?} is not a {} stance", method.name()),
                    ));
                }
            }
        }
        Method::Plurality
        | Method::Borda
        | Method::BordaTruncated
        | Method::Irv
        | Method::Schulze
        | Method::RankedPairs
        | Method::StvScottish
        | Method::StvMeek => {
            let mut ranked: Vec<(u32, Candidate)> = Vec::new();
            for (candidate, cell) in nonblank {
                let rank = number(candidate, cell)?;
                if rank == 0 {
                    return Err(error(
                        line,
                        format!("column {}: ranks start at 1", candidate + 1),
                    ));
                }
                ranked.push((rank, candidate));
            }
            ranked.sort_unstable();
            let mut ranking: Vec<Vec<Candidate>> = Vec::new();
            let mut previous_rank = None;
            for (rank, candidate) in ranked {
                match ranking.last_mut() {
                    Some(level) if previous_rank == Some(rank) => level.push(candidate),
                    _ => ranking.push(vec![candidate]),
                }
                previous_rank = Some(rank);
            }
            Ballot::Ranking(ranking)
        }
    };
    Ok(ballot)
}

/// The non-blank records of `text` with the line each starts on.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut in_quotes = false;
    let mut field_was_quoted = false;
    let mut chars = text.chars().peekable();
    let finish_record =
        |record: &mut Vec<String>, records: &mut Vec<(usize, Vec<String>)>, at: usize| {
            let blank = record.len() == 1 && record[0].trim().is_empty();
            if !blank {
                records.push((at, std::mem::take(record)));
            }
            record.clear();
        };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() && !field_was_quoted => {
                field.clear();
                in_quotes = true;
                field_was_quoted = true;
            }
            '"' => return Err(error(line, "a quote inside an unquoted cell")),
            ',' => {
                record.push(std::mem::take(&mut field));
                field_was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                field_was_quoted = false;
                finish_record(&mut record, &mut records, record_line);
                line += 1;
                record_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(error(record_line, "a quoted cell is not closed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        finish_record(&mut record, &mut records, record_line);
    }
    Ok(records)
}
