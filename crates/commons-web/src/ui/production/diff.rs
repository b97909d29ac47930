//! Line diffs between two text revisions of an artifact, for the contribution and
//! artifact pages. The renderer takes two byte slices, so it does not care where the
//! bytes come from; [`blob_bytes`] is the one place that fetches them (from the node's
//! blob store).

use commons_ledger::BlobRef;
use similar::{ChangeTag, TextDiff};

/// Largest blob, in bytes, the pages diff; larger ones are offered for download only.
pub const DIFF_BYTES_MAX: usize = 1024 * 1024;
/// Most lines of a diff a page shows.
pub const DIFF_LINES_MAX: usize = 2_000;
/// Unchanged lines kept around each change.
pub const CONTEXT_LINES: usize = 3;

/// One line of a diff, as the template places it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DiffLine {
    /// `add`, `del`, `same` or `gap` (unchanged lines left out).
    pub tag: &'static str,
    /// Line numbers in the old and new text.
    pub old: Option<usize>,
    pub new: Option<usize>,
    pub text: String,
}

/// A rendered diff, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diff {
    pub lines: Vec<DiffLine>,
    pub added: usize,
    pub removed: usize,
    /// More lines changed than [`DIFF_LINES_MAX`]; the rest is left out.
    pub truncated: bool,
}

/// Why two revisions cannot be shown as a text diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoDiff {
    /// One of them is not UTF-8 text (or holds NUL bytes).
    NotText,
    /// One of them is larger than [`DIFF_BYTES_MAX`].
    TooLarge,
}

impl NoDiff {
    pub fn as_str(&self) -> &'static str {
        match self {
            NoDiff::NotText => "not_text",
            NoDiff::TooLarge => "too_large",
        }
    }
}

fn text(bytes: &[u8]) -> Result<&str, NoDiff> {
    if bytes.len() > DIFF_BYTES_MAX {
        return Err(NoDiff::TooLarge);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => Ok(text),
        _ => Err(NoDiff::NotText),
    }
}

/// The line diff from `old` to `new`, unchanged runs folded to [`CONTEXT_LINES`] of
/// context around each change.
pub fn line_diff(old: &[u8], new: &[u8]) -> Result<Diff, NoDiff> {
    let (old, new) = (text(old)?, text(new)?);
    let diff = TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    let (mut added, mut removed) = (0, 0);
    let mut truncated = false;
    for (i, group) in diff.grouped_ops(CONTEXT_LINES).iter().enumerate() {
        if i > 0 || group.first().is_some_and(|op| op.old_range().start > 0) {
            lines.push(DiffLine {
                tag: "gap",
                old: None,
                new: None,
                text: String::new(),
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let tag = match change.tag() {
                    ChangeTag::Insert => {
                        added += 1;
                        "add"
                    }
                    ChangeTag::Delete => {
                        removed += 1;
                        "del"
                    }
                    ChangeTag::Equal => "same",
                };
                if lines.len() >= DIFF_LINES_MAX {
                    truncated = true;
                    continue;
                }
                lines.push(DiffLine {
                    tag,
                    old: change.old_index().map(|n| n + 1),
                    new: change.new_index().map(|n| n + 1),
                    text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
                });
            }
        }
    }
    Ok(Diff {
        lines,
        added,
        removed,
        truncated,
    })
}

/// Whether a media type is worth diffing as text.
pub fn is_text_media(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/json" | "application/xml" | "application/toml" | "application/yaml"
        )
        || essence.ends_with("+xml")
        || essence.ends_with("+json")
}

/// The bytes of a blob this node holds (the node checks them against their name), or
/// `None` when it does not hold it: a revision names its blob, but a mirror may not have
/// fetched it.
pub async fn blob_bytes(
    state: &crate::AppState,
    blob: &BlobRef,
) -> Result<Option<Vec<u8>>, super::UiError> {
    Ok(state
        .node
        .blob(blob.alg, &blob.hash)
        .await?
        .filter(|(stored, _)| stored.size == blob.size)
        .map(|(_, bytes)| bytes))
}

/// The diff between two blobs, `None` while this node cannot fetch one of them.
pub async fn blob_diff(
    state: &crate::AppState,
    old: &BlobRef,
    new: &BlobRef,
) -> Result<Option<Result<Diff, NoDiff>>, super::UiError> {
    let (Some(old), Some(new)) = (blob_bytes(state, old).await?, blob_bytes(state, new).await?)
    else {
        return Ok(None);
    };
    Ok(Some(line_diff(&old, &new)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(diff: &Diff) -> String {
        diff.lines
            .iter()
            .map(|l| match l.tag {
                "add" => format!("+{}", l.text),
                "del" => format!("-{}", l.text),
                "gap" => "…".to_owned(),
                _ => format!(" {}", l.text),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_changed_line_shows_as_removed_then_added_with_line_numbers() {
        let diff = line_diff(b"one\ntwo\nthree\n", b"one\n2\nthree\nfour\n").unwrap();
        assert_eq!(tags(&diff), " one\n-two\n+2\n three\n+four");
        assert_eq!((diff.added, diff.removed), (2, 1));
        let removed = &diff.lines[1];
        assert_eq!((removed.old, removed.new), (Some(2), None));
        let added = &diff.lines[2];
        assert_eq!((added.old, added.new), (None, Some(2)));
        assert!(!diff.truncated);
    }

    #[test]
    fn long_unchanged_runs_fold_to_context_around_each_change() {
        let old: String = (1..=40).map(|n| format!("line {n}\n")).collect();
        let new = old
            .replace("line 5\n", "line five\n")
            .replace("line 35\n", "");
        let diff = line_diff(old.as_bytes(), new.as_bytes()).unwrap();
        let gaps = diff.lines.iter().filter(|l| l.tag == "gap").count();
        assert_eq!(gaps, 2, "{}", tags(&diff));
        assert!(diff.lines.len() < 25);
        assert_eq!((diff.added, diff.removed), (1, 2));
    }

    #[test]
    fn identical_texts_have_an_empty_diff() {
        let diff = line_diff(b"same\n", b"same\n").unwrap();
        assert!(diff.lines.is_empty());
    }

    #[test]
    fn binary_or_huge_blobs_are_not_diffed() {
        assert_eq!(line_diff(b"a\0b", b"a"), Err(NoDiff::NotText));
        assert_eq!(line_diff(&[0xff, 0xfe], b"a"), Err(NoDiff::NotText));
        let huge = vec![b'a'; DIFF_BYTES_MAX + 1];
        assert_eq!(line_diff(b"a", &huge), Err(NoDiff::TooLarge));
    }

    #[test]
    fn markup_in_a_diff_stays_text_for_the_template_to_escape() {
        let diff = line_diff(b"", b"<script>x</script>\n").unwrap();
        assert_eq!(diff.lines[0].text, "<script>x</script>");
    }

    #[test]
    fn text_media_types_are_recognised() {
        assert!(is_text_media("text/markdown; charset=utf-8"));
        assert!(is_text_media("application/json"));
        assert!(is_text_media("image/svg+xml"));
        assert!(!is_text_media("image/png"));
    }
}
