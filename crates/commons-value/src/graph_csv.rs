//! The CSV files `commons cred` reads: a weighted graph (`source,target[,weight]`) and a
//! personalization vector (`node,weight`), with errors that name the line and carry a
//! stable code (the codes `weights_csv` uses for the same faults).
//!
//! The dialect is RFC 4180: comma-separated fields, optionally in double quotes (a quote
//! inside written twice, a line break allowed inside quotes), `\n` or `\r\n` line ends, an
//! optional UTF-8 byte-order mark. Spaces around a field are ignored; blank lines are
//! skipped. The first record is the header, which must name the columns exactly. Ids are
//! 1 to [`ID_BYTES_MAX`](crate::ID_BYTES_MAX) bytes.
//!
//! ```text
//! source,target,weight
//! alice,"fix, then test",2
//! "fix, then test",bob,0.5
//! ```
//!
//! In a graph file the weight column is optional (every edge then weighs 1) and a blank
//! weight is 1; a weight is a finite non-negative decimal number. Rows naming the same
//! source and target again are parallel edges, and PageRank adds their weights. Nodes are
//! numbered in the order they first appear, the source of a row before its target: the
//! order networkx gives the nodes of a graph built by adding the same rows as edges.
//!
//! The `id,weight` files of `commons apportion` (whole-number weights) are read by
//! [`weights_csv`](crate::weights_csv).

use crate::ID_BYTES_MAX;
use crate::pagerank::{self, Edge};
use std::borrow::Cow;
use std::collections::HashMap;
use thiserror::Error;

/// What is wrong with a CSV file, and on which line (1-based, the header being line 1).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("line {line}: {problem}")]
pub struct GraphCsvError {
    pub line: usize,
    pub problem: GraphCsvProblem,
}

impl GraphCsvError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        self.problem.code()
    }
}

/// What is wrong with a CSV line.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum GraphCsvProblem {
    /// The file has no header.
    #[error("the file is empty; expected the header `{expected}`")]
    Empty { expected: &'static str },
    /// The header does not name the expected columns.
    #[error("the header is `{found}`; expected `{expected}`")]
    Header {
        expected: &'static str,
        found: String,
    },
    /// A row has more or fewer fields than the header.
    #[error("{found} fields, but the header has {expected}")]
    FieldCount { found: usize, expected: usize },
    /// An id is empty.
    #[error("the {column} is empty")]
    EmptyId { column: &'static str },
    /// An id is longer than [`ID_BYTES_MAX`](crate::ID_BYTES_MAX).
    #[error("the {column} is {length} bytes long; at most {max} are allowed")]
    IdTooLong {
        column: &'static str,
        length: usize,
        max: usize,
    },
    /// A quote opens a field and never closes.
    #[error("a quoted field is not closed")]
    UnclosedQuote,
    /// A quote inside an unquoted field, or text after a closing quote.
    #[error("a stray quote; quote the whole field and double quotes inside it")]
    StrayQuote,
    /// A weight is not a finite non-negative number.
    #[error("the weight `{0}` is not a finite non-negative number")]
    Weight(String),
    /// The same id is given twice.
    #[error("`{0}` appears twice")]
    Duplicate(String),
    /// A personalization names a node that is not in the graph.
    #[error("`{0}` is not a node of the graph")]
    UnknownNode(String),
    /// More rows than the reader takes.
    #[error("more than {max} rows")]
    TooManyRows { max: usize },
}

impl GraphCsvProblem {
    /// The stable code of this problem.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty { .. } | Self::Header { .. } => "csv_header",
            Self::FieldCount { .. } => "csv_fields",
            Self::EmptyId { .. } | Self::IdTooLong { .. } => "csv_id",
            Self::UnclosedQuote | Self::StrayQuote => "csv_quote",
            Self::Weight(_) => "csv_weight",
            Self::Duplicate(_) => "csv_duplicate_id",
            Self::UnknownNode(_) => "csv_unknown_node",
            Self::TooManyRows { .. } => "csv_too_many_rows",
        }
    }
}

fn error(line: usize, problem: GraphCsvProblem) -> GraphCsvError {
    GraphCsvError { line, problem }
}

/// A graph read from CSV: its nodes' ids by index and its edges.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphCsv {
    /// Node ids in the order they first appear; an edge's `source` and `target` index it.
    pub node_ids: Vec<String>,
    /// One edge per row, in file order (parallel edges not yet merged).
    pub edges: Vec<Edge>,
}

