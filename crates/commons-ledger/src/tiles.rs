//! The ledger as c2sp.org/tlog-tiles (spec §8): fixed, immutable files a mirror can serve
//! from a plain static file server.
//!
//! A tile at tile level `L` holds up to 256 consecutive hashes of tree level `8L`: at level
//! 0 the leaf hashes, at level 1 the roots of full level-0 tiles, and so on. Every hash in a
//! tile is the hash of a complete subtree, so a tile is read straight out of the stored
//! hashes of [`crate::merkle`]. Entry bundles hold the leaf data behind a level-0 tile.
//!
//! Paths encode the tile index in zero-padded groups of three digits, all but the last
//! prefixed with `x` (index 1234067 is `x001/x234/067`), so that a file system never needs
//! a huge directory and a file never collides with a directory.

use crate::hash::Hash;
use crate::merkle;

/// Hashes in a full tile.
pub const TILE_WIDTH: u16 = 256;
/// Tree levels one tile level spans: a tile is a subtree of height 8.
pub const TILE_HEIGHT: u8 = 8;
/// Highest tile level the tlog-tiles path syntax allows.
pub const TILE_LEVEL_MAX: u8 = 63;
/// Highest tile level a tree of at most 2^64 leaves reaches (`8 * 7 = 56 <= 63` tree levels).
pub const TILE_LEVEL_IN_TREE_MAX: u8 = 7;
/// Longest entry in an entry bundle: its length is a big-endian u16.
pub const ENTRY_LEN_MAX: usize = u16::MAX as usize;
/// Longest tile path we produce or accept: `tile/entries/` and twenty digit groups.
pub const TILE_PATH_LEN_MAX: usize = 128;

/// Why a tile path, tile or entry bundle is refused. Each variant has a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("malformed tile path: {0}")]
    PathMalformed(&'static str),
    #[error("tile level {0} is out of range")]
    LevelOutOfRange(u8),
    #[error("tile width must be 1 to 256")]
    WidthOutOfRange,
    #[error("tile data must be {expected} bytes, got {got}")]
    TileLength { expected: usize, got: usize },
    #[error("entry of {0} bytes is longer than 65535 bytes")]
    EntryTooLong(usize),
    #[error("entry bundle holds more than 256 entries")]
    TooManyEntries,
    #[error("entry bundle is truncated")]
    BundleTruncated,
}

impl TileError {
    /// The stable, machine-readable code of this rejection.
    pub fn code(&self) -> &'static str {
        match self {
            TileError::PathMalformed(_) => "tile_path_malformed",
            TileError::LevelOutOfRange(_) => "tile_level_out_of_range",
            TileError::WidthOutOfRange => "tile_width_out_of_range",
            TileError::TileLength { .. } => "tile_length_mismatch",
            TileError::EntryTooLong(_) => "entry_too_long",
            TileError::TooManyEntries => "entry_bundle_too_many_entries",
            TileError::BundleTruncated => "entry_bundle_truncated",
        }
    }
}

/// A hash tile: its tile level, its index within the level and its width (256 for a full
/// tile, 1 to 255 for a partial one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileRef {
    pub level: u8,
    pub index: u64,
    pub width: u16,
}

/// An entry bundle: the leaf data behind level-0 tile `index`, `width` entries long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryBundleRef {
    pub index: u64,
    pub width: u16,
}

fn check_width(width: u16) -> Result<(), TileError> {
    if width == 0 || width > TILE_WIDTH {
        return Err(TileError::WidthOutOfRange);
    }
    Ok(())
}

impl TileRef {
    pub fn new(level: u8, index: u64, width: u16) -> Result<TileRef, TileError> {
        if level > TILE_LEVEL_MAX {
            return Err(TileError::LevelOutOfRange(level));
        }
        check_width(width)?;
        Ok(TileRef {
            level,
            index,
            width,
        })
    }

    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}{}",
            self.level,
            encode_tile_index(self.index),
            partial_suffix(self.width)
        )
    }

    /// The tree level of the hashes in this tile.
    pub fn tree_level(&self) -> Option<u8> {
        self.level.checked_mul(TILE_HEIGHT)
    }

    /// Number of leaves under one hash of this tile, `256^level`; `None` past the tree.
    pub fn leaves_per_hash(&self) -> Option<u64> {
        1u64.checked_shl(u32::from(self.tree_level()?))
    }

    /// Whether a tree of `tree_size` leaves holds every hash of this tile, so that it can be
    /// served for that tree: its last hash's subtree must be complete.
    pub fn exists_in_tree(&self, tree_size: u64) -> bool {
        let Some(leaves_per_hash) = self.leaves_per_hash() else {
            return false;
        };
        self.index
            .checked_mul(u64::from(TILE_WIDTH))
            .and_then(|first| first.checked_add(u64::from(self.width)))
            .and_then(|end_hash| end_hash.checked_mul(leaves_per_hash))
            .is_some_and(|end_leaf| end_leaf <= tree_size)
    }
}

