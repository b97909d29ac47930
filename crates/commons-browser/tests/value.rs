//! Browser tests of value sharing on the demo commons (`serve --demo`), whose books Maëlle
//! and Yann keep (every distribution needs both): a treasurer records an income and sees
//! the treasury's balance grow by it to the cent; she proposes a distribution whose
//! contributors' bucket is BALANCED; both treasurers approve it and Yann executes it;
//! a recipient's "Why?" link explains their share. A member previews a change of the value
//! equation (how much credit a revision passes on along the contribution graph) and opens
//! its poll from the equation page. A claim named by its holder's published name becomes active once both
//! treasurers approve it, and a distribution proposed by mistake is cancelled and listed
//! as such. A treasurer opens a GIVE circle whose members allocate their GIVE to each
//! other. Awa files an expense she paid for the commons; one treasurer approves it, which
//! reserves it out of the treasury to the cent, and the other pays it. A bounty funded on
//! a task is released to whoever's contribution resolves it. An award sets its prize aside
//! while members nominate, and cancelling it gives the prize back. Screenshots are named
//! `60-…`.
//! Run with `cargo test -p commons-browser --features browser --test value`.

use anyhow::{Context, Result, ensure};
use commons::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use commons_browser::flows::{
    assert_done, check, log_in_with, log_out, scroll_to, tick, with_demo_browser,
};
use commons_browser::{Browser, Node};

/// The demo's treasurers' e-mails, by their demo handle.
fn email(handle: &str) -> &'static str {
    DEMO_ACCOUNTS
        .iter()
        .find(|(_, _, h)| *h == handle)
        .map(|(_, email, _)| *email)
        .expect("a demo account")
}