impl GraphCsv {
    /// The PageRank graph of these edges.
    pub fn graph(&self) -> Result<pagerank::Graph, pagerank::PageRankError> {
        pagerank::Graph::from_edges(self.node_ids.len(), &self.edges)
    }
}

/// `text` as one CSV field: as it is, or quoted (`"` doubled) when it holds a comma, a
/// quote, a line break or surrounding blanks, as [`read_graph_csv`] reads it back.
pub fn csv_field(text: &str) -> Cow<'_, str> {
    let plain = !text.contains([',', '"', '\n', '\r'])
        && !text.starts_with([' ', '\t'])
        && !text.ends_with([' ', '\t']);
    if plain {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    }
}

/// Reads a graph: the header `source,target` or `source,target,weight`, then one edge per
/// row. At most [`pagerank::EDGES_MAX`] rows and [`pagerank::NODES_MAX`] distinct nodes.
pub fn read_graph_csv(text: &str) -> Result<GraphCsv, GraphCsvError> {
    const EXPECTED: &str = "source,target,weight";
    let mut node_ids: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut edges = Vec::new();
    let mut n_columns = 0;
    for_each_record(text, |line, fields| {
        if n_columns == 0 {
            n_columns = match fields {
                [source, target] if source == "source" && target == "target" => 2,
                [source, target, weight]
                    if source == "source" && target == "target" && weight == "weight" =>
                {
                    3
                }
                _ => {
                    return Err(error(
                        line,
                        GraphCsvProblem::Header {
                            expected: EXPECTED,
                            found: fields.join(","),
                        },
                    ));
                }
            };
            return Ok(());
        }
        check_field_count(line, fields, n_columns)?;
        if edges.len() == pagerank::EDGES_MAX {
            return Err(error(
                line,
                GraphCsvProblem::TooManyRows {
                    max: pagerank::EDGES_MAX,
                },
            ));
        }
        let mut node = |column: &'static str, id: &str| -> Result<u32, GraphCsvError> {
            check_id(line, column, id)?;
            if let Some(&known) = index.get(id) {
                return Ok(known);
            }
            if node_ids.len() == pagerank::NODES_MAX {
                return Err(error(
                    line,
                    GraphCsvProblem::TooManyRows {
                        max: pagerank::NODES_MAX,
                    },
                ));
            }
            // Below NODES_MAX, so it fits u32.
            let new = node_ids.len() as u32;
            node_ids.push(id.to_owned());
            index.insert(id.to_owned(), new);
            Ok(new)
        };
        let source = node("source", &fields[0])?;
        let target = node("target", &fields[1])?;
        let weight = match fields.get(2).map(|w| w.as_ref()) {
            None | Some("") => 1.0,
            Some(text) => real_weight(line, text)?,
        };
        edges.push(Edge {
            source,
            target,
            weight,
        });
        Ok(())
    })?;
    if n_columns == 0 {
        return Err(error(1, GraphCsvProblem::Empty { expected: EXPECTED }));
    }
    Ok(GraphCsv { node_ids, edges })
}

/// Reads a personalization for `graph`: the header `node,weight`, then one node of the
/// graph per row with a finite non-negative weight. Returns one value per node of the
/// graph, zero for the nodes not given; a node given twice or not in the graph is an
/// error.
pub fn read_personalization_csv(text: &str, graph: &GraphCsv) -> Result<Vec<f64>, GraphCsvError> {
    let index: HashMap<&str, usize> = graph
        .node_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut values = vec![0.0; graph.node_ids.len()];
    let mut given = vec![false; graph.node_ids.len()];
    read_id_weight(text, "node,weight", "node", |line, id, weight| {
        let weight = real_weight(line, weight)?;
        let &node = index
            .get(id)
            .ok_or_else(|| error(line, GraphCsvProblem::UnknownNode(id.to_owned())))?;
        if std::mem::replace(&mut given[node], true) {
            return Err(error(line, GraphCsvProblem::Duplicate(id.to_owned())));
        }
        values[node] = weight;
        Ok(())
    })?;
    Ok(values)
}

/// The two-column files: `header` exactly, then (id, weight text) rows.
fn read_id_weight(
    text: &str,
    header: &'static str,
    id_column: &'static str,
    mut row: impl FnMut(usize, &str, &str) -> Result<(), GraphCsvError>,
) -> Result<(), GraphCsvError> {
    let mut seen_header = false;
    let (first, second) = header.split_once(',').unwrap_or((header, ""));
    for_each_record(text, |line, fields| {
        if !seen_header {
            if !(fields.len() == 2 && fields[0] == first && fields[1] == second) {
                return Err(error(
                    line,
                    GraphCsvProblem::Header {
                        expected: header,
                        found: fields.join(","),
                    },
                ));
            }
            seen_header = true;
            return Ok(());
        }
        check_field_count(line, fields, 2)?;
        check_id(line, id_column, &fields[0])?;
        row(line, &fields[0], &fields[1])
    })?;
    if !seen_header {
        return Err(error(1, GraphCsvProblem::Empty { expected: header }));
    }
    Ok(())
}

