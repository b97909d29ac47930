//! placeholder while the receipt module is written
