//! Browser tests of the association: headless Chromium against a real node, through the
//! main flows, with screenshots of each page under `target/screenshots/` (named `40-…`).
//! Run with `cargo test -p commons-browser --features browser --test association`.
//!
//! The node runs on the system clock and the shortest poll stays open one minute (core's
//! `POLL_DURATION_MIN_MS`), so the flow opens a one-minute poll, votes, waits for the
//! minute to pass, and lets the next event (a delegation) bring the ledger tick that
//! closes it: ticks follow events.

use anyhow::{Context, Result, bail, ensure};
use commons_browser::{Browser, Node, chromedriver_path, chromium_path};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";
/// How long the poll stays open: core's minimum.
const POLL_OPEN: Duration = Duration::from_secs(60);
/// Slack after the close, for the node's clock and the tick's second.
const CLOSE_SLACK: Duration = Duration::from_secs(3);

async fn with_browser<F>(flow: F) -> Result<()>
where
    F: AsyncFnOnce(&Node, &Browser) -> Result<()>,
{
    chromium_path()?;
    chromedriver_path()?;
    let node = Node::start().await?;
    let browser = Browser::start(&node.base).await?;
    let result = flow(&node, &browser).await;
    let closed = browser.close().await;
    if let Err(error) = result {
        bail!(
            "{error:#}\n\nthe node's stderr ends:\n{}",
            node.stderr_tail()
        );
    }
    closed
}

fn check(result: Result<()>) {
    if let Err(error) = result {
        panic!("{error:#}");
    }
}

async fn register(b: &Browser, name: &str, email: &str) -> Result<()> {
    b.goto("/register").await?;
    let form = "form#register-form";
    b.fill(form, "display_name", name).await?;
    b.fill(form, "email", email).await?;
    b.fill(form, "password", PASSWORD).await?;
    b.fill(form, "password_confirm", PASSWORD).await?;
    b.submit(form).await?;
    b.find("a#nav-account").await?;
    Ok(())
}

async fn log_in_as(b: &Browser, email: &str) -> Result<()> {
    b.goto("/login").await?;
    b.fill("form#login-form", "email", email).await?;
    b.fill("form#login-form", "password", PASSWORD).await?;
    b.submit("form#login-form").await?;
    b.find("a#nav-account").await?;
    Ok(())
}

async fn log_out(b: &Browser) -> Result<()> {
    b.submit("form#logout-form").await?;
    b.find("a#nav-login").await?;
    Ok(())
}

/// Ticks a checkbox or picks a radio button without leaving the page.
async fn tick(b: &Browser, css: &str) -> Result<()> {
    b.find(css)
        .await?
        .click()
        .await
        .with_context(|| format!("tick `{css}`"))
}

/// Scrolls the element matching `css` to the top of the window, for a screenshot of it.
async fn scroll_to(b: &Browser, css: &str) -> Result<()> {
    b.find(css).await?;
    b.execute(
        "document.querySelector(arguments[0]).scrollIntoView();",
        vec![serde_json::Value::String(css.to_owned())],
    )
    .await?;
    Ok(())
}

/// The success flash of the page the last action led to.
async fn assert_done(b: &Browser, part: &str) -> Result<()> {
    let flash = b.text(".flash").await?;
    ensure!(
        flash.contains(part),
        "the page flashes {flash:?}, not {part:?}"
    );
    Ok(())
}

/// A maintainer adopts the statutes; a person applies in a chamber and is admitted; a
/// poll is previewed and opened; two people vote and one changes their ballot; once the
/// poll's minute has passed, the next event's tick closes it and its page shows the
/// result, the round sheet and the chart; the author adds an outcome statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statutes_are_adopted_a_member_admitted_and_a_poll_voted_and_counted() {
    check(with_browser(association_flow).await);
}

