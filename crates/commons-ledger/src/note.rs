//! placeholder while the note module is written
