//! The browser-session harness shared by the router tests of the web UI (`ui.rs`,
//! `ui_association.rs`, `ui_budget.rs`): a node on a fresh SQLite store with a manual
//! clock, its router, and a "browser" that is a cookie jar and an address over
//! `tower::ServiceExt::oneshot`. Each test file adds the form helpers it needs with its
//! own `impl Browser` block.
// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use commons_ledger::cbor::Value;
use commons_ledger::{CommonsId, EventId, SecretKey};
use commons_node::{ManualClock, NewCommonsPolicy, Node, NodeConfig};
use commons_store::{AccountStore, AnyStore};
use commons_testkit::{T0_MS, key, profile_body};
use commons_web::ui::secret::WebSecret;
use commons_web::{WebConfig, router};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

pub const DAY_MS: u64 = 86_400_000;

pub struct Site {
    pub node: Node,
    pub router: Router,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
}

/// A node where anyone may create a commons, without the UI's rate limits.
pub async fn site() -> Site {
    site_with(
        NewCommonsPolicy::Anyone,
        WebConfig::default().without_rate_limit(),
    )
    .await
}

/// The web secret of a [`secret_site`], with which tests open the accounts' custodial keys.
pub const WEB_SECRET: [u8; 32] = [7; 32];

/// A [`site`] whose web secret is [`WEB_SECRET`], for tests that sign setup the pages do
/// not offer with the accounts' own custodial keys ([`Site::custodial`]).
pub async fn secret_site() -> Site {
    let mut config = WebConfig::default().without_rate_limit();
    config.ui.secret = WebSecret::from_bytes(WEB_SECRET);
    site_with(NewCommonsPolicy::Anyone, config).await
}

pub async fn site_with(policy: NewCommonsPolicy, config: WebConfig) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::open(dir.path().join("commons.db").to_str().unwrap())
        .await
        .unwrap();
    let clock = ManualClock::new(T0_MS);
    let mut node_config = NodeConfig::new(key(9_999));
    node_config.new_commons = policy;
    let node = Node::start(store, node_config, Arc::new(clock.clone()))
        .await
        .unwrap();
    Site {
        router: router(node.clone(), config),
        node,
        clock,
        dir,
    }
}

impl Site {
    /// The one commons the node hosts.
    pub fn commons(&self) -> CommonsId {
        let list = self.node.list_commons();
        assert_eq!(list.len(), 1);
        list[0].id
    }

    /// Moves ledger time on by `ms`: the clock advances, and an event (a profile signed by
    /// a key of the test's own) brings the tick that closes whatever is due.
    pub async fn pass_time(&self, ms: u64) {
        self.clock.advance(ms);
        self.sign(
            &key(4_242),
            "agent.profile",
            profile_body("Timekeeper", "person"),
        )
        .await;
    }

    /// Signs one event of `kind` with `key` in the one commons and checks it was
    /// sequenced.
    pub async fn sign(&self, key: &SecretKey, kind: &str, body: Value) -> EventId {
        let (event, outcome) = self
            .node
            .author(key, Some(self.commons()), kind, &body, vec![])
            .await
            .unwrap();
        assert!(
            matches!(outcome.status, commons_node::SubmitStatus::Sequenced { .. }),
            "{kind}: {outcome:?}"
        );
        event.id
    }

    /// The custodial signing key of the account registered with `email`, on a
    /// [`secret_site`].
    pub async fn custodial(&self, email: &str) -> SecretKey {
        let store = self.node.store();
        let account = store.account_by_email(email).await.unwrap().unwrap();
        let keys = store.account_keys(account.id).await.unwrap();
        let seed = WebSecret::from_bytes(WEB_SECRET)
            .open(keys[0].sealed_secret.as_ref().unwrap())
            .unwrap();
        SecretKey::from_seed(seed.as_slice().try_into().unwrap())
    }
}

/// A browser: a cookie jar and an address.
#[derive(Clone)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
    pub address: SocketAddr,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.text.find(marker).expect("the page has a form") + marker.len();
        self.text[start..start + 64].to_owned()
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .expect("a redirect")
            .to_str()
            .unwrap()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The page says `part` (as HTML-escaped text).
    #[track_caller]
    pub fn shows(&self, part: &str) {
        assert!(
            self.text.contains(part),
            "the page does not say {part:?}:\n{}",
            main(&self.text)
        );
    }
}

/// Writes a page (or chart) for people to look at when `COMMONS_PAGE_PREVIEW_DIR` is set,
/// its stylesheet linked next to it, like the charts' `COMMONS_CHART_PREVIEW_DIR`.
pub fn preview(name: &str, text: &str) {
    if let Some(dir) = std::env::var_os("COMMONS_PAGE_PREVIEW_DIR") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("style.css"), commons_web::ui::STYLESHEET).unwrap();
        let text = text.replace("href=\"/static/style.css\"", "href=\"style.css\"");
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// The `<main>` of a page, for failure messages.
pub fn main(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html.find("</main>").unwrap_or(html.len());
    &html[start..end]
}

impl Browser {
    /// A browser connecting from 127.0.0.`last_octet` (rate limits are per address).
    pub fn new(last_octet: u8) -> Browser {
        Browser {
            cookies: BTreeMap::new(),
            address: SocketAddr::from(([127, 0, 0, last_octet], 40_000)),
        }
    }

