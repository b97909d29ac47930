//! Router tests of the association's pages: the statutes (and adopting them), members and
//! applications, opening a poll with its preview, voting and changing a ballot, results
//! with their count sheet and chart, delegation and outcome statements, each form signed
//! through the browser session and each refusal shown with core's stable code.
//!
//! The harness is `tests/site` (a cookie jar over `oneshot`), with the node's manual
//! clock, so that ledger time can move and polls close.
#![allow(clippy::unwrap_used)]

mod site;

use axum::http::{StatusCode, header};
use site::{Browser, DAY_MS, Page, Site, main, pairs, preview, site, statutes_form};

/// A commons made by "Founder", with the statutes' defaults adopted except for what
/// `changes` sets; returns the commons' path.
async fn association(site: &Site, founder: &mut Browser, changes: &[(&str, &str)]) -> String {
    let path = founder.found(site, "Repair café", "CC-BY-SA-4.0").await;
    founder.adopt_statutes(site, &path, changes).await;
    path
}

/// The id at the end of a redirect to `…/polls/{id}`.
fn poll_id(page: &Page) -> String {
    let location = page.location();
    let id = &location[location.rfind("/polls/").expect("a poll's page") + 7..];
    assert_eq!(id.len(), 64, "{location}");
    id.to_owned()
}

