//! Router tests of the web UI: accounts, sessions, CSRF, escaping, authorization and the
//! explorer, driven through `tower::ServiceExt::oneshot` with a cookie jar of our own.
#![allow(clippy::unwrap_used)]

mod site;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use commons_ledger::{CommonsId, SecretKey};
use commons_node::NewCommonsPolicy;
use commons_store::AccountStore;
use commons_testkit::{T0_MS, key};
use commons_web::{WebConfig, router};
use site::{Browser, Page, Site, capture_log, site, site_with};

impl Browser {
    /// Posts `fields` to the action `{page}/{action}` with a token from `page`.
    async fn act(
        &mut self,
        site: &Site,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        self.submit(site, page, &format!("{page}/{action}"), fields)
            .await
    }

    async fn log_in(&mut self, site: &Site, email: &str, password: &str) -> Page {
        self.submit(
            site,
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    async fn create_commons(&mut self, site: &Site, name: &str) -> Page {
        self.submit(
            site,
            "/new",
            "/new",
            &[("name", name), ("licence", "CC-BY-SA-4.0")],
        )
        .await
    }
}

#[tokio::test]
async fn register_log_out_and_log_in_again() {
    let site = site().await;
    let mut browser = Browser::new(1);
    let answer = browser
        .register_as(&site, "Rozenn", "Rozenn@Example.org")
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    assert_eq!(answer.location(), "/");
    let home = browser.get(&site, "/").await;
    assert!(home.text.contains("id=\"nav-account\""));
    assert!(
        home.text.contains("Welcome, Rozenn"),
        "the flash shows once"
    );
    assert!(home.text.contains("id=\"create-commons\""));
    assert!(
        !browser
            .get(&site, "/")
            .await
            .text
            .contains("Welcome, Rozenn")
    );

    let csrf = home.csrf();
    let out = browser.post(&site, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let home = browser.get(&site, "/").await;
    assert!(home.text.contains("id=\"nav-login\""));
    assert!(!home.text.contains("id=\"create-commons\""));

    // The e-mail address is matched without regard to case or surrounding space.
    let back = browser
        .log_in(&site, " rozenn@example.ORG ", "correct horse battery")
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.text);
    assert!(
        browser
            .get(&site, "/account")
            .await
            .text
            .contains("rozenn@example.org")
    );

    let wrong = Browser::new(2)
        .log_in(&site, "rozenn@example.org", "not the password")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("do not match"));
}

#[tokio::test]
async fn registration_refuses_bad_input_with_a_clear_message_and_stores_nothing() {
    let site = site().await;
    let mut browser = Browser::new(1);
    let cases: [(&str, &str, &str, &str, &str); 4] = [
        (
            "",
            "a@example.org",
            "long enough pw",
            "long enough pw",
            "display name",
        ),
        (
            "Anna",
            "not-an-address",
            "long enough pw",
            "long enough pw",
            "e-mail",
        ),
        ("Anna", "a@example.org", "short", "short", "at least 10"),
        (
            "Anna",
            "a@example.org",
            "long enough pw",
            "different pw!!",
            "differ",
        ),
    ];
    for (name, email, password, confirm, expected) in cases {
        let answer = browser
            .submit(
                &site,
                "/register",
                "/register",
                &[
                    ("display_name", name),
                    ("email", email),
                    ("password", password),
                    ("password_confirm", confirm),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            answer.text.contains(expected),
            "{expected}: {}",
            answer.text
        );
    }
    assert_eq!(site.node.store().count_accounts().await.unwrap(), 0);
    browser.register_as(&site, "Anna", "anna@example.org").await;
    let again = Browser::new(2)
        .register_as(&site, "Other", "ANNA@example.org")
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text.contains("exists"));
    assert_eq!(site.node.store().count_accounts().await.unwrap(), 1);
}

#[tokio::test]
async fn session_cookies_are_http_only_secure_and_same_site() {
    let site = site().await;
    let mut browser = Browser::new(1);
    let answer = browser.register_as(&site, "Gwen", "gwen@example.org").await;
    let session = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("commons_session="))
        .expect("a session cookie");
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{flag} missing from {session}");
    }
    let visitor = Browser::new(2).get(&site, "/").await.set_cookies();
    assert!(visitor.iter().any(|c| c.starts_with("commons_visitor=")
        && c.contains("HttpOnly")
        && c.contains("Secure")));
}

#[tokio::test]
async fn the_session_id_changes_at_login_and_a_planted_one_is_never_used() {
    let site = site().await;
    let mut browser = Browser::new(1);
    browser
        .register_as(&site, "Loeiz", "loeiz@example.org")
        .await;
    let first = browser.cookies["commons_session"].clone();
    let csrf = browser.get(&site, "/").await.csrf();
    browser.post(&site, "/logout", &[("csrf", &csrf)]).await;

    // An attacker plants a session id of their choosing before the victim logs in.
    let planted = "ab".repeat(32);
    browser
        .cookies
        .insert("commons_session".into(), planted.clone());
    browser
        .log_in(&site, "loeiz@example.org", "correct horse battery")
        .await;
    let second = browser.cookies["commons_session"].clone();
    assert_ne!(second, planted);
    assert_ne!(second, first);

    // Logging in again in the same browser issues yet another id and ends the old one.
    browser
        .log_in(&site, "loeiz@example.org", "correct horse battery")
        .await;
    let third = browser.cookies["commons_session"].clone();
    assert_ne!(third, second);
    let mut stale = Browser::new(3);
    stale.cookies.insert("commons_session".into(), second);
    assert!(
        stale
            .get(&site, "/")
            .await
            .text
            .contains("id=\"nav-login\"")
    );
}

