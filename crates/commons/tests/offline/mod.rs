//! The harness of the offline verbs' transcripts (`tally`, `apportion`, `cred`): the real
//! `commons` binary run on files in a temporary directory, no node.
// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_commons");

/// A verb and its subcommand words, e.g. `["cred", "pagerank"]`.
pub struct Verb(pub &'static [&'static str]);

impl Verb {
    pub fn run(&self, args: &[&str], dir: &Path) -> Output {
        Command::new(BIN)
            .args(self.0)
            .args(args)
            .current_dir(dir)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    }

    /// Standard output of a run that must succeed.
    pub fn ok(&self, args: &[&str], dir: &Path) -> String {
        let output = self.run(args, dir);
        assert!(
            output.status.success(),
            "commons {} {args:?} failed:\n{}",
            self.0.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Standard error of a run that must fail.
    pub fn failure(&self, args: &[&str], dir: &Path) -> String {
        let output = self.run(args, dir);
        assert!(
            !output.status.success(),
            "commons {} {args:?} succeeded",
            self.0.join(" ")
        );
        String::from_utf8(output.stderr).unwrap()
    }
}

/// A temporary directory holding the given files.
pub fn with_files(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        std::fs::write(dir.path().join(name), contents).unwrap();
    }
    dir
}
