//! Router tests of value sharing's pages: the treasury (balances, income by source with
//! its chart, money in and out), the value equation in words, distributions (proposed,
//! approved 2 of 2 and executed through the treasurers' forms) and "why did I get this",
//! with the figures checked against the API's and summed to the cent. A non-treasurer
//! sees no money form and a forged post comes back with core's `not_treasurer`; nobody's
//! e-mail or key secret appears on any of these pages.
//!
//! The harness is `tests/site` (a cookie jar over `oneshot`); setup the pages do not
//! offer (an area, a contribution and its review, the first equation) is signed with the
//! accounts' own custodial keys, opened with the node's web secret.
#![allow(clippy::unwrap_used)]

mod site;

use axum::http::{StatusCode, header};
use commons_core::production::Rule;
use commons_core::production::bodies::{self, NewArea, NewContribution};
use commons_ledger::SecretKey;
use commons_ledger::cbor::Value;
use site::{Browser, Site, main, pairs, preview, secret_site, site};

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
    let mut founder = Browser::new(1);
    let path = founder.found(site, "Repair café", "CC-BY-SA-4.0").await;
    founder
        .submit(
            site,
            &path,
            &format!("{path}/profile"),
            &[("kind", "person")],
        )
        .await;
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
    let equation = Value::text_map([(
        "equation",
        Value::text_map([(
            "reviewer_share",
            Value::Array(vec![Value::Unsigned(1), Value::Unsigned(5)]),
        )]),
    )]);
    site.sign(&founder_key, "value.equation", equation).await;
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

/// Presses a distribution page's `action` button (approve or execute) and checks the
/// flash says `flash`.
async fn decide(site: &Site, browser: &mut Browser, page: &str, action: &str, flash: &str) {
    browser
        .act_and_see(site, page, &format!("{page}/{action}"), &[], flash)
        .await;
}

/// The id of the first distribution linked from `html`.
fn first_distribution(html: &str, path: &str) -> String {
    let marker = format!("href=\"{path}/distributions/");
    let start = html.find(&marker).expect("a distribution link") + marker.len();
    html[start..start + 64].to_owned()
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
    for missing in [
        format!("{path}/distributions/{}", "ab".repeat(32)),
        format!("{path}/distributions/zz"),
        format!("{path}/agents/nobody/earnings"),
    ] {
        let page = founder.get(&site, &missing).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{missing}");
        page.shows("<main");
    }
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
    let id = first_distribution(&list.text, &path);
    let page_path = format!("{distributions}/{id}");

    // Ben may not approve; the founder approves, then Tess approves and executes.
    let ben_page = p.ben.get(&site, &page_path).await;
    assert!(!ben_page.text.contains("approve-form"));
    decide(&site, &mut p.ben, &page_path, "approve", "not_treasurer").await;
    decide(
        &site,
        &mut p.founder,
        &page_path,
        "approve",
        "approval is recorded",
    )
    .await;
    let waiting = p.founder.get(&site, &page_path).await;
    waiting.shows("Approvals: 1 of 2");
    waiting.shows("You approved it.");
    assert!(!waiting.text.contains("execute-form"));
    decide(
        &site,
        &mut p.founder,
        &page_path,
        "execute",
        "distribution_state",
    )
    .await;
    decide(
        &site,
        &mut p.tess,
        &page_path,
        "approve",
        "approval is recorded",
    )
    .await;
    let ready = p.tess.get(&site, &page_path).await;
    ready.shows("id=\"execute-form\"");
    decide(&site, &mut p.tess, &page_path, "execute", "executed").await;

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