/// Previews a poll (checking the preview says each of `preview_says`), then signs it
/// from the preview page, as a person would; returns the poll's path.
async fn open_poll(
    site: &Site,
    browser: &mut Browser,
    path: &str,
    fields: &[(&str, &str)],
    preview_says: &[&str],
) -> String {
    let preview = browser
        .submit(
            site,
            &format!("{path}/polls/new"),
            &format!("{path}/polls/preview"),
            fields,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", main(&preview.text));
    let title = fields
        .iter()
        .find(|(k, _)| *k == "title")
        .map_or("", |f| f.1);
    let file: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    self::preview(&format!("preview-{file}.html"), &preview.text);
    preview.shows("id=\"sign-poll-form\"");
    for part in preview_says {
        preview.shows(part);
    }
    // The sign form carries the previewed fields: post exactly those.
    let mut signed: Vec<(&str, &str)> = fields.to_vec();
    let csrf = preview.csrf();
    signed.push(("csrf", &csrf));
    let opened = browser.post(site, &format!("{path}/polls"), &signed).await;
    assert_eq!(
        opened.status,
        StatusCode::SEE_OTHER,
        "{}",
        main(&opened.text)
    );
    format!("{path}/polls/{}", poll_id(&opened))
}

#[tokio::test]
async fn every_association_page_has_a_finished_empty_state_before_statutes_exist() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = founder.found(&site, "Quiet commons", "CC0-1.0").await;
    let overview = founder.get(&site, &path).await;
    overview.shows(&format!("href=\"{path}/association\""));
    overview.shows(&format!("href=\"{path}/polls\""));
    // The maintainer is offered the adoption form, prefilled with the defaults.
    let statutes = founder.get(&site, &format!("{path}/association")).await;
    assert_eq!(statutes.status, StatusCode::OK);
    statutes.shows("No statutes yet");
    statutes.shows("id=\"adopt-form\"");
    statutes.shows("value=\"Association of Quiet commons\"");
    statutes.shows("name=\"rule-amend_statutes-threshold\" required value=\"2&#x2f;3\"");
    statutes.shows("aria-current=\"page\">Association</a>");
    for page in ["/members", "/polls", "/delegations", "/polls/new"] {
        let shown = founder.get(&site, &format!("{path}{page}")).await;
        assert_eq!(shown.status, StatusCode::OK, "{page}");
        shown.shows("No association yet");
    }
    // A visitor reads the empty state without a form.
    let mut visitor = Browser::new(2);
    let statutes = visitor.get(&site, &format!("{path}/association")).await;
    statutes.shows("No association yet");
    assert!(!statutes.text.contains("adopt-form"));
    // Unknown polls are finished 404 pages.
    for missing in ["/polls/00", &format!("/polls/{}", "ab".repeat(32))] {
        let page = visitor.get(&site, &format!("{path}{missing}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{missing}");
        page.shows("<main");
    }
}

#[tokio::test]
async fn a_maintainer_adopts_statutes_and_the_page_states_each_rule_in_words() {
    let site = site().await;
    let mut founder = Browser::new(1);
    founder
        .register_as(&site, "Founder", "founder@example.org")
        .await;
    founder
        .submit(
            &site,
            "/new",
            "/new",
            &[("name", "Repair café"), ("licence", "CC-BY-SA-4.0")],
        )
        .await;
    let path = format!("/c/{}", site.commons().to_hex());
    let statutes_page = format!("{path}/association");
    let adopt = format!("{path}/association/adopt");
    // A fraction that is not one is sent back with what was typed, nothing signed.
    let size = site.node.commons(&site.commons()).unwrap().size;
    let wrong = founder
        .submit(
            &site,
            &statutes_page,
            &adopt,
            &pairs(&statutes_form(&[("rule-general-quorum", "lots")])),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.shows("The quorum for general decisions must be a fraction like 1&#x2f;3, or 0.");
    wrong.shows("value=\"Friends of the repair café\"");
    wrong.shows("value=\"lots\"");
    assert_eq!(site.node.commons(&site.commons()).unwrap().size, size);
    // The ledger's own refusal comes back with its code: a rule's electorate names an
    // area the commons does not have.
    let refused = founder
        .submit(
            &site,
            &statutes_page,
            &adopt,
            &pairs(&statutes_form(&[(
                "rule-general-electorate",
                "area:nowhere",
            )])),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.shows("area_unknown");
    // Adopted.
    let adopted = founder
        .submit(
            &site,
            &statutes_page,
            &adopt,
            &pairs(&statutes_form(&[
                ("chamber-2-slug", "makers"),
                ("chamber-2-name", "Makers"),
                ("chamber-2-basis", "contributors"),
            ])),
        )
        .await;
    assert_eq!(
        adopted.status,
        StatusCode::SEE_OTHER,
        "{}",
        main(&adopted.text)
    );
    let page = founder.get(&site, &statutes_page).await;
    preview("statutes.html", &page.text);
    page.shows("first member");
    page.shows("<h1>Friends of the repair café</h1>");
    page.shows("Keep the café&#x27;s tools and guides free.");
    page.shows("A maintainer of the commons admits or refuses each applicant.");
    for rule in [
        "Amending the statutes: proposal, ⅔ of members, quorum ⅓",
        "Admitting a member: proposal, more than ½ of members, no quorum",
        "Suspending a member: proposal, more than ½ of members, quorum ¼",
        "Expelling a member: proposal, ⅔ of members, quorum ½",
        "Electing the board: single transferable vote (Scottish rules), members, 3 seats, no quorum",
        "General decisions: proposal, more than ½ of members, no quorum",
    ] {
        page.shows(rule);
    }
    page.shows("Makers");
    page.shows("members with accepted work in the contributor window");
    page.shows("Version 1");
    page.shows(">Founder</a> on ");
    page.shows("id=\"propose-amendment\"");
    assert!(!page.text.contains("id=\"adopt-form\""));
    // Adopting again is refused by the ledger, with its code.
    let again = founder
        .submit(&site, &statutes_page, &adopt, &pairs(&statutes_form(&[])))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    again.shows("amendment_rule_required");
    // The members page lists the founder as member and maintainer.
    let members = founder.get(&site, &format!("{path}/members")).await;
    members.shows("role-member");
    members.shows("role-maintainer");
    members.shows("You are a member");
}

#[tokio::test]
async fn a_person_applies_in_a_chamber_and_a_maintainer_admits_them_or_refuses_with_a_reason() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = association(&site, &mut founder, &[]).await;
    let members = format!("{path}/members");
    let mut ana = Browser::join_as(&site, &path, 2, "Ana", "person").await;
    let page = ana.get(&site, &members).await;
    page.shows("id=\"apply-form\"");
    page.shows("value=\"users\"> Users");
    ana.act_and_see(
        &site,
        &members,
        &format!("{path}/members/apply"),
        &[
            ("chambers", "users"),
            ("statement", "I fix <b>bikes</b> every week"),
        ],
        "a maintainer of the commons will decide",
    )
    .await;
    // Applying twice: the ledger's code comes back.
    let csrf = ana.get(&site, &members).await.csrf();
    let twice = ana
        .post(&site, &format!("{path}/members/apply"), &[("csrf", &csrf)])
        .await;
    assert_eq!(twice.status, StatusCode::SEE_OTHER);
    let message = ana.flash(&site, &members).await;
    assert!(message.contains("application_pending"), "{message}");
    let page = ana.get(&site, &members).await;
    page.shows("Your application is waiting");
    page.shows("I fix &lt;b&gt;bikes&lt;&#x2f;b&gt; every week");
    assert!(!page.text.contains("admit-form"), "only maintainers admit");
    // The founder admits Ana.
    let page = founder.get(&site, &members).await;
    let application = {
        let marker = "id=\"application-";
        let at = page.text.find(marker).unwrap() + marker.len();
        page.text[at..at + 64].to_owned()
    };
    founder
        .act_and_see(
            &site,
            &members,
            &format!("{path}/applications/{application}/decide"),
            &[("action", "admit")],
            "The applicant is admitted.",
        )
        .await;
    let page = ana.get(&site, &members).await;
    preview("members.html", &page.text);
    page.shows("You are a member");
    page.shows("id=\"leave-form\"");
    let table = &page.text[page.text.find("id=\"members-table\"").unwrap()..];
    let row = &table[table.find(">Ana</a>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("Users"), "{row}");
    assert!(row.contains("status-active"), "{row}");
    // Bo applies; a refusal needs a reason, then is shown with it.
    let mut bo = Browser::join_as(&site, &path, 3, "Bo", "person").await;
    bo.act_and_see(
        &site,
        &members,
        &format!("{path}/members/apply"),
        &[],
        "will decide",
    )
    .await;
    let page = founder.get(&site, &members).await;
    let marker = "id=\"application-";
    let at = page.text.find(marker).unwrap() + marker.len();
    let application = page.text[at..at + 64].to_owned();
    founder
        .act_and_see(
            &site,
            &members,
            &format!("{path}/applications/{application}/decide"),
            &[("action", "refuse"), ("reason", "")],
            "Say why the application is refused",
        )
        .await;
    founder
        .act_and_see(
            &site,
            &members,
            &format!("{path}/applications/{application}/decide"),
            &[
                ("action", "refuse"),
                ("reason", "We only take local members"),
            ],
            "The application is refused.",
        )
        .await;
    let page = bo.get(&site, &members).await;
    page.shows("status-refused");
    page.shows("We only take local members");
    // Deciding it again is refused by the ledger.
    founder
        .act_and_see(
            &site,
            &members,
            &format!("{path}/applications/{application}/decide"),
            &[("action", "admit")],
            "application_closed",
        )
        .await;
    // Ana leaves.
    ana.act_and_see(
        &site,
        &members,
        &format!("{path}/members/leave"),
        &[("reason", "Moving away")],
        "You left the association.",
    )
    .await;
    ana.get(&site, &members).await.shows("status-left");
    // A form without this browser's token is refused and changes nothing.
    let size = site.node.commons(&site.commons()).unwrap().size;
    let forged = bo
        .post(
            &site,
            &format!("{path}/members/apply"),
            &[("csrf", &"0".repeat(64))],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(site.node.commons(&site.commons()).unwrap().size, size);
}

#[tokio::test]
async fn under_vote_admission_an_application_goes_to_a_poll_that_admits_when_it_passes() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = association(&site, &mut founder, &[("admission", "vote")]).await;
    let members = format!("{path}/members");
    let mut cy = Browser::join_as(&site, &path, 2, "Cy", "person").await;
    cy.act_and_see(
        &site,
        &members,
        &format!("{path}/members/apply"),
        &[("statement", "Let me in")],
        "members decide on it by a poll",
    )
    .await;
    let page = founder.get(&site, &members).await;
    page.shows("Open an admission poll");
    let marker = "application=";
    let at = page.text.find(marker).unwrap() + marker.len();
    let application = page.text[at..at + 64].to_owned();
    let form = founder
        .get(
            &site,
            &format!("{path}/polls/new?decision=admit_member&application={application}"),
        )
        .await;
    form.shows(&format!("value=\"{application}\" selected"));
    let poll = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "admit_member"),
            ("title", "Admit Cy"),
            ("application", &application),
            ("closes_in", "2"),
            ("closes_unit", "days"),
        ],
        &[
            "proposal, more than ½ of members, no quorum",
            "<strong>1</strong> voter now",
            "Admit Cy (applied ",
            "Let me in",
        ],
    )
    .await;
    let page = cy.get(&site, &poll).await;
    page.shows("id=\"not-eligible\"");
    founder
        .act_and_see(
            &site,
            &poll,
            &format!("{poll}/vote"),
            &[("stance", "yes")],
            "Your ballot is cast",
        )
        .await;
    site.pass_time(3 * DAY_MS).await;
    let page = cy.get(&site, &poll).await;
    page.shows("result-passed");
    page.shows("the applicant is admitted");
    page.shows("Yes 1, no 0, abstain 0, block 0");
    cy.get(&site, &members).await.shows("You are a member");
    // The members page no longer offers a poll on it, and the poll is listed as closed.
    let polls = founder.get(&site, &format!("{path}/polls")).await;
    polls.shows("id=\"closed-polls\"");
    polls.shows("Admit Cy");
}

/// A commons whose founder and `names` are members (admitted by the founder), users.
async fn with_members(site: &Site, names: &[&str]) -> (String, Browser, Vec<Browser>) {
    let people: Vec<(&str, &[&str])> = names.iter().map(|n| (*n, &["users"][..])).collect();
    with_members_in(site, &[], &people).await
}

/// A commons under the default statutes with `changes`, whose founder and `people` are
/// members, each admitted by the founder in the chambers named.
async fn with_members_in(
    site: &Site,
    changes: &[(&str, &str)],
    people: &[(&str, &[&str])],
) -> (String, Browser, Vec<Browser>) {
    let mut founder = Browser::new(1);
    let path = association(site, &mut founder, changes).await;
    let members = format!("{path}/members");
    let mut browsers = Vec::new();
    for (i, (name, chambers)) in people.iter().enumerate() {
        let mut b = Browser::join_as(site, &path, 10 + i as u8, name, "person").await;
        let fields: Vec<(&str, &str)> = chambers.iter().map(|c| ("chambers", *c)).collect();
        b.act_and_see(
            site,
            &members,
            &format!("{path}/members/apply"),
            &fields,
            "will decide",
        )
        .await;
        let page = founder.get(site, &members).await;
        let marker = "id=\"application-";
        let at = page.text.find(marker).unwrap() + marker.len();
        let application = page.text[at..at + 64].to_owned();
        founder
            .act_and_see(
                site,
                &members,
                &format!("{path}/applications/{application}/decide"),
                &[("action", "admit")],
                "admitted",
            )
            .await;
        browsers.push(b);
    }
    (path, founder, browsers)
}

#[tokio::test]
async fn a_ranked_poll_is_previewed_voted_changed_and_counted_with_its_round_sheet_and_chart() {
    let site = site().await;
    let (path, mut founder, mut voters) = with_members(&site, &["Ana", "Bo", "Cy"]).await;
    let poll = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "general"),
            ("title", "Where do we meet?"),
            ("description", "The café needs a <new> home."),
            ("method", "irv"),
            ("electorate", "members"),
            ("threshold", "1/2"),
            ("quorum", "1/4"),
            ("options", "Library\nTown hall\nPub"),
            ("seats", "1"),
            ("closes_in", "3"),
            ("closes_unit", "days"),
        ],
        &[
            "instant runoff, members, 1 seat, quorum ¼",
            "<strong>4</strong> voters now",
            "at least 1 of 4 must take part",
            "its own rule",
            "<li>Town hall</li>",
        ],
    )
    .await;
    let page = founder.get(&site, &poll).await;
    page.shows("The café needs a &lt;new&gt; home.");
    page.shows("id=\"vote-form\"");
    page.shows("id=\"electorate-hash\"");
    page.shows("<dd id=\"electorate-size\">4</dd>");
    page.shows("name=\"rank-2\"");
    page.shows("0 of 4 voted (0%)");
    // Ana: Library > Pub; Bo: Town hall > Library; Cy: Pub > Town hall, then changes to
    // Town hall > Pub; the founder: Library.
    let [ana, bo, cy] = &mut voters[..] else {
        unreachable!()
    };
    let vote = format!("{poll}/vote");
    ana.act_and_see(
        &site,
        &poll,
        &vote,
        &[("rank-0", "0"), ("rank-1", "2")],
        "Your ballot is cast",
    )
    .await;
    bo.act_and_see(
        &site,
        &poll,
        &vote,
        &[("rank-0", "1"), ("rank-1", "0")],
        "Your ballot is cast",
    )
    .await;
    cy.act_and_see(
        &site,
        &poll,
        &vote,
        &[("rank-0", "2"), ("rank-1", "1")],
        "Your ballot is cast",
    )
    .await;
    let page = cy.get(&site, &poll).await;
    page.shows("You voted <strong>Pub &gt; Town hall</strong>");
    page.shows("You can change your ballot until the poll closes");
    page.shows("<option value=\"2\" selected>Pub</option>");
    page.shows("3 of 4 voted (75%)");
    cy.act_and_see(
        &site,
        &poll,
        &vote,
        &[("rank-0", "1"), ("rank-1", "2")],
        "Your ballot is cast",
    )
    .await;
    let page = cy.get(&site, &poll).await;
    preview("poll-voted.html", &page.text);
    page.shows("You voted <strong>Town hall &gt; Pub</strong>");
    let history = &page.text[page.text.find("id=\"ballot-history\"").unwrap()..];
    assert_eq!(history.matches("<li>").count(), 2, "both ballots are kept");
    assert!(history.contains("replaced") && history.contains("counts"));
    founder
        .act_and_see(
            &site,
            &poll,
            &vote,
            &[("rank-0", "0")],
            "Your ballot is cast",
        )
        .await;
    // A ranking naming an option twice is refused with core's code.
    ana.act_and_see(
        &site,
        &poll,
        &vote,
        &[("rank-0", "0"), ("rank-1", "0")],
        "ranking_duplicate",
    )
    .await;
    // Live turnout on the listing.
    let polls = founder.get(&site, &format!("{path}/polls")).await;
    preview("polls.html", &polls.text);
    polls.shows("4 of 4 voted (100%)");
    polls.shows("you voted");
    // Close: Library 2, Town hall 2 (Bo, Cy), Pub 0 in round 1; Pub is excluded.
    site.pass_time(4 * DAY_MS).await;
    let page = ana.get(&site, &poll).await;
    preview("poll-closed.html", &page.text);
    page.shows("id=\"round-sheet\"");
    page.shows("Round 1");
    page.shows("id=\"rounds-chart\"");
    page.shows("id=\"seed\"");
    page.shows("result-passed");
    assert!(
        !page.text.contains("id=\"vote-form\""),
        "a closed poll takes no ballot"
    );
    let sheet = &page.text[page.text.find("id=\"round-sheet\"").unwrap()..];
    assert!(sheet.contains("excluded"), "{sheet}");
    let chart = ana.get(&site, &format!("{poll}/rounds.svg")).await;
    assert_eq!(chart.status, StatusCode::OK);
    assert_eq!(chart.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(chart.text.starts_with("<svg role=\"img\""));
    assert!(chart.text.contains("Town hall"));
    preview("rounds.svg", &chart.text);
    // Voting after the close is refused by the ledger.
    let csrf = ana.get(&site, &path).await.csrf();
    let late = ana
        .post(&site, &vote, &[("rank-0", "1"), ("csrf", &csrf)])
        .await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    let message = ana.flash(&site, &poll).await;
    assert!(message.contains("poll_closed"), "{message}");
}

