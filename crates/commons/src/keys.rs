//! Local signing keys: one file per key under `<data>/keys/`, holding the hex seed,
//! readable by its owner only (0600). The node's own sequencer key lives in the same
//! directory under the reserved name `node-sequencer`.

use anyhow::{Context, Result, bail};
use commons_ledger::SecretKey;
use std::path::{Path, PathBuf};

/// Name of the node's sequencer key file.
pub const SEQUENCER_KEY_NAME: &str = "node-sequencer";
/// Name of the file holding the node's web secret (sessions, CSRF, sealed account keys).
/// It is not a signing key, so `key list` leaves it out.
pub const WEB_SECRET_NAME: &str = "node-web-secret";
/// Longest key name.
pub const KEY_NAME_LEN_MAX: usize = 64;

pub fn keys_dir(data: &Path) -> PathBuf {
    data.join("keys")
}

fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= KEY_NAME_LEN_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !name.starts_with('.');
    if !valid {
        bail!(
            "key names are 1 to {KEY_NAME_LEN_MAX} characters of [A-Za-z0-9._-], not starting with a dot"
        );
    }
    Ok(())
}

fn key_path(data: &Path, name: &str) -> Result<PathBuf> {
    check_name(name)?;
    Ok(keys_dir(data).join(format!("{name}.key")))
}

/// Creates a key file; refuses to overwrite one.
pub fn create(data: &Path, name: &str) -> Result<SecretKey> {
    let path = key_path(data, name)?;
    if path.exists() {
        bail!("a key named {name} already exists at {}", path.display());
    }
    let key = SecretKey::generate(&mut rand_core::UnwrapErr(getrandom::SysRng));
    write_key(&path, &key)?;
    Ok(key)
}

/// The 32 random bytes in the secret file `name`, created on first use.
pub fn load_or_create_secret(data: &Path, name: &str) -> Result<[u8; 32]> {
    Ok(*load_or_create(data, name)?.seed())
}

fn write_key(path: &Path, key: &SecretKey) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().context("key path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(file, "{}", hex::encode(key.seed()))?;
    file.sync_all()?;
    Ok(())
}

pub fn load(data: &Path, name: &str) -> Result<SecretKey> {
    let path = key_path(data, name)?;
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no key named {name} (looked in {}); create one with `commons key new {name}`",
            path.display()
        )
    })?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed)
        .with_context(|| format!("{} does not hold a 32-byte hex seed", path.display()))?;
    Ok(SecretKey::from_seed(seed))
}

/// Loads the key, creating it on first use (for the node's sequencer key).
pub fn load_or_create(data: &Path, name: &str) -> Result<SecretKey> {
    if key_path(data, name)?.exists() {
        load(data, name)
    } else {
        create(data, name)
    }
}

pub fn list(data: &Path) -> Result<Vec<(String, SecretKey)>> {
    let dir = keys_dir(data);
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for entry in entries {
        let path = entry?.path();
        if let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".key"))
            .filter(|n| *n != WEB_SECRET_NAME)
        {
            out.push((name.to_owned(), load(data, name)?));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
