//! c2sp.org/tlog-tiles: the path examples of the spec, strict path parsing, tiles read
//! from stored hashes against the reference tree, and entry bundles.

// A test that meets an unexpected error should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use commons_ledger::Hash;
use commons_ledger::merkle::{Frontier, MemoryTree, leaf_hash};
use commons_ledger::tiles::{
    EntryBundleRef, TILE_WIDTH, TileError, TileRef, decode_entry_bundle, encode_entry_bundle,
    encode_tile_index, entries_path, full_tile_count, parse_entries_path, parse_tile_path,
    partial_tile, tile_bytes, tile_hash_indexes, tile_hashes, tile_path,
};
use std::collections::BTreeMap;

#[test]
fn the_spec_example_index_is_encoded_in_x_prefixed_groups() {
    assert_eq!(encode_tile_index(1_234_067), "x001/x234/067");
    assert_eq!(encode_tile_index(0), "000");
    assert_eq!(encode_tile_index(999), "999");
    assert_eq!(encode_tile_index(1000), "x001/000");
    assert_eq!(
        encode_tile_index(u64::MAX),
        "x018/x446/x744/x073/x709/x551/615"
    );
}

#[test]
fn tile_and_entry_paths_follow_the_spec() {
    assert_eq!(
        tile_path(0, 1_234_067, 256).unwrap(),
        "tile/0/x001/x234/067"
    );
    assert_eq!(tile_path(1, 5, 17).unwrap(), "tile/1/005.p/17");
    assert_eq!(tile_path(63, 0, 1).unwrap(), "tile/63/000.p/1");
    assert_eq!(
        entries_path(1_234_067, 256).unwrap(),
        "tile/entries/x001/x234/067"
    );
    assert_eq!(entries_path(273, 112).unwrap(), "tile/entries/273.p/112");
    assert_eq!(tile_path(64, 0, 256), Err(TileError::LevelOutOfRange(64)));
    assert_eq!(tile_path(0, 0, 0), Err(TileError::WidthOutOfRange));
    assert_eq!(tile_path(0, 0, 257), Err(TileError::WidthOutOfRange));
    assert_eq!(entries_path(0, 0), Err(TileError::WidthOutOfRange));
}

#[test]
fn every_tile_path_parses_back_to_its_tile() {
    for level in [0u8, 1, 7, 63] {
        for index in [0u64, 1, 999, 1000, 1_234_067, 1_000_000_000, u64::MAX] {
            for width in [1u16, 17, 255, 256] {
                let tile = TileRef::new(level, index, width).unwrap();
                assert_eq!(parse_tile_path(&tile.path()), Ok(tile), "{}", tile.path());
                let bundle = EntryBundleRef::new(index, width).unwrap();
                assert_eq!(
                    parse_entries_path(&bundle.path()),
                    Ok(bundle),
                    "{}",
                    bundle.path()
                );
            }
        }
    }
}

#[test]
fn non_canonical_or_malformed_tile_paths_are_rejected() {
    let bad = [
        "",
        "tile",
        "tile/",
        "tile/0",
        "tile/0/",
        "/tile/0/005",
        "tiles/0/005",
        "tile/00/005",
        "tile/01/005",
        "tile/64/005",
        "tile/256/005",
        "tile/-1/005",
        "tile/a/005",
        "tile/0/5",
        "tile/0/05",
        "tile/0/0005",
        "tile/0/x005",
        "tile/0/005/",
        "tile/0/x000/005",
        "tile/0/x1000/005",
        "tile/0/y001/005",
        "tile/0/001/005",
        "tile/0/x01/005",
        "tile/0/005.p",
        "tile/0/005.p/",
        "tile/0/005.p/0",
        "tile/0/005.p/256",
        "tile/0/005.p/08",
        "tile/0/005.p/8/",
        "tile/0/005.p.p/8",
        "tile/0/005.q/8",
        "tile/0/x001.p/005",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/entries/005",
        "tile/0/+05",
        "tile/0/ 05",
    ];
    for path in bad {
        assert!(parse_tile_path(path).is_err(), "{path:?} parsed");
    }
    for path in [
        "tile/0/005",
        "tile/entries/",
        "tile/entries/05",
        "tile/entries/005.p/0",
    ] {
        assert!(parse_entries_path(path).is_err(), "{path:?} parsed");
    }
    let long = format!("tile/0/{}005", "x001/".repeat(40));
    assert!(parse_tile_path(&long).is_err());
}

