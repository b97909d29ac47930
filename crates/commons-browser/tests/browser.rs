//! The browser suite (issue 3, "Browser tests"): headless Chromium against a real node.
//! Run with `cargo test -p commons-browser --features browser`; see the crate's docs.
//!
//! Each test runs its own node on a fresh data directory and its own browser, so they may
//! run in parallel. Screenshots are named by page under `target/screenshots/`.

use anyhow::{Context, Result, bail, ensure};
use commons_browser::flows::{
    PASSWORD, check, log_in_as, log_out, publish_profile, register, tick, with_browser,
};
use commons_browser::{Browser, DESKTOP, Node, verify_receipt_with_cli};

/// A display name with markup in it: it must show as text everywhere, never run.
const DISPLAY_NAME: &str = "Ada <b>Lovelace</b><script>window.__xss = 1</script>";
const EMAIL: &str = "ada@example.org";
const COMMONS_NAME: &str = "Brest tool library";
const DEFAULT_LICENCE: &str = "CC-BY-SA-4.0";
const GENESIS_KIND: &str = "commons.genesis";

/// The infrastructure itself: chromedriver, Chromium and a node, on the page that has
/// existed longest (`/`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_the_home_page_loads_in_chromium() {
    check(
        with_browser(async |node, browser| {
            browser.goto("/").await?;
            let title = browser.client.title().await.context("title")?;
            ensure!(!title.trim().is_empty(), "the home page has no <title>");
            browser.find("header").await?;
            browser.find("main").await?;
            ensure!(
                browser.path().await? == "/",
                "the home page moved to {}",
                browser.path().await?
            );
            let viewport = browser.viewport().await?;
            ensure!(
                viewport == (u64::from(DESKTOP.0), u64::from(DESKTOP.1)),
                "Chromium gave a {viewport:?} viewport, not {DESKTOP:?}"
            );
            let shot = browser.screenshot("00-smoke-home").await?;
            browser.phone_screenshot("00-smoke-home-phone").await?;
            eprintln!("smoke: {} served {title:?}; {}", node.base, shot.display());
            Ok(())
        })
        .await,
    );
}

/// Register, log out, log in, create a commons, find it on the home page, open it, browse
/// its ledger, open the genesis event, download its receipt (checked by `commons proof
/// verify`), see the verify and account pages, log out, and meet a 404. Screenshots of each
/// page on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_create_explore_download_receipt_logout() {
    check(with_browser(full_flow).await);
}

