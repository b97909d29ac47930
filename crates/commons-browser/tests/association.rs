//! Browser tests of the association: headless Chromium against a real node, through the
//! main flows, with screenshots of each page under `target/screenshots/` (named `40-…`
//! for polls, `50-…` for budgeting).
//! Run with `cargo test -p commons-browser --features browser --test association`.
//!
//! The node runs on the system clock and the shortest poll stays open one minute (core's
//! `POLL_DURATION_MIN_MS`), so the flow opens a one-minute poll, votes, waits for the
//! minute to pass, and lets the next event (a delegation) bring the ledger tick that
//! closes it: ticks follow events.

use anyhow::{Result, ensure};
use commons_browser::flows::{
    assert_done, check, image_loaded, log_in_as, log_out, publish_profile, register, scroll_to,
    tick, with_browser,
};
use commons_browser::{Browser, Node};
use std::time::{Duration, Instant};

/// How long the poll stays open: core's minimum.
const POLL_OPEN: Duration = Duration::from_secs(60);
/// Slack after the close, for the node's clock and the tick's second.
const CLOSE_SLACK: Duration = Duration::from_secs(3);

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
    publish_profile(b, &commons).await?;
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
    image_loaded(b, "#rounds-chart").await?;
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

/// How long the round takes: core's minimum for proposals, then for voting.
const ROUND_OPEN: Duration = Duration::from_secs(120);

/// A maintainer adopts the statutes and opens a budgeting round from the form; projects
/// are proposed with itemised budgets; one is flagged and excluded on review; the member
/// ticks a ballot; once the round's two minutes have passed, the next event (a visitor's
/// profile) brings the tick that counts it, and its page shows the result, the sheet and
/// the chart; a funded project is cancelled and the authorisation ledger shows the
/// reversing entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budgeting_round_is_opened_proposed_reviewed_voted_counted_and_a_project_cancelled() {
    check(with_browser(budget_flow).await);
}

async fn budget_flow(_node: &Node, b: &Browser) -> Result<()> {
    register(b, "Treasurer", "treasurer@example.org").await?;
    b.goto("/new").await?;
    b.fill("form#new-commons-form", "name", "Lannion makerspace")
        .await?;
    b.submit("form#new-commons-form").await?;
    let commons = b.path().await?;
    b.goto(&format!("{commons}/association")).await?;
    b.submit("form#adopt-form").await?;
    assert_done(b, "are adopted").await?;

    // An empty listing, then the form.
    b.click("a#nav-budgets").await?;
    b.assert_text("No round is open.").await?;
    b.click("a#open-round").await?;
    let form = "form#new-round-form";
    b.fill(form, "title", "Tools for 2027").await?;
    b.fill(form, "guidelines", "Only shared equipment.").await?;
    b.fill(form, "pool", "1,500.00").await?;
    b.fill(form, "proposals_in", "1").await?;
    b.fill(form, "proposals_unit", "minutes").await?;
    b.fill(form, "voting_in", "1").await?;
    b.fill(form, "voting_unit", "minutes").await?;
    b.screenshot("50-budget-open").await?;
    b.submit(form).await?;
    let opened = std::time::Instant::now();
    assert_done(b, "The round is open").await?;
    let round = b.path().await?;
    ensure!(
        round.starts_with(&format!("{commons}/budgets/")),
        "opening the round led to {round}"
    );
    let pool = b.text("#round-pool").await?;
    ensure!(pool == "1,500.00 EUR", "the pool reads {pool:?}");

    // Two projects with itemised budgets.
    for (name, items) in [
        (
            "Laser cutter",
            &[
                ("Cutter", "1,200.00", false),
                ("Extraction fan", "250", true),
            ][..],
        ),
        ("Adverts for my shop", &[("Flyers", "80", false)][..]),
    ] {
        let form = "form#propose-form";
        b.fill(form, "name", name).await?;
        for (i, (label, amount, optional)) in items.iter().enumerate() {
            b.fill(form, &format!("item-{i}-label"), label).await?;
            b.fill(form, &format!("item-{i}-amount"), amount).await?;
            if *optional {
                tick(b, &format!("{form} input[name=item-{i}-optional]")).await?;
            }
        }
        b.submit(form).await?;
        assert_done(b, "Your project is proposed").await?;
    }
    b.assert_text("1,200.00 EUR to 1,450.00 EUR").await?;

    // The adverts are flagged, then excluded on review.
    let adverts = "article.project:nth-of-type(2)";
    tick(b, &format!("{adverts} details.action summary")).await?;
    b.fill(
        &format!("{adverts} form.flag-form"),
        "reason",
        "serves one business",
    )
    .await?;
    b.submit(&format!("{adverts} form.flag-form")).await?;
    assert_done(b, "flagged").await?;
    tick(
        b,
        &format!("{adverts} form.review-form input[value=exclude]"),
    )
    .await?;
    b.fill(
        &format!("{adverts} form.review-form"),
        "reason",
        "breaks the guidelines",
    )
    .await?;
    b.submit(&format!("{adverts} form.review-form")).await?;
    assert_done(b, "excluded").await?;
    let status = b.text(&format!("{adverts} .project-status")).await?;
    ensure!(status == "excluded", "the adverts are {status:?}");

    // The member ticks the cutter.
    tick(b, "form#budget-vote-form input[name=project]").await?;
    b.submit("form#budget-vote-form").await?;
    assert_done(b, "Your ballot is cast").await?;
    b.find("#ballot-note").await?;
    b.screenshot("51-budget-voting").await?;
    b.phone_screenshot("51-budget-voting-phone").await?;

    // After the round's two minutes, the next event's tick counts it.
    let waited = opened.elapsed();
    if waited < ROUND_OPEN + CLOSE_SLACK {
        tokio::time::sleep(ROUND_OPEN + CLOSE_SLACK - waited).await;
    }
    // A visitor's profile is that event; they see the result, and no ballot form.
    log_out(b).await?;
    register(b, "Visitor", "visitor@example.org").await?;
    publish_profile(b, &commons).await?;
    b.goto(&round).await?;
    b.assert_absent("form#budget-vote-form").await?;
    log_out(b).await?;
    log_in_as(b, "treasurer@example.org").await?;
    b.goto(&round).await?;
    let status = b.text("#round-status").await?;
    ensure!(status == "closed", "after the tick the round is {status:?}");
    let result = b.text("#result-h").await?;
    ensure!(
        result.contains("1 project funded"),
        "the result reads {result:?}"
    );
    b.find("#budget-sheet").await?;
    b.find("#seed").await?;
    image_loaded(b, "#result-chart").await?;
    b.screenshot("52-budget-result").await?;
    scroll_to(b, "#budget-sheet").await?;
    b.screenshot("52-budget-sheet").await?;
    b.phone_screenshot("52-budget-result-phone").await?;

    // The cutter is cancelled: a reversing entry releases its funds.
    let cutter = "article.project:nth-of-type(1)";
    tick(b, &format!("{cutter} details.action summary")).await?;
    b.fill(
        &format!("{cutter} form.cancel-form"),
        "reason",
        "the supplier went bankrupt",
    )
    .await?;
    b.submit(&format!("{cutter} form.cancel-form")).await?;
    assert_done(b, "released").await?;
    b.click("a#tab-budgets").await?;
    b.click("a#authorisations-link").await?;
    let entries = b.find_all(".authorisations tbody tr").await?;
    ensure!(
        entries.len() == 2,
        "{} authorisation entries",
        entries.len()
    );
    b.assert_text("the supplier went bankrupt").await?;
    b.screenshot("53-authorisations").await?;
    log_out(b).await
}
