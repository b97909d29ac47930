//! Browser tests of value sharing on the demo commons (`serve --demo`), whose books Maëlle
//! and Yann keep (every distribution needs both): a treasurer records an income and sees
//! the treasury's balance grow by it to the cent; she proposes a distribution whose
//! contributors' bucket is BALANCED; both treasurers approve it and Yann executes it;
//! a recipient's "Why?" link explains their share. Screenshots are named `60-…`.
//! Run with `cargo test -p commons-browser --features browser --test value`.

use anyhow::{Context, Result, ensure};
use commons::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use commons_browser::flows::{assert_done, check, log_in_with, log_out, with_demo_browser};
use commons_browser::{Browser, Node};

/// The demo's treasurers' e-mails, by their demo handle.
fn email(handle: &str) -> &'static str {
    DEMO_ACCOUNTS
        .iter()
        .find(|(_, _, h)| *h == handle)
        .map(|(_, email, _)| *email)
        .expect("a demo account")
}

/// The treasury's EUR balance as the page shows it, in cents.
async fn treasury_cents(b: &Browser) -> Result<u64> {
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

async fn value_flow(node: &Node, b: &Browser) -> Result<()> {
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
    let path = format!("/c/{commons}");

    // Maëlle records a benefit-sharing payment; the balance grows by exactly that much.
    log_in_with(b, email("maelle"), DEMO_PASSWORD).await?;
    b.goto(&format!("{path}/treasury")).await?;
    let before = treasury_cents(b).await?;
    let form = "form#income-form";
    b.fill(form, "amount", "1234.56").await?;
    b.fill(form, "source", "Atelier Lumen SARL").await?;
    b.fill(form, "reference", "SEPA 2026-11-23 #9001").await?;
    b.submit(form).await?;
    assert_done(b, "The income is recorded").await?;
    b.goto(&format!("{path}/treasury")).await?;
    let after = treasury_cents(b).await?;
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
    let mut target = None;
    for row in b.find_all("tr.distribution-row a").await? {
        if row.text().await? == "Browser-tested round" {
            target = row.attr("href").await?;
        }
    }
    let target = target.context("the new distribution is not listed")?;
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