async fn full_flow(node: &Node, b: &Browser) -> Result<()> {
    // The node home, logged out, with no commons yet.
    b.goto("/").await?;
    b.assert_frame().await?;
    b.find("a#nav-login").await?;
    b.find("a#nav-register").await?;
    b.assert_absent("a#create-commons").await?;
    b.screenshot("01-home").await?;

    // Register; that logs the person in and goes home with a flash.
    b.click("a#nav-register").await?;
    ensure!(
        b.path().await? == "/register",
        "nav-register led to {}",
        b.path().await?
    );
    b.assert_frame().await?;
    let form = "form#register-form";
    b.find(&format!("{form} input[name=csrf]")).await?;
    b.fill(form, "display_name", DISPLAY_NAME).await?;
    b.fill(form, "email", EMAIL).await?;
    b.fill(form, "password", PASSWORD).await?;
    b.fill(form, "password_confirm", PASSWORD).await?;
    b.screenshot("02-register").await?;
    b.submit(form).await?;
    ensure!(
        b.path().await? == "/",
        "registering led to {}",
        b.path().await?
    );
    b.find(".flash[role=status]").await?;
    assert_logged_in(b).await?;
    b.screenshot("03-home-registered").await?;

    // Log out, then log in again.
    log_out(b).await?;
    b.click("a#nav-login").await?;
    ensure!(
        b.path().await? == "/login",
        "nav-login led to {}",
        b.path().await?
    );
    b.assert_frame().await?;
    let form = "form#login-form";
    b.find(&format!("{form} input[name=csrf]")).await?;
    b.fill(form, "email", EMAIL).await?;
    b.fill(form, "password", PASSWORD).await?;
    b.screenshot("04-login").await?;
    b.submit(form).await?;
    ensure!(
        b.path().await? == "/",
        "logging in led to {}",
        b.path().await?
    );
    assert_logged_in(b).await?;

    // Create a commons.
    b.click("a#create-commons").await?;
    ensure!(
        b.path().await? == "/new",
        "create-commons led to {}",
        b.path().await?
    );
    b.assert_frame().await?;
    let form = "form#new-commons-form";
    b.find(&format!("{form} input[name=csrf]")).await?;
    let licence = b.value(form, "licence").await?;
    ensure!(
        licence == DEFAULT_LICENCE,
        "the licence field defaults to {licence:?}, not {DEFAULT_LICENCE:?}"
    );
    b.fill(form, "name", COMMONS_NAME).await?;
    b.screenshot("05-new-commons").await?;
    b.submit(form).await?;
    let commons_path = b.path().await?;
    let commons_id = commons_path
        .strip_prefix("/c/")
        .filter(|id| id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit()))
        .with_context(|| format!("creating a commons led to {commons_path}, not /c/{{id}}"))?
        .to_owned();
    b.find(".flash[role=status]").await?;
    assert_commons_overview(b).await?;

    // It is on the home page; its link opens it.
    b.goto("/").await?;
    let link = format!("a.commons-link[href=\"/c/{commons_id}\"]");
    let link_text = b.text(&link).await?;
    ensure!(
        link_text.contains(COMMONS_NAME),
        "the home page links the commons as {link_text:?}"
    );
    b.screenshot("06-home-with-commons").await?;
    b.phone_screenshot("06-home-phone").await?;
    b.click(&link).await?;
    ensure!(
        b.path().await? == commons_path,
        "the commons link led to {}",
        b.path().await?
    );
    assert_commons_overview(b).await?;
    b.screenshot("07-commons").await?;
    b.phone_screenshot("07-commons-phone").await?;

    // The ledger explorer: the genesis event is listed, and the kind filter finds it.
    b.click("a#explore-ledger").await?;
    let events_path = format!("{commons_path}/events");
    ensure!(
        b.path().await? == events_path,
        "explore-ledger led to {}",
        b.path().await?
    );
    b.assert_frame().await?;
    b.find("table#events").await?;
    let rows = b.find_all("table#events tr.event-row").await?;
    ensure!(!rows.is_empty(), "the ledger explorer lists no event");
    for field in ["kind", "author", "from", "to"] {
        b.find(&format!("form#event-filter [name={field}]")).await?;
    }
    let method = b
        .attr("form#event-filter", "method")
        .await
        .unwrap_or_default();
    ensure!(
        method.is_empty() || method.eq_ignore_ascii_case("get"),
        "the event filter form uses method {method:?}, not GET"
    );
    b.screenshot("08-events").await?;
    b.fill("form#event-filter", "kind", GENESIS_KIND).await?;
    b.submit("form#event-filter").await?;
    let filtered = b.path().await?;
    ensure!(
        filtered.starts_with(&format!("{events_path}?"))
            && filtered.contains("kind=commons.genesis"),
        "filtering by kind led to {filtered}"
    );
    let rows = b.find_all("table#events tr.event-row").await?;
    ensure!(
        rows.len() == 1,
        "filtering by kind {GENESIS_KIND} lists {} events, not 1",
        rows.len()
    );

    // The genesis event's page.
    b.click("table#events tr.event-row a.event-link").await?;
    let event_path = b.path().await?;
    let event_id = event_path
        .strip_prefix(&format!("{events_path}/"))
        .filter(|id| id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit()))
        .with_context(|| format!("the event link led to {event_path}"))?
        .to_owned();
    b.assert_frame().await?;
    b.assert_text(GENESIS_KIND).await?;
    let body = b.text("pre#event-body").await?;
    let body: serde_json::Value = serde_json::from_str(&body)
        .with_context(|| format!("pre#event-body is not JSON: {body}"))?;
    ensure!(
        body.to_string().contains(COMMONS_NAME),
        "the genesis body does not name the commons: {body}"
    );
    b.find(&format!("a[href=\"{commons_path}/verify\"]"))
        .await?;
    let receipt_href = b.attr("a#download-receipt", "href").await?;
    ensure!(
        receipt_href.ends_with(&format!("{event_path}/receipt")),
        "a#download-receipt points at {receipt_href}, not {event_path}/receipt"
    );
    b.screenshot("09-event").await?;

    // Download the receipt with the browser's session and check it offline.
    let receipt_url = if receipt_href.starts_with("http") {
        receipt_href
    } else {
        b.url(&receipt_href)
    };
    let response = node
        .http
        .get(&receipt_url)
        .header("cookie", b.cookie_header().await?)
        .send()
        .await
        .with_context(|| format!("GET {receipt_url}"))?;
    ensure!(
        response.status().is_success(),
        "GET {receipt_url} answered {}",
        response.status()
    );
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    ensure!(
        disposition.starts_with("attachment"),
        "the receipt comes with Content-Disposition {disposition:?}, not an attachment"
    );
    let receipt = response.text().await.context("the receipt's text")?;
    let file = node.work.path().join(format!("{event_id}.receipt"));
    std::fs::write(&file, &receipt).with_context(|| format!("cannot write {file:?}"))?;
    let verified = verify_receipt_with_cli(node, &file).await?;
    eprintln!("commons proof verify: {}", verified.trim());

    // The page that explains how to check a receipt.
    b.click(&format!("a[href=\"{commons_path}/verify\"]"))
        .await?;
    ensure!(
        b.path().await? == format!("{commons_path}/verify"),
        "the verify link led to {}",
        b.path().await?
    );
    b.assert_frame().await?;
    b.screenshot("10-verify").await?;

    // The account page.
    b.click("a#nav-account").await?;
    ensure!(
        b.path().await? == "/account",
        "nav-account led to {}",
        b.path().await?
    );
    b.assert_frame().await?;
    b.assert_text(EMAIL).await?;
    b.screenshot("11-account").await?;

    log_out(b).await?;
    b.screenshot("12-home-logged-out").await?;

    // A page that does not exist keeps the frame.
    b.goto(&format!("/c/{}", "0".repeat(64))).await?;
    b.assert_frame().await?;
    b.screenshot("13-not-found").await?;
    Ok(())
}

