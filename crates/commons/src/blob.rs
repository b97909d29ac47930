//! `commons blob put` and `commons blob get`: artifact contents to and from a node's blob
//! store, checked against their digest on this side of the wire too.

use crate::cli::BlobCommand;
use crate::client::Client;
use anyhow::{Context, Result, bail};
use commons_ledger::blob::BlobRef;
use commons_store::BLOB_BYTES_MAX;
use std::io::Write;
use std::path::Path;

pub async fn run(command: BlobCommand) -> Result<()> {
    match command {
        BlobCommand::Put { file, node } => put(&Client::new(&node.node)?, &file).await,
        BlobCommand::Get {
            reference,
            output,
            node,
        } => get(&Client::new(&node.node)?, &reference, output.as_deref()).await,
    }
}

/// Reads a file, uploads it as a blob and checks the node named it as the client did;
/// returns the reference and whether the node stored it now.
pub async fn upload(client: &Client, file: &Path) -> Result<(BlobRef, bool)> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > BLOB_BYTES_MAX {
        bail!(
            "{} has {size} bytes; a blob holds at most {BLOB_BYTES_MAX}",
            file.display()
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let local = BlobRef::of_bytes(&bytes);
    let (stored, created) = client.put_blob(local.alg, bytes).await?;
    if stored != local {
        bail!(
            "the node named the blob {stored:?}, but {} is {local:?}",
            file.display()
        );
    }
    Ok((stored, created))
}

async fn put(client: &Client, file: &Path) -> Result<()> {
    let (stored, created) = upload(client, file).await?;
    println!("{} {} bytes", stored.name(), stored.size);
    eprintln!("{}", if created { "stored" } else { "already stored" });
    Ok(())
}

async fn get(client: &Client, reference: &str, output: Option<&Path>) -> Result<()> {
    let (alg, hash) = BlobRef::parse_name(reference)
        .map_err(|e| anyhow::anyhow!("`{reference}` is not a blob reference: {e}"))?;
    let bytes = client.blob(reference, BLOB_BYTES_MAX).await?;
    if alg.digest(&bytes) != hash {
        bail!(
            "the node sent {} bytes that are not {reference}; nothing was written",
            bytes.len()
        );
    }
    match output {
        Some(path) => write_whole(path, &bytes),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Writes `bytes` to a temporary file next to `path` and renames it into place, so that
/// `path` never holds part of a blob; the temporary file is removed on failure.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?;
    let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let written = std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(error).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}
