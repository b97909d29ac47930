//! Reading the files the offline verbs take (ballots, weights, graphs, exported ledgers).

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::Path;

/// The whole of `path` (`-` for standard input) as UTF-8 text, refused past `max_bytes`
/// without reading further.
pub fn read_text_file(path: &Path, max_bytes: u64) -> Result<String> {
    let bytes = read_file(path, max_bytes)?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// The whole of `path` (`-` for standard input), refused past `max_bytes` without reading
/// further.
pub fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    let reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        )
    };
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > max_bytes {
        bail!("{} is larger than {max_bytes} bytes", path.display());
    }
    Ok(bytes)
}