/// The logged-in navigation: the display name (shown as text, markup and all) linking to
/// the account page, a logout form, and no login link; the name's script never ran.
async fn assert_logged_in(b: &Browser) -> Result<()> {
    let name = b.text("a#nav-account").await?;
    ensure!(
        name.contains(DISPLAY_NAME),
        "a#nav-account reads {name:?}, not the display name {DISPLAY_NAME:?} as text"
    );
    let href = b.attr("a#nav-account", "href").await?;
    ensure!(href.ends_with("/account"), "a#nav-account points at {href}");
    b.find("form#logout-form").await?;
    b.assert_absent("a#nav-login").await?;
    assert_no_script_ran(b).await
}

async fn assert_no_script_ran(b: &Browser) -> Result<()> {
    let ran = b
        .execute("return window.__xss !== undefined;", vec![])
        .await?;
    ensure!(
        ran == serde_json::Value::Bool(false),
        "the display name's <script> ran at {}",
        b.path().await?
    );
    Ok(())
}

/// The overview of the commons just created: its name in the `h1`, its licence, and the
/// ledger link.
async fn assert_commons_overview(b: &Browser) -> Result<()> {
    b.assert_frame().await?;
    let h1 = b.text("h1").await?;
    ensure!(h1.contains(COMMONS_NAME), "the overview's h1 reads {h1:?}");
    b.assert_text(DEFAULT_LICENCE).await?;
    b.find("a#explore-ledger").await?;
    assert_no_script_ran(b).await
}