#[test]
fn the_spec_examples_of_partial_tiles_hold() {
    // A tree of 70,000 leaves: 273 full level-0 tiles and a partial one of width 112,
    // one full level-1 tile and a partial one of width 17, a partial level-2 tile of width 1.
    assert_eq!(full_tile_count(0, 70_000), 273);
    assert_eq!(
        partial_tile(0, 70_000),
        Some(TileRef {
            level: 0,
            index: 273,
            width: 112
        })
    );
    assert_eq!(full_tile_count(1, 70_000), 1);
    assert_eq!(
        partial_tile(1, 70_000),
        Some(TileRef {
            level: 1,
            index: 1,
            width: 17
        })
    );
    assert_eq!(full_tile_count(2, 70_000), 0);
    assert_eq!(
        partial_tile(2, 70_000),
        Some(TileRef {
            level: 2,
            index: 0,
            width: 1
        })
    );
    assert_eq!(partial_tile(3, 70_000), None);
    // A tree of 256 leaves: a full level-0 tile and a partial level-1 tile of width 1.
    assert_eq!(full_tile_count(0, 256), 1);
    assert_eq!(partial_tile(0, 256), None);
    assert_eq!(
        partial_tile(1, 256),
        Some(TileRef {
            level: 1,
            index: 0,
            width: 1
        })
    );
    assert_eq!(full_tile_count(7, u64::MAX), 0);
    assert_eq!(
        partial_tile(7, u64::MAX),
        Some(TileRef {
            level: 7,
            index: 0,
            width: 255
        })
    );
    assert_eq!(partial_tile(8, u64::MAX), None);
}

#[test]
fn a_tile_exists_in_a_tree_once_its_last_subtree_is_complete() {
    let partial = TileRef::new(1, 1, 17).unwrap();
    assert!(partial.exists_in_tree(70_000));
    assert!(partial.exists_in_tree((256 + 17) * 256));
    assert!(!partial.exists_in_tree((256 + 17) * 256 - 1));
    assert!(TileRef::new(0, 273, 112).unwrap().exists_in_tree(70_000));
    assert!(!TileRef::new(0, 273, 113).unwrap().exists_in_tree(70_000));
    assert!(!TileRef::new(0, 273, 256).unwrap().exists_in_tree(70_000));
    assert!(!TileRef::new(8, 0, 1).unwrap().exists_in_tree(u64::MAX));
    assert!(
        !TileRef::new(0, u64::MAX, 256)
            .unwrap()
            .exists_in_tree(u64::MAX)
    );
    assert!(tile_hash_indexes(8, 0, 1).is_empty());
    assert!(tile_hash_indexes(0, 0, 0).is_empty());
}

/// A store filled the way a node fills it, and the reference tree over the same leaves.
fn stored_and_reference_trees(n_leaves: u64) -> (BTreeMap<u64, Hash>, MemoryTree) {
    let mut frontier = Frontier::empty();
    let mut store = BTreeMap::new();
    let mut memory = MemoryTree::new();
    for i in 0..n_leaves {
        let leaf = leaf_hash(&i.to_be_bytes());
        store.extend(frontier.append(leaf));
        memory.push(leaf);
    }
    (store, memory)
}

/// The tile as a node serves it: its hashes read from the store and concatenated.
fn tile_from_store(store: &BTreeMap<u64, Hash>, tile: TileRef) -> Vec<u8> {
    let hashes: Vec<Hash> = tile_hash_indexes(tile.level, tile.index, tile.width)
        .iter()
        .map(|i| store[i])
        .collect();
    tile_bytes(&hashes)
}

/// The tile from its definition: hash `i` is `MTH(D[(256n + i)·256^l : (256n + i + 1)·256^l])`.
fn tile_from_definition(memory: &MemoryTree, tile: TileRef) -> Vec<u8> {
    let leaves_per_hash = 256u64.pow(u32::from(tile.level));
    let hashes: Vec<Hash> = (0..u64::from(tile.width))
        .map(|i| {
            let start = (tile.index * 256 + i) * leaves_per_hash;
            memory.range_hash(start, start + leaves_per_hash).unwrap()
        })
        .collect();
    tile_bytes(&hashes)
}