fn check_field_count(
    line: usize,
    fields: &[Cow<'_, str>],
    expected: usize,
) -> Result<(), GraphCsvError> {
    if fields.len() == expected {
        Ok(())
    } else {
        Err(error(
            line,
            GraphCsvProblem::FieldCount {
                found: fields.len(),
                expected,
            },
        ))
    }
}

fn check_id(line: usize, column: &'static str, id: &str) -> Result<(), GraphCsvError> {
    if id.is_empty() {
        return Err(error(line, GraphCsvProblem::EmptyId { column }));
    }
    if id.len() > ID_BYTES_MAX {
        return Err(error(
            line,
            GraphCsvProblem::IdTooLong {
                column,
                length: id.len(),
                max: ID_BYTES_MAX,
            },
        ));
    }
    Ok(())
}

/// A finite non-negative decimal number (`1`, `0.25`, `2e-3`; not `inf` or `nan`).
fn real_weight(line: usize, text: &str) -> Result<f64, GraphCsvError> {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    match text.parse::<f64>() {
        // Adding zero turns -0 into 0.
        Ok(weight) if plain && weight.is_finite() && weight >= 0.0 => Ok(weight + 0.0),
        _ => Err(error(line, GraphCsvProblem::Weight(text.to_owned()))),
    }
}

/// Calls `record` with the line each record starts on and its fields, skipping blank
/// lines. Fields borrow from `text` unless they contain doubled quotes.
fn for_each_record<'a>(
    text: &'a str,
    mut record: impl FnMut(usize, &[Cow<'a, str>]) -> Result<(), GraphCsvError>,
) -> Result<(), GraphCsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut fields: Vec<Cow<'a, str>> = Vec::new();
    let mut at = 0;
    let mut line = 1;
    while at < bytes.len() {
        let record_line = line;
        fields.clear();
        let mut any_quoted = false;
        loop {
            while at < bytes.len() && matches!(bytes[at], b' ' | b'\t') {
                at += 1;
            }
            if at < bytes.len() && bytes[at] == b'"' {
                any_quoted = true;
                at += 1;
                let start = at;
                let mut owned: Option<String> = None;
                loop {
                    let Some(offset) = bytes[at..].iter().position(|&b| b == b'"') else {
                        return Err(error(record_line, GraphCsvProblem::UnclosedQuote));
                    };
                    let end = at + offset;
                    line += bytes[at..end].iter().filter(|&&b| b == b'\n').count();
                    if bytes.get(end + 1) == Some(&b'"') {
                        owned
                            .get_or_insert_with(String::new)
                            .push_str(&text[at..=end]);
                        at = end + 2;
                        continue;
                    }
                    fields.push(match owned {
                        Some(mut field) => {
                            field.push_str(&text[at..end]);
                            Cow::Owned(field)
                        }
                        None => Cow::Borrowed(&text[start..end]),
                    });
                    at = end + 1;
                    break;
                }
                while at < bytes.len() && matches!(bytes[at], b' ' | b'\t') {
                    at += 1;
                }
                if at < bytes.len() && !matches!(bytes[at], b',' | b'\n' | b'\r') {
                    return Err(error(line, GraphCsvProblem::StrayQuote));
                }
            } else {
                let start = at;
                while at < bytes.len() && !matches!(bytes[at], b',' | b'\n' | b'\r') {
                    if bytes[at] == b'"' {
                        return Err(error(line, GraphCsvProblem::StrayQuote));
                    }
                    at += 1;
                }
                fields.push(Cow::Borrowed(text[start..at].trim_end_matches([' ', '\t'])));
            }
            if at < bytes.len() && bytes[at] == b',' {
                at += 1;
                continue;
            }
            // End of the record: a line end or the end of the text.
            if at < bytes.len() && bytes[at] == b'\r' {
                at += 1;
            }
            if at < bytes.len() && bytes[at] == b'\n' {
                at += 1;
            }
            line += 1;
            break;
        }
        let blank = !any_quoted && fields.len() == 1 && fields[0].is_empty();
        if !blank {
            record(record_line, &fields)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_error(result: Result<impl std::fmt::Debug, GraphCsvError>, message: &str, code: &str) {
        let error = result.unwrap_err();
        assert_eq!(error.to_string(), message);
        assert_eq!(error.code(), code);
    }

    #[test]
    fn a_graph_is_read_with_nodes_numbered_by_first_appearance() {
        let graph = read_graph_csv(
            "\u{feff}source,target,weight\r\nalice,\"fix, then test\",2\r\n\r\n\"fix, then test\" , bob ,0.5\nbob,alice,\nalice,\"say \"\"hi\"\"\",1e-1\n",
        )
        .unwrap();
        assert_eq!(
            graph.node_ids,
            ["alice", "fix, then test", "bob", "say \"hi\""]
        );
        let edges: Vec<(u32, u32, f64)> = graph
            .edges
            .iter()
            .map(|e| (e.source, e.target, e.weight))
            .collect();
        assert_eq!(edges, [(0, 1, 2.0), (1, 2, 0.5), (2, 0, 1.0), (0, 3, 0.1)]);
    }

    #[test]
    fn the_weight_column_is_optional() {
        let graph = read_graph_csv("source,target\na,b\nb,a\na,b").unwrap();
        assert_eq!(graph.node_ids, ["a", "b"]);
        assert!(graph.edges.iter().all(|e| e.weight == 1.0));
        assert_eq!(graph.edges.len(), 3);
    }

    #[test]
    fn a_quoted_field_may_span_lines_and_later_lines_keep_their_numbers() {
        check_error(
            read_graph_csv("source,target\n\"a\nb\",c\nd,e,f\n"),
            "line 4: 3 fields, but the header has 2",
            "csv_fields",
        );
    }

    #[test]
    fn malformed_graph_files_name_the_line_and_the_problem() {
        check_error(
            read_graph_csv(""),
            "line 1: the file is empty; expected the header `source,target,weight`",
            "csv_header",
        );
        check_error(
            read_graph_csv("from,to\na,b\n"),
            "line 1: the header is `from,to`; expected `source,target,weight`",
            "csv_header",
        );
        check_error(
            read_graph_csv("source,target,weight\na,b,1\na,b,-1\n"),
            "line 3: the weight `-1` is not a finite non-negative number",
            "csv_weight",
        );
        for weight in ["inf", "NaN", "1e999", "x", "0x10"] {
            let error = read_graph_csv(&format!("source,target,weight\na,b,{weight}\n"));
            assert_eq!(error.unwrap_err().code(), "csv_weight", "{weight}");
        }
        check_error(
            read_graph_csv("source,target,weight\na,b\n"),
            "line 2: 2 fields, but the header has 3",
            "csv_fields",
        );
        check_error(
            read_graph_csv("source,target\n,b\n"),
            "line 2: the source is empty",
            "csv_id",
        );
        check_error(
            read_graph_csv(&format!(
                "source,target\na,{}\n",
                "x".repeat(ID_BYTES_MAX + 1)
            )),
            "line 2: the target is 257 bytes long; at most 256 are allowed",
            "csv_id",
        );
        check_error(
            read_graph_csv("source,target\na,\"b\n"),
            "line 2: a quoted field is not closed",
            "csv_quote",
        );
        check_error(
            read_graph_csv("source,target\na,b\"c\n"),
            "line 2: a stray quote; quote the whole field and double quotes inside it",
            "csv_quote",
        );
        check_error(
            read_graph_csv("source,target\na,\"b\"c\n"),
            "line 2: a stray quote; quote the whole field and double quotes inside it",
            "csv_quote",
        );
    }

    #[test]
    fn a_personalization_gives_one_value_per_graph_node() {
        let graph = read_graph_csv("source,target\na,b\nb,c\n").unwrap();
        assert_eq!(
            read_personalization_csv("node,weight\nc,3\na,0.5\n", &graph).unwrap(),
            [0.5, 0.0, 3.0]
        );
        check_error(
            read_personalization_csv("node,weight\nc,3\nd,1\n", &graph),
            "line 3: `d` is not a node of the graph",
            "csv_unknown_node",
        );
        check_error(
            read_personalization_csv("node,weight\nc,3\nc,1\n", &graph),
            "line 3: `c` appears twice",
            "csv_duplicate_id",
        );
        check_error(
            read_personalization_csv("node,weight\nc,\n", &graph),
            "line 2: the weight `` is not a finite non-negative number",
            "csv_weight",
        );
        check_error(
            read_personalization_csv("id,weight\n", &graph),
            "line 1: the header is `id,weight`; expected `node,weight`",
            "csv_header",
        );
    }
}