/// A forged form, without a CSRF token or with a made-up one, is refused with 403 and a
/// page saying so; nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_form_without_a_csrf_token_is_refused() {
    check(with_browser(forged_forms).await);
}

async fn forged_forms(node: &Node, b: &Browser) -> Result<()> {
    // The login form with its hidden token removed.
    b.goto("/login").await?;
    b.find("form#login-form input[name=csrf]").await?;
    let removed = b
        .execute(
            "const f = document.querySelector('form#login-form input[name=csrf]'); \
             if (f) { f.remove(); return true; } return false;",
            vec![],
        )
        .await?;
    ensure!(
        removed == serde_json::Value::Bool(true),
        "form#login-form has no input[name=csrf]"
    );
    b.fill("form#login-form", "email", EMAIL).await?;
    b.fill("form#login-form", "password", PASSWORD).await?;
    b.submit("form#login-form").await?;
    assert_refused(b, "the login form without its csrf field").await?;
    b.screenshot("14-forbidden").await?;

    // A logged-in person, and a form injected by another "site" posting to /new: no token,
    // then a made-up one.
    b.goto("/register").await?;
    let form = "form#register-form";
    b.fill(form, "display_name", "Grace").await?;
    b.fill(form, "email", "grace@example.org").await?;
    b.fill(form, "password", PASSWORD).await?;
    b.fill(form, "password_confirm", PASSWORD).await?;
    b.submit(form).await?;
    b.find("a#nav-account").await?;
    for token in [None, Some("forged")] {
        b.execute(
            "const f = document.createElement('form'); \
             f.id = 'forged'; f.method = 'post'; f.action = '/new'; \
             const add = (n, v) => { const i = document.createElement('input'); \
               i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); }; \
             add('name', 'Forged commons'); add('licence', 'CC0-1.0'); \
             if (arguments[0] !== null) { add('csrf', arguments[0]); } \
             const s = document.createElement('button'); s.type = 'submit'; \
             s.textContent = 'go'; f.appendChild(s); document.body.appendChild(f);",
            vec![serde_json::json!(token)],
        )
        .await?;
        b.submit("form#forged").await?;
        assert_refused(b, &format!("a form posted to /new with csrf {token:?}")).await?;
        b.goto("/").await?;
    }
    b.find("a#nav-account").await?;
    b.assert_absent("a.commons-link").await?;

    // The status code itself, with the browser's session cookie and no token.
    let cookie = b.cookie_header().await?;
    for (path, form) in [
        (
            "/new",
            vec![("name", "Forged commons"), ("licence", "CC0-1.0")],
        ),
        ("/login", vec![("email", EMAIL), ("password", PASSWORD)]),
    ] {
        let url = node.url(path);
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace('@', "%40")))
            .collect::<Vec<_>>()
            .join("&");
        let response = node
            .http
            .post(&url)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        ensure!(
            response.status() == reqwest::StatusCode::FORBIDDEN,
            "POST {path} without a csrf field answered {}, not 403",
            response.status()
        );
    }
    let listed = node
        .http
        .get(node.url("/api/v1/commons"))
        .send()
        .await
        .context("GET /api/v1/commons")?
        .text()
        .await
        .context("GET /api/v1/commons")?;
    if listed.contains("Forged commons") {
        bail!("a forged form created a commons: {listed}");
    }
    Ok(())
}

