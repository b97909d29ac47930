//! The CLI harness shared by the association and budgeting transcripts: a real node on a
//! free port with a manual clock set to the wall clock, and the real `commons` binary run
//! against it with a data directory of keys.
// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use commons_testkit::TestNode;
use commons_web::{WebConfig, router};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tokio::sync::oneshot;

pub const BIN: &str = env!("CARGO_BIN_EXE_commons");
pub const HOUR_MS: u64 = 3_600_000;

/// A node served on a free port; stops when dropped.
pub struct Node {
    pub test: TestNode,
    pub url: String,
    pub _stop: oneshot::Sender<()>,
}

pub async fn start_node() -> Node {
    let test = TestNode::start().await;
    let wall_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    test.clock.set(wall_ms);
    let app = router(test.node.clone(), WebConfig::default().without_rate_limit());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(commons_web::serve_with_shutdown(listener, app, async {
        let _ = stopped.await;
    }));
    Node {
        test,
        url,
        _stop: stop,
    }
}

/// The CLI user: a data directory of keys and the node's URL.
pub struct User {
    pub data: PathBuf,
    pub url: String,
}

impl User {
    /// Runs `commons ARGS --node URL` off the async runtime, which keeps serving.
    pub async fn output(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend(["--node".to_owned(), self.url.clone()]);
        let data = self.data.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .args(&all)
                .env("COMMONS_DATA", &data)
                .env("RUST_LOG", "warn")
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    }

    pub async fn ok(&self, args: &[&str]) -> String {
        let output = self.output(args).await;
        assert!(
            output.status.success(),
            "commons {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a verb that must fail; returns its standard error.
    pub async fn refused(&self, args: &[&str]) -> String {
        let output = self.output(args).await;
        assert!(!output.status.success(), "commons {args:?} succeeded");
        String::from_utf8(output.stderr).unwrap()
    }

    /// The first word of a write's answer: the event's id.
    pub async fn id(&self, args: &[&str]) -> String {
        let out = self.ok(args).await;
        out.split_whitespace().next().unwrap().to_owned()
    }
}

/// Runs a local verb that needs no node (keys, help, examples).
pub fn local(args: &[&str], data: &Path) -> String {
    let output = Command::new(BIN)
        .args(args)
        .env("COMMONS_DATA", data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "commons {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
