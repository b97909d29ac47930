//! A reader for weight files, `id,weight` with a header, so that a budget can be
//! apportioned from a spreadsheet export; every refusal names its line.
//!
//! The format: a first line `id,weight` (case and surrounding spaces ignored), then one
//! recipient per line, an id and a non-negative integer weight. Ids may be quoted with
//! double quotes (a quote inside doubled, as in RFC 4180) when they hold a comma; quoted
//! fields do not span lines. Blank lines are skipped; a leading byte-order mark and
//! `\r\n` line ends are accepted.

use thiserror::Error;

/// Largest weight file, in bytes.
pub const WEIGHTS_CSV_BYTES_MAX: usize = 64 << 20;

/// Most recipients in one weight file.
pub const WEIGHTS_CSV_ROWS_MAX: usize = 1_000_000;

/// Longest id in a weight file, in bytes.
pub const WEIGHTS_CSV_ID_BYTES_MAX: usize = 256;

/// Why a weight file was refused, and on which line (1-based; 0 for the file as a whole).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    pub line: usize,
    /// Stable: `csv_too_large`, `csv_header`, `csv_fields`, `csv_quote`, `csv_id`,
    /// `csv_weight`, `csv_duplicate_id`, `csv_too_many_rows`.
    pub code: &'static str,
    pub message: String,
}

impl CsvError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        self.code
    }

    fn new(line: usize, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            line,
            code,
            message: message.into(),
        }
    }
}

