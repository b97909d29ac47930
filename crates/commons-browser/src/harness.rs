use anyhow::{Context, Result, anyhow, bail, ensure};
use commons_testkit::serve::{self, ServeProcess, commons_binary, tail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// What to run when Chromium or chromedriver is missing (Debian's packages).
pub const INSTALL: &str = "apt-get install -y chromium chromium-driver";
/// Chromium's command line: headless, no sandbox (CI runs as root in a container), no
/// reliance on a small `/dev/shm`, a desktop-sized window.
pub const CHROMIUM_ARGS: [&str; 4] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];
/// The desktop window, as in [`CHROMIUM_ARGS`].
pub const DESKTOP: (u32, u32) = (1280, 900);
/// A phone-sized window (an iPhone 12–15 in CSS pixels).
pub const PHONE: (u32, u32) = (390, 844);
/// Overrides the Chromium binary.
pub const CHROMIUM_VAR: &str = "COMMONS_CHROMIUM";
/// Overrides the chromedriver binary.
pub const CHROMEDRIVER_VAR: &str = "COMMONS_CHROMEDRIVER";
/// Overrides the screenshot directory (`target/screenshots/` by default).
pub const SCREENSHOTS_VAR: &str = "COMMONS_SCREENSHOTS";
/// How long the node may take to serve, and chromedriver to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long an element may take to appear, or a page to load after a click.
pub const WAIT: Duration = Duration::from_secs(15);
/// How long one HTTP request made outside the browser may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Characters of a page's text quoted in a failure message.
const PAGE_TEXT_MAX: usize = 1_500;
/// Environment variables that would point the node at another store than its fresh one.
const NODE_ENV_REMOVED: [&str; 3] = ["COMMONS_DATABASE_URL", "COMMONS_DATA", "COMMONS_NODE"];

/// A real `commons serve` on `127.0.0.1:0` with a fresh data directory. It is killed when
/// dropped; its data and logs go with the temporary directory.
pub struct Node {
    pub process: ServeProcess,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    /// The binary, for CLI checks such as `commons proof verify`.
    pub commons_bin: PathBuf,
    /// The node's sequencer key (hex), from `/api/v1/node`.
    pub sequencer: String,
    /// Holds `data/` and `logs/`.
    pub work: TempDir,
    pub http: reqwest::Client,
}

impl Node {
    /// Builds the binary if needed, starts it and waits until it serves.
    pub async fn start() -> Result<Node> {
        Node::start_with(&[]).await
    }

    /// [`Node::start`] with `serve --demo`: the demo commons and its accounts.
    pub async fn start_demo() -> Result<Node> {
        Node::start_with(&["--demo"]).await
    }