/// The refusal page: an `h1` saying Forbidden, or an error flash.
async fn assert_refused(b: &Browser, what: &str) -> Result<()> {
    let h1 = match b.find_all("h1").await?.first() {
        Some(h1) => h1.text().await.unwrap_or_default(),
        None => String::new(),
    };
    let flash = b.exists(".flash-error").await?;
    ensure!(
        h1.contains("Forbidden") || flash,
        "{what} was not refused: at {} the h1 reads {h1:?} and there is no .flash-error; \
         the page reads:\n{}",
        b.path().await?,
        b.page_text().await
    );
    Ok(())
}

/// Peer production end to end: a maintainer makes an area, a newcomer posts a task,
/// another person claims it and submits care work naming it, the maintainer approves it;
/// the task shows as resolved and the person's record counts it. Screenshots of each page
/// on desktop and phone widths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_posted_claimed_contributed_and_accepted() {
    check(with_browser(production_flow).await);
}

async fn production_flow(_node: &Node, b: &Browser) -> Result<()> {
    // The founder creates a commons and an area with one chore.
    register(b, "Founder", "founder@example.org").await?;
    b.goto("/new").await?;
    b.fill("form#new-commons-form", "name", COMMONS_NAME)
        .await?;
    b.submit("form#new-commons-form").await?;
    let commons_path = b.path().await?;
    b.click("a#open-areas").await?;
    b.find(".empty").await?;
    b.screenshot("20-areas-empty").await?;
    let form = "form#new-area-form";
    b.fill(form, "name", "Repair guides").await?;
    b.fill(form, "slug", "guides").await?;
    b.fill(form, "description", "How to fix what people bring in.")
        .await?;
    b.fill(form, "chores", "proofread").await?;
    b.submit(form).await?;
    ensure!(
        b.path().await? == format!("{commons_path}/areas/guides"),
        "creating the area led to {}",
        b.path().await?
    );
    b.assert_text("Accepted once 1 area maintainer has approved")
        .await?;
    b.screenshot("21-area").await?;
    b.phone_screenshot("21-area-phone").await?;
    log_out(b).await?;

    // A newcomer posts a task from the board.
    register(b, "Nolwenn", "nolwenn@example.org").await?;
    publish_profile(b, &commons_path).await?;
    b.click("a#nav-tasks").await?;
    b.find("#ranking").await?;
    b.click("a#post-task").await?;
    let form = "form#new-task-form";
    b.fill(form, "area", "guides").await?;
    b.fill(form, "title", "Write the kettle guide").await?;
    b.fill(
        form,
        "description",
        "Descale first, then check the element.",
    )
    .await?;
    b.fill(form, "labels", "kitchen").await?;
    b.fill(form, "effort_hours", "3").await?;
    b.screenshot("22-new-task").await?;
    b.submit(form).await?;
    let task_path = b.path().await?;
    ensure!(
        task_path.starts_with(&format!("{commons_path}/tasks/")),
        "posting the task led to {task_path}"
    );
    b.find(".flash[role=status]").await?;
    b.click("button#signal-need").await?;
    let needs = b.text("#n-needs").await?;
    ensure!(needs == "1", "the task shows {needs} people needing it");
    log_out(b).await?;

    // Another person finds it on the board, claims it and contributes care work.
    register(b, "Yann", "yann@example.org").await?;
    publish_profile(b, &commons_path).await?;
    b.click("a#nav-tasks").await?;
    b.find("li.task-row").await?;
    b.screenshot("23-board").await?;
    b.phone_screenshot("23-board-phone").await?;
    b.click("li.task-row a.task-link").await?;
    ensure!(
        b.path().await? == task_path,
        "the board's task link led to {}",
        b.path().await?
    );
    b.click("button#claim-task").await?;
    let claim = b.text("#claim").await?;
    ensure!(
        claim.contains("Claimed by Yann"),
        "the claim reads {claim:?}"
    );
    b.screenshot("24-task-claimed").await?;
    b.phone_screenshot("24-task-phone").await?;
    b.click("a#contribute-task").await?;
    let form = "form#contribute-form";
    tick(b, &format!("{form} input[name=kind][value=care]")).await?;
    b.fill(form, "title", "Kettle guide, tried on three kettles")
        .await?;
    b.fill(form, "description", "Wrote it at the café and tested it.")
        .await?;
    b.fill(form, "effort_hours", "2").await?;
    tick(b, &format!("{form} input[name=chore-0]")).await?;
    b.screenshot("25-contribute").await?;
    b.submit(form).await?;
    let contribution_path = b.path().await?;
    ensure!(
        contribution_path.starts_with(&format!("{commons_path}/contributions/")),
        "contributing led to {contribution_path}"
    );
    let status = b.text("#contribution-status").await?;
    ensure!(status == "pending", "the new contribution is {status:?}");
    log_out(b).await?;

    // The area's maintainer approves it.
    log_in_as(b, "founder@example.org").await?;
    b.goto(&contribution_path).await?;
    b.screenshot("26-contribution-pending").await?;
    b.fill("form#review-form", "text", "Clear and safe.")
        .await?;
    b.submit("form#review-form").await?;
    let status = b.text("#contribution-status").await?;
    ensure!(
        status == "accepted",
        "after approval the contribution is {status:?}"
    );
    b.screenshot("27-contribution-accepted").await?;
    b.phone_screenshot("27-contribution-phone").await?;

    // The task is resolved and Yann's record counts the work.
    b.goto(&task_path).await?;
    let status = b.text("#task-status").await?;
    ensure!(status == "resolved", "the task is {status:?}");
    b.goto(&contribution_path).await?;
    b.click("dl.facts ul.plain a.key").await?;
    let accepted = b.text("#record-accepted").await?;
    let tasks = b.text("#record-tasks").await?;
    ensure!(
        accepted == "1" && tasks == "1",
        "Yann's record shows {accepted} accepted and {tasks} tasks done"
    );
    b.screenshot("28-person-record").await?;
    b.click("a#nav-statistics").await?;
    let accepted = b.text("#stat-accepted").await?;
    ensure!(accepted == "1", "the statistics count {accepted} accepted");
    b.screenshot("29-statistics").await?;
    b.phone_screenshot("29-statistics-phone").await?;
    Ok(())
}