#[tokio::test]
async fn each_method_gets_its_voting_form_and_bad_ballots_come_back_with_their_codes() {
    let site = site().await;
    let (path, mut founder, mut voters) = with_members(&site, &["Ana"]).await;
    let dot = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "general"),
            ("title", "Spend the tool budget"),
            ("method", "dot"),
            ("electorate", "members"),
            ("threshold", "1/2"),
            ("quorum", "0"),
            ("options", "Drill\nSaw\nSolder station"),
            ("param_budget", "5"),
            ("closes_in", "1"),
            ("closes_unit", "days"),
        ],
        &["dot voting"],
    )
    .await;
    let page = founder.get(&site, &dot).await;
    preview("dot.html", &page.text);
    page.shows("Spread your 5 dots");
    page.shows("name=\"score-2\"");
    founder
        .act_and_see(
            &site,
            &dot,
            &format!("{dot}/vote"),
            &[("score-0", "4"), ("score-1", "3")],
            "too_many_dots",
        )
        .await;
    founder
        .act_and_see(
            &site,
            &dot,
            &format!("{dot}/vote"),
            &[("score-0", "4"), ("score-1", "1")],
            "Your ballot is cast",
        )
        .await;
    let approval = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "general"),
            ("title", "Which evenings?"),
            ("method", "approval"),
            ("electorate", "members"),
            ("threshold", "1/2"),
            ("quorum", "0"),
            ("options", "Monday\nWednesday\nFriday"),
            ("param_max", "2"),
            ("closes_in", "1"),
            ("closes_unit", "days"),
        ],
        &["approval voting"],
    )
    .await;
    let page = founder.get(&site, &approval).await;
    page.shows("at most 2");
    page.shows("type=\"checkbox\" name=\"approve\" value=\"2\"");
    let time = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "general"),
            ("title", "Next workshop"),
            ("method", "time"),
            ("electorate", "members"),
            ("threshold", "1/2"),
            ("quorum", "0"),
            ("options", "Sat 10:00\nSun 14:00"),
            ("closes_in", "1"),
            ("closes_unit", "days"),
        ],
        &["time poll"],
    )
    .await;
    founder
        .get(&site, &time)
        .await
        .shows("name=\"slot-1\" value=\"if_need_be\"");
    let consent = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "general"),
            ("title", "Adopt the tool policy"),
            ("method", "consent"),
            ("electorate", "members"),
            ("threshold", "0"),
            ("quorum", "0"),
            ("closes_in", "1"),
            ("closes_unit", "days"),
        ],
        &["consent, no open objection among members"],
    )
    .await;
    founder
        .get(&site, &consent)
        .await
        .shows("value=\"resolved\"");
    let proposal = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "general"),
            ("title", "Open on Sundays"),
            ("method", "proposal"),
            ("electorate", "members"),
            ("threshold", "1/2"),
            ("strict", "yes"),
            ("quorum", "0"),
            ("closes_in", "1"),
            ("closes_unit", "days"),
        ],
        &["proposal, more than ½ of members, no quorum"],
    )
    .await;
    let page = founder.get(&site, &proposal).await;
    page.shows("value=\"block\"");
    assert!(
        !page.text.contains("its own rule"),
        "the statutes' rule, unchanged"
    );
    let ana = &mut voters[0];
    ana.act_and_see(
        &site,
        &proposal,
        &format!("{proposal}/vote"),
        &[("stance", "block"), ("reason", "Nobody to staff it")],
        "Your ballot is cast",
    )
    .await;
    founder
        .act_and_see(
            &site,
            &proposal,
            &format!("{proposal}/vote"),
            &[("stance", "yes")],
            "Your ballot is cast",
        )
        .await;
    ana.act_and_see(
        &site,
        &consent,
        &format!("{consent}/vote"),
        &[("consent", "object")],
        "Your ballot is cast",
    )
    .await;
    // A form with nothing chosen is refused before signing.
    ana.act_and_see(
        &site,
        &proposal,
        &format!("{proposal}/vote"),
        &[],
        "Choose yes, no, abstain or block",
    )
    .await;
    site.pass_time(2 * DAY_MS).await;
    let page = ana.get(&site, &proposal).await;
    preview("proposal-closed.html", &page.text);
    page.shows("result-failed");
    page.shows("1 vote blocks the proposal");
    page.shows("Nobody to staff it");
    let page = ana.get(&site, &consent).await;
    page.shows("open objections 1");
    let page = ana.get(&site, &dot).await;
    page.shows("Drill");
    assert_eq!(
        ana.get(&site, &format!("{dot}/rounds.svg")).await.status,
        StatusCode::OK
    );
    let page = ana.get(&site, &time).await;
    page.shows("Nobody voted");
}