/// The treasury's EUR balance as its page (under the commons at `path`) shows it, in cents.
async fn treasury_cents(b: &Browser, path: &str) -> Result<u64> {
    b.goto(&format!("{path}/treasury")).await?;
    let shown = b.text("#balance-EUR .treasury-amount").await?;
    let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
    ensure!(
        shown.contains('.') || shown.contains(','),
        "the balance {shown:?} shows no cents"
    );
    digits
        .parse()
        .with_context(|| format!("the balance {shown:?} is not an amount"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn treasurers_record_income_then_approve_and_execute_a_balanced_distribution() {
    check(with_demo_browser(value_flow).await);
}

/// The demo commons' path, `/c/{id}`.
async fn demo_path(node: &Node) -> Result<String> {
    let list: serde_json::Value = node
        .http
        .get(node.url("/api/v1/commons"))
        .send()
        .await?
        .json()
        .await?;
    let commons = list
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == "Brest audio trails"))
        .and_then(|c| c["id"].as_str())
        .with_context(|| format!("no demo commons in {list}"))?
        .to_owned();
    Ok(format!("/c/{commons}"))
}

async fn value_flow(node: &Node, b: &Browser) -> Result<()> {
    let path = demo_path(node).await?;

    // Maëlle records a benefit-sharing payment; the balance grows by exactly that much.
    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    let before = treasury_cents(b, &path).await?;
    let form = "form#income-form";
    b.fill(form, "amount", "1234.56").await?;
    b.fill(form, "source", "Atelier Lumen SARL").await?;
    b.fill(form, "reference", "SEPA 2026-11-23 #9001").await?;
    b.submit(form).await?;
    assert_done(b, "The income is recorded").await?;
    let after = treasury_cents(b, &path).await?;
    ensure!(
        after == before + 123_456,
        "the treasury went from {before} to {after} cents, not up by 123456"
    );
    b.assert_text("Atelier Lumen SARL").await?;
    b.screenshot("60-treasury-income").await?;

    // She proposes 1,000.00: 15% kept, the rest to contributors by BALANCED.
    b.goto(&format!("{path}/distributions")).await?;
    let form = "form#propose-form";
    b.fill(form, "title", "Browser-tested round").await?;
    b.fill(form, "amount", "1000.00").await?;
    b.fill(form, "bucket-1-policy", "balanced").await?;
    b.submit(form).await?;
    assert_done(b, "The distribution is proposed").await?;
    let target = link_titled(b, "tr.distribution-row a", "Browser-tested round").await?;
    b.goto(&target).await?;
    b.assert_text("Browser-tested round").await?;
    b.assert_text("how far what earlier distributions paid them lags their share")
        .await?;
    b.submit("form#approve-form").await?;
    b.goto(&target).await?;
    b.assert_text("Approvals: 1 of 2").await?;
    log_out(b).await?;

    // Yann approves and executes; the page says it is executed.
    log_in_with(b, email("yann"), DEMO_PASSWORD).await?;
    b.goto(&target).await?;
    b.submit("form#approve-form").await?;
    b.goto(&target).await?;
    b.submit("form#execute-form").await?;
    b.goto(&target).await?;
    b.assert_text("Executed: the amounts below are credited")
        .await?;
    b.screenshot("61-distribution-executed").await?;

    // The shares of the contributors' bucket add up to it, and "Why?" explains one.
    let shares = b.find_all("#bucket-1 tr.share-row").await?;
    ensure!(!shares.is_empty(), "the balanced bucket paid nobody");
    let why = b
        .find("#bucket-1 a.why-link")
        .await?
        .attr("href")
        .await?
        .context("a Why? link")?;
    b.goto(&why).await?;
    b.assert_text("Browser-tested round").await?;
    b.screenshot("62-why-did-i-get-this").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_previews_an_equation_change_through_the_graph_then_opens_its_poll() {
    check(with_demo_browser(equation_flow).await);
}

/// Maëlle, a member, proposes that a revision pass half of its credit (not a fifth) on to
/// the draft it builds on in the demo's contribution graph; she previews the effect
/// (nothing signed; the money shared stays the same in total), then opens the poll.
async fn equation_flow(node: &Node, b: &Browser) -> Result<()> {
    let path = demo_path(node).await?;
    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    b.goto(&format!("{path}/equation")).await?;
    b.assert_text("Propose a change").await?;
    b.assert_text("Credit then flows along the contribution graph")
        .await?;
    let builds_on = b.text(".eq-builds-on").await?;
    ensure!(
        builds_on == "20%",
        "the demo's revisions pass on {builds_on}, not 20%"
    );
    let form = "form#equation-form";
    b.fill(form, "builds_on", "1/2").await?;
    b.click("#eq-preview").await?;
    let totals = b.find_all("#preview-totals td").await?;
    ensure!(
        totals.len() == 6,
        "the preview's totals have {} cells, not credit and money before, after and change",
        totals.len()
    );
    let (money_before, money_after) = (totals[3].text().await?, totals[4].text().await?);
    ensure!(
        money_before == money_after,
        "the same amount is shared either way, not {money_before} then {money_after}"
    );
    let rows = b.find_all("#preview-table tr.simulation-row").await?.len();
    let unchanged = b
        .find_all("#preview-table tr.simulation-row.muted")
        .await?
        .len();
    // Léna's script, which Kofi's revision builds on, earns more; Kofi less.
    ensure!(
        rows > 0 && unchanged + 2 <= rows,
        "passing more on to the work built on changes nobody's share ({unchanged} of {rows} rows unchanged)"
    );
    scroll_to(b, "#equation-preview").await?;
    b.screenshot("63-equation-preview").await?;
    // Still the old equation: the preview signed nothing.
    b.goto(&format!("{path}/equation")).await?;
    let builds_on = b.text(".eq-builds-on").await?;
    ensure!(
        builds_on == "20%",
        "the preview changed the equation to {builds_on}"
    );

    b.fill(form, "builds_on", "1/2").await?;
    b.fill(form, "title", "Earlier drafts earn more").await?;
    b.click("#eq-sign").await?;
    let at = b.path().await?;
    ensure!(at.contains("/polls/"), "the poll did not open: at {at}");
    b.assert_text("Earlier drafts earn more").await?;
    b.screenshot("64-equation-poll").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_named_by_its_holder_becomes_active_and_a_mistaken_proposal_is_cancelled() {
    check(with_demo_browser(claims_flow).await);
}

/// Maëlle proposes a debt the commons owes Awa, naming her as she publishes herself (Awa
/// rotated her key in the demo, so only her current key may match); both treasurers
/// approve it and it is active. Yann proposes a distribution by mistake and withdraws it.
async fn claims_flow(node: &Node, b: &Browser) -> Result<()> {
    let path = demo_path(node).await?;
    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    b.goto(&format!("{path}/claims")).await?;
    let form = "form#claim-form";
    b.fill(form, "holder", "Awa Diop").await?;
    b.fill(form, "kind", "debt").await?;
    b.fill(form, "amount", "250.00").await?;
    b.fill(form, "reason", "Recorders bought for the dawn walks")
        .await?;
    b.submit(form).await?;
    assert_done(b, "The claim is proposed").await?;
    ensure!(
        b.text("#proposed-claims .claim-approvals").await? == "0 of 2",
        "a new claim starts with no approval"
    );
    b.assert_text("Awa Diop").await?;
    b.submit("#proposed-claims form.claim-approve").await?;
    assert_done(b, "Your approval is recorded").await?;
    b.assert_text("1 of 2").await?;
    b.assert_absent("#proposed-claims form.claim-approve")
        .await?;
    log_out(b).await?;

    log_in_with(b, email("yann"), DEMO_PASSWORD).await?;
    b.goto(&format!("{path}/claims")).await?;
    b.submit("#proposed-claims form.claim-approve").await?;
    assert_done(b, "Your approval is recorded").await?;
    b.find("#no-proposed-claims").await?;
    let amount = b.text("#active-claims .claim-amount").await?;
    ensure!(
        amount.contains("250.00"),
        "the active debt reads {amount:?}, not 250.00"
    );
    ensure!(
        b.text("#active-claims").await?.contains("Awa Diop"),
        "the active claim is not Awa's"
    );
    b.screenshot("65-claim-active").await?;

    // A distribution proposed by mistake is withdrawn, with its reason.
    b.goto(&format!("{path}/distributions")).await?;
    let form = "form#propose-form";
    b.fill(form, "title", "Proposed by mistake").await?;
    b.fill(form, "amount", "10.00").await?;
    b.submit(form).await?;
    assert_done(b, "The distribution is proposed").await?;
    let target = link_titled(b, "tr.distribution-row a", "Proposed by mistake").await?;
    b.goto(&target).await?;
    b.fill("form#cancel-form", "reason", "Wrong amount; proposed again")
        .await?;
    b.submit("form#cancel-form").await?;
    b.goto(&target).await?;
    b.find("#cancelled").await?;
    b.goto(&format!("{path}/distributions")).await?;
    let listed = b.text("#cancelled").await?;
    ensure!(
        listed.contains("Proposed by mistake"),
        "the cancelled list reads {listed:?}"
    );
    b.screenshot("66-distribution-cancelled").await?;
    Ok(())
}

/// Opens the collapsed `<details>` panel holding the element with id `id`.
async fn open_details_of(b: &Browser, id: &str) -> Result<()> {
    b.execute(
        "document.getElementById(arguments[0]).closest('details').open = true;",
        vec![serde_json::json!(id)],
    )
    .await
    .map(|_| ())
}

/// The address of the link matching `css` whose text is `title`.
async fn link_titled(b: &Browser, css: &str, title: &str) -> Result<String> {
    for link in b.find_all(css).await? {
        if link.text().await? == title
            && let Some(href) = link.attr("href").await?
        {
            return Ok(href);
        }
    }
    anyhow::bail!("no `{css}` link reads {title:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_treasurer_opens_a_give_circle_and_its_members_allocate_their_give() {
    check(with_demo_browser(circle_flow).await);
}

/// Ticks the members whose published names are `names` in the open-circle form.
async fn tick_members(b: &Browser, names: &[&str]) -> Result<()> {
    let ticked = b
        .execute(
            "let n = 0; for (const l of document.querySelectorAll('#open-circle-form fieldset label')) { if (arguments[0].includes(l.textContent.trim())) { l.querySelector('input').click(); n += 1; } } return n;",
            vec![serde_json::json!(names)],
        )
        .await?;
    ensure!(
        ticked == serde_json::json!(names.len()),
        "ticked {ticked} members, not {names:?}"
    );
    Ok(())
}

/// Types `give` into the allocation field labelled with `name`.
async fn give_to(b: &Browser, name: &str, give: u64) -> Result<()> {
    let id = b
        .execute(
            "for (const l of document.querySelectorAll('#give-form label')) { if (l.textContent.trim() === arguments[0]) { return l.getAttribute('for'); } } return null;",
            vec![serde_json::json!(name)],
        )
        .await?;
    let id = id
        .as_str()
        .with_context(|| format!("no allocation field for {name}"))?;
    b.fill("form#give-form", id, &give.to_string()).await
}

/// Maëlle opens a circle for herself, Yann and Awa; she gives Yann 60 GIVE and Awa 40, then
/// changes her mind (the new allocation replaces the old); Yann gives his to both.
async fn circle_flow(node: &Node, b: &Browser) -> Result<()> {
    let path = demo_path(node).await?;
    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    b.goto(&format!("{path}/circles")).await?;
    let form = "form#open-circle-form";
    b.fill(form, "title", "Winter epoch").await?;
    b.fill(form, "give_per_member", "100").await?;
    tick_members(b, &["Maëlle Le Goff", "Yann Kerjean", "Awa Diop"]).await?;
    b.submit(form).await?;
    assert_done(b, "The circle is open").await?;
    let target = link_titled(b, "tr.circle-row a", "Winter epoch").await?;
    b.goto(&target).await?;
    ensure!(
        b.text("#circle-state").await? == "open",
        "the circle is not open"
    );
    ensure!(
        b.find_all("tr.circle-member").await?.len() == 3,
        "the circle does not have its three members"
    );
    give_to(b, "Yann Kerjean", 60).await?;
    give_to(b, "Awa Diop", 40).await?;
    b.submit("form#give-form").await?;
    assert_done(b, "Your GIVE is allocated").await?;
    ensure!(
        b.text("#give-left").await? == "0",
        "Maëlle has GIVE left after giving all"
    );
    // Giving more than one holds is refused and changes nothing.
    give_to(b, "Awa Diop", 50).await?;
    b.submit("form#give-form").await?;
    let flash = b.text(".flash").await?;
    ensure!(
        flash.contains("circle_give_exceeded"),
        "giving 110 of 100 GIVE was not refused: {flash}"
    );
    b.goto(&target).await?;
    ensure!(
        b.text("#give-given").await? == "100",
        "the refused allocation changed hers"
    );
    give_to(b, "Awa Diop", 10).await?;
    b.submit("form#give-form").await?;
    assert_done(b, "Your GIVE is allocated").await?;
    ensure!(
        b.text("#give-left").await? == "30",
        "60 + 10 of 100 leaves 30"
    );
    log_out(b).await?;

    log_in_with(b, email("yann"), DEMO_PASSWORD).await?;
    b.goto(&target).await?;
    give_to(b, "Maëlle Le Goff", 50).await?;
    give_to(b, "Awa Diop", 50).await?;
    b.submit("form#give-form").await?;
    assert_done(b, "Your GIVE is allocated").await?;
    b.assert_text("What each member received is shown once the epoch is over")
        .await?;
    b.screenshot("67-give-circle").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expense_is_filed_approved_by_one_treasurer_and_paid_by_the_other() {
    check(with_demo_browser(expense_flow).await);
}

/// Awa files the headphone cushions she bought; Maëlle approves (the demo's general
/// treasury needs one of its two treasurers), which reserves 48.90 EUR of the treasury,
/// and so may not pay it; Yann records the payment out of the reserve.
async fn expense_flow(node: &Node, b: &Browser) -> Result<()> {
    let path = demo_path(node).await?;
    log_in_with(b, email("awa-laptop-2026"), DEMO_PASSWORD).await?;
    let before = treasury_cents(b, &path).await?;
    b.goto(&format!("{path}/spending")).await?;
    let form = "form#expense-form";
    b.fill(form, "title", "Replacement headphone cushions")
        .await?;
    b.fill(form, "amount", "48.90").await?;
    b.fill(form, "reference", "Invoice FA-2026-118").await?;
    b.fill(form, "description", "Six pairs, for the school walks")
        .await?;
    b.submit(form).await?;
    assert_done(b, "The expense is filed").await?;
    let target = link_titled(b, "tr.expense-row a", "Replacement headphone cushions").await?;
    b.goto(&target).await?;
    ensure!(
        b.text(".expense-state").await? == "submitted",
        "not submitted"
    );
    b.assert_absent("#approve-form").await?;
    log_out(b).await?;

    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    b.goto(&target).await?;
    b.submit("#approve-form").await?;
    assert_done(b, "Your approval is recorded").await?;
    b.goto(&target).await?;
    ensure!(
        b.text(".expense-state").await? == "approved",
        "not approved"
    );
    // Approval reserves the amount: the treasury no longer counts it as its own.
    let reserved = treasury_cents(b, &path).await?;
    ensure!(
        before == reserved + 4_890,
        "approval took the treasury from {before} to {reserved} cents, not down by 4890"
    );
    b.goto(&target).await?;
    // She approved it, so she may not pay it.
    b.assert_absent("#pay-form").await?;
    log_out(b).await?;

    log_in_with(b, email("yann"), DEMO_PASSWORD).await?;
    b.goto(&target).await?;
    b.fill("#pay-form", "reference", "SEPA out 2026-11-24 #0040")
        .await?;
    b.submit("#pay-form").await?;
    assert_done(b, "The payment is recorded").await?;
    b.goto(&target).await?;
    ensure!(b.text(".expense-state").await? == "paid", "not paid");
    b.assert_text("SEPA out 2026-11-24 #0040").await?;
    b.screenshot("68-expense-paid").await?;
    let after = treasury_cents(b, &path).await?;
    ensure!(
        after == reserved,
        "paying what was reserved changed the treasury from {reserved} to {after} cents"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounty_funded_on_a_task_is_released_to_the_contribution_that_resolves_it() {
    check(with_demo_browser(bounty_flow).await);
}

/// Maëlle funds 60.00 EUR of Ti ar Son's money on the dawn-chorus task, held in escrow;
/// she records the chorus herself, and Yann, who keeps the recordings area, accepts it:
/// the task is resolved and the escrow released to her.
async fn bounty_flow(node: &Node, b: &Browser) -> Result<()> {
    let path = demo_path(node).await?;
    let title = "Capture the dawn chorus in the Vallon du Stang";
    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    b.goto(&format!("{path}/tasks")).await?;
    let task = link_titled(b, "li.task-row a.task-link", title).await?;
    b.goto(&task).await?;
    open_details_of(b, "fund-form").await?;
    let form = "form#fund-form";
    b.fill(form, "amount", "60.00").await?;
    b.fill(form, "source", "Ti ar Son (sound co-op)").await?;
    b.fill(form, "reference", "SEPA 2026-11-24 TIARSON-BOUNTY-2")
        .await?;
    b.submit(form).await?;
    assert_done(b, "The bounty is funded").await?;
    b.goto(&task).await?;
    let escrow = b.text("#bounty-escrow").await?;
    ensure!(
        escrow.contains("60.00"),
        "the task's escrow reads {escrow:?}"
    );

    b.click("a#contribute-task").await?;
    let form = "form#contribute-form";
    tick(b, &format!("{form} input[name=kind][value=external]")).await?;
    b.fill(form, "title", "Dawn chorus, Stang, late April")
        .await?;
    b.fill(form, "description", "Robins first, then the wrens.")
        .await?;
    b.fill(form, "effort_hours", "3").await?;
    b.fill(
        form,
        "evidence",
        "https://archive.example.org/brest/stang-april.flac",
    )
    .await?;
    tick(b, &format!("{form} input[name=chore-0]")).await?;
    tick(b, &format!("{form} input[name=chore-1]")).await?;
    b.submit(form).await?;
    let contribution = b.path().await?;
    ensure!(
        contribution.contains("/contributions/"),
        "contributing led to {contribution}"
    );
    log_out(b).await?;

    log_in_with(b, email("yann"), DEMO_PASSWORD).await?;
    b.goto(&contribution).await?;
    b.fill("form#review-form", "text", "Lovely robin at the start.")
        .await?;
    b.submit("form#review-form").await?;
    let status = b.text("#contribution-status").await?;
    ensure!(
        status == "accepted",
        "after Yann's approval it is {status:?}"
    );
    b.goto(&format!("{path}/spending")).await?;
    let mut released = None;
    for row in b.find_all("#bounties-table tr.bounty-row").await? {
        let text = row.text().await?;
        if text.contains(title) {
            released = Some(text);
        }
    }
    let released = released.context("the bounty is not listed")?;
    ensure!(
        released.contains("released")
            && released.contains("Maëlle Le Goff")
            && released.contains("60.00"),
        "the bounty row reads {released:?}"
    );
    scroll_to(b, "#bounties").await?;
    b.screenshot("69-bounty-released").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_award_sets_its_prize_aside_takes_a_nomination_and_is_cancelled() {
    check(with_demo_browser(award_flow).await);
}

/// Maëlle opens an award of 150.00 EUR, set aside out of the treasury to the cent; Awa
/// nominates Kofi; Maëlle cancels the award, and the prize is back in the treasury.
async fn award_flow(node: &Node, b: &Browser) -> Result<()> {
    let path = demo_path(node).await?;
    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    let before = treasury_cents(b, &path).await?;
    b.goto(&format!("{path}/spending")).await?;
    open_details_of(b, "award-form").await?;
    let form = "form#award-form";
    b.fill(form, "title", "Trail-maker of the year").await?;
    b.fill(form, "amount", "150.00").await?;
    b.fill(
        form,
        "description",
        "For the recording that most changed the walks.",
    )
    .await?;
    b.submit(form).await?;
    assert_done(b, "The award is open for nominations").await?;
    let award = link_titled(b, "tr.award-row a", "Trail-maker of the year").await?;
    let aside = treasury_cents(b, &path).await?;
    ensure!(
        before == aside + 15_000,
        "opening the award took the treasury from {before} to {aside} cents, not down by 15000"
    );
    log_out(b).await?;

    log_in_with(b, email("awa-laptop-2026"), DEMO_PASSWORD).await?;
    b.goto(&award).await?;
    let picked = b
        .execute(
            "const s = document.querySelector('#nominate-form select[name=nominee]'); for (const o of s.options) { if (o.text === arguments[0]) { s.value = o.value; return true; } } return false;",
            vec![serde_json::json!("Kofi Mensah")],
        )
        .await?;
    ensure!(
        picked == serde_json::json!(true),
        "Kofi is not among the nominees offered"
    );
    b.fill("form#nominate-form", "reason", "The dawn chorus.")
        .await?;
    b.submit("form#nominate-form").await?;
    assert_done(b, "Your nomination is recorded").await?;
    b.goto(&award).await?;
    let nominees = b.text("#nominee-list").await?;
    ensure!(
        nominees.contains("Kofi Mensah") && nominees.contains("Awa Diop"),
        "the nominees read {nominees:?}"
    );
    b.screenshot("70-award-nominated").await?;
    log_out(b).await?;

    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    b.goto(&award).await?;
    b.fill("form#cancel-form", "reason", "Opened too early in the year")
        .await?;
    b.submit("form#cancel-form").await?;
    assert_done(b, "The award is cancelled").await?;
    let back = treasury_cents(b, &path).await?;
    ensure!(
        back == before,
        "cancelling left the treasury at {back}, not {before} cents"
    );
    Ok(())
}