/// Reads `(id, weight)` pairs in file order; ids are distinct.
pub fn read_weights_csv(text: &str) -> Result<Vec<(String, u64)>, CsvError> {
    if text.len() > WEIGHTS_CSV_BYTES_MAX {
        return Err(CsvError::new(
            0,
            "csv_too_large",
            format!(
                "the file is {} bytes, more than the {WEIGHTS_CSV_BYTES_MAX} allowed",
                text.len()
            ),
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.strip_suffix('\r').unwrap_or(line)))
        .filter(|(_, line)| !line.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(CsvError::new(
            1,
            "csv_header",
            "the file is empty; expected a header `id,weight`",
        ));
    };
    let header_fields = split_fields(header, header_line)?;
    let is_header = header_fields.len() == 2
        && header_fields[0].trim().eq_ignore_ascii_case("id")
        && header_fields[1].trim().eq_ignore_ascii_case("weight");
    if !is_header {
        return Err(CsvError::new(
            header_line,
            "csv_header",
            format!(
                "expected the header `id,weight`, found `{}`",
                shorten(header)
            ),
        ));
    }
    let mut rows: Vec<(String, u64)> = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for (line_number, line) in lines {
        if rows.len() == WEIGHTS_CSV_ROWS_MAX {
            return Err(CsvError::new(
                line_number,
                "csv_too_many_rows",
                format!("more than {WEIGHTS_CSV_ROWS_MAX} rows"),
            ));
        }
        let fields = split_fields(line, line_number)?;
        let [id, weight] = fields.as_slice() else {
            return Err(CsvError::new(
                line_number,
                "csv_fields",
                format!("expected two fields, id and weight, found {}", fields.len()),
            ));
        };
        let id = id.trim();
        if id.is_empty() || id.len() > WEIGHTS_CSV_ID_BYTES_MAX || id.chars().any(char::is_control)
        {
            return Err(CsvError::new(
                line_number,
                "csv_id",
                format!(
                    "the id must be 1 to {WEIGHTS_CSV_ID_BYTES_MAX} bytes without control characters"
                ),
            ));
        }
        let weight_text = weight.trim();
        let weight =
            match weight_text.bytes().all(|b| b.is_ascii_digit()) && !weight_text.is_empty() {
                true => weight_text.parse::<u64>().map_err(|_| {
                    CsvError::new(
                        line_number,
                        "csv_weight",
                        format!("the weight {weight_text} is larger than {}", u64::MAX),
                    )
                })?,
                false => {
                    return Err(CsvError::new(
                        line_number,
                        "csv_weight",
                        format!(
                            "the weight `{}` is not a non-negative integer",
                            shorten(weight_text)
                        ),
                    ));
                }
            };
        if let Some(first) = seen.insert(id.to_owned(), line_number) {
            return Err(CsvError::new(
                line_number,
                "csv_duplicate_id",
                format!("id {id:?} already appears on line {first}"),
            ));
        }
        rows.push((id.to_owned(), weight));
    }
    Ok(rows)
}

/// Splits one line into fields, unquoting RFC 4180 quoted fields.
fn split_fields(line: &str, line_number: usize) -> Result<Vec<String>, CsvError> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        // Spaces before an opening quote are allowed.
        let leading: String = std::iter::from_fn(|| chars.next_if(|c| *c == ' ')).collect();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(CsvError::new(
                            line_number,
                            "csv_quote",
                            "a quoted field is not closed",
                        ));
                    }
                }
            }
            while chars.next_if(|c| *c == ' ').is_some() {}
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => {
                    return Err(CsvError::new(
                        line_number,
                        "csv_quote",
                        "text follows a closing quote",
                    ));
                }
            }
        } else {
            field.push_str(&leading);
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => {
                        fields.push(field);
                        break;
                    }
                    Some('"') => {
                        return Err(CsvError::new(
                            line_number,
                            "csv_quote",
                            "a quote inside an unquoted field",
                        ));
                    }
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

/// At most 40 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str, expected: &[(&str, u64)]) {
        let rows = read_weights_csv(text).unwrap();
        let rows: Vec<(&str, u64)> = rows.iter().map(|(id, w)| (id.as_str(), *w)).collect();
        assert_eq!(rows, expected);
    }

    fn refused(text: &str, line: usize, code: &str) {
        let error = read_weights_csv(text).unwrap_err();
        assert_eq!((error.line, error.code()), (line, code), "{error}");
    }

    #[test]
    fn reads_ids_and_weights_after_the_header() {
        check("id,weight\nalice,3\nbob,0\n", &[("alice", 3), ("bob", 0)]);
        check(
            "\u{feff}ID , Weight\r\n\r\n \"acme, inc\" , 18446744073709551615\r\n\"say \"\"hi\"\"\",1",
            &[("acme, inc", u64::MAX), ("say \"hi\"", 1)],
        );
        check("id,weight\n", &[]);
    }

    #[test]
    fn every_refusal_names_its_line() {
        refused("", 1, "csv_header");
        refused("\n\nname,amount\na,1\n", 3, "csv_header");
        refused("id,weight\na,1\nb\n", 3, "csv_fields");
        refused("id,weight\na,1,2\n", 2, "csv_fields");
        refused("id,weight\n,1\n", 2, "csv_id");
        refused("id,weight\na,-1\n", 2, "csv_weight");
        refused("id,weight\na,1.5\n", 2, "csv_weight");
        refused("id,weight\na,\n", 2, "csv_weight");
        refused("id,weight\na,18446744073709551616\n", 2, "csv_weight");
        refused("id,weight\na,1\n\na,2\n", 4, "csv_duplicate_id");
        refused("id,weight\n\"a,1\n", 2, "csv_quote");
        refused("id,weight\n\"a\"x,1\n", 2, "csv_quote");
        refused("id,weight\na\"b,1\n", 2, "csv_quote");
        let error = read_weights_csv("id,weight\na,x\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2: the weight `x` is not a non-negative integer"
        );
    }

    #[test]
    fn limits_are_enforced() {
        let long_id = format!(
            "id,weight\n{},1\n",
            "x".repeat(WEIGHTS_CSV_ID_BYTES_MAX + 1)
        );
        refused(&long_id, 2, "csv_id");
        let huge = "x".repeat(WEIGHTS_CSV_BYTES_MAX + 1);
        refused(&huge, 0, "csv_too_large");
        let mut many = String::from("id,weight\n");
        for i in 0..=WEIGHTS_CSV_ROWS_MAX {
            many.push_str(&format!("r{i},1\n"));
        }
        refused(&many, WEIGHTS_CSV_ROWS_MAX + 2, "csv_too_many_rows");
    }

    proptest! {
        #[test]
        fn written_rows_read_back(rows in proptest::collection::btree_map("[a-z ,\"]{1,12}", 0u64..=u64::MAX, 0..20)) {
            let rows: Vec<(String, u64)> = rows
                .into_iter()
                .filter(|(id, _)| !id.trim().is_empty())
                .map(|(id, w)| (id.trim().to_owned(), w))
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .collect();
            let mut text = String::from("id,weight\n");
            for (id, weight) in &rows {
                text.push_str(&format!("\"{}\",{weight}\n", id.replace('"', "\"\"")));
            }
            prop_assert_eq!(read_weights_csv(&text).unwrap(), rows);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = read_weights_csv(&text);
        }
    }
}