impl EntryBundleRef {
    pub fn new(index: u64, width: u16) -> Result<EntryBundleRef, TileError> {
        check_width(width)?;
        Ok(EntryBundleRef { index, width })
    }

    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/entries/{}{}",
            encode_tile_index(self.index),
            partial_suffix(self.width)
        )
    }

    /// The ledger indexes of the entries in this bundle, `start .. end`.
    pub fn leaf_range(&self) -> Option<std::ops::Range<u64>> {
        let start = self.index.checked_mul(u64::from(TILE_WIDTH))?;
        let end = start.checked_add(u64::from(self.width))?;
        Some(start..end)
    }
}

fn partial_suffix(width: u16) -> String {
    if width == TILE_WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

/// A tile index as path elements: zero-padded groups of three digits, all but the last
/// prefixed with `x`, with no leading all-zero group (`1234067` → `x001/x234/067`).
pub fn encode_tile_index(index: u64) -> String {
    let mut groups = vec![index % 1000];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let n_groups = groups.len();
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, group)| {
            if i + 1 < n_groups {
                format!("x{group:03}")
            } else {
                format!("{group:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Parses the path elements of a tile index, accepting only what [`encode_tile_index`]
/// writes, so that each tile has exactly one path.
pub fn decode_tile_index(elements: &[&str]) -> Result<u64, TileError> {
    let Some((last, leading)) = elements.split_last() else {
        return Err(TileError::PathMalformed("tile index is missing"));
    };
    let three_digits = |text: &str| -> Option<u64> {
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse().ok()
        } else {
            None
        }
    };
    let mut index: u64 = 0;
    for (position, element) in leading.iter().enumerate() {
        let group =
            element
                .strip_prefix('x')
                .and_then(three_digits)
                .ok_or(TileError::PathMalformed(
                    "tile index group is not x and three digits",
                ))?;
        if position == 0 && group == 0 {
            return Err(TileError::PathMalformed(
                "tile index has a leading zero group",
            ));
        }
        index = index
            .checked_mul(1000)
            .and_then(|i| i.checked_add(group))
            .ok_or(TileError::PathMalformed("tile index is too large"))?;
    }
    let group = three_digits(last).ok_or(TileError::PathMalformed(
        "last tile index group is not three digits",
    ))?;
    index
        .checked_mul(1000)
        .and_then(|i| i.checked_add(group))
        .ok_or(TileError::PathMalformed("tile index is too large"))
}

/// A decimal without leading zeroes that fits in a u8.
fn parse_small_decimal(text: &str) -> Option<u16> {
    let canonical = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

/// Splits `<N>[.p/<W>]` into the index and the width (256 when there is no suffix).
fn parse_index_and_width(elements: &[&str]) -> Result<(u64, u16), TileError> {
    match elements {
        [leading @ .., before_width, width] if before_width.ends_with(".p") => {
            let width = parse_small_decimal(width)
                .filter(|w| (1..TILE_WIDTH).contains(w))
                .ok_or(TileError::WidthOutOfRange)?;
            let mut index_elements = leading.to_vec();
            index_elements.push(before_width.strip_suffix(".p").unwrap_or(before_width));
            Ok((decode_tile_index(&index_elements)?, width))
        }
        _ => Ok((decode_tile_index(elements)?, TILE_WIDTH)),
    }
}

fn path_elements(path: &str) -> Result<Vec<&str>, TileError> {
    if path.len() > TILE_PATH_LEN_MAX {
        return Err(TileError::PathMalformed("tile path is too long"));
    }
    let rest = path.strip_prefix("tile/").ok_or(TileError::PathMalformed(
        "tile path does not start with tile/",
    ))?;
    Ok(rest.split('/').collect())
}

/// The path of a hash tile, `tile/<L>/<N>[.p/<W>]`.
pub fn tile_path(level: u8, index: u64, width: u16) -> Result<String, TileError> {
    Ok(TileRef::new(level, index, width)?.path())
}

/// The path of an entry bundle, `tile/entries/<N>[.p/<W>]`.
pub fn entries_path(index: u64, width: u16) -> Result<String, TileError> {
    Ok(EntryBundleRef::new(index, width)?.path())
}

/// Parses `tile/<L>/<N>[.p/<W>]`, accepting only the one canonical path of each tile.
pub fn parse_tile_path(path: &str) -> Result<TileRef, TileError> {
    let elements = path_elements(path)?;
    let (level_text, rest) = elements
        .split_first()
        .ok_or(TileError::PathMalformed("tile level is missing"))?;
    let level = parse_small_decimal(level_text).ok_or(TileError::PathMalformed(
        "tile level is not a decimal without leading zeroes",
    ))?;
    let level = u8::try_from(level)
        .ok()
        .filter(|level| *level <= TILE_LEVEL_MAX)
        .ok_or(TileError::PathMalformed("tile level is above 63"))?;
    let (index, width) = parse_index_and_width(rest)?;
    TileRef::new(level, index, width)
}

/// Parses `tile/entries/<N>[.p/<W>]`, accepting only the one canonical path of each bundle.
pub fn parse_entries_path(path: &str) -> Result<EntryBundleRef, TileError> {
    let elements = path_elements(path)?;
    let rest = match elements.split_first() {
        Some((&"entries", rest)) => rest,
        _ => {
            return Err(TileError::PathMalformed(
                "entry bundle path does not start with tile/entries/",
            ));
        }
    };
    let (index, width) = parse_index_and_width(rest)?;
    EntryBundleRef::new(index, width)
}

/// The storage indexes of the hashes of tile `(level, index)` with `width` hashes, in tile
/// order: hash `i` is the tree-level-`8·level` hash number `256·index + i`. Empty when the
/// arguments name no tile a tree can hold.
pub fn tile_hash_indexes(level: u8, index: u64, width: u16) -> Vec<u64> {
    let Ok(tile) = TileRef::new(level, index, width) else {
        return Vec::new();
    };
    if !tile.exists_in_tree(merkle::TREE_SIZE_MAX) {
        return Vec::new();
    }
    let Some(tree_level) = tile.tree_level() else {
        return Vec::new();
    };
    let first = index * u64::from(TILE_WIDTH);
    (0..u64::from(width))
        .map(|i| merkle::stored_hash_index(tree_level, first + i))
        .collect()
}

/// Tile data: the hashes concatenated, 32 bytes each.
pub fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|hash| hash.0).collect()
}

/// The hashes of a tile of `width` hashes from its data.
pub fn tile_hashes(bytes: &[u8], width: u16) -> Result<Vec<Hash>, TileError> {
    check_width(width)?;
    let expected = usize::from(width) * 32;
    if bytes.len() != expected {
        return Err(TileError::TileLength {
            expected,
            got: bytes.len(),
        });
    }
    Ok(bytes
        .chunks_exact(32)
        .filter_map(Hash::from_slice)
        .collect())
}

/// How many full tiles level `level` has in a tree of `tree_size` leaves.
pub fn full_tile_count(level: u8, tree_size: u64) -> u64 {
    // Level 7 and above have no full tiles: their tiles would span 2^64 leaves or more.
    let shift = (u32::from(level) + 1) * u32::from(TILE_HEIGHT);
    tree_size.checked_shr(shift).unwrap_or(0)
}

/// The partial tile at `level` of a tree of `tree_size` leaves, if the level has one: its
/// width is `floor(tree_size / 256^level) mod 256` (tlog-tiles, "Partial Tiles").
pub fn partial_tile(level: u8, tree_size: u64) -> Option<TileRef> {
    if level > TILE_LEVEL_IN_TREE_MAX {
        return None;
    }
    let hashes_at_level = tree_size >> (u32::from(level) * u32::from(TILE_HEIGHT));
    // The remainder is below 256, so it fits in a u16.
    let width = (hashes_at_level % u64::from(TILE_WIDTH)) as u16;
    if width == 0 {
        return None;
    }
    Some(TileRef {
        level,
        index: hashes_at_level / u64::from(TILE_WIDTH),
        width,
    })
}

/// An entry bundle: each entry as a big-endian u16 length and its bytes.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    if entries.len() > usize::from(TILE_WIDTH) {
        return Err(TileError::TooManyEntries);
    }
    let mut bundle = Vec::new();
    for entry in entries {
        let entry = entry.as_ref();
        let len = u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLong(entry.len()))?;
        bundle.extend_from_slice(&len.to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    Ok(bundle)
}

/// The entries of an entry bundle, refusing truncated data and more than 256 entries.
pub fn decode_entry_bundle(bundle: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let mut entries = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        if entries.len() == usize::from(TILE_WIDTH) {
            return Err(TileError::TooManyEntries);
        }
        let (len_bytes, after_len) = rest.split_at_checked(2).ok_or(TileError::BundleTruncated)?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        let (entry, after_entry) = after_len
            .split_at_checked(len)
            .ok_or(TileError::BundleTruncated)?;
        entries.push(entry.to_vec());
        rest = after_entry;
    }
    Ok(entries)
}