    async fn start_with(extra: &[&str]) -> Result<Node> {
        let commons_bin = commons_binary().map_err(|e| anyhow!(e))?;
        let work = tempfile::Builder::new()
            .prefix("commons-browser-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        let data = work.path().join("data");
        let logs = work.path().join("logs");
        std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {logs:?}"))?;
        let mut command = Command::new(&commons_bin);
        command.arg("serve").arg("--data").arg(&data).args(extra);
        for var in NODE_ENV_REMOVED {
            command.env_remove(var);
        }
        command.stdin(Stdio::null()).kill_on_drop(true);
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build an HTTP client")?;
        let process = serve::start(
            command,
            &logs.join("serve.stdout"),
            &logs.join("serve.stderr"),
            &http,
            START_TIMEOUT,
        )
        .await
        .map_err(|e| anyhow!("the node did not start: {e}"))?;
        let base = process.base.clone();
        let info: Value = http
            .get(format!("{base}/api/v1/node"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("GET /api/v1/node")?
            .json()
            .await
            .context("GET /api/v1/node: not JSON")?;
        let sequencer = info["sequencer"]
            .as_str()
            .ok_or_else(|| anyhow!("/api/v1/node names no sequencer key: {info}"))?
            .to_owned();
        Ok(Node {
            process,
            base,
            commons_bin,
            sequencer,
            work,
            http,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The end of the node's standard error, for failure messages.
    pub fn stderr_tail(&self) -> String {
        self.process.stderr_tail()
    }
}

/// The first of `candidates` that is a file, after the override in `var`.
fn find_program(var: &str, candidates: &[&str], what: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        ensure!(
            path.is_file(),
            "{var}={} is not a file; unset it or install {what} with `{INSTALL}`",
            path.display()
        );
        return Ok(path);
    }
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for candidate in candidates {
        let candidate = Path::new(candidate);
        if candidate.is_absolute() {
            if candidate.is_file() {
                return Ok(candidate.to_path_buf());
            }
        } else if let Some(found) = path_dirs
            .iter()
            .map(|dir| dir.join(candidate))
            .find(|p| p.is_file())
        {
            return Ok(found);
        }
    }
    bail!(
        "{what} is not installed (looked for {} and ${var}). The browser tests need it: \
         install it with `{INSTALL}` (as root, or with sudo), or set {var}",
        candidates.join(", ")
    )
}

/// The Chromium to drive: `$COMMONS_CHROMIUM`, else Debian's or a usual install.
pub fn chromium_path() -> Result<PathBuf> {
    find_program(
        CHROMIUM_VAR,
        &[
            "/usr/bin/chromium",
            "chromium",
            "chromium-browser",
            "google-chrome",
        ],
        "Chromium",
    )
}

/// The chromedriver: `$COMMONS_CHROMEDRIVER`, else Debian's `chromium-driver` or one on PATH.
pub fn chromedriver_path() -> Result<PathBuf> {
    find_program(
        CHROMEDRIVER_VAR,
        &[
            "/usr/bin/chromedriver",
            "chromedriver",
            "/usr/lib/chromium/chromedriver",
        ],
        "chromedriver",
    )
}

/// `target/screenshots/` of this workspace (the test binary lives in
/// `target/<profile>/deps/`), or `$COMMONS_SCREENSHOTS`; created if missing.
pub fn screenshots_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os(SCREENSHOTS_VAR) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let exe = std::env::current_exe().context("cannot find the test binary's path")?;
            let target = exe
                .ancestors()
                .find(|dir| dir.file_name().is_some_and(|name| name == "target"))
                .map(Path::to_path_buf)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
            target.join("screenshots")
        }
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// A chromedriver child on a free port; killed when dropped.
struct Chromedriver {
    _child: Child,
    url: String,
    log: PathBuf,
}

impl Chromedriver {
    /// Starts chromedriver with `--port=0` and reads the port it announces.
    async fn start(log_dir: &Path) -> Result<Chromedriver> {
        let program = chromedriver_path()?;
        let log = log_dir.join("chromedriver.log");
        let stdout = std::fs::File::create(&log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let stderr = stdout
            .try_clone()
            .context("cannot share the chromedriver log")?;
        let mut child = Command::new(&program)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot run {} (install it with `{INSTALL}`)",
                    program.display()
                )
            })?;
        let deadline = Instant::now() + START_TIMEOUT;
        let marker = "started successfully on port ";
        let port = loop {
            let printed = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(at) = printed.find(marker) {
                let digits: String = printed[at + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if let Ok(port) = digits.parse::<u16>()
                    && printed[at..].contains('\n')
                {
                    break port;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "{} exited with {status} before listening: {}",
                    program.display(),
                    tail(&log)
                );
            }
            ensure!(
                Instant::now() < deadline,
                "{} announced no port within {START_TIMEOUT:?}: {}",
                program.display(),
                tail(&log)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Ok(Chromedriver {
            _child: child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        })
    }
}

/// One headless Chromium session against one node.
pub struct Browser {
    pub client: Client,
    base: String,
    screenshots: PathBuf,
    driver: Chromedriver,
    _logs: TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium session for pages under `base`.
    pub async fn start(base: &str) -> Result<Browser> {
        let chromium = chromium_path()?;
        let logs = tempfile::Builder::new()
            .prefix("commons-chromedriver-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        let driver = Chromedriver::start(logs.path()).await?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": CHROMIUM_ARGS }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .with_context(|| {
                format!(
                    "chromedriver could not start {} (is it installed? `{INSTALL}`); its log: {}",
                    chromium.display(),
                    tail(&driver.log)
                )
            })?;
        let browser = Browser {
            client,
            base: base.trim_end_matches('/').to_owned(),
            screenshots: screenshots_dir()?,
            driver,
            _logs: logs,
        };
        browser.resize(DESKTOP).await?;
        Ok(browser)
    }

    /// Ends the Chromium session (chromedriver goes when the value is dropped).
    pub async fn close(self) -> Result<()> {
        self.client
            .close()
            .await
            .with_context(|| format!("closing the session; log: {}", tail(&self.driver.log)))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens `path` (under the node's base URL).
    pub async fn goto(&self, path: &str) -> Result<()> {
        let url = self.url(path);
        self.client
            .goto(&url)
            .await
            .with_context(|| format!("cannot open {url}"))
    }

    /// The current URL's path and query.
    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await.context("current URL")?;
        Ok(match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// The current page's visible text, shortened, for failure messages.
    pub async fn page_text(&self) -> String {
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let mut short: String = text.chars().take(PAGE_TEXT_MAX).collect();
        if short.len() < text.len() {
            short.push('…');
        }
        short
    }

    async fn where_(&self) -> String {
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("(no URL: {e})"),
        };
        format!("at {url}; the page reads:\n{}", self.page_text().await)
    }

    /// The element matching `css`, waiting up to [`WAIT`] for it to appear.
    pub async fn find(&self, css: &str) -> Result<Element> {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => Ok(element),
            Err(e) => bail!("no element `{css}` ({e}) {}", self.where_().await),
        }
    }

    /// Every element matching `css` now (no waiting).
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .with_context(|| format!("looking for `{css}`"))
    }

    /// Whether an element matches `css` now (no waiting).
    pub async fn exists(&self, css: &str) -> Result<bool> {
        Ok(!self.find_all(css).await?.is_empty())
    }

    /// Fails unless no element matches `css`.
    pub async fn assert_absent(&self, css: &str) -> Result<()> {
        if self.exists(css).await? {
            bail!("`{css}` should not be on this page {}", self.where_().await);
        }
        Ok(())
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String> {
        let element = self.find(css).await?;
        element
            .text()
            .await
            .with_context(|| format!("text of `{css}`"))
    }

    /// An attribute of the element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Result<String> {
        let element = self.find(css).await?;
        match element.attr(name).await {
            Ok(Some(value)) => Ok(value),
            Ok(None) => bail!("`{css}` has no attribute {name} {}", self.where_().await),
            Err(e) => Err(e).with_context(|| format!("attribute {name} of `{css}`")),
        }
    }

    /// Fails unless `text` appears in the page's visible text.
    pub async fn assert_text(&self, text: &str) -> Result<()> {
        let body = self.text("body").await?;
        if !body.contains(text) {
            bail!("the page does not show {text:?} {}", self.where_().await);
        }
        Ok(())
    }

    /// The frame every page shares: a `<header>` with a `<nav>`, and `<main id="main">`.
    pub async fn assert_frame(&self) -> Result<()> {
        self.find("header nav").await?;
        self.find("main#main").await?;
        Ok(())
    }

    /// Types `value` into field `name` of the form `form` (or picks it, for a select).
    pub async fn fill(&self, form: &str, name: &str, value: &str) -> Result<()> {
        let css = format!("{form} [name=\"{name}\"]");
        let field = self.find(&css).await?;
        let tag = field.tag_name().await.context("tag name")?;
        if tag.eq_ignore_ascii_case("select") {
            field
                .select_by_value(value)
                .await
                .with_context(|| format!("select {value:?} in `{css}`"))?;
        } else {
            field
                .clear()
                .await
                .with_context(|| format!("clear `{css}`"))?;
            field
                .send_keys(value)
                .await
                .with_context(|| format!("type into `{css}`"))?;
        }
        Ok(())
    }

    /// The current value of field `name` of the form `form`.
    pub async fn value(&self, form: &str, name: &str) -> Result<String> {
        let css = format!("{form} [name=\"{name}\"]");
        let field = self.find(&css).await?;
        Ok(field
            .prop("value")
            .await
            .with_context(|| format!("value of `{css}`"))?
            .unwrap_or_default())
    }

    /// Clicks the element matching `css` and waits for the page it leads to.
    pub async fn click(&self, css: &str) -> Result<()> {
        let element = self.find(css).await?;
        self.mark_page().await?;
        element
            .click()
            .await
            .with_context(|| format!("click `{css}`"))?;
        self.wait_for_new_page(css).await
    }

    /// Submits the form `form` with its submit button, as a person would, and waits for the
    /// page the server answers with.
    pub async fn submit(&self, form: &str) -> Result<()> {
        self.click(&format!(
            "{form} button:not([type=button]):not([type=reset]), {form} input[type=submit]"
        ))
        .await
    }

    /// Runs a script in the page.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client
            .execute(script, args)
            .await
            .with_context(|| format!("script failed: {script}"))
    }

    /// Marks the current document, so that a new page can be told from the old one.
    async fn mark_page(&self) -> Result<()> {
        self.execute("window.__commonsOldPage = true;", vec![])
            .await
            .map(|_| ())
    }

    /// Waits until the marked document is replaced by a fully loaded one.
    async fn wait_for_new_page(&self, after: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            // A script may fail while the old document unloads: just look again.
            let loaded = self
                .client
                .execute(
                    "return window.__commonsOldPage === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if loaded {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "no new page within {WAIT:?} after `{after}` {}",
                    self.where_().await
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Sizes the window so that the page's viewport is `(width, height)` CSS pixels (the
    /// window's own frame, if any, is measured and added).
    pub async fn resize(&self, (width, height): (u32, u32)) -> Result<()> {
        let set = async |w: u32, h: u32| {
            self.client
                .set_window_size(w, h)
                .await
                .with_context(|| format!("resize the window to {w}×{h}"))
        };
        set(width, height).await?;
        let (inner_w, inner_h) = self.viewport().await?;
        let frame = |outer: u32, inner: u64| {
            u32::try_from(u64::from(outer).saturating_sub(inner)).unwrap_or(0)
        };
        let (frame_w, frame_h) = (frame(width, inner_w), frame(height, inner_h));
        if frame_w > 0 || frame_h > 0 {
            set(width + frame_w, height + frame_h).await?;
        }
        Ok(())
    }

    /// The page's viewport (`window.innerWidth`, `window.innerHeight`).
    pub async fn viewport(&self) -> Result<(u64, u64)> {
        let inner = self
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await?;
        Ok((
            inner[0].as_u64().unwrap_or_default(),
            inner[1].as_u64().unwrap_or_default(),
        ))
    }

    /// Saves a PNG of the window as `target/screenshots/{name}.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self
            .client
            .screenshot()
            .await
            .with_context(|| format!("screenshot {name}"))?;
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// A screenshot in a phone-sized window ([`PHONE`]); the window is then restored.
    pub async fn phone_screenshot(&self, name: &str) -> Result<PathBuf> {
        self.resize(PHONE).await?;
        let viewport = self.viewport().await?;
        ensure!(
            viewport == (u64::from(PHONE.0), u64::from(PHONE.1)),
            "Chromium gave a {viewport:?} viewport, not the phone's {PHONE:?}"
        );
        let shot = self.screenshot(name).await;
        self.resize(DESKTOP).await?;
        shot
    }

    /// The browser's cookies for the node, as a `Cookie` header value, so that a request
    /// made outside the browser (a download) carries the same session.
    pub async fn cookie_header(&self) -> Result<String> {
        let cookies = self
            .client
            .get_all_cookies()
            .await
            .context("read the browser's cookies")?;
        Ok(cookies
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; "))
    }
}

/// Runs `commons proof verify FILE --sequencer KEY` and returns what it printed; fails
/// with its output unless it exits 0.
pub async fn verify_receipt_with_cli(node: &Node, receipt: &Path) -> Result<String> {
    let output = Command::new(&node.commons_bin)
        .args(["proof", "verify"])
        .arg(receipt)
        .args(["--sequencer", &node.sequencer])
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run {}", node.commons_bin.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.success(),
        "`commons proof verify` refused the downloaded receipt ({}): {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}