    pub async fn send(&mut self, site: &Site, mut request: Request<Body>) -> Page {
        if !self.cookies.is_empty() {
            let line = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert(header::COOKIE, line.parse().unwrap());
        }
        request.extensions_mut().insert(ConnectInfo(self.address));
        let response = site.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let page = Page {
            status,
            headers,
            text: String::from_utf8_lossy(&body).into_owned(),
        };
        for cookie in page.set_cookies() {
            let (pair, attributes) = cookie.split_once(';').unwrap_or((&cookie, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    pub async fn get(&mut self, site: &Site, path: &str) -> Page {
        let request = Request::get(path).body(Body::empty()).unwrap();
        self.send(site, request).await
    }

    pub async fn post(&mut self, site: &Site, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(site, request).await
    }

    /// Fetches `form_page` for a token, then posts `fields` and the token to `action`.
    pub async fn submit(
        &mut self,
        site: &Site,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let csrf = self.get(site, form_page).await.csrf();
        let mut all = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post(site, action, &all).await
    }

    /// The flash message the next page shows.
    pub async fn flash(&mut self, site: &Site, page: &str) -> String {
        let text = self.get(site, page).await.text;
        let start = text
            .find("class=\"flash")
            .unwrap_or_else(|| panic!("no flash message on {page}:\n{}", main(&text)));
        let from = start + text[start..].find('>').unwrap() + 1;
        let end = from + text[from..].find("</div>").unwrap();
        text[from..end].to_owned()
    }

    /// Registers an account named `name` at `name@example.org`.
    pub async fn register_as(&mut self, site: &Site, name: &str, email: &str) -> Page {
        self.submit(
            site,
            "/register",
            "/register",
            &[
                ("display_name", name),
                ("email", email),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse battery"),
            ],
        )
        .await
    }

    /// Registers as "Founder" and creates the commons `name`; returns its path.
    pub async fn found(&mut self, site: &Site, name: &str, licence: &str) -> String {
        self.register_as(site, "Founder", "founder@example.org")
            .await;
        let created = self
            .submit(
                site,
                "/new",
                "/new",
                &[("name", name), ("licence", licence)],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER);
        format!("/c/{}", site.commons().to_hex())
    }

    /// Adopts statutes in the commons at `path` with the prefilled form and `changes`.
    pub async fn adopt_statutes(&mut self, site: &Site, path: &str, changes: &[(&str, &str)]) {
        let adopted = self
            .submit(
                site,
                &format!("{path}/association"),
                &format!("{path}/association/adopt"),
                &pairs(&statutes_form(changes)),
            )
            .await;
        assert_eq!(
            adopted.status,
            StatusCode::SEE_OTHER,
            "{}",
            main(&adopted.text)
        );
    }

    /// Registers and publishes a profile of `kind` in the commons at `path`, so pages
    /// name them.
    pub async fn join_as(site: &Site, path: &str, octet: u8, name: &str, kind: &str) -> Browser {
        let mut browser = Browser::new(octet);
        let email = format!("{}@example.org", name.to_lowercase());
        let registered = browser.register_as(site, name, &email).await;
        assert_eq!(
            registered.status,
            StatusCode::SEE_OTHER,
            "{}",
            registered.text
        );
        browser.publish_profile(site, path, kind).await;
        browser
    }

    /// Publishes the logged-in account's profile of `kind` in the commons at `path`.
    pub async fn publish_profile(&mut self, site: &Site, path: &str, kind: &str) {
        let published = self
            .submit(site, path, &format!("{path}/profile"), &[("kind", kind)])
            .await;
        assert_eq!(published.status, StatusCode::SEE_OTHER);
    }

    /// Posts a form and checks that the redirect's page flashes `part`.
    pub async fn act_and_see(
        &mut self,
        site: &Site,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
        part: &str,
    ) {
        let answer = self.submit(site, page, action, fields).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{}",
            main(&answer.text)
        );
        let to = answer.location().to_owned();
        let message = self.flash(site, &to).await;
        assert!(
            message.contains(part),
            "the flash says {message:?}, not {part:?}"
        );
    }
}

/// The adoption form as the page prefills it, with `changes` applied.
pub fn statutes_form(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("name", "Friends of the repair café"),
        ("purpose", "Keep the café's tools and guides free."),
        ("admission", "maintainers"),
        ("window_months", "6"),
        ("board_seats", "3"),
        ("board_term_months", "12"),
        ("chamber-0-slug", "users"),
        ("chamber-0-name", "Users"),
        ("chamber-0-basis", "declared"),
        ("chamber-1-slug", "workers"),
        ("chamber-1-name", "Workers"),
        ("chamber-1-basis", "declared"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (kind, method, threshold, strict, quorum) in [
        ("amend_statutes", "proposal", "2/3", false, "1/3"),
        ("admit_member", "proposal", "1/2", true, "0"),
        ("suspend_member", "proposal", "1/2", true, "1/4"),
        ("expel_member", "proposal", "2/3", false, "1/2"),
        ("elect_board", "stv-scottish", "0", false, "0"),
        ("general", "proposal", "1/2", true, "0"),
    ] {
        let mut rule = vec![
            ("method", method),
            ("electorate", "members"),
            ("threshold", threshold),
            ("quorum", quorum),
        ];
        if strict {
            rule.push(("strict", "yes"));
        }
        for (part, value) in rule {
            fields.push((format!("rule-{kind}-{part}"), value.to_owned()));
        }
    }
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push(((*name).to_owned(), (*value).to_owned()));
    }
    fields
}

/// Owned form fields as the borrowed pairs the browser posts.
pub fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every `tracing` event of this thread to a [`Captured`] writer until the guard is
/// dropped (a `#[tokio::test]` runs the node's tasks on the same thread).
pub fn capture_log() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}
