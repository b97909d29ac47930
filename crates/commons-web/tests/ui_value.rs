//! Router tests of value sharing's pages: the treasury (balances, income by source with
//! its chart, money in and out), the value equation in words, distributions (proposed,
//! approved 2 of 2 and executed through the treasurers' forms) and "why did I get this",
//! with the figures checked against the API's and summed to the cent. A non-treasurer
//! sees no money form and a forged post comes back with core's `not_treasurer`; nobody's
//! e-mail or key secret appears on any of these pages. Spending: an expense filed, approved
//! 2 of 3 and paid through the forms, with the author's own approval, a non-approver's and
//! the approving payer's refused by core's codes; a bounty funded on a task; an award
//! opened and a nomination shown; an equation poll's simulation table equal to the API's.
//! The equation page's form: the first equation set by a treasurer (graph terms shown in
//! words and the API), a change previewed with each person's credit and money before and
//! after and opened as a poll, malformed fractions and core's refusals re-rendered with
//! what was typed, and people who may not refused by core's code.
//!
//! The harness is `tests/site` (a cookie jar over `oneshot`); setup the pages do not
//! offer (an area, a contribution and its review, the first equation) is signed with the
//! accounts' own custodial keys, opened with the node's web secret.
#![allow(clippy::unwrap_used)]

mod site;

use axum::http::{StatusCode, header};
use commons_core::production::Rule;
use commons_core::production::bodies::{self, NewArea, NewContribution, NewTask};
use commons_ledger::cbor::Value;
use commons_ledger::{EventId, SecretKey};
use site::{Browser, Site, main, pairs, preview, secret_site, site};
use std::collections::BTreeMap;

/// Everyone in the scenario.
struct People {
    path: String,
    founder: Browser,
    tess: Browser,
    ben: Browser,
    founder_key: SecretKey,
    ben_key: SecretKey,
}

/// A commons whose statutes name the founder and Tess treasurers (2 of 2); Ben's care
/// work is accepted by the founder, and the first equation gives reviewers a fifth.
async fn commons_with_treasurers(site: &Site) -> People {
    let people = commons_before_the_equation(site).await;
    let equation = Value::text_map([(
        "equation",
        Value::text_map([(
            "reviewer_share",
            Value::Array(vec![Value::Unsigned(1), Value::Unsigned(5)]),
        )]),
    )]);
    site.sign(&people.founder_key, "value.equation", equation)
        .await;
    people
}

/// The same commons before any equation is adopted.
async fn commons_before_the_equation(site: &Site) -> People {
    let mut founder = Browser::new(1);
    let path = founder.found(site, "Repair café", "CC-BY-SA-4.0").await;
    founder.publish_profile(site, &path, "person").await;
    let tess = Browser::join_as(site, &path, 2, "Tess", "person").await;
    let ben = Browser::join_as(site, &path, 3, "Ben", "person").await;
    let founder_key = site.custodial("founder@example.org").await;
    let tess_key = site.custodial("tess@example.org").await;
    let ben_key = site.custodial("ben@example.org").await;
    let treasurers = format!(
        "{}\n{}",
        founder_key.author_key().to_hex(),
        tess_key.author_key().to_hex()
    );
    founder
        .adopt_statutes(
            site,
            &path,
            &[("treasurers", &treasurers), ("treasurer_approvals", "2")],
        )
        .await;
    let area = NewArea {
        slug: "repairs".into(),
        name: "Repairs".into(),
        description: None,
        maintainers: vec![founder_key.author_key()],
        threshold: None,
        rule: Rule::Maintainers { approvals: 1 },
        chores: vec![],
        self_approval: None,
        claim_ttl_ms: None,
    };
    site.sign(&founder_key, "area.create", area.body()).await;
    let work = NewContribution {
        area: "repairs".into(),
        kind: "care".into(),
        title: "Fixed the soldering station".into(),
        description: None,
        tasks: vec![],
        authors: vec![],
        effort_minutes: Some(90),
        sponsor: None,
        revision: None,
        evidence: vec![],
        checklist: vec![],
    };
    let work = site.sign(&ben_key, "contrib.submit", work.body()).await;
    site.sign(
        &founder_key,
        "contrib.review",
        bodies::review(&work, "approve", None),
    )
    .await;
    People {
        path,
        founder,
        tess,
        ben,
        founder_key,
        ben_key,
    }
}

/// Posts the income form of the `treasury` page and checks the flash says `flash`.
async fn record_income(
    site: &Site,
    browser: &mut Browser,
    treasury: &str,
    fields: &[(&str, &str)],
    flash: &str,
) {
    browser
        .act_and_see(site, treasury, &format!("{treasury}/income"), fields, flash)
        .await;
}

/// Posts the form of a page's `action` (a distribution's approve or execute, an expense's
/// approve, pay, reverse, an award's nominate) with `fields` and checks the flash says
/// `flash`.
async fn press(
    site: &Site,
    browser: &mut Browser,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    flash: &str,
) {
    browser
        .act_and_see(site, page, &format!("{page}/{action}"), fields, flash)
        .await;
}

/// The id of the first page under `prefix` (such as `/c/…/distributions`) linked from `html`.
fn first_linked(html: &str, prefix: &str) -> String {
    let marker = format!("href=\"{prefix}/");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no link to {prefix}"))
        + marker.len();
    html[start..start + 64].to_owned()
}

/// Each of `pages` is a finished 404 page.
async fn not_found(site: &Site, browser: &mut Browser, pages: &[String]) {
    for missing in pages {
        let page = browser.get(site, missing).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{missing}");
        page.shows("<main");
    }
}

#[tokio::test]
async fn every_value_page_has_a_finished_empty_state() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = founder.found(&site, "Quiet commons", "CC0-1.0").await;
    let overview = founder.get(&site, &path).await;
    overview.shows(&format!("id=\"nav-treasury\" href=\"{path}/treasury\""));
    let treasury = founder.get(&site, &format!("{path}/treasury")).await;
    assert_eq!(treasury.status, StatusCode::OK);
    treasury.shows("No money has come in yet.");
    treasury.shows("id=\"no-treasurers\"");
    treasury.shows("No money has moved yet.");
    treasury.shows("aria-current=\"page\">Treasury</a>");
    assert!(!treasury.text.contains("income-form"));
    let equation = founder.get(&site, &format!("{path}/equation")).await;
    equation.shows("id=\"default-equation\"");
    equation.shows("No equation has been adopted yet.");
    let distributions = founder.get(&site, &format!("{path}/distributions")).await;
    distributions.shows("No distribution is waiting for approvals.");
    distributions.shows("id=\"no-distributions\"");
    assert!(!distributions.text.contains("propose-form"));
    let key = commons_testkit::key(5).author_key().to_hex();
    let earnings = founder
        .get(&site, &format!("{path}/agents/{key}/earnings"))
        .await;
    earnings.shows("id=\"no-earnings\"");
    let chart = founder
        .get(&site, &format!("{path}/treasury/income.svg?currency=EUR"))
        .await;
    assert_eq!(chart.status, StatusCode::OK);
    chart.shows("No income in these months");
    let missing = [
        format!("{path}/distributions/{}", "ab".repeat(32)),
        format!("{path}/distributions/zz"),
        format!("{path}/agents/nobody/earnings"),
    ];
    not_found(&site, &mut founder, &missing).await;
}