async fn association_flow(_node: &Node, b: &Browser) -> Result<()> {
    // The founder creates a commons and finds its association empty.
    register(b, "Founder", "founder@example.org").await?;
    b.goto("/new").await?;
    b.fill("form#new-commons-form", "name", "Brest tool library")
        .await?;
    b.submit("form#new-commons-form").await?;
    let commons = b.path().await?;
    b.click("a#nav-association").await?;
    b.assert_text("No statutes yet").await?;
    let form = "form#adopt-form";
    let name = b.value(form, "name").await?;
    ensure!(
        name == "Association of Brest tool library",
        "the adoption form is prefilled with {name:?}"
    );
    b.fill(form, "purpose", "Keep the tools shared and repaired.")
        .await?;
    b.fill(form, "chamber-0-slug", "borrowers").await?;
    b.fill(form, "chamber-0-name", "Borrowers").await?;
    b.fill(form, "chamber-1-slug", "volunteers").await?;
    b.fill(form, "chamber-1-name", "Volunteers").await?;
    b.screenshot("40-association-adopt").await?;
    b.submit(form).await?;
    assert_done(b, "are adopted").await?;
    b.assert_text("Amending the statutes: proposal, ⅔ of members, quorum ⅓")
        .await?;
    b.assert_text("Version 1").await?;
    b.screenshot("41-statutes").await?;
    b.phone_screenshot("41-statutes-phone").await?;
    log_out(b).await?;

    // Maël applies as a borrower.
    register(b, "Maël", "mael@example.org").await?;
    b.goto(&commons).await?;
    b.submit("form#profile-form").await?;
    b.click("a#nav-association").await?;
    b.click("a#tab-members").await?;
    let form = "form#apply-form";
    tick(b, &format!("{form} input[name=chambers][value=borrowers]")).await?;
    b.fill(form, "statement", "I borrow the drill every month.")
        .await?;
    b.submit(form).await?;
    assert_done(b, "will decide").await?;
    b.find("form#withdraw-form").await?;
    b.screenshot("42-members-applied").await?;
    log_out(b).await?;

    // The founder admits Maël.
    log_in_as(b, "founder@example.org").await?;
    b.goto(&format!("{commons}/members")).await?;
    b.assert_text("I borrow the drill every month.").await?;
    b.click("form.admit-form button").await?;
    assert_done(b, "admitted").await?;
    let members = b.text("#members-table").await?;
    ensure!(
        members.contains("Maël") && members.contains("Borrowers"),
        "the members table reads {members:?}"
    );
    b.screenshot("43-members").await?;
    b.phone_screenshot("43-members-phone").await?;

    // The founder opens a one-minute ranked poll, previewing its rules first.
    b.click("a#nav-polls").await?;
    b.find(".empty").await?;
    b.click("a#open-poll").await?;
    let form = "form#poll-form";
    b.fill(form, "title", "Which tool do we buy next?").await?;
    b.fill(form, "description", "One purchase this season.")
        .await?;
    b.fill(form, "method", "irv").await?;
    b.fill(form, "options", "Lathe\nWelder\nKiln").await?;
    b.fill(form, "closes_in", "1").await?;
    b.fill(form, "closes_unit", "minutes").await?;
    b.submit(form).await?;
    let rule = b.text("#preview-rule").await?;
    ensure!(
        rule.starts_with("instant runoff, members, 1 seat"),
        "the preview states the rule as {rule:?}"
    );
    let electorate = b.text("#preview-electorate").await?;
    ensure!(
        electorate.contains("2 voters now"),
        "the preview counts the electorate as {electorate:?}"
    );
    b.screenshot("44-poll-preview").await?;
    b.phone_screenshot("44-poll-preview-phone").await?;
    b.submit("form#sign-poll-form").await?;
    let opened = Instant::now();
    let poll = b.path().await?;
    ensure!(
        poll.starts_with(&format!("{commons}/polls/")),
        "signing the poll led to {poll}"
    );
    b.fill("form#vote-form", "rank-0", "0").await?;
    b.fill("form#vote-form", "rank-1", "2").await?;
    b.submit("form#vote-form").await?;
    assert_done(b, "Your ballot is cast").await?;
    log_out(b).await?;

    // Maël votes, then changes their ballot.
    log_in_as(b, "mael@example.org").await?;
    b.goto(&poll).await?;
    b.fill("form#vote-form", "rank-0", "1").await?;
    b.submit("form#vote-form").await?;
    assert_done(b, "Your ballot is cast").await?;
    b.fill("form#vote-form", "rank-0", "2").await?;
    b.fill("form#vote-form", "rank-1", "1").await?;
    b.fill(
        "form#vote-form",
        "reason",
        "A kiln serves the pottery group too.",
    )
    .await?;
    b.submit("form#vote-form").await?;
    let ballot = b.text("#your-ballot").await?;
    ensure!(
        ballot.contains("Kiln > Welder") && ballot.contains("change your ballot"),
        "after the change the page says {ballot:?}"
    );
    let history = b.find_all("#ballot-history li").await?;
    ensure!(
        history.len() == 2,
        "{} ballots in the history",
        history.len()
    );
    scroll_to(b, "#vote").await?;
    b.screenshot("45-poll-voted").await?;
    b.phone_screenshot("45-poll-voted-phone").await?;
    log_out(b).await?;

    // Ledger time moves on: after the poll's minute, the founder delegates to Maël, and
    // that event's tick closes the poll.
    let waited = opened.elapsed();
    if waited < POLL_OPEN + CLOSE_SLACK {
        tokio::time::sleep(POLL_OPEN + CLOSE_SLACK - waited).await;
    }
    log_in_as(b, "founder@example.org").await?;
    b.goto(&format!("{commons}/delegations")).await?;
    b.fill("form#delegate-form", "to", "Maël").await?;
    b.submit("form#delegate-form").await?;
    assert_done(b, "Your delegation is set").await?;
    b.find("#all-delegations").await?;
    b.screenshot("46-delegations").await?;

    b.goto(&poll).await?;
    let status = b.text("#poll-status").await?;
    ensure!(status == "closed", "after the tick the poll is {status:?}");
    b.find("#round-sheet").await?;
    b.find("#seed").await?;
    let reasons = b.text("#reasons").await?;
    ensure!(
        reasons.contains("Turnout: 2 of 2"),
        "the result explains {reasons:?}"
    );
    let chart_loaded = b
        .execute(
            "const img = document.querySelector('#rounds-chart'); return img.complete && img.naturalWidth > 0;",
            vec![],
        )
        .await?;
    ensure!(
        chart_loaded == serde_json::Value::Bool(true),
        "the round chart did not load"
    );
    b.fill(
        "form#statement-form",
        "statement",
        "We order the winner this week.",
    )
    .await?;
    b.submit("form#statement-form").await?;
    assert_done(b, "published").await?;
    b.assert_text("We order the winner this week.").await?;
    b.screenshot("47-poll-result").await?;
    scroll_to(b, "#round-sheet").await?;
    b.screenshot("47-poll-round-sheet").await?;
    b.phone_screenshot("47-poll-result-phone").await?;
    b.click("a#nav-polls").await?;
    b.find("#closed-polls").await?;
    b.screenshot("48-polls").await?;
    Ok(())
}