/// A person creates a commons, forks it from its overview at its latest checkpoint, lands
/// on the fork's overview with the lineage verified on the server and the command to check
/// it offline, and finds the fork listed on the parent's overview.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commons_is_forked_from_its_overview_and_its_lineage_verifies() {
    check(with_browser(fork_flow).await);
}

async fn fork_flow(node: &Node, b: &Browser) -> Result<()> {
    register(b, "Founder", "founder@example.org").await?;
    b.goto("/new").await?;
    b.fill("form#new-commons-form", "name", COMMONS_NAME)
        .await?;
    b.submit("form#new-commons-form").await?;
    let parent_path = b.path().await?;
    tick(b, "details#fork summary").await?;
    let form = "form#fork-form";
    ensure!(
        b.value(form, "licence").await? == DEFAULT_LICENCE,
        "the fork form's licence is not the parent's"
    );
    b.fill(form, "name", "Brest tool library, forked").await?;
    b.screenshot("30-fork-form").await?;
    b.submit(form).await?;
    let fork_path = b.path().await?;
    ensure!(fork_path != parent_path, "forking stayed on {fork_path}");
    b.find(".flash[role=status]").await?;
    b.find("section#lineage").await?;
    let result = b.text("#lineage-result").await?;
    ensure!(
        result.contains("Consistency proof verified"),
        "the lineage reads {result:?}"
    );
    let fork_id = fork_path.trim_start_matches("/c/");
    b.assert_text(&format!("commons lineage {fork_id} --node {}", node.base))
        .await?;
    b.screenshot("31-fork-lineage").await?;
    b.goto(&parent_path).await?;
    b.find(&format!("section#forks a[href=\"{fork_path}\"]"))
        .await?;
    b.screenshot("32-parent-forks").await?;
    assert_no_script_ran(b).await
}