#[tokio::test]
async fn treasurers_record_income_and_share_it_and_everyone_sees_why() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    let treasury = format!("{path}/treasury");

    // A non-treasurer is offered no money form, and a forged one is refused by core.
    let ben_view = p.ben.get(&site, &treasury).await;
    assert!(!ben_view.text.contains("id=\"income-form\""));
    let income = [
        ("kind", "donation"),
        ("amount", "5"),
        ("currency", "EUR"),
        ("source", "Ben"),
        ("reference", "cash"),
    ];
    record_income(&site, &mut p.ben, &treasury, &income, "not_treasurer").await;
    // A visitor cannot post at all: the form action wants a login.
    let mut visitor = Browser::new(9);
    let csrf = visitor.get(&site, "/login").await.csrf();
    let posted = visitor
        .post(
            &site,
            &format!("{treasury}/income"),
            &[income.as_slice(), &[("csrf", csrf.as_str())]].concat(),
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    assert_eq!(posted.location(), "/login");

    // The treasurers record two incomes through the form.
    record_income(
        &site,
        &mut p.tess,
        &treasury,
        &[
            ("kind", "benefit_sharing"),
            ("amount", "1,000.01"),
            ("currency", "EUR"),
            ("source", "Atelier Lumen SARL"),
            ("reference", "SEPA 4471"),
            ("note", "Yearly benefit sharing"),
        ],
        "recorded",
    )
    .await;
    record_income(
        &site,
        &mut p.founder,
        &treasury,
        &[
            ("kind", "donation"),
            ("amount", "250"),
            ("currency", "eur"),
            ("source", "A neighbour"),
            ("reference", "cash box"),
        ],
        "recorded",
    )
    .await;
    record_income(
        &site,
        &mut p.founder,
        &treasury,
        &[
            ("kind", "donation"),
            ("amount", "1.005"),
            ("currency", "EUR"),
            ("source", "Typo"),
            ("reference", "none"),
        ],
        "decimal place",
    )
    .await;
    let page = p.founder.get(&site, &treasury).await;
    preview("treasury.html", &page.text);
    page.shows("id=\"income-form\"");
    page.shows("1,250.01 EUR");
    page.shows("Atelier Lumen SARL");
    page.shows("Yearly benefit sharing");
    page.shows("benefit sharing");
    page.shows("/treasury/income.svg?currency=EUR");
    let chart = p
        .founder
        .get(&site, &format!("{treasury}/income.svg?currency=EUR"))
        .await;
    assert_eq!(
        chart.headers.get(header::CONTENT_TYPE).unwrap(),
        "image/svg+xml"
    );
    chart.shows("Income by source, EUR");
    chart.shows("1,250.01 EUR in all");

    // The founder proposes with the form's default buckets: 15% stays, the rest is shared
    // by lifetime credit.
    let distributions = format!("{path}/distributions");
    let form = p.founder.get(&site, &distributions).await;
    form.shows("id=\"propose-form\"");
    form.shows("<strong>1,250.01 EUR</strong>");
    let mut fields: Vec<(String, String)> = [
        ("title", "Autumn 2026"),
        ("amount", "1,000.01"),
        ("currency", "EUR"),
        ("bucket-0-name", "Infrastructure"),
        ("bucket-0-take", "straight"),
        ("bucket-0-share", "15"),
        ("bucket-0-to", "treasury"),
        ("bucket-0-policy", "lifetime"),
        ("bucket-1-name", "Contributors"),
        ("bucket-1-take", "rest"),
        ("bucket-1-share", ""),
        ("bucket-1-to", "contributors"),
        ("bucket-1-policy", "lifetime"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    p.founder
        .act_and_see(
            &site,
            &distributions,
            &distributions,
            &pairs(&fields),
            "proposed",
        )
        .await;
    // A proposal whose last bucket does not take the rest signs nothing.
    fields.retain(|(k, _)| !k.starts_with("bucket-1"));
    p.founder
        .act_and_see(
            &site,
            &distributions,
            &distributions,
            &pairs(&fields),
            "takes the rest",
        )
        .await;
    let list = p.founder.get(&site, &distributions).await;
    list.shows("Autumn 2026");
    list.shows("0 of 2");
    let id = first_linked(&list.text, &format!("{path}/distributions"));
    let page_path = format!("{distributions}/{id}");

    // Ben may not approve; the founder approves, then Tess approves and executes.
    let ben_page = p.ben.get(&site, &page_path).await;
    assert!(!ben_page.text.contains("approve-form"));
    press(
        &site,
        &mut p.ben,
        &page_path,
        "approve",
        &[],
        "not_treasurer",
    )
    .await;
    press(
        &site,
        &mut p.founder,
        &page_path,
        "approve",
        &[],
        "approval is recorded",
    )
    .await;
    let waiting = p.founder.get(&site, &page_path).await;
    waiting.shows("Approvals: 1 of 2");
    waiting.shows("You approved it.");
    assert!(!waiting.text.contains("execute-form"));
    press(
        &site,
        &mut p.founder,
        &page_path,
        "execute",
        &[],
        "distribution_state",
    )
    .await;
    press(
        &site,
        &mut p.tess,
        &page_path,
        "approve",
        &[],
        "approval is recorded",
    )
    .await;
    let ready = p.tess.get(&site, &page_path).await;
    ready.shows("id=\"execute-form\"");
    press(&site, &mut p.tess, &page_path, "execute", &[], "executed").await;

    // 85,001 cents by credit 4/5 (Ben's care work) to 1/5 (the founder's review): 68,000.8
    // and 17,000.2, the cent left to the larger remainder.
    let done = p.founder.get(&site, &page_path).await;
    preview("distribution.html", &done.text);
    done.shows("Approvals: 2 of 2");
    done.shows("150.00 EUR stays in the treasury.");
    done.shows("<strong>680.01 EUR</strong>");
    done.shows("<strong>170.00 EUR</strong>");
    done.shows("850.01 EUR shared, 850.01 EUR credited, 0.00 EUR carried.");
    done.shows("80%");
    let ben_key = p.ben_key.author_key().to_hex();
    let why_path = format!("{path}/agents/{ben_key}/earnings");
    done.shows(&format!("href=\"{why_path}#d-{id}\""));
    // The page and the API agree, and the shares sum to the bucket.
    let api = p
        .founder
        .get(
            &site,
            &format!(
                "/api/v1/commons/{}/distributions/{id}",
                site.commons().to_hex()
            ),
        )
        .await;
    let json: serde_json::Value = serde_json::from_str(&api.text).unwrap();
    let shares = json["buckets"][1]["shares"].as_array().unwrap();
    let amounts: Vec<u64> = shares
        .iter()
        .map(|s| s["amount"]["minor"].as_u64().unwrap())
        .collect();
    assert_eq!(amounts.iter().sum::<u64>(), 85_001);
    assert!(amounts.contains(&68_001) && amounts.contains(&17_000));

    // Why did Ben get 680.01 EUR?
    let why = p.ben.get(&site, &why_path).await;
    preview("earnings.html", &why.text);
    why.shows("Why did I get this?");
    why.shows(&format!("id=\"d-{id}\""));
    why.shows("<span class=\"explained-total\">680.01 EUR</span>");
    why.shows("2 incomes in EUR recorded before the pin filled (1,250.01 EUR in all");
    why.shows("Weight <strong class=\"weight\">800</strong> of 1000 milli-credits");
    why.shows("Fixed the soldering station");
    why.shows("4&#x2f;5");
    why.shows("<strong class=\"owed\">680.01 EUR</strong>");
    // The founder reads it about Ben in the third person, from Ben's profile.
    let profile = p
        .founder
        .get(&site, &format!("{path}/agents/{ben_key}"))
        .await;
    profile.shows(&format!("href=\"{why_path}\""));
    let about = p.founder.get(&site, &why_path).await;
    about.shows("Earnings of Ben");

    // The treasury after execution: 1,250.01 in, 850.01 owed, 400.00 left.
    let after = p.founder.get(&site, &treasury).await;
    after.shows("<strong class=\"treasury-amount\">400.00 EUR</strong>");
    after.shows("850.01 EUR <span class=\"small muted\">(2)</span>");
    after.shows("dist.execute");
    let equation = p.ben.get(&site, &format!("{path}/equation")).await;
    preview("equation.html", &equation.text);
    equation.shows("<strong class=\"eq-reviewers\">20%</strong>");
    equation.shows("as the commons' first equation");

    // No page shows anyone's e-mail or custodial seed.
    let seeds = [
        hex::encode(p.founder_key.seed()),
        hex::encode(p.ben_key.seed()),
    ];
    for page in [
        treasury.clone(),
        format!("{path}/equation"),
        distributions.clone(),
        page_path.clone(),
        why_path.clone(),
    ] {
        for browser in [&mut p.ben, &mut visitor] {
            let text = browser.get(&site, &page).await.text;
            for secret in [
                "founder@example.org",
                "tess@example.org",
                "ben@example.org",
                seeds[0].as_str(),
                seeds[1].as_str(),
            ] {
                assert!(!text.contains(secret), "{page} shows {secret}");
            }
        }
    }
}

/// A treasurer records a donation of `amount` euros through the treasury's income form.
async fn donation(site: &Site, treasurer: &mut Browser, path: &str, amount: &str) {
    let fields = [
        ("kind", "donation"),
        ("amount", amount),
        ("currency", "EUR"),
        ("source", "A neighbour"),
        ("reference", "cash box"),
    ];
    let treasury = format!("{path}/treasury");
    record_income(site, treasurer, &treasury, &fields, "recorded").await;
}

/// No page of `pages` shows anyone's e-mail, to a member or to a visitor.
async fn no_email_on(site: &Site, browser: &mut Browser, pages: &[String]) {
    let mut visitor = Browser::new(9);
    for page in pages {
        for who in [&mut *browser, &mut visitor] {
            let text = who.get(site, page).await.text;
            for email in [
                "founder@example.org",
                "tess@example.org",
                "ben@example.org",
                "ana@example.org",
            ] {
                assert!(!text.contains(email), "{page} shows {email}");
            }
        }
    }
}

/// The JSON answer of the value API at `/api/v1/commons/{id}{rest}`.
async fn api(site: &Site, browser: &mut Browser, rest: &str) -> serde_json::Value {
    let answer = browser
        .get(
            site,
            &format!("/api/v1/commons/{}{rest}", site.commons().to_hex()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    serde_json::from_str(&answer.text).unwrap()
}

#[tokio::test]
async fn the_spending_page_says_what_expenses_are_before_there_are_any() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = founder.found(&site, "Quiet commons", "CC0-1.0").await;
    let overview = founder.get(&site, &path).await;
    overview.shows(&format!("id=\"nav-spending\" href=\"{path}/spending\""));
    let treasury = founder.get(&site, &format!("{path}/treasury")).await;
    treasury.shows(&format!(
        "id=\"treasury-spending\" href=\"{path}/spending\""
    ));
    let spending = founder.get(&site, &format!("{path}/spending")).await;
    preview("spending-empty.html", &spending.text);
    assert_eq!(spending.status, StatusCode::OK);
    spending.shows("aria-current=\"page\">Spending</a>");
    spending.shows("id=\"no-expenses\"");
    spending.shows("anyone with an account may file one");
    spending.shows("id=\"expense-form\"");
    spending.shows("id=\"no-bounties\"");
    spending.shows("id=\"no-awards\"");
    spending.shows("id=\"no-treasurers\"");
    assert!(
        !spending.text.contains("id=\"award-form\""),
        "no treasurer yet"
    );
    let mut visitor = Browser::new(9);
    let seen = visitor.get(&site, &format!("{path}/spending")).await;
    seen.shows("id=\"no-expenses\"");
    assert!(
        !seen.text.contains("id=\"expense-form\""),
        "a visitor files nothing"
    );
    let missing = [
        format!("{path}/expenses/{}", "ab".repeat(32)),
        format!("{path}/awards/{}", "ab".repeat(32)),
        format!("{path}/expenses/zz"),
    ];
    not_found(&site, &mut founder, &missing).await;
}

#[tokio::test]
async fn an_expense_is_filed_approved_by_two_of_three_approvers_and_paid_through_the_forms() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    let mut ana = Browser::join_as(&site, &path, 4, "Ana", "person").await;
    let tess_key = site.custodial("tess@example.org").await;
    let ana_key = site.custodial("ana@example.org").await;
    donation(&site, &mut p.founder, &path, "500").await;
    // Until a treasurer sets one, the statutes' treasurers approve, 2 of 2.
    let spending = format!("{path}/spending");
    let before = p.founder.get(&site, &spending).await;
    preview("spending-policies.html", &before.text);
    before.shows("General treasury <span class=\"small muted\">(the statutes' treasurers)</span>");
    before.shows("<td class=\"num policy-approvals\">2 of 2</td>");
    // Both treasurers must approve and the payer never approved: nobody could pay.
    before.shows("no treasurer left to pay");
    before.shows("id=\"policy-form\"");
    assert!(
        !p.ben
            .get(&site, &spending)
            .await
            .text
            .contains("policy-form")
    );
    // The founder sets the general treasury's policy through the form: 2 of Tess, Ben
    // (by the names they publish) and Ana (by key), a poll above 300.00 EUR. Asking
    // more approvals than approvers, or naming nobody known, signs nothing; Ben is no
    // treasurer.
    let set = format!("{path}/spending/policy");
    let ana_hex = ana_key.author_key().to_hex();
    let approvers = format!("Tess\nBen\n{ana_hex}");
    let mut policy = vec![
        ("line", ""),
        ("approvers", approvers.as_str()),
        ("approvals", "4"),
        ("amount", "300.00"),
        ("currency", "EUR"),
    ];
    p.founder
        .act_and_see(&site, &spending, &set, &policy, "1 to the 3 approvers")
        .await;
    policy[2] = ("approvals", "2");
    let nobody = [
        ("approvers", "Nobody at all"),
        policy[2],
        ("line", ""),
        ("currency", "EUR"),
    ];
    p.founder
        .act_and_see(&site, &spending, &set, &nobody, "Nobody at all")
        .await;
    p.ben
        .act_and_see(&site, &spending, &set, &policy, "not_treasurer")
        .await;
    p.founder
        .act_and_see(&site, &spending, &set, &policy, "The policy is set")
        .await;
    let after = p.founder.get(&site, &spending).await;
    after.shows("<td class=\"num policy-approvals\">2 of 3</td>");
    after.shows("above <span class=\"policy-poll\">300.00 EUR</span>");
    assert!(!after.text.contains("no treasurer left to pay"));
    let json = api(&site, &mut p.ben, "/spending").await;
    assert_eq!(json["policies_matching"], 1);
    let general = &json["policies"][0];
    assert_eq!(general["line"], serde_json::Value::Null);
    assert_eq!(general["set"], true);
    assert_eq!(general["approvals"], 2);
    assert_eq!(general["poll_above"], 30_000);
    assert_eq!(general["payable"], true);
    let named: Vec<&str> = general["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    let tess_hex = tess_key.author_key().to_hex();
    let ben_hex = p.ben_key.author_key().to_hex();
    let mut expected = vec![tess_hex.as_str(), ben_hex.as_str(), ana_hex.as_str()];
    expected.sort_unstable();
    let mut named_sorted = named.clone();
    named_sorted.sort_unstable();
    assert_eq!(named_sorted, expected);

    // Ben files an expense through the form; a malformed amount signs nothing.
    let mut fields = vec![
        ("title", "Soldering tips"),
        ("amount", "42,5"),
        ("currency", "EUR"),
        ("reference", "Invoice 118"),
        ("description", "Ten tips for the station"),
        ("line", ""),
        ("payee", ""),
    ];
    p.ben
        .act_and_see(
            &site,
            &spending,
            &format!("{path}/expenses"),
            &fields,
            "The amount",
        )
        .await;
    fields[1] = ("amount", "42.50");
    p.ben
        .act_and_see(
            &site,
            &spending,
            &format!("{path}/expenses"),
            &fields,
            "filed",
        )
        .await;
    let list = p.ben.get(&site, &spending).await;
    list.shows("id=\"expenses-submitted\"");
    list.shows("Soldering tips");
    list.shows("<strong class=\"expense-amount\">42.50 EUR</strong>");
    list.shows("<td>General treasury</td>");
    list.shows("0 of 2 <span class=\"small muted\">(of 3 approvers)</span>");
    let id = first_linked(&list.text, &format!("{path}/expenses"));
    let page = format!("{path}/expenses/{id}");

    // Ben may change it but never approve it; the founder is no approver of this line.
    let ben_view = p.ben.get(&site, &page).await;
    ben_view.shows("id=\"edit-form\"");
    ben_view.shows("Ten tips for the station");
    assert!(!ben_view.text.contains("id=\"approve-form\""));
    press(
        &site,
        &mut p.ben,
        &page,
        "approve",
        &[],
        "self_approval_forbidden",
    )
    .await;
    let founder_view = p.founder.get(&site, &page).await;
    assert!(!founder_view.text.contains("id=\"approve-form\""));
    assert!(!founder_view.text.contains("id=\"pay-form\""));
    press(&site, &mut p.founder, &page, "approve", &[], "not_approver").await;

    // Ana asks for more; Ben changes the amount and the reference through the edit form,
    // which shows what he filed, and the expense is submitted again.
    press(
        &site,
        &mut ana,
        &page,
        "incomplete",
        &[("reason", "Attach the receipt")],
        "asked for more",
    )
    .await;
    let asked = p.ben.get(&site, &page).await;
    asked.shows(">incomplete</span>");
    asked.shows("<strong class=\"step\">incomplete</strong> — Attach the receipt");
    asked.shows(
        "id=\"exp-amount\" name=\"amount\" required inputmode=\"decimal\" value=\"42.50 EUR\"",
    );
    fields[1] = ("amount", "45");
    fields[3] = ("reference", "Receipt 118b");
    press(&site, &mut p.ben, &page, "edit", &fields, "changed").await;
    let resubmitted = p.ben.get(&site, &page).await;
    resubmitted.shows(">submitted</span>");
    resubmitted.shows("id=\"expense-amount\">45.00 EUR</span>");
    resubmitted.shows("Receipt 118b");

    // Ana and Tess approve: 2 of 2, and the amount is set aside.
    let ana_view = ana.get(&site, &page).await;
    ana_view.shows("id=\"approve-form\"");
    ana_view.shows("2 of its 3 approvers");
    press(
        &site,
        &mut ana,
        &page,
        "approve",
        &[],
        "approval is recorded",
    )
    .await;
    let waiting = p.tess.get(&site, &page).await;
    waiting.shows("Approvals: 1 of 2");
    let still = &waiting.text[waiting.text.find("id=\"may-approve\"").unwrap()..];
    let still = &still[..still.find("</ul>").unwrap()];
    assert!(
        still.contains(">Tess</a>") && !still.contains(">Ben</a>"),
        "{still}"
    );
    press(
        &site,
        &mut p.tess,
        &page,
        "approve",
        &[],
        "approval is recorded",
    )
    .await;
    let approved = p.tess.get(&site, &page).await;
    approved.shows("Approvals: 2 of 2");
    approved.shows(">approved</span>");
    assert!(
        !approved.text.contains("id=\"pay-form\""),
        "Tess approved it"
    );
    press(
        &site,
        &mut p.tess,
        &page,
        "pay",
        &[("reference", "SEPA 1")],
        "payer_is_approver",
    )
    .await;

    // The founder, a treasurer who did not approve it, schedules and pays it.
    let founder_view = p.founder.get(&site, &page).await;
    founder_view.shows("id=\"schedule-form\"");
    founder_view.shows("id=\"pay-form\"");
    press(
        &site,
        &mut p.founder,
        &page,
        "schedule",
        &[("note", "")],
        "scheduled",
    )
    .await;
    press(
        &site,
        &mut p.founder,
        &page,
        "pay",
        &[("reference", "SEPA 9001")],
        "payment is recorded",
    )
    .await;
    let paid = p.ben.get(&site, &page).await;
    preview("expense.html", &paid.text);
    paid.shows(">paid</span>");
    paid.shows("SEPA 9001");
    for step in [
        "filed",
        "incomplete",
        "edited",
        "approve",
        "scheduled",
        "paid",
    ] {
        paid.shows(&format!("<strong class=\"step\">{step}</strong>"));
    }
    assert!(
        !paid.text.contains("id=\"edit-form\""),
        "a paid expense is closed"
    );

    // The pages and the API agree.
    let json = api(&site, &mut p.ben, "/spending").await;
    let listed = &json["expenses"][0];
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["state"], "paid");
    assert_eq!(listed["amount"]["minor"], 4_500);
    assert_eq!(listed["approvals_needed"], 2);
    let approvers: Vec<&str> = listed["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(approvers.len(), 2);
    let approved_by = &paid.text[paid.text.find("id=\"approved-by\"").unwrap()..];
    for name in approvers {
        assert!(approved_by.contains(&format!(">{name}</a>")), "{name}");
    }
    paid.shows(&format!(
        "id=\"expense-amount\">{}</span>",
        listed["amount"]["display"].as_str().unwrap()
    ));
    let list = p.ben.get(&site, &spending).await;
    list.shows("id=\"expenses-paid\"");
    list.shows("2 of 2");
    let books = api(&site, &mut p.ben, "/treasury").await;
    let eur = &books["currencies"][0];
    assert_eq!(eur["paid_out"]["minor"], 4_500);
    assert_eq!(eur["treasury"]["minor"], 45_500);
    no_email_on(&site, &mut p.ben, &[spending.clone(), page.clone()]).await;

    // The payment bounces: only a treasurer reverses it, and the money is back.
    assert!(!paid.text.contains("id=\"reverse-form\""));
    press(
        &site,
        &mut p.ben,
        &page,
        "reverse",
        &[("reason", "Bounced")],
        "not_treasurer",
    )
    .await;
    press(
        &site,
        &mut p.founder,
        &page,
        "reverse",
        &[("reason", "Bounced")],
        "reversed",
    )
    .await;
    p.ben.get(&site, &page).await.shows(">reversed</span>");
    p.ben
        .get(&site, &spending)
        .await
        .shows("id=\"expenses-reversed\"");
    let books = api(&site, &mut p.ben, "/treasury").await;
    assert_eq!(books["currencies"][0]["treasury"]["minor"], 50_000);
}

#[tokio::test]
async fn a_treasurer_funds_a_bounty_on_a_task_and_opens_an_award_that_members_nominate_for() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    donation(&site, &mut p.founder, &path, "300").await;
    let task = NewTask {
        area: "repairs".into(),
        title: "Quieter extractor fan".into(),
        ..NewTask::default()
    };
    let task = site.sign(&p.ben_key, "task.post", task.body()).await;
    let task_page = format!("{path}/tasks/{}", task.to_hex());

    // Only a treasurer is offered the bounty form; a forged one is refused by core.
    let ben_view = p.ben.get(&site, &task_page).await;
    assert!(!ben_view.text.contains("id=\"fund-form\""));
    let bounty = [
        ("amount", "30"),
        ("currency", "EUR"),
        ("source", "Repair café friends"),
        ("reference", "SEPA 77"),
        ("pledger", ""),
        ("unresolved", "treasury"),
    ];
    p.ben
        .act_and_see(
            &site,
            &task_page,
            &format!("{task_page}/fund"),
            &bounty,
            "not_treasurer",
        )
        .await;
    let tess_view = p.tess.get(&site, &task_page).await;
    tess_view.shows("id=\"fund-form\"");
    p.tess
        .act_and_see(
            &site,
            &task_page,
            &format!("{task_page}/fund"),
            &bounty,
            "escrow",
        )
        .await;
    let funded = p.ben.get(&site, &task_page).await;
    funded.shows("Funded and held in escrow: <strong>30.00 EUR</strong>");
    let spending = format!("{path}/spending");
    let list = p.ben.get(&site, &spending).await;
    list.shows(&format!("href=\"{task_page}\">Quieter extractor fan</a>"));
    list.shows("<strong class=\"bounty-amount\">30.00 EUR</strong>");
    list.shows(">escrowed</span>");
    list.shows("Repair café friends");
    let json = api(&site, &mut p.ben, "/spending").await;
    assert_eq!(json["bounties"][0]["amount"]["minor"], 3_000);
    assert_eq!(json["bounties"][0]["task"], task.to_hex().as_str());

    // The founder opens an award; Ben, no treasurer, sees no award form.
    assert!(!list.text.contains("id=\"award-form\""));
    let award = [
        ("title", "Fixer of the year"),
        ("amount", "120"),
        ("currency", "EUR"),
        ("winners", "1"),
        ("days", "1"),
        ("description", "For patience with old radios"),
    ];
    p.ben
        .act_and_see(
            &site,
            &spending,
            &format!("{path}/awards"),
            &award,
            "not_treasurer",
        )
        .await;
    p.founder
        .act_and_see(
            &site,
            &spending,
            &format!("{path}/awards"),
            &award,
            "open for nominations",
        )
        .await;
    let list = p.founder.get(&site, &spending).await;
    preview("spending.html", &list.text);
    list.shows("Fixer of the year");
    list.shows("<strong>120.00 EUR</strong>");
    let id = first_linked(&list.text, &format!("{path}/awards"));
    let page = format!("{path}/awards/{id}");
    let award_view = p.founder.get(&site, &page).await;
    award_view.shows("id=\"award-prize\">120.00 EUR</span>");
    award_view.shows("id=\"no-nominees\"");
    award_view.shows("id=\"cancel-form\"");
    award_view.shows("id=\"nominate-form\"");
    let ben_key = p.ben_key.author_key().to_hex();
    award_view.shows(&format!("<option value=\"{ben_key}\">Ben</option>"));
    press(
        &site,
        &mut p.founder,
        &page,
        "nominate",
        &[("nominee", &ben_key), ("reason", "Fixed forty radios")],
        "nomination is recorded",
    )
    .await;
    press(
        &site,
        &mut p.founder,
        &page,
        "nominate",
        &[("nominee", &ben_key), ("reason", "Again")],
        "already_nominated",
    )
    .await;
    let nominated = p.ben.get(&site, &page).await;
    preview("award.html", &nominated.text);
    let nominees = &nominated.text[nominated.text.find("id=\"nominee-list\"").unwrap()..];
    assert!(nominees.contains(">Ben</a>, nominated by"), "{nominees}");
    nominated.shows("Fixed forty radios");
    assert!(
        !nominated.text.contains("id=\"cancel-form\""),
        "Ben is no treasurer"
    );
    let json = api(&site, &mut p.ben, "/spending").await;
    assert_eq!(json["awards"][0]["amount"]["minor"], 12_000);
    assert_eq!(
        json["awards"][0]["nominees"][0]["reason"],
        "Fixed forty radios"
    );
    let books = api(&site, &mut p.ben, "/treasury").await;
    assert_eq!(books["currencies"][0]["awards"]["minor"], 12_000);

    // Nominations close; the association elects Ben and the page names the winner with
    // the poll that decided it.
    const DAY_MS: u64 = 86_400_000;
    site.pass_time(2 * DAY_MS).await;
    let award_id = EventId::from_hex(&id).unwrap();
    let poll = site
        .sign(
            &p.founder_key,
            "poll.open",
            Value::text_map([
                ("title", Value::text("Fixer of the year")),
                ("decision", Value::text("award")),
                ("award", Value::bytes(award_id.0.to_vec())),
                ("closes_ms", Value::Unsigned(site.node.now_ms() + DAY_MS)),
            ]),
        )
        .await;
    let poll_page = format!("{path}/polls/{}", poll.to_hex());
    p.founder
        .act_and_see(
            &site,
            &poll_page,
            &format!("{poll_page}/vote"),
            &[("rank-0", "0")],
            "Your ballot is cast",
        )
        .await;
    site.pass_time(2 * DAY_MS).await;
    let awarded = p.ben.get(&site, &page).await;
    awarded.shows("id=\"award-state\">awarded</span>");
    let winners = &awarded.text[awarded.text.find("id=\"winners\"").unwrap()..];
    assert!(
        winners.contains(">Ben</a> <strong class=\"prize\">120.00 EUR</strong>"),
        "{winners}"
    );
    awarded.shows(&format!("id=\"award-poll\" href=\"{poll_page}\""));
    assert!(!awarded.text.contains("id=\"nominate-form\""));
    p.ben
        .get(&site, &spending)
        .await
        .shows(&format!("(<a href=\"{poll_page}\">the poll</a>)"));
    let json = api(&site, &mut p.ben, "/spending").await;
    assert_eq!(json["awards"][0]["poll"], poll.to_hex().as_str());
    assert_eq!(json["awards"][0]["prizes"][0][1]["minor"], 12_000);
    no_email_on(&site, &mut p.ben, &[spending, page, task_page]).await;
}

#[tokio::test]
async fn an_equation_poll_shows_before_anyone_votes_what_it_would_change_as_the_api_does() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    donation(&site, &mut p.founder, &path, "100").await;
    // Reviewers' share from a fifth to two fifths.
    let generous = commons_core::value::equation::Equation {
        reviewer_share: commons_core::value::equation::Ratio { num: 2, den: 5 },
        ..commons_core::value::equation::Equation::default()
    };
    let poll = site
        .sign(
            &p.founder_key,
            "poll.open",
            Value::text_map([
                ("title", Value::text("Reviewers earn two fifths")),
                ("decision", Value::text("value_equation")),
                (
                    "closes_ms",
                    Value::Unsigned(site.node.now_ms() + 86_400_000),
                ),
                ("equation", commons_core::value::equation::value(&generous)),
                ("effective_ms", Value::Unsigned(0)),
            ]),
        )
        .await;
    let page = p
        .ben
        .get(&site, &format!("{path}/polls/{}", poll.to_hex()))
        .await;
    preview("poll-simulation.html", &page.text);
    page.shows("id=\"simulation-table\"");
    let table = &page.text[page.text.find("id=\"simulation-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let sim = api(
        &site,
        &mut p.ben,
        &format!("/polls/{}/simulation", poll.to_hex()),
    )
    .await;
    let shares = sim["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 2, "Ben's care work and the founder's review");
    assert_eq!(table.matches("class=\"simulation-row").count(), 2);
    let credits = |milli: u64| format!("{}.{:03}", milli / 1_000, milli % 1_000);
    let mut rows: Vec<(u64, String)> = Vec::new();
    for share in shares {
        let name = share["to"]["name"].as_str().unwrap();
        let before = share["money_before"]["minor"].as_u64().unwrap();
        let after = share["money_after"]["minor"].as_u64().unwrap();
        let row = &table[table.find(&format!(">{name}</a>")).unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        for figure in [
            credits(share["credit_before"].as_u64().unwrap()),
            credits(share["credit_after"].as_u64().unwrap()),
            share["money_before"]["display"]
                .as_str()
                .unwrap()
                .to_owned(),
            share["money_after"]["display"].as_str().unwrap().to_owned(),
        ] {
            assert!(
                row.contains(&format!(">{figure}<")),
                "{name}: {figure} in {row}"
            );
        }
        rows.push((after.abs_diff(before), name.to_owned()));
    }
    // 4/5 and 1/5 of 100.00 EUR before, 3/5 and 2/5 after: Ben loses 20.00, the founder
    // gains them, and the totals do not move.
    let ben_row = &table[table.find(">Ben</a>").unwrap()..];
    assert!(ben_row[..ben_row.find("</tr>").unwrap()].contains(">−20.00 EUR<"));
    let totals = &table[table.find("id=\"simulation-totals\"").unwrap()..];
    assert!(
        totals.contains(
            ">100.00 EUR</td><td class=\"num\">100.00 EUR</td><td class=\"num\">0.00 EUR<"
        ),
        "{totals}"
    );
    // The largest change comes first.
    rows.sort_by_key(|(change, _)| std::cmp::Reverse(*change));
    let first = table.find(&format!(">{}</a>", rows[0].1)).unwrap();
    let second = table.find(&format!(">{}</a>", rows[1].1)).unwrap();
    assert!(first < second || rows[0].0 == rows[1].0);
    // It comes before the ballot, while nobody has voted.
    let at = page.text.find("id=\"simulation\"").unwrap();
    assert!(at < page.text.find("id=\"vote\"").unwrap());
    page.shows("id=\"n-voters\">0 voters");
}

/// The claims API's answer for `state`, as JSON.
async fn claims_api(site: &Site, browser: &mut Browser, state: &str) -> serde_json::Value {
    let api = browser
        .get(
            site,
            &format!(
                "/api/v1/commons/{}/claims?state={state}",
                site.commons().to_hex()
            ),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);
    serde_json::from_str(&api.text).unwrap()
}

#[tokio::test]
async fn a_loan_is_proposed_approved_repaid_in_part_by_a_claims_bucket_and_waived() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    let treasury = format!("{path}/treasury");
    let claims = format!("{path}/claims");
    record_income(
        &site,
        &mut p.founder,
        &treasury,
        &[
            ("kind", "donation"),
            ("amount", "1,000"),
            ("currency", "EUR"),
            ("source", "A neighbour"),
            ("reference", "cash box"),
        ],
        "recorded",
    )
    .await;
    let page = p.founder.get(&site, &treasury).await;
    page.shows(&format!("id=\"treasury-claims\" href=\"{claims}\""));
    let empty = p.founder.get(&site, &claims).await;
    empty.shows("id=\"no-active-claims\"");
    empty.shows("id=\"claim-form\"");
    assert!(!p.ben.get(&site, &claims).await.text.contains("claim-form"));

    // Ben lent 500.00 EUR for the soldering station; only a treasurer proposes the claim.
    let ben = p.ben_key.author_key().to_hex();
    let loan = [
        ("holder", ben.as_str()),
        ("kind", "debt"),
        ("currency", "EUR"),
        ("amount", "500"),
        ("seniority", "0"),
        ("reason", "A loan for the soldering station"),
    ];
    p.ben
        .act_and_see(&site, &claims, &claims, &loan, "not_treasurer")
        .await;
    p.founder
        .act_and_see(&site, &claims, &claims, &loan, "proposed")
        .await;
    p.founder
        .act_and_see(&site, &claims, &claims, &loan, "claim_exists")
        .await;
    let mut bad = loan.to_vec();
    bad[1] = ("kind", "equity");
    bad.push(("share_percent", "120"));
    p.founder
        .act_and_see(&site, &claims, &claims, &bad, "percentage")
        .await;
    // The holder is named by key or by the name they publish; an unknown name is refused.
    let mut nobody = loan.to_vec();
    nobody[0] = ("holder", "Nobody Here");
    p.founder
        .act_and_see(&site, &claims, &claims, &nobody, "publishes the name")
        .await;
    // Tess's unpaid work: she may not approve her own claim.
    let founder_key = p.founder_key.author_key().to_hex();
    let tess_key = site
        .custodial("tess@example.org")
        .await
        .author_key()
        .to_hex();
    let work = [
        ("holder", tess_key.as_str()),
        ("kind", "once"),
        ("currency", "EUR"),
        ("amount", "50"),
        ("reason", "Unpaid bookkeeping"),
    ];
    p.founder
        .act_and_see(&site, &claims, &claims, &work, "proposed")
        .await;
    let proposed = claims_api(&site, &mut p.founder, "proposed").await;
    assert_eq!(proposed["claims_matching"], 2);
    let id_of = |holder: &str| {
        proposed["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["holder"]["key"] == holder)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (loan_id, work_id) = (id_of(&ben), id_of(&tess_key));
    press(
        &site,
        &mut p.tess,
        &claims,
        &format!("{work_id}/approve"),
        &[],
        "self_approval_forbidden",
    )
    .await;
    press(
        &site,
        &mut p.ben,
        &claims,
        &format!("{loan_id}/approve"),
        &[],
        "not_treasurer",
    )
    .await;
    press(
        &site,
        &mut p.founder,
        &claims,
        &format!("{loan_id}/approve"),
        &[],
        "approval is recorded",
    )
    .await;
    let waiting = p.tess.get(&site, &claims).await;
    waiting.shows("<span class=\"claim-approvals\">1 of 2</span>");
    waiting.shows(&format!("action=\"{claims}/{loan_id}/approve\""));
    press(
        &site,
        &mut p.tess,
        &claims,
        &format!("{loan_id}/approve"),
        &[],
        "approval is recorded",
    )
    .await;
    let active = claims_api(&site, &mut p.founder, "active").await;
    assert_eq!(active["claims_matching"], 1);
    assert_eq!(active["claims"][0]["outstanding"]["display"], "500.00 EUR");
    assert!(founder_key != ben);

    // A distribution of 300.00 EUR whose one bucket settles the claims.
    let distributions = format!("{path}/distributions");
    let fields = [
        ("title", "Repayments"),
        ("amount", "300"),
        ("currency", "EUR"),
        ("bucket-0-name", "Claims"),
        ("bucket-0-take", "rest"),
        ("bucket-0-share", ""),
        ("bucket-0-to", "claims"),
        ("bucket-0-policy", "lifetime"),
    ];
    p.founder
        .act_and_see(&site, &distributions, &distributions, &fields, "proposed")
        .await;
    let list = p.founder.get(&site, &distributions).await;
    let id = first_linked(&list.text, &distributions);
    let page_path = format!("{distributions}/{id}");
    press(
        &site,
        &mut p.founder,
        &page_path,
        "approve",
        &[],
        "approval is recorded",
    )
    .await;
    press(
        &site,
        &mut p.tess,
        &page_path,
        "approve",
        &[],
        "approval is recorded",
    )
    .await;
    press(&site, &mut p.tess, &page_path, "execute", &[], "executed").await;
    let done = p.founder.get(&site, &page_path).await;
    let summary = "debt of 500.00 EUR: 300.00 EUR repaid here, 200.00 EUR still owed";
    done.shows(summary);
    let api = p
        .founder
        .get(
            &site,
            &format!(
                "/api/v1/commons/{}/distributions/{id}",
                site.commons().to_hex()
            ),
        )
        .await;
    let json: serde_json::Value = serde_json::from_str(&api.text).unwrap();
    let line = &json["buckets"][0]["claims"][0];
    assert_eq!(line["summary"], summary);
    assert_eq!(line["paid"]["minor"], 30_000);
    assert_eq!(line["owed_after"]["minor"], 20_000);
    assert_eq!(json["buckets"][0]["shares"][0]["amount"]["minor"], 30_000);
    let why = p
        .ben
        .get(&site, &format!("{path}/agents/{ben}/earnings"))
        .await;
    why.shows(summary);

    // The claims page shows what the API says Ben was paid and is still owed.
    let active = claims_api(&site, &mut p.founder, "active").await;
    let claim = &active["claims"][0];
    assert_eq!(claim["paid"]["minor"], 30_000);
    assert_eq!(claim["outstanding"]["minor"], 20_000);
    let page = p.ben.get(&site, &claims).await;
    preview("claims.html", &page.text);
    page.shows(&format!(
        "<td class=\"num claim-paid\">{}</td>",
        claim["paid"]["display"].as_str().unwrap()
    ));
    page.shows(&format!(
        "<td class=\"num claim-outstanding\">{}</td>",
        claim["outstanding"]["display"].as_str().unwrap()
    ));
    page.shows("A loan for the soldering station");
    page.shows(&format!("action=\"{claims}/{loan_id}/waive\""));

    // Only Ben waives his claim.
    press(
        &site,
        &mut p.founder,
        &claims,
        &format!("{loan_id}/waive"),
        &[],
        "not_claim_holder",
    )
    .await;
    press(
        &site,
        &mut p.ben,
        &claims,
        &format!("{loan_id}/waive"),
        &[("reason", "Keep it")],
        "waived",
    )
    .await;
    press(
        &site,
        &mut p.ben,
        &claims,
        &format!("{loan_id}/waive"),
        &[],
        "claim_state",
    )
    .await;
    let waived = claims_api(&site, &mut p.founder, "waived").await;
    assert_eq!(waived["claims_matching"], 1);
    assert_eq!(waived["paid_by_currency"][0][1]["display"], "300.00 EUR");
    let page = p.founder.get(&site, &claims).await;
    page.shows("id=\"waived-claims\"");
    page.shows("id=\"no-active-claims\"");
    let one = p
        .founder
        .get(
            &site,
            &format!(
                "/api/v1/commons/{}/claims/{loan_id}",
                site.commons().to_hex()
            ),
        )
        .await;
    let one: serde_json::Value = serde_json::from_str(&one.text).unwrap();
    assert_eq!(one["state"], "waived");
    assert_eq!(one["kind"], "debt");
    let missing = p
        .founder
        .get(
            &site,
            &format!(
                "/api/v1/commons/{}/claims/{}",
                site.commons().to_hex(),
                "ab".repeat(32)
            ),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// The proposal form's time-weighted policy and quadratic matching: Ben's 90 minutes of
/// validated care work take the whole time bucket, and with no bounty pledged the matching
/// bucket places nothing and says so; the page says how each bucket weighs, as the API
/// does.
#[tokio::test]
async fn the_form_proposes_time_weighted_and_quadratic_buckets() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    donation(&site, &mut p.tess, &path, "100").await;
    let distributions = format!("{path}/distributions");
    let fields = [
        ("title", "Effort"),
        ("amount", "100"),
        ("currency", "EUR"),
        ("bucket-0-name", "Matching"),
        ("bucket-0-take", "straight"),
        ("bucket-0-share", "20"),
        ("bucket-0-to", "quadratic"),
        ("bucket-0-policy", "lifetime"),
        ("bucket-1-name", "Time"),
        ("bucket-1-take", "rest"),
        ("bucket-1-share", ""),
        ("bucket-1-to", "contributors"),
        ("bucket-1-policy", "time"),
    ];
    p.founder
        .act_and_see(&site, &distributions, &distributions, &fields, "proposed")
        .await;
    let list = p.founder.get(&site, &distributions).await;
    let id = first_linked(&list.text, &distributions);
    let page = p.founder.get(&site, &format!("{distributions}/{id}")).await;
    preview("distribution-time.html", &page.text);
    page.shows("matches the bounties pledged on open tasks quadratically");
    page.shows("a minute weighing 1 for care, 1 for external, 1 for revision");
    page.shows("<strong>80.00 EUR</strong>");
    let json = api(&site, &mut p.founder, &format!("/distributions/{id}")).await;
    let buckets = &json["buckets"];
    assert_eq!(buckets[0]["to"], "quadratic");
    assert_eq!(buckets[0]["n_shares"], 0);
    assert_eq!(buckets[0]["amount"]["minor"], 2_000);
    assert_eq!(buckets[1]["policy"], "time");
    assert_eq!(
        buckets[1]["rates"],
        serde_json::json!({"care": 1, "external": 1, "revision": 1})
    );
    let shares = buckets[1]["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(
        shares[0]["recipient"]["key"],
        p.ben_key.author_key().to_hex()
    );
    assert_eq!(shares[0]["weight"], 90);
    assert_eq!(shares[0]["amount"]["minor"], 8_000);

    // Why Ben gets it: the minutes he declared, weighted by their kind, not credit.
    let ben = p.ben_key.author_key().to_hex();
    let why = api(
        &site,
        &mut p.founder,
        &format!("/distributions/{id}/explain?who={ben}"),
    )
    .await;
    assert_eq!(why["buckets"][0]["weight_unit"], "match weight");
    let time = &why["buckets"][1];
    assert_eq!(time["weight_unit"], "weighted minutes");
    assert_eq!(time["weight"], 90);
    assert_eq!(time["total_weight"], 90);
    assert_eq!(time["contributions"], serde_json::json!([]));
    let efforts = time["efforts"].as_array().unwrap();
    assert_eq!(efforts.len(), 1, "{time}");
    assert_eq!(efforts[0]["kind"], "care");
    assert_eq!(efforts[0]["minutes"], 90);
    assert_eq!(efforts[0]["weight_per_minute"], 1);
    assert_eq!(efforts[0]["weight"], 90);
    let earnings = p
        .ben
        .get(&site, &format!("{path}/agents/{ben}/earnings"))
        .await;
    preview("earnings-time.html", &earnings.text);
    earnings.shows("<strong class=\"weight\">90</strong> of 90 weighted minutes");
    earnings.shows("<td class=\"num effort-minutes\">90</td>");

    // Withdrawn before execution: only a treasurer cancels, with a reason, and the amount
    // is free again.
    let page_path = format!("{distributions}/{id}");
    assert!(
        !p.ben
            .get(&site, &page_path)
            .await
            .text
            .contains("cancel-form")
    );
    page.shows("id=\"cancel-form\"");
    let why = [("reason", "We will wait for the bounties")];
    press(
        &site,
        &mut p.ben,
        &page_path,
        "cancel",
        &why,
        "not_treasurer",
    )
    .await;
    press(
        &site,
        &mut p.founder,
        &page_path,
        "cancel",
        &[],
        "body_invalid",
    )
    .await;
    press(
        &site,
        &mut p.founder,
        &page_path,
        "cancel",
        &why,
        "cancelled",
    )
    .await;
    let cancelled = p.founder.get(&site, &page_path).await;
    cancelled.shows("id=\"cancelled\"");
    assert!(!cancelled.text.contains("cancel-form"));
    assert!(!cancelled.text.contains("approve-form"));
    let json = api(&site, &mut p.founder, "/distributions?status=cancelled").await;
    assert_eq!(json["distributions"][0]["id"], id.as_str());
    assert_eq!(json["distributions"][0]["status"], "cancelled");
    // The list keeps it under its own heading, badged cancelled.
    let list = p.founder.get(&site, &distributions).await;
    list.shows("id=\"cancelled\"");
    list.shows(&format!("/distributions/{id}\""));
    list.shows("dist-status\">cancelled</span>");
    press(
        &site,
        &mut p.founder,
        &page_path,
        "cancel",
        &why,
        "distribution_state",
    )
    .await;
}

/// The table row of one circle member on a circle's page.
fn member_row<'a>(html: &'a str, key: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"member-{key}\""))
        .unwrap_or_else(|| panic!("no row for {key}"));
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn a_give_circle_is_opened_allocated_through_the_forms_and_paid_by_a_distribution() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    donation(&site, &mut p.founder, &path, "300").await;
    let mut ann = Browser::join_as(&site, &path, 4, "Ann", "person").await;
    let tess_key = site.custodial("tess@example.org").await;
    let [founder, tess, ben] =
        [&p.founder_key, &tess_key, &p.ben_key].map(|k| k.author_key().to_hex());

    // The distributions page links the circles; only treasurers get the form to open one
    // and a forged one is refused by core.
    let circles = format!("{path}/circles");
    let distributions = p.ben.get(&site, &format!("{path}/distributions")).await;
    distributions.shows(&format!("id=\"circles-link\" href=\"{circles}\""));
    let empty = p.ben.get(&site, &circles).await;
    empty.shows("id=\"no-circles\"");
    assert!(!empty.text.contains("id=\"open-circle-form\""));
    let open = [
        ("title", "Winter epoch"),
        ("give_per_member", "100"),
        ("days", "7"),
        ("member", founder.as_str()),
        ("member", tess.as_str()),
        ("member", ben.as_str()),
    ];
    p.ben
        .act_and_see(&site, &circles, &circles, &open, "not_treasurer")
        .await;
    p.founder
        .act_and_see(&site, &circles, &circles, &open[..4], "2 to 1000 members")
        .await;
    let form = p.founder.get(&site, &circles).await;
    form.shows("id=\"open-circle-form\"");
    form.shows(&format!("value=\"{ben}\"> Ben</label>"));
    p.founder
        .act_and_see(&site, &circles, &circles, &open, "The circle is open")
        .await;
    let list = p.ben.get(&site, &circles).await;
    preview("circles.html", &list.text);
    list.shows("Winter epoch");
    let id = first_linked(&list.text, &circles);
    let page = format!("{circles}/{id}");

    // Ben sees one number per other member and what he holds; he allocates, then revises.
    let ben_view = p.ben.get(&site, &page).await;
    ben_view.shows("id=\"give-form\"");
    ben_view.shows("id=\"give-left\">100</strong>");
    ben_view.shows(&format!("name=\"give-{founder}\""));
    ben_view.shows(&format!("name=\"give-{tess}\""));
    assert!(!ben_view.text.contains(&format!("name=\"give-{ben}\"")));
    let give = |to: &str| format!("give-{to}");
    let (to_founder, to_tess, to_ben) = (give(&founder), give(&tess), give(&ben));
    let gives = format!("{page}/give");
    p.ben
        .act_and_see(
            &site,
            &page,
            &gives,
            &[(&to_founder, "70"), (&to_tess, "30")],
            "allocated",
        )
        .await;
    p.ben
        .act_and_see(
            &site,
            &page,
            &gives,
            &[(&to_founder, "20"), (&to_tess, "60")],
            "allocated",
        )
        .await;
    let revised = p.ben.get(&site, &page).await;
    revised.shows("id=\"give-given\">80</strong>");
    revised.shows("id=\"give-left\">20</strong>");
    revised.shows(&format!(
        "name=\"{to_tess}\" type=\"number\" min=\"0\" max=\"100\" value=\"60\""
    ));
    // Forged allocations come back with core's codes.
    for (fields, code) in [
        (vec![(to_ben.as_str(), "1")], "circle_gift_to_self"),
        (
            vec![(to_founder.as_str(), "60"), (to_tess.as_str(), "41")],
            "circle_give_exceeded",
        ),
    ] {
        p.ben.act_and_see(&site, &page, &gives, &fields, code).await;
    }
    ann.act_and_see(&site, &page, &gives, &[(&to_ben, "1")], "circle_not_member")
        .await;
    assert!(
        !ann.get(&site, &page)
            .await
            .text
            .contains("id=\"give-form\"")
    );
    p.tess
        .act_and_see(&site, &page, &gives, &[(&to_ben, "100")], "allocated")
        .await;
    p.founder
        .act_and_see(&site, &page, &gives, &[(&to_ben, "40")], "allocated")
        .await;
    // While the epoch runs nobody's GIVE received is shown, and a distribution may not
    // pay the circle yet.
    let running = p.ben.get(&site, &page).await;
    running.shows("shown once the epoch is over");
    let proposal = [
        ("title", "Winter peers"),
        ("amount", "100"),
        ("currency", "EUR"),
        ("bucket-0-name", "Peers"),
        ("bucket-0-take", "rest"),
        ("bucket-0-to", "circle"),
        ("bucket-0-circle", id.as_str()),
    ];
    let dists = format!("{path}/distributions");
    p.founder
        .act_and_see(&site, &dists, &dists, &proposal, "circle_open")
        .await;

    // The epoch ends: the page shows what each received, as the API does, and the
    // allocation form is gone.
    const DAY_MS: u64 = 86_400_000;
    site.pass_time(8 * DAY_MS).await;
    p.tess
        .act_and_see(&site, &page, &gives, &[(&to_ben, "1")], "circle_closed")
        .await;
    let closed = p.ben.get(&site, &page).await;
    preview("circle.html", &closed.text);
    closed.shows("id=\"circle-state\">closed</span>");
    assert!(!closed.text.contains("id=\"give-form\""));
    closed.shows("id=\"total-received\">220 GIVE received");
    let json = api(&site, &mut p.ben, &format!("/circles/{id}")).await;
    assert_eq!(json["state"], "closed");
    assert_eq!(json["total_received"], 220);
    for member in json["members"].as_array().unwrap() {
        let key = member["member"]["key"].as_str().unwrap();
        let received = member["received"].as_u64().unwrap();
        let row = member_row(&closed.text, key);
        assert!(
            row.contains(&format!("<td class=\"num received\">{received}</td>")),
            "{row}"
        );
    }
    let received: Vec<(String, u64)> = json["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["member"]["key"].as_str().unwrap().to_owned(),
                m["received"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        received,
        [
            (founder.clone(), 20),
            (tess.clone(), 60),
            (ben.clone(), 140)
        ]
    );
    assert_eq!(json["members"][2]["revisions"], 2);
    let listed = api(&site, &mut p.ben, "/circles").await;
    assert_eq!(listed["matching"], 1);
    assert_eq!(listed["circles"][0]["n_allocated"], 3);

    // The proposal form now offers the circle; 100.00 EUR by 20 : 60 : 140 of 220 is
    // 9.0909, 27.2727 and 63.6363: the cent left goes to the largest remainder, Ben's.
    let offered = p.founder.get(&site, &dists).await;
    offered.shows("<option value=\"circle\">a GIVE circle</option>");
    offered.shows(&format!("<option value=\"{id}\">Winter epoch</option>"));
    p.founder
        .act_and_see(&site, &dists, &dists, &proposal, "proposed")
        .await;
    let list = p.founder.get(&site, &dists).await;
    let dist = first_linked(&list.text, &dists);
    let dist_page = format!("{dists}/{dist}");
    let shown = p.founder.get(&site, &dist_page).await;
    shown.shows(&format!("class=\"bucket-circle\" href=\"{page}\""));
    let d = api(&site, &mut p.founder, &format!("/distributions/{dist}")).await;
    assert_eq!(d["buckets"][0]["to"], "circle");
    assert_eq!(d["buckets"][0]["circle"], id.as_str());
    let amounts: BTreeMap<String, (u64, u64)> = d["buckets"][0]["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["recipient"]["key"].as_str().unwrap().to_owned(),
                (
                    s["weight"].as_u64().unwrap(),
                    s["amount"]["minor"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(
        amounts,
        BTreeMap::from([
            (founder.clone(), (20, 909)),
            (tess.clone(), (60, 2_727)),
            (ben.clone(), (140, 6_364)),
        ])
    );
    let closed = api(&site, &mut p.ben, &format!("/circles/{id}")).await;
    assert_eq!(closed["distributions"][0], dist.as_str());
    // Why did Ben get 63.64 EUR? He received 140 GIVE of 220 in the circle.
    let why = p
        .ben
        .get(&site, &format!("{path}/agents/{ben}/earnings"))
        .await;
    why.shows("received <strong class=\"give-received\">140</strong> GIVE of 220 in circle “Winter epoch”");
    why.shows("<strong class=\"bucket-amount\">63.64 EUR</strong>");
    let explained = api(
        &site,
        &mut p.ben,
        &format!("/distributions/{dist}/explain?who={ben}"),
    )
    .await;
    assert_eq!(explained["buckets"][0]["circle"]["received"], 140);
    assert_eq!(explained["buckets"][0]["circle"]["total_received"], 220);
    no_email_on(&site, &mut p.ben, &[circles, page]).await;
}

/// The equation form's fields as the page fills them in for the first equation of
/// `commons_with_treasurers` (reviewers a fifth), with `changes` applied.
fn equation_fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("base", "1"),
        ("effort_per_hour", "0"),
        ("chore_multiplier", "1"),
        ("reviewer_share", "1/5"),
        ("kind_revision", ""),
        ("kind_external", ""),
        ("kind_care", ""),
        ("areas", ""),
        ("labels", ""),
        ("upstream", ""),
        ("damping", "17/20"),
        ("back_flow", "1/8"),
        ("builds_on", "1/5"),
        ("effective", ""),
        ("title", ""),
        ("closes_in_days", "7"),
        ("description", ""),
    ];
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = *value,
            None => fields.push((*name, *value)),
        }
    }
    fields
}

/// The row of `name` in the table that starts at `id` on `html`.
fn table_row<'a>(html: &'a str, id: &str, name: &str) -> &'a str {
    let table = &html[html.find(&format!("id=\"{id}\"")).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let row = &table[table
        .find(&format!(">{name}</a>"))
        .unwrap_or_else(|| panic!("no row of {name} in {table}"))..];
    &row[..row.find("</tr>").unwrap()]
}

#[tokio::test]
async fn a_treasurer_sets_the_first_equation_through_the_form_and_nobody_else_can() {
    let site = secret_site().await;
    let mut p = commons_before_the_equation(&site).await;
    let path = p.path.clone();
    let page = format!("{path}/equation");

    // Ben is neither a treasurer nor a maintainer: no form, and core refuses a forged one
    // with its code.
    let bens = p.ben.get(&site, &page).await;
    assert!(!bens.text.contains("id=\"equation-form\""));
    bens.shows("id=\"equation-who\"");
    bens.shows("The first equation is set by a treasurer or a maintainer.");
    let forged = equation_fields(&[("reviewer_share", "0.3"), ("intent", "sign")]);
    let refused = p.ben.submit(&site, &page, &page, &forged).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.shows("id=\"form-error\"");
    refused.shows("(not_treasurer)");
    assert!(!refused.text.contains("id=\"equation-form\""));
    let json = api(&site, &mut p.ben, "/equation").await;
    assert!(json["equations"].as_array().unwrap().is_empty());

    // The founder starts from the default equation.
    let form = p.founder.get(&site, &page).await;
    preview("equation-first-form.html", &form.text);
    form.shows("Set the first equation");
    form.shows("name=\"base\" required inputmode=\"decimal\" value=\"1\"");
    form.shows("name=\"reviewer_share\" required inputmode=\"decimal\" value=\"0\"");
    form.shows("Adopt this equation");
    assert!(!form.text.contains("name=\"effective\""));

    // The preview: Ben's care work earned 1 credit, all his; a quarter goes to the
    // founder, who approved it. Nothing is written.
    let quarter = [("reviewer_share", "0.25"), ("intent", "preview")];
    let previewed = p
        .founder
        .submit(&site, &page, &page, &equation_fields(&quarter))
        .await;
    assert_eq!(
        previewed.status,
        StatusCode::OK,
        "{}",
        main(&previewed.text)
    );
    preview("equation-first-preview.html", &previewed.text);
    let ben = table_row(&previewed.text, "preview-table", "Ben");
    assert!(ben.contains(">1.000<") && ben.contains(">0.750<") && ben.contains(">−0.250<"));
    let founder = table_row(&previewed.text, "preview-table", "Founder");
    assert!(
        founder.contains(">0.000<") && founder.contains(">+0.250<"),
        "{founder}"
    );
    previewed.shows("name=\"reviewer_share\" required inputmode=\"decimal\" value=\"0.25\"");
    previewed.shows("<strong class=\"eq-reviewers\">25%</strong>");
    let json = api(&site, &mut p.founder, "/equation").await;
    assert!(json["equations"].as_array().unwrap().is_empty());

    // Signed, with care weighted 1.5, repairs doubled and credit flowing on the graph.
    let chosen = equation_fields(&[
        ("reviewer_share", "0.25"),
        ("kind_care", "3/2"),
        ("areas", "repairs = 2"),
        ("graph", "yes"),
        ("damping", "0.85"),
        ("back_flow", "1/8"),
        ("builds_on", "0.25"),
        ("intent", "sign"),
    ]);
    p.founder
        .act_and_see(
            &site,
            &page,
            &page,
            &chosen,
            "first value equation is adopted",
        )
        .await;
    let adopted = p.ben.get(&site, &page).await;
    preview("equation-graph.html", &adopted.text);
    adopted.shows("as the commons' first equation");
    adopted.shows("<strong class=\"eq-reviewers\">25%</strong>");
    adopted.shows("<strong class=\"eq-damping\">17&#x2f;20 (0.85)</strong>");
    adopted.shows("<strong class=\"eq-back-flow\">1&#x2f;8 (0.125)</strong>");
    adopted.shows("<th scope=\"row\">care</th><td class=\"num\">× 3&#x2f;2 (1.5)</td>");
    adopted.shows("<th scope=\"row\">repairs</th><td class=\"num\">× 2</td>");
    let json = api(&site, &mut p.ben, "/equation").await;
    let in_force = &json["in_force"];
    assert_eq!(in_force["reviewer_share"], "1/4");
    assert_eq!(in_force["kinds"]["care"], "3/2");
    assert_eq!(in_force["areas"]["repairs"], "2/1");
    assert_eq!(in_force["graph"]["damping"], "17/20");
    assert_eq!(in_force["graph"]["back_flow"], "1/8");
    assert_eq!(in_force["graph"]["builds_on"], "1/4");
    assert_eq!(json["equations"][0]["poll"], serde_json::Value::Null);

    // From now on a change is a poll: the form says so and starts from this equation.
    let next = p.founder.get(&site, &page).await;
    next.shows("Propose a change");
    next.shows("name=\"reviewer_share\" required inputmode=\"decimal\" value=\"1&#x2f;4\"");
    next.shows("id=\"eq-graph\" name=\"graph\" value=\"yes\" checked");
    next.shows("name=\"effective\" type=\"datetime-local\"");
}

#[tokio::test]
async fn a_change_is_previewed_with_its_effect_then_opened_as_a_poll_from_the_equation_page() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    let page = format!("{path}/equation");
    donation(&site, &mut p.founder, &path, "100").await;
    let form = p.founder.get(&site, &page).await;
    form.shows("Propose a change");
    form.shows("name=\"reviewer_share\" required inputmode=\"decimal\" value=\"1&#x2f;5\"");
    form.shows("Open the poll");
    assert!(
        !form
            .text
            .contains("id=\"eq-graph\" name=\"graph\" value=\"yes\" checked")
    );
    form.shows("<li class=\"eq-graph\">Credit stays where it is minted");

    // Reviewers from a fifth to two fifths, for all work: 4/5 and 1/5 of 100.00 EUR
    // before, 3/5 and 2/5 after.
    let change = [
        ("reviewer_share", "2/5"),
        ("effective", "1970-01-01T00:00"),
        ("title", "Reviewers earn two fifths"),
        ("description", "Reviewing is half the work."),
    ];
    let mut fields = equation_fields(&change);
    fields.push(("intent", "preview"));
    let previewed = p.founder.submit(&site, &page, &page, &fields).await;
    assert_eq!(
        previewed.status,
        StatusCode::OK,
        "{}",
        main(&previewed.text)
    );
    preview("equation-change-preview.html", &previewed.text);
    let ben = table_row(&previewed.text, "preview-table", "Ben");
    for figure in ["0.800", "0.600", "80.00 EUR", "60.00 EUR", "−20.00 EUR"] {
        assert!(ben.contains(&format!(">{figure}<")), "{figure} in {ben}");
    }
    let founder = table_row(&previewed.text, "preview-table", "Founder");
    for figure in ["0.200", "0.400", "20.00 EUR", "40.00 EUR", "+20.00 EUR"] {
        assert!(
            founder.contains(&format!(">{figure}<")),
            "{figure} in {founder}"
        );
    }
    let totals = &previewed.text[previewed.text.find("id=\"preview-totals\"").unwrap()..];
    assert!(
        totals.contains(
            ">100.00 EUR</td><td class=\"num\">100.00 EUR</td><td class=\"num\">0.00 EUR<"
        ),
        "{totals}"
    );
    previewed.shows("value=\"Reviewers earn two fifths\"");
    previewed.shows("value=\"1970-01-01T00:00\"");
    let polls = api(&site, &mut p.founder, "/polls").await;
    assert_eq!(polls["matching"], 0, "a preview signs nothing");

    // Signed: the poll opens under the statutes and shows the same effect.
    let mut fields = equation_fields(&change);
    fields.push(("intent", "sign"));
    let opened = p.founder.submit(&site, &page, &page, &fields).await;
    assert_eq!(
        opened.status,
        StatusCode::SEE_OTHER,
        "{}",
        main(&opened.text)
    );
    let poll_page = opened.location().to_owned();
    assert!(poll_page.starts_with(&format!("{path}/polls/")));
    assert!(
        p.founder
            .flash(&site, &poll_page)
            .await
            .contains("The poll is open")
    );
    let poll = p.ben.get(&site, &poll_page).await;
    poll.shows("Reviewers earn two fifths");
    poll.shows("Reviewing is half the work.");
    let row = table_row(&poll.text, "simulation-table", "Ben");
    assert!(row.contains(">−20.00 EUR<"), "{row}");
    let polls = api(&site, &mut p.ben, "/polls?decision=value_equation").await;
    assert_eq!(polls["matching"], 1);
    assert_eq!(polls["polls"][0]["title"], "Reviewers earn two fifths");
    let json = api(&site, &mut p.ben, "/equation").await;
    assert_eq!(json["equations"].as_array().unwrap().len(), 1);
    assert_eq!(json["in_force"]["reviewer_share"], "1/5");

    // Ben is not a member: no form, and core refuses a forged poll.
    let bens = p.ben.get(&site, &page).await;
    assert!(!bens.text.contains("id=\"equation-form\""));
    bens.shows("id=\"equation-who\"");
    let mut forged = equation_fields(&change);
    forged.push(("intent", "sign"));
    let refused = p.ben.submit(&site, &page, &page, &forged).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.shows("(not_member)");
    let polls = api(&site, &mut p.ben, "/polls").await;
    assert_eq!(polls["matching"], 1);
}

#[tokio::test]
async fn a_malformed_fraction_comes_back_with_the_message_and_what_was_typed() {
    let site = secret_site().await;
    let mut p = commons_with_treasurers(&site).await;
    let path = p.path.clone();
    let page = format!("{path}/equation");
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("reviewer_share", "one fifth")],
            "The reviewers&#x27; share: “one fifth” is not a fraction.",
        ),
        (
            &[("areas", "repairs = 2\nsoldering is worth 3")],
            "The area weights, line 2: “soldering is worth 3” is not “name = n&#x2f;d”.",
        ),
        (
            &[("graph", "yes"), ("damping", "1")],
            "(body_invalid): `graph.damping` is above 0 and at most 19&#x2f;20.",
        ),
        (
            &[("reviewer_share", "0.7"), ("upstream", "libre-tools = 0.3")],
            "the reviewers&#x27; and upstream shares must leave the authors something",
        ),
        (
            &[("effective", "tomorrow")],
            "“tomorrow” is not a date and time",
        ),
    ];
    for (changes, message) in cases {
        let mut fields = equation_fields(changes);
        fields.push(("intent", "preview"));
        let answer = p.founder.submit(&site, &page, &page, &fields).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        preview("equation-refused.html", &answer.text);
        let error = &answer.text[answer.text.find("id=\"form-error\"").unwrap()..];
        assert!(
            error.contains(message),
            "{message} in {}",
            main(&answer.text)
        );
        assert!(!answer.text.contains("id=\"preview-table\""));
        for (name, typed) in changes.iter() {
            let typed = typed.replace('/', "&#x2f;");
            assert!(answer.text.contains(&typed), "{name} keeps {typed}");
        }
    }
    let json = api(&site, &mut p.founder, "/equation").await;
    assert_eq!(json["equations"].as_array().unwrap().len(), 1);
    let polls = api(&site, &mut p.founder, "/polls").await;
    assert_eq!(polls["matching"], 0);
}
