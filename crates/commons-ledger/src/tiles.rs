//! placeholder while the tiles module is written