#[test]
fn tiles_read_from_stored_hashes_equal_the_hashes_of_the_reference_tree() {
    let tree_size = 70_000;
    let (store, memory) = stored_and_reference_trees(tree_size);
    let mut tiles = Vec::new();
    for level in 0..3u8 {
        for index in 0..full_tile_count(level, tree_size) {
            tiles.push(TileRef::new(level, index, TILE_WIDTH).unwrap());
        }
        if let Some(partial) = partial_tile(level, tree_size) {
            tiles.push(partial);
            // Partial tiles of earlier checkpoints are also served.
            tiles.push(TileRef::new(level, partial.index, 1).unwrap());
        }
    }
    assert_eq!(tiles.len(), 273 + 2 + 1 + 2 + 2);
    for tile in tiles {
        assert!(tile.exists_in_tree(tree_size));
        let bytes = tile_from_store(&store, tile);
        assert_eq!(bytes.len(), usize::from(tile.width) * 32);
        assert_eq!(
            bytes,
            tile_from_definition(&memory, tile),
            "{}",
            tile.path()
        );
    }
    // The root of a full level-0 tile is the first hash of the level-1 tile.
    let level_one = tile_hashes(
        &tile_from_store(&store, TileRef::new(1, 0, 256).unwrap()),
        256,
    )
    .unwrap();
    assert_eq!(level_one[0], memory.range_hash(0, 256).unwrap());
}

#[test]
fn tile_data_must_be_exactly_width_hashes() {
    let hashes: Vec<Hash> = (0u8..3).map(|i| Hash::of(&[&[i]])).collect();
    let bytes = tile_bytes(&hashes);
    assert_eq!(tile_hashes(&bytes, 3).unwrap(), hashes);
    assert_eq!(
        tile_hashes(&bytes, 4),
        Err(TileError::TileLength {
            expected: 128,
            got: 96
        })
    );
    assert!(tile_hashes(&bytes[..95], 3).is_err());
    assert!(tile_hashes(&[], 0).is_err());
}

#[test]
fn entry_bundles_round_trip_and_hash_to_the_level_zero_tile() {
    let entries: Vec<Vec<u8>> = (0..256u32)
        .map(|i| vec![i as u8; (i as usize * 7) % 300])
        .collect();
    let bundle = encode_entry_bundle(&entries).unwrap();
    assert_eq!(&bundle[..2], &[0, 0], "first entry is empty");
    assert_eq!(decode_entry_bundle(&bundle).unwrap(), entries);

    let memory = MemoryTree::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)).collect());
    let decoded_leaf_hashes: Vec<Hash> = decode_entry_bundle(&bundle)
        .unwrap()
        .iter()
        .map(|e| leaf_hash(e))
        .collect();
    assert_eq!(decoded_leaf_hashes, memory.leaf_hashes());

    let bundle_ref = parse_entries_path("tile/entries/000").unwrap();
    assert_eq!(bundle_ref.leaf_range(), Some(0..256));
    assert_eq!(
        EntryBundleRef::new(2, 5).unwrap().leaf_range(),
        Some(512..517)
    );
}

#[test]
fn entry_bundles_enforce_their_limits() {
    assert_eq!(
        encode_entry_bundle(&[vec![1u8; 65_535]]).unwrap().len(),
        65_537
    );
    assert_eq!(
        encode_entry_bundle(&[vec![1u8; 65_536]]),
        Err(TileError::EntryTooLong(65_536))
    );
    let too_many: Vec<Vec<u8>> = vec![vec![]; 257];
    assert_eq!(
        encode_entry_bundle(&too_many),
        Err(TileError::TooManyEntries)
    );
    assert_eq!(
        decode_entry_bundle(&[0u8; 2 * 257]),
        Err(TileError::TooManyEntries)
    );
    assert_eq!(decode_entry_bundle(&[0]), Err(TileError::BundleTruncated));
    assert_eq!(
        decode_entry_bundle(&[0, 3, 1, 2]),
        Err(TileError::BundleTruncated)
    );
    assert_eq!(decode_entry_bundle(&[]).unwrap(), Vec::<Vec<u8>>::new());
    assert_eq!(
        decode_entry_bundle(&[0, 1, 9, 0, 0]).unwrap(),
        vec![vec![9], vec![]]
    );
}