#[tokio::test]
async fn a_form_without_this_browsers_csrf_token_is_refused_and_changes_nothing() {
    let site = site().await;
    let mut victim = Browser::new(1);
    victim
        .register_as(&site, "Victim", "victim@example.org")
        .await;
    let attacker_token = Browser::new(2).get(&site, "/register").await.csrf();

    let missing = victim
        .post(&site, "/new", &[("name", "Forged"), ("licence", "MIT")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.text.contains("Forbidden"));
    let foreign = victim
        .post(
            &site,
            "/new",
            &[
                ("name", "Forged"),
                ("licence", "MIT"),
                ("csrf", &attacker_token),
            ],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert!(site.node.list_commons().is_empty());

    let logout = victim.post(&site, "/logout", &[]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert!(
        victim
            .get(&site, "/")
            .await
            .text
            .contains("id=\"nav-account\"")
    );

    let mut visitor = Browser::new(3);
    let login = visitor
        .post(
            &site,
            "/login",
            &[
                ("email", "victim@example.org"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert!(!visitor.cookies.contains_key("commons_session"));
}

#[tokio::test]
async fn markup_in_names_and_bodies_is_escaped_on_every_page() {
    let site = site().await;
    let mut browser = Browser::new(1);
    let evil = "<script>alert('x')</script>";
    browser.register_as(&site, evil, "evil@example.org").await;
    let created = browser.create_commons(&site, "<script>name</script>").await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let commons = site.commons().to_hex();
    let page = browser.get(&site, &format!("/c/{commons}/events")).await;
    let first_event = page
        .text
        .split("class=\"event-link\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let account = site
        .node
        .store()
        .account_by_email("evil@example.org")
        .await
        .unwrap()
        .unwrap();
    let account_key = site.node.store().account_keys(account.id).await.unwrap()[0].key;
    for path in [
        "/".to_owned(),
        "/account".to_owned(),
        format!("/c/{commons}"),
        format!("/c/{commons}/events"),
        first_event,
        format!("/c/{commons}/agents/{}", account_key.to_hex()),
    ] {
        let page = browser.get(&site, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.text.contains("<script>"), "{path} has raw markup");
        assert!(
            page.text.contains("&lt;script&gt;"),
            "{path} shows the name escaped"
        );
    }
}

#[tokio::test]
async fn a_person_creates_a_commons_browses_it_and_downloads_a_receipt_that_verifies() {
    let site = site().await;
    let mut browser = Browser::new(1);
    browser
        .register_as(&site, "Morgane", "morgane@example.org")
        .await;
    let created = browser.create_commons(&site, "Seed library").await;
    let commons = site.commons();
    assert_eq!(created.location(), format!("/c/{}", commons.to_hex()));
    let view = site.node.commons(&commons).unwrap();
    let account = site
        .node
        .store()
        .account_by_email("morgane@example.org")
        .await
        .unwrap()
        .unwrap();
    let key = site.node.store().account_keys(account.id).await.unwrap()[0].key;
    assert_eq!(view.governance.maintainers, vec![key]);
    assert_eq!(view.governance.sequencer, site.node.sequencer_key());

    let overview = browser
        .get(&site, &format!("/c/{}", commons.to_hex()))
        .await;
    assert!(overview.text.contains("Seed library created") || overview.text.contains("is created"));
    assert!(overview.text.contains("You maintain this commons"));
    let events = browser
        .get(&site, &format!("/c/{}/events", commons.to_hex()))
        .await;
    assert!(events.text.contains("commons.genesis"));
    assert!(events.text.contains("agent.profile"));
    assert!(events.text.contains("Morgane"));
    let filtered = browser
        .get(
            &site,
            &format!("/c/{}/events?kind=agent.profile", commons.to_hex()),
        )
        .await;
    assert_eq!(filtered.text.matches("class=\"event-row\"").count(), 1);
    let bad_filter = browser
        .get(
            &site,
            &format!("/c/{}/events?from=2026-02-30", commons.to_hex()),
        )
        .await;
    assert_eq!(bad_filter.status, StatusCode::BAD_REQUEST);

    let genesis = format!("/c/{0}/events/{0}", commons.to_hex());
    let event = browser.get(&site, &genesis).await;
    assert!(event.text.contains("Signature valid"));
    assert!(event.text.contains("id=\"event-body\""));
    assert!(event.text.contains("Seed library"));
    let receipt = browser.get(&site, &format!("{genesis}/receipt")).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(
        receipt.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"commons-receipt-")
    );
    let verdict = commons_node::receipt::verify_receipt_text(
        &receipt.text,
        Some(&site.node.sequencer_key().to_hex()),
    )
    .unwrap();
    assert!(verdict.starts_with("ok:"));

    // The verify page checks it too, and refuses a changed one.
    let verify_path = format!("/c/{}/verify", commons.to_hex());
    let checked = browser
        .submit(
            &site,
            &verify_path,
            &verify_path,
            &[("receipt", &receipt.text)],
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK);
    assert!(checked.text.contains("ok: event"));
    let tampered = receipt.text.replacen('A', "B", 1);
    let refused = browser
        .submit(&site, &verify_path, &verify_path, &[("receipt", &tampered)])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn writes_need_a_login_and_the_nodes_permission() {
    let site = site_with(
        NewCommonsPolicy::Only(Default::default()),
        WebConfig::default().without_rate_limit(),
    )
    .await;
    let mut anonymous = Browser::new(1);
    let page = anonymous.get(&site, "/new").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login");
    let mut browser = Browser::new(2);
    browser
        .register_as(&site, "Outsider", "out@example.org")
        .await;
    assert!(
        !browser
            .get(&site, "/")
            .await
            .text
            .contains("id=\"create-commons\"")
    );
    let refused = browser.create_commons(&site, "Not allowed").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text.contains("Forbidden"));
    assert!(site.node.list_commons().is_empty());
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_address() {
    let site = site_with(
        NewCommonsPolicy::Anyone,
        WebConfig::default().without_rate_limit(),
    )
    .await;
    let mut browser = Browser::new(1);
    let csrf = browser.get(&site, "/login").await.csrf();
    let mut statuses = Vec::new();
    for _ in 0..=commons_web::ui::LOGIN_ATTEMPTS_BURST {
        let page = browser
            .post(
                &site,
                "/login",
                &[
                    ("email", "x@example.org"),
                    ("password", "wrong password"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        statuses.push(page.status);
    }
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED)
    );
    assert_eq!(*statuses.last().unwrap(), StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected.
    let other = Browser::new(2)
        .log_in(&site, "x@example.org", "wrong password")
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_the_password_logs_out_other_browsers() {
    let site = site().await;
    let mut laptop = Browser::new(1);
    laptop
        .register_as(&site, "Nolwenn", "nolwenn@example.org")
        .await;
    let mut phone = Browser::new(2);
    phone
        .log_in(&site, "nolwenn@example.org", "correct horse battery")
        .await;
    let changed = laptop
        .submit(
            &site,
            "/account",
            "/account/password",
            &[
                ("current_password", "correct horse battery"),
                ("new_password", "a new long password"),
                ("new_password_confirm", "a new long password"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text);
    assert!(
        laptop
            .get(&site, "/")
            .await
            .text
            .contains("id=\"nav-account\"")
    );
    assert!(
        phone
            .get(&site, "/")
            .await
            .text
            .contains("id=\"nav-login\"")
    );
    let old = Browser::new(3)
        .log_in(&site, "nolwenn@example.org", "correct horse battery")
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deleting_an_account_erases_personal_data_but_keeps_public_events() {
    let site = site().await;
    let mut browser = Browser::new(1);
    browser
        .register_as(&site, "Tanguy", "tanguy@example.org")
        .await;
    browser.create_commons(&site, "Repair café").await;
    let commons = site.commons();
    let account = site
        .node
        .store()
        .account_by_email("tanguy@example.org")
        .await
        .unwrap()
        .unwrap();
    let key = site.node.store().account_keys(account.id).await.unwrap()[0].key;
    let refused = browser
        .submit(
            &site,
            "/account",
            "/account/delete",
            &[("password", "correct horse battery"), ("confirm", "nope")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = browser
        .submit(
            &site,
            "/account",
            "/account/delete",
            &[("password", "correct horse battery"), ("confirm", "delete")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.text);
    assert!(!browser.cookies.contains_key("commons_session"));
    assert!(
        site.node
            .store()
            .account_by_email("tanguy@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        site.node
            .store()
            .account_by_key(&key)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(site.node.store().count_accounts().await.unwrap(), 0);
    // The ledger keeps what the key signed, under the published name.
    let agent = browser
        .get(
            &site,
            &format!("/c/{}/agents/{}", commons.to_hex(), key.to_hex()),
        )
        .await;
    assert_eq!(agent.status, StatusCode::OK);
    assert!(agent.text.contains("Tanguy"));
    assert!(!agent.text.contains("tanguy@example.org"));
    assert_eq!(
        site.node.commons(&commons).unwrap().governance.maintainers,
        vec![key]
    );
}

#[tokio::test]
async fn a_key_held_elsewhere_is_linked_by_signing_the_challenge() {
    let site = site().await;
    let mut browser = Browser::new(1);
    browser
        .register_as(&site, "Soazig", "soazig@example.org")
        .await;
    let page = browser.get(&site, "/account").await;
    let start = page.text.find("commons-link-key-v1:").unwrap();
    let challenge: String = page.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<')
        .collect();
    let held = SecretKey::from_seed([42; 32]);
    let wrong = hex::encode(held.sign(b"something else").0);
    let refused = browser
        .submit(
            &site,
            "/account",
            "/account/keys",
            &[("key", &held.author_key().to_hex()), ("signature", &wrong)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let signature = hex::encode(held.sign(challenge.as_bytes()).0);
    let linked = browser
        .submit(
            &site,
            "/account",
            "/account/keys",
            &[
                ("key", &held.author_key().to_hex()),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.text);
    let account = site
        .node
        .store()
        .account_by_key(&held.author_key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.display_name, "Soazig");
    // Another account cannot claim the same key.
    let mut other = Browser::new(2);
    other.register_as(&site, "Other", "other@example.org").await;
    let page = other.get(&site, "/account").await;
    let start = page.text.find("commons-link-key-v1:").unwrap();
    let challenge: String = page.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<')
        .collect();
    let signature = hex::encode(held.sign(challenge.as_bytes()).0);
    let taken = other
        .submit(
            &site,
            "/account",
            "/account/keys",
            &[
                ("key", &held.author_key().to_hex()),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn unknown_pages_get_a_finished_404_and_the_api_keeps_json() {
    let site = site().await;
    let mut browser = Browser::new(1);
    let page = browser.get(&site, "/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text.contains("<main id=\"main\""));
    assert!(page.text.contains("Not found"));
    let commons = browser.get(&site, &format!("/c/{}", "00".repeat(32))).await;
    assert_eq!(commons.status, StatusCode::NOT_FOUND);
    let api = browser.get(&site, "/api/v1/nothing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.text.starts_with('{'));
    let css = browser.get(&site, "/static/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn the_web_secret_never_shows_in_debug_output() {
    let config = WebConfig::default();
    let shown = format!("{config:?}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[tokio::test]
async fn the_api_answers_the_same_authorization_question_the_ledger_applies() {
    let site = site().await;
    let mut browser = Browser::new(1);
    browser
        .register_as(&site, "Maintainer", "m@example.org")
        .await;
    browser.create_commons(&site, "Orchard").await;
    let commons = site.commons().to_hex();
    let maintainer = site
        .node
        .commons(&site.commons())
        .unwrap()
        .governance
        .maintainers[0];
    let stranger = SecretKey::from_seed([5; 32]).author_key();
    let ask = |author: String, kind: &str| {
        format!("/api/v1/commons/{commons}/authorize?author={author}&kind={kind}")
    };

    let yes = browser
        .get(&site, &ask(maintainer.to_hex(), "gov.update"))
        .await;
    assert_eq!(yes.status, StatusCode::OK);
    let yes: serde_json::Value = serde_json::from_str(&yes.text).unwrap();
    assert_eq!(yes["allowed"], true);
    assert_eq!(yes["role"], "maintainer");

    let no = browser
        .get(&site, &ask(stranger.to_hex(), "gov.update"))
        .await;
    let no: serde_json::Value = serde_json::from_str(&no.text).unwrap();
    assert_eq!(no["allowed"], false);
    assert_eq!(no["code"], "not_authorised");

    // The ledger refuses that event with the same code and a 403.
    let event = commons_ledger::Event::sign(
        &SecretKey::from_seed([5; 32]),
        Some(site.commons()),
        0,
        None,
        vec![],
        T0_MS,
        commons_ledger::Kind::new("gov.update").unwrap(),
        Some(&commons_ledger::cbor::Value::text_map([(
            "threshold",
            commons_ledger::cbor::Value::Unsigned(1),
        )])),
    );
    let request = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/cbor")
        .body(Body::from(event.envelope().encode()))
        .unwrap();
    let refused = browser.send(&site, request).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text.contains("not_authorised"));

    let anyone = browser
        .get(&site, &ask(stranger.to_hex(), "agent.profile"))
        .await;
    assert!(anyone.text.contains("\"allowed\":true"));
    let unknown = browser.get(&site, &ask(stranger.to_hex(), "no.such")).await;
    assert!(unknown.text.contains("unknown_kind"));
    let missing = browser
        .get(
            &site,
            &format!(
                "/api/v1/commons/{}/authorize?author={}&kind=agent.profile",
                "11".repeat(32),
                stranger.to_hex()
            ),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let malformed = browser.get(&site, &ask("zz".into(), "agent.profile")).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sessions_expire_and_expired_ones_are_purged_at_the_next_login() {
    let site = site().await;
    let clock = site.clock.clone();
    let mut old = Browser::new(1);
    old.register_as(&site, "Erwan", "erwan@example.org").await;
    let token = old.cookies["commons_session"].clone();
    clock.advance(commons_web::ui::session::SESSION_TTL_MS);
    assert!(old.get(&site, "/").await.text.contains("id=\"nav-login\""));
    let mut planted = Browser::new(2);
    planted
        .cookies
        .insert("commons_session".into(), token.clone());
    assert!(
        planted
            .get(&site, "/")
            .await
            .text
            .contains("id=\"nav-login\"")
    );
    let mut again = Browser::new(3);
    again
        .log_in(&site, "erwan@example.org", "correct horse battery")
        .await;
    assert!(
        again
            .get(&site, "/")
            .await
            .text
            .contains("id=\"nav-account\"")
    );
    let hash = commons_web::ui::secret::token_hash(&token);
    assert!(site.node.store().session(&hash).await.unwrap().is_none());
}

#[tokio::test]
async fn a_failing_page_shows_the_finished_500_page_without_details() {
    let response = commons_web::ui::panic_page(Box::new("secret detail /var/lib/x".to_owned()));
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("Something went wrong"));
    assert!(text.contains("<main id=\"main\""));
    assert!(!text.contains("secret detail"));
}

#[tokio::test]
async fn a_member_publishes_a_profile_signed_with_their_account_key() {
    let site = site().await;
    let mut founder = Browser::new(1);
    founder.register_as(&site, "Founder", "f@example.org").await;
    founder.create_commons(&site, "Bike kitchen").await;
    let commons = site.commons();
    let path = format!("/c/{}", commons.to_hex());
    // The founder's profile is already published: nothing to offer.
    assert!(
        !founder
            .get(&site, &path)
            .await
            .text
            .contains("id=\"profile-form\"")
    );
    let mut member = Browser::new(2);
    member.register_as(&site, "Klervi", "k@example.org").await;
    let overview = member.get(&site, &path).await;
    assert!(overview.text.contains("id=\"profile-form\""));
    let size = site.node.commons(&commons).unwrap().size;
    // The listing is rendered once per ledger size: it must show what comes after.
    let before = member
        .get(&site, &format!("{path}/events?kind=agent.profile"))
        .await;
    assert_eq!(before.text.matches("class=\"event-row\"").count(), 1);
    let published = member
        .act(&site, &path, "profile", &[("kind", "person")])
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.text
    );
    assert!(site.node.commons(&commons).unwrap().size > size);
    let page = member.get(&site, &path).await;
    assert!(page.text.contains("is published"));
    assert!(!page.text.contains("id=\"profile-form\""));
    let events = member
        .get(&site, &format!("{path}/events?kind=agent.profile"))
        .await;
    assert_eq!(events.text.matches("class=\"event-row\"").count(), 2);
    assert!(events.text.contains(">Klervi</a>"));
    // Anonymous visitors are sent to log in.
    let mut anonymous = Browser::new(3);
    let csrf = anonymous.get(&site, "/login").await.csrf();
    let refused = anonymous
        .post(
            &site,
            &format!("{path}/profile"),
            &[("kind", "person"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.location(), "/login");
}

#[tokio::test]
async fn the_explorer_pages_through_a_long_ledger_with_its_filters_kept() {
    let test = commons_testkit::TestNode::start().await;
    let maintainer = key(1);
    let commons = test.create_commons(&maintainer, "Long ledger").await;
    let mut author = commons_testkit::Author::new(key(2), commons);
    let mut envelopes = vec![author.profile("Writer").envelope().encode()];
    for i in 0..120 {
        let body = commons_testkit::profile_body(&format!("Writer {i}"), "person");
        envelopes.push(
            author
                .sign("agent.profile", &body, vec![], T0_MS)
                .envelope()
                .encode(),
        );
    }
    for answer in test.node.submit_many(&envelopes).await {
        answer.unwrap();
    }
    let site = Site {
        router: router(test.node.clone(), WebConfig::default().without_rate_limit()),
        node: test.node.clone(),
        clock: commons_node::ManualClock::new(T0_MS),
        dir: tempfile::tempdir().unwrap(),
    };
    let mut browser = Browser::new(1);
    let path = format!("/c/{}/events?kind=agent.profile", commons.to_hex());
    let mut seen = 0;
    let mut next = Some(path);
    let mut pages = 0;
    while let Some(path) = next.take() {
        let page = browser.get(&site, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        seen += page.text.matches("class=\"event-row\"").count();
        pages += 1;
        next = page
            .text
            .split("id=\"older\" href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|href| href.replace("&amp;", "&"));
        if let Some(next) = &next {
            assert!(next.contains("kind=agent.profile"), "{next}");
        }
    }
    assert_eq!(seen, 121);
    assert_eq!(pages, 3);
}

#[test]
fn rendered_fragments_are_bounded() {
    let fragments = commons_web::ui::Fragments::default();
    for i in 0..commons_web::ui::FRAGMENTS_MAX + 10 {
        fragments.put(format!("key {i}"), std::sync::Arc::from("html"));
    }
    assert_eq!(fragments.len(), commons_web::ui::FRAGMENTS_MAX);
    assert!(fragments.get("key 0").is_none());
    assert!(
        fragments
            .get(&format!("key {}", commons_web::ui::FRAGMENTS_MAX + 9))
            .is_some()
    );
}

/// Every page and API route a visitor can reach about `commons`, as seen by `browser`.
async fn crawl(site: &Site, browser: &mut Browser, commons: &str, keys: &[String]) -> String {
    let mut seen = String::new();
    let mut paths = vec![
        "/".to_owned(),
        "/account".to_owned(),
        format!("/c/{commons}"),
        format!("/c/{commons}/events"),
        format!("/c/{commons}/verify"),
        format!("/api/v1/commons"),
        format!("/api/v1/commons/{commons}"),
        format!("/api/v1/commons/{commons}/events?limit=100"),
        format!("/api/v1/commons/{commons}/checkpoint"),
        "/api/v1/node".to_owned(),
        "/metrics".to_owned(),
    ];
    for key in keys {
        paths.push(format!("/c/{commons}/agents/{key}"));
    }
    let events = browser.get(site, &format!("/c/{commons}/events")).await;
    for href in events.text.split("class=\"event-link\" href=\"").skip(1) {
        let href = href.split('"').next().unwrap();
        paths.push(href.to_owned());
        paths.push(format!("{href}/receipt"));
    }
    for path in paths {
        let page = browser.get(site, &path).await;
        seen.push_str(&page.text);
        for value in page.headers.values() {
            seen.push_str(value.to_str().unwrap_or(""));
        }
    }
    seen
}

#[tokio::test]
async fn no_page_or_api_route_shows_one_accounts_private_data_to_another() {
    let secret = commons_web::ui::secret::WebSecret::from_bytes([9; 32]);
    let mut config = WebConfig::default().without_rate_limit();
    config.ui.secret = secret.clone();
    let site = site_with(NewCommonsPolicy::Anyone, config).await;
    let mut alice = Browser::new(1);
    alice
        .register_as(&site, "Alice", "alice.private@example.org")
        .await;
    alice.create_commons(&site, "Shared garden").await;
    let mut bob = Browser::new(2);
    bob.register_as(&site, "Bob", "bob.private@example.org")
        .await;
    let commons = site.commons().to_hex();
    let path = format!("/c/{commons}");
    bob.act(&site, &path, "profile", &[("kind", "person")])
        .await;

    let store = site.node.store();
    let alice_account = store
        .account_by_email("alice.private@example.org")
        .await
        .unwrap()
        .unwrap();
    let alice_keys = store.account_keys(alice_account.id).await.unwrap();
    let sealed = alice_keys[0].sealed_secret.clone().unwrap();
    let seed = hex::encode(secret.open(&sealed).unwrap());
    let keys: Vec<String> = vec![alice_keys[0].key.to_hex()];
    let private = [
        "alice.private@example.org".to_owned(),
        seed.clone(),
        hex::encode(&sealed),
        alice_account.password_hash.clone(),
    ];

    let seen_by_bob = crawl(&site, &mut bob, &commons, &keys).await;
    let seen_by_anyone = crawl(&site, &mut Browser::new(3), &commons, &keys).await;
    for (who, seen) in [("bob", &seen_by_bob), ("a visitor", &seen_by_anyone)] {
        for secret in &private {
            assert!(!seen.contains(secret.as_str()), "{who} saw {secret}");
        }
    }
    // Bob sees his own e-mail on his account page, and Alice's public name.
    assert!(seen_by_bob.contains("bob.private@example.org"));
    assert!(seen_by_bob.contains("Alice"));
    // Alice's own pages never show her seed either.
    let seen_by_alice = crawl(&site, &mut alice, &commons, &keys).await;
    assert!(!seen_by_alice.contains(&seed));
    assert!(!seen_by_alice.contains("bob.private@example.org"));
}

#[tokio::test]
async fn passwords_never_reach_the_log() {
    let (captured, _guard) = capture_log();
    let site = site().await;
    let mut browser = Browser::new(1);
    browser
        .register_as(&site, "Logged", "logged@example.org")
        .await;
    browser
        .submit(
            &site,
            "/account",
            "/account/password",
            &[
                ("current_password", "correct horse battery"),
                ("new_password", "another secret phrase"),
                ("new_password_confirm", "another secret phrase"),
            ],
        )
        .await;
    let mut other = Browser::new(2);
    other
        .log_in(&site, "logged@example.org", "a wrong secret phrase")
        .await;
    // Make sure something was logged at all, so the check below means something.
    tracing::info!("end of the password test");
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("end of the password test"));
    for password in [
        "correct horse battery",
        "another secret phrase",
        "a wrong secret phrase",
    ] {
        assert!(!log.contains(password), "the log shows a password");
    }
}

#[tokio::test]
async fn registrations_are_rate_limited_per_address() {
    let site = site().await;
    let mut browser = Browser::new(1);
    let csrf = browser.get(&site, "/register").await.csrf();
    let mut last = StatusCode::OK;
    for i in 0..=commons_web::ui::LOGIN_ATTEMPTS_BURST {
        let email = format!("person{i}@example.org");
        last = browser
            .post(
                &site,
                "/register",
                &[
                    ("display_name", "Someone"),
                    ("email", &email),
                    ("password", "short"),
                    ("password_confirm", "short"),
                    ("csrf", &csrf),
                ],
            )
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

// ---------------------------------------------------------------------------------------
// Peer production

/// A commons made by "Founder" (its maintainer) with one area, `docs`, whose one
/// maintainer is the founder and whose rule is one maintainer's approval.
async fn commons_with_area(site: &Site, founder: &mut Browser) -> String {
    founder
        .register_as(site, "Founder", "founder@example.org")
        .await;
    founder.create_commons(site, "Repair café").await;
    let path = format!("/c/{}", site.commons().to_hex());
    let created = founder
        .submit(
            site,
            &format!("{path}/areas"),
            &format!("{path}/areas"),
            &[
                ("name", "Documentation"),
                ("slug", "docs"),
                ("description", "Guides for <b>fixing</b> things."),
                ("rule", "maintainers"),
                ("approvals", "1"),
                ("chores", "proofread"),
                ("threshold", "1"),
                ("claim_days", "14"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    assert_eq!(created.location(), format!("{path}/areas/docs"));
    path
}

/// The flash message the next page shows says `part`.
async fn assert_flash(browser: &mut Browser, site: &Site, page: &str, part: &str) {
    let message = browser.flash(site, page).await;
    assert!(
        message.contains(part),
        "the flash says {message:?}, not {part:?}"
    );
}

/// The id at the end of a redirect to `…/{kind}/{id}`.
fn created_id(page: &Page, kind: &str) -> String {
    let location = page.location();
    let marker = format!("/{kind}/");
    let id = &location[location
        .rfind(&marker)
        .expect("a page of the created thing")
        + marker.len()..];
    assert_eq!(id.len(), 64, "{location}");
    id.to_owned()
}

#[tokio::test]
async fn every_peer_production_page_has_a_finished_empty_state() {
    let site = site().await;
    let mut founder = Browser::new(1);
    founder
        .register_as(&site, "Founder", "founder@example.org")
        .await;
    founder.create_commons(&site, "Empty commons").await;
    let path = format!("/c/{}", site.commons().to_hex());
    for (page, empty) in [
        ("/areas", "No areas yet"),
        ("/tasks", "No open tasks here"),
        ("/contributions", "No contributions here"),
        ("/artifacts", "No artifacts yet"),
        ("/statistics", "No accepted work yet"),
        ("/notifications", "Nothing yet"),
        ("/tasks/new", "has no areas yet"),
        ("/contributions/new", "has no areas yet"),
    ] {
        let shown = founder.get(&site, &format!("{path}{page}")).await;
        assert_eq!(shown.status, StatusCode::OK, "{page}: {}", shown.text);
        assert!(shown.text.contains(empty), "{page} says {empty:?}");
        assert!(
            shown.text.contains("aria-label=\"Empty commons\""),
            "{page} has the commons navigation"
        );
    }
    // The founder maintains the commons, so the areas page offers to create one; the
    // overview links the new pages.
    assert!(
        founder
            .get(&site, &format!("{path}/areas"))
            .await
            .text
            .contains("id=\"new-area-form\"")
    );
    let overview = founder.get(&site, &path).await.text;
    for link in ["/tasks\"", "/areas\"", "/contributions\"", "/statistics\""] {
        assert!(overview.contains(&format!("href=\"{path}{link}")), "{link}");
    }
    for chart in [
        "contributors-per-month",
        "time-to-decision",
        "review-load",
        "paid-share",
        "chores",
    ] {
        let svg = founder
            .get(&site, &format!("{path}/statistics/{chart}.svg"))
            .await;
        assert_eq!(svg.status, StatusCode::OK);
        assert_eq!(svg.headers[header::CONTENT_TYPE], "image/svg+xml");
        assert!(svg.text.starts_with("<svg role=\"img\""), "{chart}");
        assert!(!svg.text.contains("1970-01-01"), "{chart} is not dated");
    }
    assert_eq!(
        founder
            .get(&site, &format!("{path}/statistics/nope.svg"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Others see no create form; unknown things are finished 404 pages.
    let mut visitor = Browser::new(2);
    assert!(
        !visitor
            .get(&site, &format!("{path}/areas"))
            .await
            .text
            .contains("new-area-form")
    );
    for missing in [
        "/areas/nope",
        "/tasks/00",
        &format!("/tasks/{}", "ab".repeat(32)),
        "/contributions?area=nope",
    ] {
        let page = visitor.get(&site, &format!("{path}{missing}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{missing}");
        assert!(page.text.contains("<main"), "{missing}");
    }
    // Notifications are personal.
    assert_eq!(
        visitor
            .get(&site, &format!("{path}/notifications"))
            .await
            .location(),
        "/login"
    );
}

#[tokio::test]
async fn a_newcomer_posts_a_task_another_claims_and_contributes_it_and_a_maintainer_accepts() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = commons_with_area(&site, &mut founder).await;
    let area = founder.get(&site, &format!("{path}/areas/docs")).await.text;
    assert!(area.contains("Guides for &lt;b&gt;fixing&lt;&#x2f;b&gt; things."));
    assert!(area.contains("1 area maintainer has approved"));
    assert!(area.contains("proofread"));

    // A newcomer posts a task.
    let mut newcomer = Browser::join_as(&site, &path, 2, "Nolwenn", "person").await;
    let posted = newcomer
        .submit(
            &site,
            &format!("{path}/tasks/new?area=docs"),
            &format!("{path}/tasks"),
            &[
                ("area", "docs"),
                ("title", "Write the kettle guide"),
                ("description", "Descale, then <i>check</i> the element."),
                ("labels", "kitchen, guide"),
                ("effort_hours", "3"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let task = created_id(&posted, "tasks");
    let task_path = format!("{path}/tasks/{task}");
    assert_eq!(
        newcomer.flash(&site, &task_path).await,
        "Your task is posted."
    );
    let page = newcomer.get(&site, &task_path).await.text;
    assert!(page.contains("Descale, then &lt;i&gt;check&lt;&#x2f;i&gt; the element."));
    assert!(page.contains("about 3 hours"));
    // On the board, with its score broken down and the ranking explained.
    let board = newcomer.get(&site, &format!("{path}/tasks")).await.text;
    assert!(board.contains("Write the kettle guide"));
    assert!(
        board.contains("each \\\"I need this too\\\" adds 3 points")
            || board.contains("adds 3 points")
    );
    assert!(board.contains("0 need it: 0"));
    // A refused task comes back filled in with core's reason.
    let refused = newcomer
        .submit(
            &site,
            &format!("{path}/tasks/new"),
            &format!("{path}/tasks"),
            &[
                ("area", "docs"),
                ("title", "Too big"),
                ("description", "Kept"),
                ("effort_hours", "99999"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("(body_invalid)"), "{}", refused.text);
    assert!(refused.text.contains(">Kept</textarea>"));
    let filtered = newcomer
        .get(&site, &format!("{path}/tasks?label=bike"))
        .await
        .text;
    assert!(filtered.contains("No open tasks here"));

    // Another person signals, pledges, claims it and contributes care work naming it.
    let mut helper = Browser::join_as(&site, &path, 3, "Yann", "person").await;
    let signalled = helper
        .act(&site, &task_path, "signal", &[("signal", "need")])
        .await;
    assert_eq!(signalled.status, StatusCode::SEE_OTHER);
    let pledged = helper
        .act(
            &site,
            &task_path,
            "pledge",
            &[("amount", "12.5"), ("currency", "eur"), ("note", "")],
        )
        .await;
    assert_eq!(pledged.status, StatusCode::SEE_OTHER);
    assert_flash(
        &mut helper,
        &site,
        &task_path,
        "12.50 EUR is recorded as a promise",
    )
    .await;
    let page = helper.get(&site, &task_path).await.text;
    assert!(page.contains("id=\"n-needs\">1<"));
    assert!(page.contains("promises <strong>12.50 EUR</strong>"));
    assert!(page.contains("no money has moved yet"));
    helper.act(&site, &task_path, "claim", &[]).await;
    let page = helper.get(&site, &task_path).await.text;
    assert!(page.contains("Claimed by"));
    assert!(page.contains("The claim lapses on"));
    assert!(page.contains("id=\"release-task\""));
    // The newcomer may not release someone else's claim.
    let refused = newcomer.act(&site, &task_path, "release", &[]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_flash(
        &mut newcomer,
        &site,
        &task_path,
        "The ledger refused this (",
    )
    .await;

    let form = helper
        .get(&site, &format!("{path}/contributions/new?task={task}"))
        .await
        .text;
    assert!(form.contains("Resolves “Write the kettle guide” once accepted."));
    assert!(form.contains("name=\"chore-0\" value=\"proofread\""));
    let submitted = helper
        .submit(
            &site,
            &format!("{path}/contributions/new?task={task}"),
            &format!("{path}/contributions"),
            &[
                ("area", "docs"),
                ("kind", "care"),
                ("title", "Kettle guide, tested at the café"),
                ("description", "Wrote it and tried it on three kettles."),
                ("tasks", &task),
                ("effort_hours", "2"),
                ("effort_minutes", "30"),
                ("evidence", ""),
                ("checklist", ""),
                ("chore-0", "proofread"),
            ],
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.text
    );
    let contribution = created_id(&submitted, "contributions");
    let contribution_path = format!("{path}/contributions/{contribution}");
    let page = helper.get(&site, &contribution_path).await.text;
    assert!(page.contains("Your contribution is submitted for review."));
    assert!(page.contains("id=\"contribution-status\" class=\"badge status-pending\""));
    assert!(page.contains("2 h 30 min"));
    assert!(page.contains("volunteer work"));
    assert!(page.contains("0 of 1 approval so far"));

    // A non-maintainer's approval does not count, and their rejection is refused.
    newcomer
        .act(
            &site,
            &contribution_path,
            "review",
            &[("verdict", "approve"), ("text", "")],
        )
        .await;
    let refused = newcomer
        .act(
            &site,
            &contribution_path,
            "reject",
            &[("reason", "I say so")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let message = newcomer.flash(&site, &contribution_path).await;
    assert!(message.contains("(not_area_maintainer)"), "{message}");
    let page = newcomer.get(&site, &contribution_path).await.text;
    assert!(page.contains("0 of 1 approval so far"));

    // The area maintainer approves: accepted, the task resolved, the record counts it.
    let approved = founder
        .act(
            &site,
            &contribution_path,
            "review",
            &[("verdict", "approve"), ("text", "Clear and safe.")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let page = founder.get(&site, &contribution_path).await.text;
    assert!(page.contains("status-accepted"), "{page}");
    assert!(page.contains("Clear and safe."));
    assert!(page.contains("badge badge-ok\">counts"));
    let task_page = founder.get(&site, &task_path).await.text;
    assert!(task_page.contains("id=\"task-status\" class=\"badge status-resolved\""));
    assert!(
        !founder
            .get(&site, &format!("{path}/tasks"))
            .await
            .text
            .contains("Write the kettle guide")
    );
    let helper_key = site
        .node
        .store()
        .account_by_email("yann@example.org")
        .await
        .unwrap()
        .unwrap();
    let helper_key = site.node.store().account_keys(helper_key.id).await.unwrap()[0].key;
    let record = founder
        .get(&site, &format!("{path}/agents/{}", helper_key.to_hex()))
        .await
        .text;
    assert!(record.contains("id=\"record-accepted\">1<"), "{record}");
    assert!(record.contains("id=\"record-tasks\">1<"));
    assert!(record.contains("Kettle guide, tested at the café"));

    // The helper hears of the review and the decision; the badge counts them once.
    let overview = helper.get(&site, &path).await.text;
    assert!(overview.contains("id=\"unseen-count\">"), "{overview}");
    let ledger = helper.get(&site, &format!("{path}/events")).await.text;
    assert!(
        ledger.contains("id=\"unseen-count\">3<"),
        "two reviews and a decision"
    );
    let notices = helper
        .get(&site, &format!("{path}/notifications"))
        .await
        .text;
    assert!(notices.contains("reviewed your"));
    assert!(notices.contains("decided on your"));
    assert!(
        !helper
            .get(&site, &path)
            .await
            .text
            .contains("id=\"unseen-count\"")
    );

    // Statistics count the accepted volunteer work and the founder's review.
    let stats = founder.get(&site, &format!("{path}/statistics")).await.text;
    assert!(stats.contains("id=\"stat-accepted\">1<"));
    assert!(
        stats.contains("<td>&lt; 1 hour</td><td class=\"num\">1</td>"),
        "{stats}"
    );
    let chart = founder
        .get(&site, &format!("{path}/statistics/time-to-decision.svg"))
        .await
        .text;
    assert!(chart.contains("1 decision by how long they took; the median took 0 minutes."));
    assert!(
        stats.contains("<td>volunteer</td><td class=\"num\">1</td><td class=\"num\">100%</td>")
    );
    let lists = founder
        .get(&site, &format!("{path}/contributions?status=accepted"))
        .await
        .text;
    assert!(lists.contains("Kettle guide, tested at the café"));
    let none = founder
        .get(&site, &format!("{path}/contributions?status=rejected"))
        .await
        .text;
    assert!(none.contains("No contributions here"));
    // The area's feed lists what happened in it, newest first, linking to events.
    let area = founder.get(&site, &format!("{path}/areas/docs")).await.text;
    assert!(area.contains("contrib.review"));
    assert!(area.contains("task.post"));
    assert!(area.find("contrib.review") < area.find("task.post"));
}

#[tokio::test]
async fn refusals_come_back_with_cores_code_and_forms_need_the_csrf_token() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = commons_with_area(&site, &mut founder).await;
    let mut other = Browser::join_as(&site, &path, 2, "Other", "person").await;
    // Only commons maintainers create areas.
    let refused = other
        .submit(
            &site,
            &format!("{path}/areas"),
            &format!("{path}/areas"),
            &[("name", "Mine"), ("slug", "mine")],
        )
        .await;
    assert_eq!(refused.location(), format!("{path}/areas"));
    let message = other.flash(&site, &format!("{path}/areas")).await;
    assert!(
        message.starts_with("The ledger refused this ("),
        "{message}"
    );
    // A form without the token changes nothing.
    let size = site.node.commons(&site.commons()).unwrap().size;
    let forged = other
        .post(
            &site,
            &format!("{path}/tasks"),
            &[("area", "docs"), ("title", "Forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(site.node.commons(&site.commons()).unwrap().size, size);
    // Problems found before signing come back as a flash, and nothing is signed.
    let bad = other
        .submit(
            &site,
            &path,
            &format!("{path}/tasks/{}/pledge", "ab".repeat(32)),
            &[("amount", "1.234"), ("currency", "EUR")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::SEE_OTHER);
    assert_flash(&mut other, &site, &path, "at most two decimals").await;
    let unknown_task = other
        .submit(
            &site,
            &path,
            &format!("{path}/tasks/{}/claim", "ab".repeat(32)),
            &[],
        )
        .await;
    assert_eq!(unknown_task.status, StatusCode::SEE_OTHER);
    assert_flash(&mut other, &site, &path, "(task_unknown)").await;
    assert_eq!(site.node.commons(&site.commons()).unwrap().size, size);
    // Paid work names an organisation with a published profile.
    let paid = other
        .act(
            &site,
            &path,
            "contributions",
            &[
                ("area", "docs"),
                ("kind", "care"),
                ("title", "Paid <work>"),
                ("description", "What I did"),
                ("paid", "yes"),
                ("sponsor", "Other"),
                ("chore-0", "proofread"),
            ],
        )
        .await;
    // The form comes back filled in, with core's refusal.
    assert_eq!(paid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(paid.text.contains("id=\"form-error\""));
    assert!(paid.text.contains("(sponsor_unknown)"));
    assert!(paid.text.contains("value=\"Paid &lt;work&gt;\""));
    assert!(paid.text.contains(">What I did</textarea>"));
    assert!(paid.text.contains("value=\"care\" checked"));
    assert!(paid.text.contains("value=\"proofread\" checked"));
    Browser::join_as(&site, &path, 3, "Coop", "organisation").await;
    let paid = other
        .act(
            &site,
            &path,
            "contributions",
            &[
                ("area", "docs"),
                ("kind", "external"),
                ("title", "Paid fix"),
                ("paid", "yes"),
                ("sponsor", "coop"),
                ("evidence", "https://example.org/pr/1"),
                ("chore-0", "proofread"),
            ],
        )
        .await;
    let contribution = created_id(&paid, "contributions");
    let page = other
        .get(&site, &format!("{path}/contributions/{contribution}"))
        .await
        .text;
    assert!(page.contains(">Coop</a>"));
    assert!(page.contains("href=\"https:&#x2f;&#x2f;example.org&#x2f;pr&#x2f;1\""));
    // Logged-out writes go to the login page.
    let mut anonymous = Browser::new(4);
    let csrf = anonymous.get(&site, "/login").await.csrf();
    let page = anonymous
        .post(
            &site,
            &format!("{path}/tasks"),
            &[("area", "docs"), ("title", "x"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.location(), "/login");
}

#[tokio::test]
async fn threads_take_posts_replies_edits_mentions_and_hiding_by_maintainers() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = commons_with_area(&site, &mut founder).await;
    let mut ana = Browser::join_as(&site, &path, 2, "Ana", "person").await;
    let mut bo = Browser::join_as(&site, &path, 3, "Bo", "person").await;
    let area_path = format!("{path}/areas/docs");
    let on = {
        let page = ana.get(&site, &area_path).await.text;
        let marker = "name=\"on\" value=\"";
        let start = page.find(marker).unwrap() + marker.len();
        page[start..start + 5 + 64].to_owned()
    };
    assert!(on.starts_with("area:"));
    let posted = ana
        .submit(
            &site,
            &area_path,
            &format!("{path}/posts"),
            &[
                ("on", &on),
                ("text", "Who has <em>a</em> multimeter?"),
                ("mention", "Bo"),
            ],
        )
        .await;
    assert_eq!(posted.location(), format!("{area_path}#thread"));
    let page = bo.get(&site, &area_path).await.text;
    assert!(page.contains("Who has &lt;em&gt;a&lt;&#x2f;em&gt; multimeter?"));
    let post_id = {
        let marker = "id=\"post-";
        let start = page.find(marker).unwrap() + marker.len();
        page[start..start + 64].to_owned()
    };
    // Bo was mentioned.
    let notices = bo.get(&site, &format!("{path}/notifications")).await.text;
    assert!(notices.contains("mentioned you on"), "{notices}");
    // A reply, then Ana edits her post; Bo cannot edit it.
    bo.submit(
        &site,
        &area_path,
        &format!("{path}/posts"),
        &[("on", &on), ("text", "I do."), ("reply_to", &post_id)],
    )
    .await;
    ana.submit(
        &site,
        &area_path,
        &format!("{path}/posts/{post_id}/edit"),
        &[("text", "Who has a multimeter to lend?")],
    )
    .await;
    bo.submit(
        &site,
        &area_path,
        &format!("{path}/posts/{post_id}/edit"),
        &[("text", "Hijacked")],
    )
    .await;
    assert_flash(&mut bo, &site, &area_path, "The ledger refused this (").await;
    let page = bo.get(&site, &area_path).await.text;
    assert!(page.contains("Who has a multimeter to lend?"));
    assert!(page.contains(">edited</span>"));
    assert!(page.contains("class=\"post reply"));
    assert!(!page.contains("Hijacked"));
    assert!(!page.contains("/hide\""), "Bo maintains nothing");
    // The area's maintainer hides it with a reason; it stays, collapsed.
    assert!(
        founder
            .get(&site, &area_path)
            .await
            .text
            .contains(&format!("/posts/{post_id}/hide"))
    );
    founder
        .submit(
            &site,
            &area_path,
            &format!("{path}/posts/{post_id}/hide"),
            &[("reason", "off topic")],
        )
        .await;
    let page = ana.get(&site, &area_path).await.text;
    assert!(page.contains("Hidden by Founder: off topic"), "{page}");
    assert!(page.contains("(2 posts)"));
    // An empty post is refused before signing.
    ana.submit(
        &site,
        &area_path,
        &format!("{path}/posts"),
        &[("on", &on), ("text", "  ")],
    )
    .await;
    assert_flash(&mut ana, &site, &area_path, "Write something").await;
}

#[tokio::test]
async fn nominations_close_tasks_and_withdrawals_work_from_their_pages() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = commons_with_area(&site, &mut founder).await;
    let mut ana = Browser::join_as(&site, &path, 2, "Ana", "person").await;
    let area_path = format!("{path}/areas/docs");
    // Ana nominates herself; the founder, the area's maintainer, approves.
    ana.act(
        &site,
        &area_path,
        "nominate",
        &[
            ("nominee", "ana"),
            ("action", "add"),
            ("reason", "I wrote guides"),
        ],
    )
    .await;
    let page = founder.get(&site, &area_path).await.text;
    assert!(page.contains("I wrote guides"));
    assert!(page.contains("0 in this area when nominated"));
    assert!(
        !ana.get(&site, &area_path)
            .await
            .text
            .contains("approve-nomination")
    );
    let action = {
        let marker = "/nominations/";
        let start = page.find(marker).unwrap();
        let end = start + page[start..].find('"').unwrap();
        format!("{path}{}", &page[start..end])
    };
    let approved = founder.submit(&site, &area_path, &action, &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let page = ana.get(&site, &area_path).await.text;
    assert!(page.contains("You maintain this area"));
    assert!(page.contains("No open nominations."));
    // As a maintainer Ana closes a task with a reason, then steps down.
    let posted = founder
        .act(
            &site,
            &path,
            "tasks",
            &[("area", "docs"), ("title", "Old idea"), ("chore", "yes")],
        )
        .await;
    let task_path = format!("{path}/tasks/{}", created_id(&posted, "tasks"));
    assert!(
        founder
            .get(&site, &format!("{path}/tasks?chores=1"))
            .await
            .text
            .contains("Old idea")
    );
    ana.act(&site, &task_path, "close", &[("reason", "done elsewhere")])
        .await;
    let page = ana.get(&site, &task_path).await.text;
    assert!(page.contains("status-closed"));
    assert!(page.contains("done elsewhere"));
    ana.act(&site, &area_path, "step-down", &[]).await;
    assert!(
        !ana.get(&site, &area_path)
            .await
            .text
            .contains("You maintain this area")
    );
    // A submitter withdraws their contribution.
    let submitted = ana
        .act(
            &site,
            &path,
            "contributions",
            &[
                ("area", "docs"),
                ("kind", "care"),
                ("title", "Sorted the shelf"),
            ],
        )
        .await;
    let contribution_path = format!(
        "{path}/contributions/{}",
        created_id(&submitted, "contributions")
    );
    let revised = ana
        .act(
            &site,
            &contribution_path,
            "revise",
            &[
                ("title", "Sorted the whole shelf"),
                ("description", "All of it"),
                ("evidence", ""),
                ("checklist", "proofread"),
                ("effort_minutes", "45"),
            ],
        )
        .await;
    assert_eq!(revised.status, StatusCode::SEE_OTHER);
    let page = ana.get(&site, &contribution_path).await.text;
    assert!(page.contains("Sorted the whole shelf"), "{page}");
    assert!(page.contains("version 2"));
    assert!(page.contains("All of it"));
    ana.act(&site, &contribution_path, "withdraw", &[("reason", "")])
        .await;
    assert!(
        ana.get(&site, &contribution_path)
            .await
            .text
            .contains("status-withdrawn")
    );
}

/// Signs an event of `kind` with `key` in `commons` through the node, as a CLI user
/// holding their own key would, and returns its id.
async fn sign(
    site: &Site,
    key: &SecretKey,
    commons: Option<CommonsId>,
    kind: &str,
    body: &commons_ledger::cbor::Value,
) -> commons_ledger::EventId {
    let (event, outcome) = site
        .node
        .author(key, commons, kind, body, vec![])
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    assert!(
        matches!(outcome.status, commons_node::SubmitStatus::Sequenced { .. }),
        "{kind}: {outcome:?}"
    );
    event.id
}

#[tokio::test]
async fn artifacts_show_their_revisions_attributed_with_downloads_and_the_diff_hook() {
    use commons_core::production::bodies::{NewArea, NewContribution, RevisionSpec, review};
    use commons_core::production::{Rule, areas, contributions};
    use commons_core::state::AgentKind;
    let site = site().await;
    let (founder, drafter) = (key(1), key(2));
    let genesis = sign(
        &site,
        &founder,
        None,
        commons_core::network::GENESIS,
        &commons_core::network::genesis_body(
            "Open furniture",
            &[founder.author_key()],
            1,
            &site.node.sequencer_key(),
            "CERN-OHL-S-2.0",
        ),
    )
    .await;
    let commons = Some(CommonsId(genesis.0));
    for (key, name) in [(&founder, "Ana"), (&drafter, "Bo")] {
        let body = commons_core::agents::profile_body(name, AgentKind::Person);
        sign(&site, key, commons, commons_core::agents::PROFILE, &body).await;
    }
    let area = NewArea {
        slug: "plans".into(),
        name: "Plans".into(),
        description: None,
        maintainers: vec![founder.author_key()],
        threshold: None,
        rule: Rule::Maintainers { approvals: 1 },
        chores: vec![],
        self_approval: None,
        claim_ttl_ms: None,
    };
    sign(&site, &founder, commons, areas::CREATE, &area.body()).await;
    let mut artifact = None;
    for (title, text) in [
        ("First plan", "legs: 4\n"),
        ("Sturdier plan", "legs: 4\nbrace: yes\n"),
    ] {
        site.node.put_blob(text.as_bytes().to_vec()).await.unwrap();
        let contribution = NewContribution {
            area: "plans".into(),
            kind: "revision".into(),
            title: title.into(),
            description: None,
            tasks: vec![],
            authors: vec![],
            effort_minutes: Some(90),
            sponsor: None,
            revision: Some(RevisionSpec {
                artifact,
                base: artifact,
                name: artifact.is_none().then(|| "Bench <plan>".to_owned()),
                artifact_kind: artifact.is_none().then(|| "design".to_owned()),
                media_type: "text/markdown".into(),
                blob: commons_ledger::BlobRef::of_bytes(text.as_bytes()),
            }),
            evidence: vec![],
            checklist: vec![],
        };
        let id = sign(
            &site,
            &drafter,
            commons,
            contributions::SUBMIT,
            &contribution.body(),
        )
        .await;
        let approve = review(&id, "approve", None);
        sign(&site, &founder, commons, contributions::REVIEW, &approve).await;
        artifact.get_or_insert(id);
    }
    let artifact = artifact.unwrap();
    let path = format!("/c/{}", genesis.to_hex());
    let mut visitor = Browser::new(7);
    let list = visitor.get(&site, &format!("{path}/artifacts")).await.text;
    assert!(list.contains("Bench &lt;plan&gt;"), "{list}");
    assert!(list.contains("2 revisions"));
    assert!(list.contains(">Bo</a>"));
    let page = visitor
        .get(&site, &format!("{path}/artifacts/{}", artifact.to_hex()))
        .await
        .text;
    assert!(page.contains("First plan") && page.contains("Sturdier plan"));
    assert!(
        page.find("Sturdier plan") < page.find("First plan"),
        "newest first"
    );
    assert!(page.contains("id=\"download-current\" class=\"button\" href=\"/api/v1/blobs/sha256:"));
    assert!(page.contains("The first revision."));
    assert!(
        page.contains("added: </span>+brace: yes"),
        "the second revision shows its diff: {page}"
    );
    // The second contribution compares itself with the current revision.
    let second = page
        .match_indices("/contributions/")
        .map(|(i, _)| &page[i + "/contributions/".len()..i + "/contributions/".len() + 64])
        .next()
        .unwrap()
        .to_owned();
    let contribution = visitor
        .get(&site, &format!("{path}/contributions/{second}"))
        .await
        .text;
    assert!(contribution.contains("Compared with"), "{contribution}");
    assert!(contribution.contains("text&#x2f;markdown, 19 bytes"));
    assert!(contribution.contains("1 h 30 min"));
    // The record counts Bo's two accepted revisions.
    let bo = visitor
        .get(
            &site,
            &format!("{path}/agents/{}", drafter.author_key().to_hex()),
        )
        .await
        .text;
    assert!(bo.contains("id=\"record-accepted\">2<"));
}

#[tokio::test]
async fn a_revision_typed_in_the_form_becomes_an_artifact_and_the_next_one_shows_its_diff() {
    let site = site().await;
    let mut founder = Browser::new(1);
    let path = commons_with_area(&site, &mut founder).await;
    let mut writer = Browser::join_as(&site, &path, 2, "Nolwenn", "person").await;
    let revise = |artifact: String, content: &'static str| {
        vec![
            ("area", "docs".to_owned()),
            ("kind", "revision".to_owned()),
            ("title", "Kettle guide".to_owned()),
            ("artifact", artifact),
            ("artifact_name", "kettle.md".to_owned()),
            ("artifact_kind", "document".to_owned()),
            ("media_type", "text/markdown".to_owned()),
            ("content", content.to_owned()),
            ("chore-0", "proofread".to_owned()),
        ]
    };
    let first = revise(String::new(), "# Kettle\n\nDescale monthly.\n");
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let submitted = writer
        .submit(
            &site,
            &format!("{path}/contributions/new"),
            &format!("{path}/contributions"),
            &first,
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.text
    );
    let first_id = created_id(&submitted, "contributions");
    let first_path = format!("{path}/contributions/{first_id}");
    founder
        .act(
            &site,
            &first_path,
            "review",
            &[("verdict", "approve"), ("text", "")],
        )
        .await;
    let artifact = founder
        .get(&site, &format!("{path}/artifacts/{first_id}"))
        .await;
    assert_eq!(artifact.status, StatusCode::OK, "{}", artifact.text);
    assert!(artifact.text.contains("kettle.md"));

    let second = revise(first_id.clone(), "# Kettle\n\nDescale every two weeks.\n");
    let second: Vec<(&str, &str)> = second.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let submitted = writer
        .submit(
            &site,
            &format!("{path}/contributions/new"),
            &format!("{path}/contributions"),
            &second,
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.text
    );
    let second_path = format!(
        "{path}/contributions/{}",
        created_id(&submitted, "contributions")
    );
    let page = writer.get(&site, &second_path).await.text;
    assert!(
        page.contains("Descale monthly."),
        "the removed line shows: {page}"
    );
    assert!(
        page.contains("Descale every two weeks."),
        "the added line shows"
    );

    // An empty text is refused, and the form comes back filled in.
    let empty = revise(first_id, "   ");
    let empty: Vec<(&str, &str)> = empty.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = writer
        .submit(
            &site,
            &format!("{path}/contributions/new"),
            &format!("{path}/contributions"),
            &empty,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("A revision carries the new text of the artifact.")
    );
}

/// The commons on the node other than `parent`, the one a fork created.
fn the_fork(site: &Site, parent: CommonsId) -> CommonsId {
    let forks: Vec<CommonsId> = site
        .node
        .list_commons()
        .iter()
        .map(|v| v.id)
        .filter(|id| *id != parent)
        .collect();
    assert_eq!(forks.len(), 1, "one fork");
    forks[0]
}

#[tokio::test]
async fn a_commons_is_forked_from_its_overview_and_the_lineage_is_verified_on_both_pages() {
    let site = site().await;
    let mut founder = Browser::new(1);
    founder
        .register_as(&site, "Morgane", "morgane@example.org")
        .await;
    founder.create_commons(&site, "Seed library").await;
    let parent = site.commons();
    let parent_path = format!("/c/{}", parent.to_hex());
    let parent_size = site.node.commons(&parent).unwrap().size;
    let overview = founder.get(&site, &parent_path).await;
    assert!(overview.text.contains("id=\"fork-form\""));
    assert!(overview.text.contains("value=\"CC-BY-SA-4.0\""));
    assert!(!overview.text.contains("id=\"lineage\""));
    assert!(!overview.text.contains("id=\"forks\""));

    // The founder's key wrote in the parent: a one-time key signs the genesis, and the
    // founder's key is the fork's maintainer.
    let forked = founder
        .act(
            &site,
            &parent_path,
            "fork",
            &[
                ("name", "Seed library, forked"),
                ("licence", "CC-BY-SA-4.0"),
            ],
        )
        .await;
    assert_eq!(forked.status, StatusCode::SEE_OTHER);
    let fork = the_fork(&site, parent);
    let fork_path = format!("/c/{}", fork.to_hex());
    assert_eq!(forked.location(), fork_path);
    let account = site
        .node
        .store()
        .account_by_email("morgane@example.org")
        .await
        .unwrap()
        .unwrap();
    let key = site.node.store().account_keys(account.id).await.unwrap()[0].key;
    let view = site.node.commons(&fork).unwrap();
    assert_eq!(view.governance.maintainers, vec![key]);
    assert_eq!(view.governance.sequencer, site.node.sequencer_key());
    assert_eq!(view.governance.parent.as_ref().unwrap().size, parent_size);

    let page = founder.get(&site, &fork_path).await;
    assert!(
        page.text.contains("is forked from Seed library"),
        "{}",
        page.text
    );
    assert!(page.text.contains("id=\"lineage\""));
    assert!(page.text.contains(&format!(
        "Forked from <a href=\"{parent_path}\">Seed library</a>"
    )));
    assert!(page.text.contains(&format!("at entry {parent_size}")));
    assert!(page.text.contains("Consistency proof verified"));
    // The template escapes the slashes of the URL (`&#x2f;`), which a browser shows as `/`.
    assert!(page.text.contains(&format!(
        "commons lineage {} --node http:&#x2f;&#x2f;localhost",
        fork.to_hex()
    )));
    let lineage: serde_json::Value = serde_json::from_str(
        &founder
            .get(&site, &format!("/api/v1/commons/{}/lineage", fork.to_hex()))
            .await
            .text,
    )
    .unwrap();
    for hash in lineage["consistency_proof"].as_array().unwrap() {
        assert!(page.text.contains(hash.as_str().unwrap()));
    }

    // Someone who never wrote in the parent signs the genesis with their own key.
    let mut newcomer = Browser::new(2);
    newcomer
        .register_as(&site, "Yann", "yann@example.org")
        .await;
    let second = newcomer
        .act(
            &site,
            &parent_path,
            "fork",
            &[("name", "Another seed library"), ("licence", "")],
        )
        .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    assert_eq!(site.node.list_commons().len(), 3);

    let listed = founder.get(&site, &parent_path).await;
    assert!(listed.text.contains("id=\"forks\""));
    assert!(
        listed
            .text
            .contains(&format!("<a href=\"{fork_path}\">Seed library, forked</a>"))
    );
    assert!(listed.text.contains("Another seed library"));
}

#[tokio::test]
async fn the_fork_form_refuses_an_incompatible_licence_a_missing_token_and_strangers() {
    let site = site().await;
    let mut founder = Browser::new(1);
    founder
        .register_as(&site, "Morgane", "morgane@example.org")
        .await;
    founder.create_commons(&site, "Seed library").await;
    let parent = site.commons();
    let parent_path = format!("/c/{}", parent.to_hex());

    let refused = founder
        .act(
            &site,
            &parent_path,
            "fork",
            &[
                ("name", "Closed seeds"),
                ("licence", "LicenseRef-Proprietary"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.location(), parent_path);
    assert_flash(&mut founder, &site, &parent_path, "licence_incompatible").await;
    assert_eq!(site.node.list_commons().len(), 1);

    let no_token = founder
        .post(
            &site,
            &format!("{parent_path}/fork"),
            &[("name", "Forged"), ("licence", "CC-BY-SA-4.0")],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert_eq!(site.node.list_commons().len(), 1);

    let mut anonymous = Browser::new(2);
    let page = anonymous.get(&site, &parent_path).await;
    assert!(!page.text.contains("id=\"fork-form\""));
    let csrf = anonymous.get(&site, "/login").await.csrf();
    let logged_out = anonymous
        .post(
            &site,
            &format!("{parent_path}/fork"),
            &[("name", "Anonymous"), ("licence", ""), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(logged_out.status, StatusCode::SEE_OTHER);
    assert_eq!(logged_out.location(), "/login");
    assert_eq!(site.node.list_commons().len(), 1);
}

#[tokio::test]
async fn only_keys_the_node_lets_create_a_commons_see_and_use_the_fork_form() {
    let site = site_with(
        NewCommonsPolicy::Only([key(1).author_key()].into_iter().collect()),
        WebConfig::default().without_rate_limit(),
    )
    .await;
    let founder = key(1);
    let body = commons_core::network::genesis_body(
        "Seed library",
        &[founder.author_key()],
        1,
        &site.node.sequencer_key(),
        "CC-BY-SA-4.0",
    );
    site.node
        .author(
            &founder,
            None,
            commons_core::network::GENESIS,
            &body,
            vec![],
        )
        .await
        .unwrap();
    let parent = site.commons();
    let parent_path = format!("/c/{}", parent.to_hex());
    let mut browser = Browser::new(1);
    browser
        .register_as(&site, "Outsider", "out@example.org")
        .await;
    let page = browser.get(&site, &parent_path).await;
    assert!(!page.text.contains("id=\"fork-form\""));
    let refused = browser
        .act(
            &site,
            &parent_path,
            "fork",
            &[("name", "Not allowed"), ("licence", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(site.node.list_commons().len(), 1);
}
