//! A real `commons serve` child process: started on a free loopback port, its address read
//! from the banner it prints, ready once `/healthz` answers. The crash test
//! ([`crate::crash`]) and the browser tests (`crates/commons-browser`) run their nodes this
//! way; [`commons_binary`] finds (and builds) the binary for crates that do not own it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Bytes of a child's output kept in a failure message.
pub const OUTPUT_TAIL_BYTES_MAX: usize = 4_000;
/// Pause between two looks at the banner, and between two `/healthz` attempts.
const START_POLL_MS: u64 = 10;

/// A running `commons serve` child. Whether it dies with this value is the command's
/// choice (`Command::kill_on_drop`).
pub struct ServeProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    pub stdout_path: PathBuf,
    pub stderr_path: PathBuf,
}

impl ServeProcess {
    /// Sends SIGKILL (the node gets no chance to clean up) and reaps the child.
    pub async fn kill(&mut self) -> Result<(), String> {
        self.child
            .start_kill()
            .map_err(|e| format!("cannot SIGKILL the node: {e}"))?;
        self.child
            .wait()
            .await
            .map_err(|e| format!("cannot reap the killed node: {e}"))?;
        Ok(())
    }

    /// The end of the node's standard error, for failure messages.
    pub fn stderr_tail(&self) -> String {
        tail(&self.stderr_path)
    }
}

/// Why a node did not come up.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The harness could not do its job (create a log file, spawn the process).
    #[error("{0}")]
    Harness(String),
    /// The node ran but did not serve: it exited, printed no address or never answered
    /// `/healthz` in time. The message ends with its standard error.
    #[error("{0}")]
    NotServing(String),
}

/// Starts `command` (`commons serve …` with everything but `--listen` and the output
/// streams) on `127.0.0.1:0`, with its standard output and error written to the two files,
/// reads the address it prints and waits until `/healthz` answers, all within `timeout`.
pub async fn start(
    mut command: Command,
    stdout_path: &Path,
    stderr_path: &Path,
    checker: &reqwest::Client,
    timeout: Duration,
) -> Result<ServeProcess, StartError> {
    let open = |path: &Path| {
        std::fs::File::create(path)
            .map_err(|e| StartError::Harness(format!("cannot create {}: {e}", path.display())))
    };
    command
        .arg("--listen")
        .arg("127.0.0.1:0")
        .stdout(open(stdout_path)?)
        .stderr(open(stderr_path)?);
    let mut child = command.spawn().map_err(|e| {
        StartError::Harness(format!(
            "cannot run {}: {e}",
            Path::new(command.as_std().get_program()).display()
        ))
    })?;
    let timeout_ms = timeout.as_millis();
    let deadline = Instant::now() + timeout;
    let base = loop {
        let printed = std::fs::read_to_string(stdout_path).unwrap_or_default();
        if let Some(base) = printed_base_url(&printed) {
            break base;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(StartError::NotServing(format!(
                "the node exited with {status} before serving; stderr ends:\n{}",
                tail(stderr_path)
            )));
        }
        if Instant::now() > deadline {
            return Err(StartError::NotServing(format!(
                "the node printed no address within {timeout_ms} ms; stderr ends:\n{}",
                tail(stderr_path)
            )));
        }
        tokio::time::sleep(Duration::from_millis(START_POLL_MS)).await;
    };
    let node = ServeProcess {
        child,
        base,
        stdout_path: stdout_path.to_path_buf(),
        stderr_path: stderr_path.to_path_buf(),
    };
    loop {
        let healthy = checker
            .get(format!("{}/healthz", node.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if healthy {
            return Ok(node);
        }
        if Instant::now() > deadline {
            return Err(StartError::NotServing(format!(
                "/healthz did not answer within {timeout_ms} ms; stderr ends:\n{}",
                node.stderr_tail()
            )));
        }
        tokio::time::sleep(Duration::from_millis(START_POLL_MS)).await;
    }
}

/// The `commons` binary of this workspace for a test or tool in another crate (cargo gives
/// `CARGO_BIN_EXE_commons` only to the `commons` package's own tests). When run by cargo
/// (`$CARGO` is set) it is built first, in the profile of the running executable (`test`
/// for a test binary of a debug build), so a stale binary is never tested; it is then taken
/// from the running executable's target directory (`target/<profile>/`, also for test
/// binaries in `target/<profile>/deps/`).
/// The answer is computed once per process: tests running in parallel share one build.
pub fn commons_binary() -> Result<PathBuf, String> {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY.get_or_init(build_commons_binary).clone()
}

fn build_commons_binary() -> Result<PathBuf, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find this binary's path: {e}"))?;
    let mut dir = exe
        .parent()
        .ok_or_else(|| format!("{} has no directory", exe.display()))?;
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir = dir
            .parent()
            .ok_or_else(|| format!("{} has no parent directory", dir.display()))?;
    }
    let release = dir.file_name().is_some_and(|name| name == "release");
    // A test binary (in `deps/`) of a debug build was built with the `test` profile: build
    // the node with it too, so that the workspace crates compiled for the test are reused.
    let test_profile = !release && exe.parent().is_some_and(|p| p.ends_with("deps"));
    if let Ok(cargo) = std::env::var("CARGO") {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("commons")
            .join("Cargo.toml");
        let mut command = std::process::Command::new(cargo);
        command
            .args(["build", "--quiet", "-p", "commons", "--bin", "commons"])
            .arg("--manifest-path")
            .arg(&manifest);
        if release {
            command.arg("--release");
        } else if test_profile {
            command.args(["--profile", "test"]);
        }
        let status = command
            .status()
            .map_err(|e| format!("cannot run cargo to build the commons binary: {e}"))?;
        if !status.success() {
            return Err(format!("building the commons binary failed ({status})"));
        }
    }
    let path = dir.join(format!("commons{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        return Err(format!(
            "no commons binary at {}; build it with `cargo build -p commons`{}",
            path.display(),
            if release { " --release" } else { "" }
        ));
    }
    Ok(path)
}

/// The base URL in the node's first line of output: `… at http://ADDR/`.
pub(crate) fn printed_base_url(stdout: &str) -> Option<String> {
    let line = stdout.lines().find(|l| l.contains("http://"))?;
    let start = line.find("http://")?;
    let url = line[start..].split_whitespace().next()?;
    // Only a complete line counts: the address is followed by a newline once printed.
    stdout
        .contains(&format!("{line}\n"))
        .then(|| url.trim_end_matches('/').to_owned())
}

/// The last [`OUTPUT_TAIL_BYTES_MAX`] bytes of `text`.
pub fn truncate_tail(text: &str) -> String {
    if text.len() <= OUTPUT_TAIL_BYTES_MAX {
        return text.to_owned();
    }
    let mut start = text.len() - OUTPUT_TAIL_BYTES_MAX;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// The end of a log file and its path, for failure messages.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    format!("{} ({})", truncate_tail(&text), path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_address_is_read_only_from_a_complete_line() {
        let line = "commons node serving /d at http://127.0.0.1:4321/\n";
        assert_eq!(
            printed_base_url(line).as_deref(),
            Some("http://127.0.0.1:4321")
        );
        assert_eq!(printed_base_url(line.trim_end()), None);
        assert_eq!(printed_base_url(""), None);
    }
}