#[tokio::test]
async fn delegations_are_set_refused_in_a_cycle_followed_at_the_count_and_revoked() {
    let site = site().await;
    let (path, mut founder, mut voters) = with_members(&site, &["Ana", "Bo"]).await;
    let delegations = format!("{path}/delegations");
    let page = founder.get(&site, &delegations).await;
    page.shows("No delegations yet");
    page.shows("You vote for yourself on every poll.");
    let [ana, bo] = &mut voters[..] else {
        unreachable!()
    };
    ana.act_and_see(
        &site,
        &delegations,
        &delegations,
        &[("to", "Bo"), ("topic", "*")],
        "Your delegation is set",
    )
    .await;
    bo.act_and_see(
        &site,
        &delegations,
        &delegations,
        &[("to", "Ana"), ("topic", "*")],
        "delegation_cycle",
    )
    .await;
    bo.act_and_see(
        &site,
        &delegations,
        &delegations,
        &[("to", "Nobody at all"), ("topic", "*")],
        "No one in this commons publishes the name",
    )
    .await;
    let page = bo.get(&site, &delegations).await;
    page.shows("Delegated to you");
    page.shows("1 delegation:");
    page.shows("id=\"all-delegations\"");
    let page = ana.get(&site, &delegations).await;
    preview("delegations.html", &page.text);
    page.shows("On every poll:");
    page.shows("class=\"inline revoke-form\"");
    let poll = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "general"),
            ("title", "Buy a lathe"),
            ("method", "proposal"),
            ("electorate", "members"),
            ("threshold", "1/2"),
            ("strict", "yes"),
            ("quorum", "0"),
            ("closes_in", "1"),
            ("closes_unit", "days"),
        ],
        &[],
    )
    .await;
    ana.get(&site, &poll).await.shows("You delegate to");
    bo.act_and_see(
        &site,
        &poll,
        &format!("{poll}/vote"),
        &[("stance", "yes")],
        "Your ballot is cast",
    )
    .await;
    founder
        .act_and_see(
            &site,
            &poll,
            &format!("{poll}/vote"),
            &[("stance", "no")],
            "Your ballot is cast",
        )
        .await;
    site.pass_time(2 * DAY_MS).await;
    let page = founder.get(&site, &poll).await;
    preview("delegated-closed.html", &page.text);
    page.shows("id=\"delegations-followed\"");
    page.shows("Yes 2, no 1");
    page.shows("result-passed");
    // The author states the outcome; another member may not.
    founder
        .act_and_see(
            &site,
            &poll,
            &format!("{poll}/statement"),
            &[("statement", "We buy it in May."), ("review_days", "30")],
            "published",
        )
        .await;
    founder.get(&site, &poll).await.shows("We buy it in May.");
    ana.get(&site, &poll).await;
    let csrf = ana.get(&site, &poll).await.csrf();
    let refused = ana
        .post(
            &site,
            &format!("{poll}/statement"),
            &[("statement", "Mine"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let message = ana.flash(&site, &poll).await;
    assert!(message.contains("not_authorised"), "{message}");
    // Revoked.
    ana.act_and_see(
        &site,
        &delegations,
        &format!("{path}/delegations/revoke"),
        &[("topic", "*")],
        "revoked",
    )
    .await;
    ana.act_and_see(
        &site,
        &delegations,
        &format!("{path}/delegations/revoke"),
        &[("topic", "*")],
        "delegation_unknown",
    )
    .await;
}

#[tokio::test]
async fn an_amendment_poll_previews_what_changes_and_amends_the_statutes_when_it_passes() {
    let site = site().await;
    let (path, mut founder, mut voters) = with_members(&site, &["Ana"]).await;
    let form = founder
        .get(&site, &format!("{path}/polls/new?decision=amend_statutes"))
        .await;
    form.shows("value=\"Friends of the repair café\"");
    let owned = statutes_form(&[("board_seats", "5"), ("rule-general-quorum", "1/5")]);
    let mut fields = pairs(&owned);
    fields.extend([
        ("decision", "amend_statutes"),
        ("title", "A bigger board"),
        ("closes_in", "1"),
        ("closes_unit", "days"),
    ]);
    let poll = open_poll(
        &site,
        &mut founder,
        &path,
        &fields,
        &[
            "proposal, ⅔ of members, quorum ⅓",
            "id=\"amendment\"",
            "<td>Board seats</td><td class=\"wrap-cell\">3</td><td class=\"wrap-cell\">5</td>",
            "proposal, more than ½ of members, quorum ⅕",
        ],
    )
    .await;
    founder.get(&site, &poll).await.shows("id=\"proposed\"");
    founder
        .act_and_see(
            &site,
            &poll,
            &format!("{poll}/vote"),
            &[("stance", "yes")],
            "cast",
        )
        .await;
    voters[0]
        .act_and_see(
            &site,
            &poll,
            &format!("{poll}/vote"),
            &[("stance", "yes")],
            "cast",
        )
        .await;
    site.pass_time(2 * DAY_MS).await;
    founder
        .get(&site, &poll)
        .await
        .shows("the statutes are amended");
    let statutes = founder.get(&site, &format!("{path}/association")).await;
    statutes.shows("<dt>Board seats</dt><dd>5</dd>");
    statutes.shows("Version 2");
    statutes.shows("A bigger board</a>");
    // A suspension poll names the member and the reason.
    let ana_key = {
        let page = founder.get(&site, &format!("{path}/members")).await;
        let at = page.text.rfind("/agents/").unwrap() + 8;
        page.text[at..at + 66].to_owned()
    };
    let _ = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "suspend_member"),
            ("title", "Suspend for a month"),
            ("member", &ana_key),
            ("reason", "Took the drill home"),
            ("days", "30"),
            ("closes_in", "1"),
            ("closes_unit", "days"),
        ],
        &[
            "Suspend ",
            "for 30 days, because: Took the drill home",
            "quorum ¼",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_poll_counted_by_chamber_shows_each_chambers_result_and_stv_elects_the_board() {
    let site = site().await;
    let (path, mut founder, mut voters) = with_members_in(
        &site,
        &[("rule-general-by_chamber", "all"), ("board_seats", "2")],
        &[
            ("Ana", &["users"]),
            ("Bo", &["workers"]),
            ("Cy", &["users", "workers"]),
        ],
    )
    .await;
    let statutes = founder.get(&site, &format!("{path}/association")).await;
    statutes.shows(
        "General decisions: proposal, more than ½ of members, no quorum, passing in all 2 chambers",
    );
    let poll = open_poll(
        &site,
        &mut founder,
        &path,
        &[
            ("decision", "general"),
            ("title", "Raise the membership fee"),
            ("method", "proposal"),
            ("electorate", "members"),
            ("threshold", "1/2"),
            ("strict", "yes"),
            ("quorum", "0"),
            ("closes_in", "1"),
            ("closes_unit", "days"),
        ],
        &["passing in all 2 chambers", "Users (2), Workers (2)"],
    )
    .await;
    let [ana, bo, cy] = &mut voters[..] else {
        unreachable!()
    };
    // Cy sits in both chambers, so the form asks which one a ballot is for.
    cy.get(&site, &poll).await.shows("id=\"vote-chamber\"");
    assert!(!ana.get(&site, &poll).await.text.contains("vote-chamber"));
    let vote = format!("{poll}/vote");
    ana.act_and_see(&site, &poll, &vote, &[("stance", "yes")], "cast")
        .await;
    bo.act_and_see(&site, &poll, &vote, &[("stance", "no")], "cast")
        .await;
    cy.act_and_see(&site, &poll, &vote, &[("stance", "yes")], "cast")
        .await;
    site.pass_time(2 * DAY_MS).await;
    let page = founder.get(&site, &poll).await;
    preview("chambers-closed.html", &page.text);
    page.shows("id=\"chamber-results\"");
    page.shows("By chamber: it passed in 1 of 2 chambers.");
    page.shows("result-failed");

    // The board: two seats by Scottish STV among three candidates.
    let form = founder
        .get(&site, &format!("{path}/polls/new?decision=elect_board"))
        .await;
    let keys: Vec<String> = form
        .text
        .match_indices("name=\"candidate\" value=\"")
        .map(|(at, m)| form.text[at + m.len()..at + m.len() + 66].to_owned())
        .collect();
    assert_eq!(keys.len(), 4, "every active member is a candidate to tick");
    let mut fields = vec![
        ("decision", "elect_board"),
        ("title", "Elect the board"),
        ("closes_in", "1"),
        ("closes_unit", "days"),
    ];
    // Too few candidates for the seats is said before signing.
    fields.push(("candidate", &keys[0]));
    let few = founder
        .submit(
            &site,
            &format!("{path}/polls/new"),
            &format!("{path}/polls/preview"),
            &fields,
        )
        .await;
    assert_eq!(few.status, StatusCode::UNPROCESSABLE_ENTITY);
    few.shows("The board has 2 seats: choose at least 2 candidates.");
    fields.extend([("candidate", &keys[1][..]), ("candidate", &keys[2][..])]);
    let election = open_poll(
        &site,
        &mut founder,
        &path,
        &fields,
        &["single transferable vote (Scottish rules), members, 2 seats, no quorum"],
    )
    .await;
    let vote = format!("{election}/vote");
    for (i, b) in voters.iter_mut().enumerate() {
        let (first, second) = ((i % 3).to_string(), ((i + 1) % 3).to_string());
        b.act_and_see(
            &site,
            &election,
            &vote,
            &[("rank-0", &first), ("rank-1", &second)],
            "cast",
        )
        .await;
    }
    founder
        .act_and_see(&site, &election, &vote, &[("rank-0", "0")], "cast")
        .await;
    site.pass_time(2 * DAY_MS).await;
    let page = founder.get(&site, &election).await;
    preview("election-closed.html", &page.text);
    page.shows("id=\"winners\"");
    page.shows("the board is elected for 12 months");
    page.shows("Quota");
    let statutes = founder.get(&site, &format!("{path}/association")).await;
    statutes.shows("Their term ends");
    let members = founder.get(&site, &format!("{path}/members")).await;
    members.shows("role-board");
}

// ---------------------------------------------------------------------------------------
// Participatory budgeting

/// The id at the end of a redirect to `…/budgets/{id}`.
fn round_path(path: &str, page: &Page) -> String {
    let location = page.location();
    let id = &location[location.rfind("/budgets/").expect("a round's page") + 9..];
    assert_eq!(id.len(), 64, "{location}");
    format!("{path}/budgets/{id}")
}

/// The id of the project named `name` on a round's page.
fn project_on(page: &Page, name: &str) -> String {
    let heading = format!("<h3>{name} <span");
    let at = page
        .text
        .find(&heading)
        .unwrap_or_else(|| panic!("no project {name:?} on the page:\n{}", main(&page.text)));
    let marker = "id=\"project-";
    let start = page.text[..at].rfind(marker).unwrap() + marker.len();
    page.text[start..start + 64].to_owned()
}

/// Opens a round from the form, with `changes` to a one-day approval round of 1,000.00
/// EUR counted by equal shares; returns the round's path.
async fn open_round(
    site: &Site,
    steward: &mut Browser,
    path: &str,
    changes: &[(&str, &str)],
) -> String {
    let mut fields: Vec<(&str, &str)> = vec![
        ("title", "Spring budget"),
        (
            "guidelines",
            "Only projects that keep the café open to all.",
        ),
        ("pool", "1,000.00"),
        ("currency", "EUR"),
        ("model", "approval"),
        ("rule", "equal_shares"),
        ("completion", "greedy"),
        ("proposals_in", "1"),
        ("proposals_unit", "days"),
        ("voting_in", "1"),
        ("voting_unit", "days"),
    ];
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push((name, value));
    }
    let opened = steward
        .submit(
            site,
            &format!("{path}/budgets/new"),
            &format!("{path}/budgets"),
            &fields,
        )
        .await;
    assert_eq!(
        opened.status,
        StatusCode::SEE_OTHER,
        "{}",
        main(&opened.text)
    );
    round_path(path, &opened)
}

/// Proposes a project with `items` as (label, amount, optional).
async fn propose(
    site: &Site,
    member: &mut Browser,
    round: &str,
    name: &str,
    items: &[(&str, &str, bool)],
) {
    let mut fields: Vec<(String, String)> = vec![("name".into(), name.into())];
    for (i, (label, amount, optional)) in items.iter().enumerate() {
        fields.push((format!("item-{i}-label"), (*label).into()));
        fields.push((format!("item-{i}-amount"), (*amount).into()));
        if *optional {
            fields.push((format!("item-{i}-optional"), "yes".into()));
        }
    }
    member
        .act_and_see(
            site,
            round,
            &format!("{round}/propose"),
            &pairs(&fields),
            "Your project is proposed",
        )
        .await;
}

#[tokio::test]
async fn only_stewards_open_rounds_and_a_bad_form_comes_back_with_what_was_typed() {
    let site = site().await;
    let (path, mut founder, mut members) = with_members(&site, &["Ana"]).await;
    let ana = &mut members[0];
    let list = founder.get(&site, &format!("{path}/budgets")).await;
    assert_eq!(list.status, StatusCode::OK);
    list.shows("No round is open.");
    list.shows("No round has closed yet.");
    list.shows("No round has funded a project yet.");
    list.shows("id=\"open-round\"");
    list.shows("id=\"nav-budgets\"");
    preview("budgets-empty.html", &list.text);
    let theirs = ana.get(&site, &format!("{path}/budgets")).await;
    assert!(!theirs.text.contains("id=\"open-round\""));
    let form = ana.get(&site, &format!("{path}/budgets/new")).await;
    form.shows("<code>not_authorised</code>");

    // A member who is neither maintainer nor on the board: the ledger refuses, and the
    // form comes back with the refusal and what was typed.
    let refused = ana
        .submit(
            &site,
            &format!("{path}/budgets/new"),
            &format!("{path}/budgets"),
            &[
                ("title", "Ana's round"),
                ("pool", "100"),
                ("currency", "EUR"),
                ("model", "approval"),
                ("rule", "greedy"),
                ("proposals_in", "1"),
                ("voting_in", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.shows("(not_authorised)");
    refused.shows("value=\"Ana&#x27;s round\"");

    // A decimal comma is not read as thousands: nothing is signed.
    let bad = founder
        .submit(
            &site,
            &format!("{path}/budgets/new"),
            &format!("{path}/budgets"),
            &[
                ("title", "Spring"),
                ("pool", "12,50"),
                ("currency", "EUR"),
                ("model", "approval"),
                ("proposals_in", "1"),
                ("voting_in", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.shows("The pool: `12,50` is not an amount");
    bad.shows("value=\"Spring\"");
    let still_empty = founder.get(&site, &format!("{path}/budgets")).await;
    still_empty.shows("No round is open.");
    let unknown = founder
        .get(&site, &format!("{path}/budgets/{}", "ab".repeat(32)))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_approval_round_is_proposed_flagged_reviewed_voted_counted_and_a_project_cancelled() {
    let site = site().await;
    let (path, mut founder, mut members) = with_members(&site, &["Ana", "Bo", "Cy"]).await;
    let round = open_round(&site, &mut founder, &path, &[]).await;
    let page = founder.get(&site, &round).await;
    page.shows("proposals open");
    page.shows("1,000.00 EUR");
    page.shows("The method of equal shares");
    page.shows("Only projects that keep the café open to all.");
    page.shows("No project has been proposed yet.");

    let [ana, bo, cy] = &mut members[..] else {
        unreachable!()
    };
    propose(
        &site,
        ana,
        &round,
        "Garden",
        &[
            ("Seeds", "300", false),
            ("Tools", "200.00", false),
            ("Fence", "100", true),
        ],
    )
    .await;
    propose(
        &site,
        bo,
        &round,
        "Server",
        &[("A small server", "600", false)],
    )
    .await;
    propose(
        &site,
        cy,
        &round,
        "Ads for my shop",
        &[("Posters", "100", false)],
    )
    .await;
    // An item without a label, or an amount that does not read, signs nothing.
    let mut one = vec![("name", "Broken"), ("item-0-amount", "50")];
    ana.act_and_see(
        &site,
        &round,
        &format!("{round}/propose"),
        &one,
        "has an amount but no label",
    )
    .await;
    one = vec![
        ("name", "Broken"),
        ("item-0-label", "Paint"),
        ("item-0-amount", "5.001"),
    ];
    ana.act_and_see(
        &site,
        &round,
        &format!("{round}/propose"),
        &one,
        "decimal place",
    )
    .await;

    let page = founder.get(&site, &round).await;
    page.shows("500.00 EUR to 600.00 EUR");
    page.shows("Fence <span class=\"muted\">(optional)</span>");
    assert!(!page.text.contains("Broken"));
    let garden = project_on(&page, "Garden");
    let server = project_on(&page, "Server");
    let ads = project_on(&page, "Ads for my shop");

    // Flags, then the steward's review: excluded with a reason, or kept (flags cleared).
    let flag = |p: &str| format!("{round}/projects/{p}/flag");
    let review = |p: &str| format!("{round}/projects/{p}/review");
    ana.act_and_see(
        &site,
        &round,
        &flag(&ads),
        &[("reason", "serves one shop")],
        "flagged",
    )
    .await;
    ana.act_and_see(
        &site,
        &round,
        &flag(&ads),
        &[("reason", "again")],
        "already_signalled",
    )
    .await;
    bo.act_and_see(
        &site,
        &round,
        &flag(&garden),
        &[("reason", "not for all")],
        "flagged",
    )
    .await;
    ana.act_and_see(
        &site,
        &round,
        &review(&garden),
        &[("decision", "keep"), ("reason", "a member")],
        "(not_authorised)",
    )
    .await;
    founder
        .act_and_see(
            &site,
            &round,
            &review(&ads),
            &[("decision", "exclude"), ("reason", "breaks the guidelines")],
            "excluded",
        )
        .await;
    founder
        .act_and_see(
            &site,
            &round,
            &review(&garden),
            &[
                ("decision", "keep"),
                ("reason", "a shared garden is for all"),
            ],
            "kept",
        )
        .await;
    let page = founder.get(&site, &round).await;
    page.shows("“breaks the guidelines”");
    page.shows("status-excluded");
    assert!(
        !page.text.contains("“not for all”"),
        "the kept project's flags are cleared"
    );
    preview("budget-proposals.html", &page.text);

    // Ballots: ticked projects; a change replaces the ballot; an excluded project is not
    // one the round counts.
    let vote = format!("{round}/vote");
    let ana_form = ana.get(&site, &round).await;
    ana_form.shows("id=\"budget-vote-form\"");
    assert!(
        !ana_form.text.contains(&format!("value=\"{ads}\"")),
        "an excluded project is not offered"
    );
    ana.act_and_see(
        &site,
        &round,
        &vote,
        &[("project", &garden), ("project", &server)],
        "ballot is cast",
    )
    .await;
    ana.act_and_see(
        &site,
        &round,
        &vote,
        &[("project", &garden)],
        "ballot is cast",
    )
    .await;
    ana.act_and_see(
        &site,
        &round,
        &vote,
        &[("project", &ads)],
        "(budget_project_unknown)",
    )
    .await;
    bo.act_and_see(
        &site,
        &round,
        &vote,
        &[("project", &server)],
        "ballot is cast",
    )
    .await;
    cy.act_and_see(
        &site,
        &round,
        &vote,
        &[("project", &garden)],
        "ballot is cast",
    )
    .await;
    founder
        .act_and_see(
            &site,
            &round,
            &vote,
            &[("project", &garden)],
            "ballot is cast",
        )
        .await;
    let page = ana.get(&site, &round).await;
    page.shows("Your ballot is cast (2 times)");
    page.shows("on your ballot");
    page.shows("4 of 4 members voted (100%)");

    // Someone outside the frozen electorate is not offered a ballot, and the ledger
    // refuses one.
    let mut dee = Browser::join_as(&site, &path, 40, "Dee", "person").await;
    let theirs = dee.get(&site, &round).await;
    theirs.shows("Only the members who were active when the round opened vote in it.");
    dee.act_and_see(
        &site,
        &round,
        &vote,
        &[("project", &garden)],
        "(not_eligible)",
    )
    .await;

    // Two days on, the tick counts the round.
    site.pass_time(2 * DAY_MS + 1_000).await;
    let page = founder.get(&site, &round).await;
    page.shows("id=\"round-status\">closed");
    page.shows("Result: 1 project funded");
    page.shows("id=\"budget-sheet\"");
    page.shows("id=\"seed\"");
    page.shows("status-funded");
    page.shows("status-unfunded");
    page.shows("id=\"result-chart\"");
    page.shows("id=\"authorisations\"");
    assert!(!page.text.contains("id=\"budget-vote-form\""));
    preview("budget-closed.html", &page.text);
    let chart = founder.get(&site, &format!("{round}/result.svg")).await;
    assert_eq!(chart.status, StatusCode::OK);
    assert_eq!(chart.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(chart.text.contains("Garden"));
    preview("budget-result.svg", &chart.text);

    // Cancelling a funded project releases its funds by a reversing entry.
    let cancel = format!("{round}/projects/{garden}/cancel");
    ana.act_and_see(
        &site,
        &round,
        &cancel,
        &[("reason", "no")],
        "(not_authorised)",
    )
    .await;
    founder
        .act_and_see(
            &site,
            &round,
            &cancel,
            &[("reason", "the plot was sold")],
            "released",
        )
        .await;
    let ledger = founder.get(&site, &format!("{path}/authorisations")).await;
    assert_eq!(ledger.status, StatusCode::OK);
    ledger.shows("Entries (2)");
    ledger.shows("badge-ok\">grant");
    ledger.shows("badge-bad\">release");
    ledger.shows("“the plot was sold”");
    ledger.shows("0.00 EUR</strong>");
    preview("authorisations.html", &ledger.text);
    let list = founder.get(&site, &format!("{path}/budgets")).await;
    list.shows("id=\"closed-rounds\"");
    list.shows("Spring budget");
    list.shows("1 of 3");
}

#[tokio::test]
async fn co_funding_pledges_are_read_exactly_and_an_over_budget_basket_is_refused() {
    let site = site().await;
    let (path, mut founder, mut members) = with_members(&site, &["Ana", "Bo"]).await;
    let round = open_round(
        &site,
        &mut founder,
        &path,
        &[
            ("title", "Tool fund"),
            ("pool", "300"),
            ("model", "co_funding"),
        ],
    )
    .await;
    let ana = &mut members[0];
    propose(
        &site,
        ana,
        &round,
        "Drill",
        &[("Cordless drill", "120", false)],
    )
    .await;
    let page = ana.get(&site, &round).await;
    page.shows("Your allocation: <strong id=\"allocation\">100.00 EUR</strong>");
    let drill = project_on(&page, "Drill");
    let vote = format!("{round}/vote");
    let field = format!("fund-{drill}");
    ana.act_and_see(
        &site,
        &round,
        &vote,
        &[(&field, "150")],
        "(budget_ballot_invalid)",
    )
    .await;
    ana.act_and_see(
        &site,
        &round,
        &vote,
        &[(&field, "12,50")],
        "is not an amount",
    )
    .await;
    ana.act_and_see(&site, &round, &vote, &[(&field, "60.50")], "ballot is cast")
        .await;
    let page = ana.get(&site, &round).await;
    page.shows("value=\"60.50\"");
    page.shows("Drill=60.50");
    page.shows("60.50 EUR pledged");

    let basket = open_round(
        &site,
        &mut founder,
        &path,
        &[
            ("title", "Repairs"),
            ("pool", "500"),
            ("model", "knapsack"),
            ("rule", "greedy"),
        ],
    )
    .await;
    propose(&site, ana, &basket, "Roof", &[("Tiles", "300", false)]).await;
    propose(&site, ana, &basket, "Gate", &[("Hinges", "300", false)]).await;
    let page = ana.get(&site, &basket).await;
    page.shows("their minimum costs must fit in 500.00 EUR");
    let (roof, gate) = (project_on(&page, "Roof"), project_on(&page, "Gate"));
    let vote = format!("{basket}/vote");
    ana.act_and_see(
        &site,
        &basket,
        &vote,
        &[("project", &roof), ("project", &gate)],
        "(budget_ballot_invalid)",
    )
    .await;
    ana.act_and_see(
        &site,
        &basket,
        &vote,
        &[("project", &roof)],
        "ballot is cast",
    )
    .await;
    let list = ana.get(&site, &format!("{path}/budgets")).await;
    list.shows("Tool fund");
    list.shows("Repairs");
    list.shows("you voted");
}
