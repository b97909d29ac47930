//! Router tests of the node-local private details (`/api/v1/commons/{id}/private/…` and
//! their pages): the owner writes and reads their payment details, a treasurer reads
//! them, another member gets `private_forbidden` and an anonymous caller 401; a bad IBAN
//! is `iban_invalid`; attachments keep their size and count limits; and no IBAN, holder
//! name or attachment ever shows on a public page, a public API answer, the metrics or
//! the export bundle.
//!
//! The harness is `tests/site` (a cookie jar over `oneshot`): the API authenticates the
//! same browser session the pages do. Setup the pages do not offer (an expense) is signed
//! with the accounts' own custodial keys, opened with the node's web secret.
#![allow(clippy::unwrap_used)]

mod site;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use commons_ledger::EventId;
use commons_ledger::cbor::Value;
use commons_store::PrivateStore;
use serde_json::{Value as Json, json};
use site::{Browser, Page, Site, capture_log, main, secret_site};

/// Ben's IBAN, in the paper form he types, and its electronic form.
const IBAN_TYPED: &str = "de89 3704 0044 0532 0130 00";
const IBAN: &str = "DE89370400440532013000";
const HOLDER: &str = "Benedikt Quellmalz";
const PDF: &[u8] = b"%PDF-1.7\n% invoice 2026-77 for the orchard ladders\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n receipt pixels";

/// Everyone in the scenario: the founder is the one treasurer; Ben filed an expense;
/// Cleo is another member.
struct People {
    path: String,
    api: String,
    founder: Browser,
    ben: Browser,
    cleo: Browser,
    ben_key: String,
    expense: EventId,
    /// The API addresses of Ben's payment details and of his expense's attachments.
    details_api: String,
    attachments_api: String,
}

async fn commons_with_an_expense(site: &Site) -> People {
    let mut founder = Browser::new(1);
    let path = founder.found(site, "Orchard", "CC-BY-SA-4.0").await;
    founder.publish_profile(site, &path, "person").await;
    let ben = Browser::join_as(site, &path, 2, "Ben", "person").await;
    let cleo = Browser::join_as(site, &path, 3, "Cleo", "person").await;
    let founder_key = site.custodial("founder@example.org").await;
    let ben_secret = site.custodial("ben@example.org").await;
    let treasurer = founder_key.author_key().to_hex();
    founder
        .adopt_statutes(
            site,
            &path,
            &[("treasurers", &treasurer), ("treasurer_approvals", "1")],
        )
        .await;
    let body = Value::text_map([
        ("title", Value::text("Ladders for the orchard")),
        ("amount", Value::Unsigned(10_000)),
        ("currency", Value::text("EUR")),
        ("reference", Value::text("Invoice 2026-77")),
    ]);
    let expense = site.sign(&ben_secret, "expense.file", body).await;
    let api = format!("/api/v1/commons/{}", site.commons().to_hex());
    People {
        details_api: format!(
            "{api}/private/payment-details/{}",
            ben_secret.author_key().to_hex()
        ),
        attachments_api: format!("{api}/private/expenses/{}/attachments", expense.to_hex()),
        api,
        path,
        founder,
        ben,
        cleo,
        ben_key: ben_secret.author_key().to_hex(),
        expense,
    }
}

fn json_of(page: &Page) -> Json {
    serde_json::from_str(&page.text).unwrap_or_else(|e| panic!("{e}: {}", page.text))
}

/// The status and error code of an error answer.
fn refusal(page: &Page) -> (u16, String) {
    let json = json_of(page);
    (
        page.status.as_u16(),
        json["code"].as_str().unwrap().to_owned(),
    )
}

async fn put_details(site: &Site, browser: &mut Browser, url: &str, body: Json) -> Page {
    let request = Request::put(url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    browser.send(site, request).await
}

async fn upload(
    site: &Site,
    browser: &mut Browser,
    url: &str,
    name: &str,
    media_type: &str,
    bytes: Vec<u8>,
) -> Page {
    let request = Request::post(format!("{url}?file_name={name}"))
        .header(header::CONTENT_TYPE, media_type)
        .body(Body::from(bytes))
        .unwrap();
    browser.send(site, request).await
}

fn ben_details() -> Json {
    json!({ "holder_name": HOLDER, "iban": IBAN_TYPED, "bic": "deutdeff", "note": "pay on Fridays" })
}

#[tokio::test]
async fn the_owner_writes_and_reads_payment_details_and_a_treasurer_reads_them() {
    let site = secret_site().await;
    let mut p = commons_with_an_expense(&site).await;
    let url = p.details_api.clone();
    let stored = put_details(&site, &mut p.ben, &url, ben_details()).await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text);
    assert_eq!(
        stored.headers[header::CACHE_CONTROL].to_str().unwrap(),
        "private, no-store"
    );
    let stored = json_of(&stored);
    assert_eq!(stored["iban"], IBAN);
    assert_eq!(stored["iban_display"], "DE89 3704 0044 0532 0130 00");
    assert_eq!(stored["bic"], "DEUTDEFF");
    assert_eq!(stored["holder_name"], HOLDER);
    assert_eq!(stored["access"], "owner");
    let created_ms = stored["created_ms"].as_u64().unwrap();
    assert_eq!(stored["updated_ms"].as_u64(), Some(created_ms));

    let read = p.ben.get(&site, &url).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(json_of(&read)["note"], "pay on Fridays");
    let by_treasurer = p.founder.get(&site, &url).await;
    assert_eq!(by_treasurer.status, StatusCode::OK);
    let by_treasurer = json_of(&by_treasurer);
    assert_eq!(by_treasurer["iban"], IBAN);
    assert_eq!(by_treasurer["access"], "treasurer");

    // A change replaces the record and keeps when it was first given.
    site.clock.advance(60_000);
    let replaced = put_details(
        &site,
        &mut p.ben,
        &url,
        json!({ "holder_name": HOLDER, "iban": "GB82 WEST 1234 5698 7654 32" }),
    )
    .await;
    let replaced = json_of(&replaced);
    assert_eq!(replaced["iban"], "GB82WEST12345698765432");
    assert_eq!(replaced["bic"], Json::Null);
    assert_eq!(replaced["created_ms"].as_u64(), Some(created_ms));
    assert_eq!(replaced["updated_ms"].as_u64(), Some(created_ms + 60_000));
    assert_eq!(
        json_of(&p.founder.get(&site, &url).await)["iban"],
        "GB82WEST12345698765432"
    );
}

#[tokio::test]
async fn another_member_gets_private_forbidden_and_an_anonymous_caller_401() {
    let site = secret_site().await;
    let mut p = commons_with_an_expense(&site).await;
    let url = p.details_api.clone();
    put_details(&site, &mut p.ben, &url, ben_details()).await;
    let attachments = p.attachments_api.clone();
    let first = upload(
        &site,
        &mut p.ben,
        &attachments,
        "invoice.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);

    let forbidden = (403, "private_forbidden".to_owned());
    assert_eq!(refusal(&p.cleo.get(&site, &url).await), forbidden);
    assert_eq!(
        refusal(&put_details(&site, &mut p.cleo, &url, ben_details()).await),
        forbidden
    );
    // A treasurer reads payment details but never writes them.
    assert_eq!(
        refusal(&put_details(&site, &mut p.founder, &url, ben_details()).await),
        forbidden
    );
    assert_eq!(refusal(&p.cleo.get(&site, &attachments).await), forbidden);
    assert_eq!(
        refusal(&p.cleo.get(&site, &format!("{attachments}/1")).await),
        forbidden
    );
    let cleo_upload = upload(
        &site,
        &mut p.cleo,
        &attachments,
        "x.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(refusal(&cleo_upload), forbidden);

    let mut anonymous = Browser::new(9);
    let login = (401, "login_required".to_owned());
    assert_eq!(refusal(&anonymous.get(&site, &url).await), login);
    assert_eq!(refusal(&anonymous.get(&site, &attachments).await), login);
    assert_eq!(
        refusal(&anonymous.get(&site, &format!("{attachments}/1")).await),
        login
    );
    assert_eq!(
        refusal(&put_details(&site, &mut anonymous, &url, ben_details()).await),
        login
    );

    // Nothing changed: Ben's details and his one attachment are as he left them.
    assert_eq!(
        json_of(&p.ben.get(&site, &url).await)["holder_name"],
        HOLDER
    );
    let listed = json_of(&p.ben.get(&site, &attachments).await);
    assert_eq!(listed["attachments"].as_array().unwrap().len(), 1);
    // An expense that does not exist is public knowledge: 404, not 403.
    let unknown = format!("{}/private/expenses/{}/attachments", p.api, "ab".repeat(32));
    assert_eq!(
        refusal(&p.cleo.get(&site, &unknown).await),
        (404, "unknown_expense".to_owned())
    );
}

#[tokio::test]
async fn a_bad_iban_is_refused_with_iban_invalid_and_nothing_is_stored() {
    let site = secret_site().await;
    let mut p = commons_with_an_expense(&site).await;
    let url = p.details_api.clone();
    for iban in [
        "DE89370400440532013001",
        "DE8937040044053201300",
        "XX89370400440532013000",
    ] {
        let refused = put_details(
            &site,
            &mut p.ben,
            &url,
            json!({ "holder_name": HOLDER, "iban": iban }),
        )
        .await;
        assert_eq!(
            refusal(&refused),
            (400, "iban_invalid".to_owned()),
            "{iban}"
        );
    }
    let bad_bic = put_details(
        &site,
        &mut p.ben,
        &url,
        json!({ "holder_name": HOLDER, "iban": IBAN, "bic": "DEUT" }),
    )
    .await;
    assert_eq!(refusal(&bad_bic), (400, "bic_invalid".to_owned()));
    let no_holder = put_details(
        &site,
        &mut p.ben,
        &url,
        json!({ "holder_name": " ", "iban": IBAN }),
    )
    .await;
    assert_eq!(
        refusal(&no_holder),
        (400, "private_text_invalid".to_owned())
    );
    assert_eq!(
        refusal(&p.ben.get(&site, &url).await),
        (404, "payment_details_unknown".to_owned())
    );
}

#[tokio::test]
async fn attachments_keep_their_type_size_and_count_limits_and_download_privately() {
    let site = secret_site().await;
    let mut p = commons_with_an_expense(&site).await;
    let url = p.attachments_api.clone();
    let first = upload(
        &site,
        &mut p.ben,
        &url,
        "Rechnung%20M%C3%A4rz.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let first = json_of(&first);
    assert_eq!(first["n"], 1);
    assert_eq!(first["file_name"], "Rechnung März.pdf");
    assert_eq!(first["size"], PDF.len());
    assert_eq!(first["uploader"], p.ben_key);
    // A treasurer attaches too, under their own key.
    let by_treasurer = upload(
        &site,
        &mut p.founder,
        &url,
        "receipt.png",
        "image/png",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(
        by_treasurer.status,
        StatusCode::CREATED,
        "{}",
        by_treasurer.text
    );
    assert_ne!(json_of(&by_treasurer)["uploader"], p.ben_key);

    let download = p.founder.get(&site, &format!("{url}/1")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.text.as_bytes(), PDF);
    let header_of = |name: header::HeaderName| download.headers[name].to_str().unwrap().to_owned();
    assert_eq!(header_of(header::CONTENT_TYPE), "application/pdf");
    assert_eq!(header_of(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(header_of(header::CACHE_CONTROL), "private, no-store");
    assert_eq!(
        header_of(header::CONTENT_DISPOSITION),
        "attachment; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf"
    );
    assert_eq!(
        refusal(&p.ben.get(&site, &format!("{url}/3")).await),
        (404, "attachment_unknown".to_owned())
    );

    // Only PDF, PNG and JPEG, and only bytes of the type they claim.
    let gif = upload(
        &site,
        &mut p.ben,
        &url,
        "a.gif",
        "image/gif",
        b"GIF89a".to_vec(),
    )
    .await;
    assert_eq!(
        refusal(&gif),
        (415, "attachment_type_unsupported".to_owned())
    );
    let disguised = upload(
        &site,
        &mut p.ben,
        &url,
        "a.pdf",
        "application/pdf",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(
        refusal(&disguised),
        (400, "attachment_type_unsupported".to_owned())
    );

    // 5 MiB is the most one file may have.
    let mut largest = PDF.to_vec();
    largest.resize(commons_store::ATTACHMENT_BYTES_MAX, b' ');
    let stored = upload(
        &site,
        &mut p.ben,
        &url,
        "big.pdf",
        "application/pdf",
        largest.clone(),
    )
    .await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.text);
    assert_eq!(json_of(&stored)["size"], 5 * 1024 * 1024);
    largest.push(b' ');
    let too_large = upload(
        &site,
        &mut p.ben,
        &url,
        "bigger.pdf",
        "application/pdf",
        largest,
    )
    .await;
    assert_eq!(
        refusal(&too_large),
        (413, "attachment_too_large".to_owned())
    );

    // Ten per expense.
    for n in 4..=10 {
        let added = upload(
            &site,
            &mut p.ben,
            &url,
            &format!("{n}.pdf"),
            "application/pdf",
            PDF.to_vec(),
        )
        .await;
        assert_eq!(json_of(&added)["n"], n);
    }
    let eleventh = upload(
        &site,
        &mut p.ben,
        &url,
        "11.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(refusal(&eleventh), (409, "attachments_full".to_owned()));
    let listed = json_of(&p.ben.get(&site, &url).await);
    assert_eq!(listed["attachments"].as_array().unwrap().len(), 10);
    assert_eq!(listed["access"], "owner");
    assert_eq!(
        json_of(&p.founder.get(&site, &url).await)["access"],
        "treasurer"
    );
}

#[tokio::test]
async fn private_details_appear_on_no_public_page_api_answer_metrics_or_export_bundle() {
    let site = secret_site().await;
    let mut p = commons_with_an_expense(&site).await;
    let url = p.details_api.clone();
    put_details(&site, &mut p.ben, &url, ben_details()).await;
    let attachments = p.attachments_api.clone();
    upload(
        &site,
        &mut p.ben,
        &attachments,
        "ben-secret-invoice.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    let stored = site
        .node
        .store()
        .payment_details(
            &site.commons(),
            &commons_ledger::AuthorKey::from_hex(&p.ben_key).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        stored
            .map(|s| s.details.iban().as_str().to_owned())
            .as_deref(),
        Some(IBAN)
    );

    let secrets = [
        IBAN,
        "DE89 3704",
        "Quellmalz",
        "Fridays",
        "ben-secret-invoice",
        "orchard ladders",
    ];
    let public = [
        format!("{}/treasury", p.path),
        format!("{}/events", p.path),
        format!("{}/agents/{}", p.path, p.ben_key),
        format!("{}/events/{}", p.path, p.expense.to_hex()),
        format!("{}/treasury", p.api),
        format!("{}/spending", p.api),
        format!("{}/journal", p.api),
        format!("{}/events", p.api),
        format!("{}/events?format=cbor", p.api),
        format!("{}/people/{}", p.api, p.ben_key),
        "/metrics".to_owned(),
    ];
    // Nobody sees them on public pages, not even their owner.
    for browser in [&mut p.cleo, &mut p.ben, &mut Browser::new(9)] {
        for page in &public {
            let answer = browser.get(&site, page).await;
            assert_eq!(answer.status, StatusCode::OK, "{page}");
            for secret in secrets {
                assert!(!answer.text.contains(secret), "{secret} on {page}");
            }
        }
    }
    let mut bundle = Vec::new();
    let report = commons_node::bundle::export(
        site.node.store(),
        &site.commons(),
        &mut bundle,
        &commons_node::audit::NoProgress,
    )
    .await
    .unwrap();
    assert!(report.size > 5, "{report:?}");
    for secret in secrets {
        let found = bundle.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{secret} in the export bundle");
    }
}

/// Posts the upload form of `page` as `multipart/form-data` with one file, with the
/// CSRF token of `csrf_page` (the page itself, when the browser may see it).
async fn upload_form(
    site: &Site,
    browser: &mut Browser,
    (page, csrf_page): (&str, &str),
    name: &str,
    media_type: &str,
    bytes: &[u8],
) -> Page {
    let csrf = browser.get(site, csrf_page).await.csrf();
    let boundary = "commons-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: {media_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post(format!("{page}/attachments"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    browser.send(site, request).await
}

#[tokio::test]
async fn the_payment_details_page_is_a_form_for_the_owner_and_read_only_for_a_treasurer() {
    let site = secret_site().await;
    let mut p = commons_with_an_expense(&site).await;
    let page = format!("{}/private/payment-details/{}", p.path, p.ben_key);
    let empty = p.ben.get(&site, &page).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.shows("Visible only to you and the treasurers of this commons.");
    empty.shows("id=\"no-payment-details\"");
    let bad = [
        ("holder_name", HOLDER),
        ("iban", "DE89 3704 0044 0532 0130 01"),
    ];
    p.ben
        .act_and_see(&site, &page, &page, &bad, "iban_invalid")
        .await;
    let good = [
        ("holder_name", HOLDER),
        ("iban", IBAN_TYPED),
        ("bic", ""),
        ("note", ""),
    ];
    p.ben
        .act_and_see(
            &site,
            &page,
            &page,
            &good,
            "Your payment details are saved.",
        )
        .await;
    let mine = p.ben.get(&site, &page).await;
    mine.shows("DE89 3704 0044 0532 0130 00");
    mine.shows("id=\"payment-details-form\"");

    let by_treasurer = p.founder.get(&site, &page).await;
    assert_eq!(by_treasurer.status, StatusCode::OK);
    by_treasurer.shows("DE89 3704 0044 0532 0130 00");
    by_treasurer.shows(HOLDER);
    by_treasurer.shows("Visible only to this person and the treasurers of this commons.");
    assert!(!by_treasurer.text.contains("payment-details-form"));
    let by_other = p.cleo.get(&site, &page).await;
    assert_eq!(by_other.status, StatusCode::FORBIDDEN);
    assert!(!by_other.text.contains(IBAN) && !by_other.text.contains("DE89 3704"));
    let anonymous = Browser::new(9).get(&site, &page).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), "/login");
    // The agent page links the private page, and the treasury page links the overview.
    let agent = p
        .ben
        .get(&site, &format!("{}/agents/{}", p.path, p.ben_key))
        .await;
    agent.shows(&format!("href=\"{page}\""));
    let treasury = p.cleo.get(&site, &format!("{}/treasury", p.path)).await;
    treasury.shows(&format!("href=\"{}/private\"", p.path));
}

#[tokio::test]
async fn the_expense_page_lists_and_takes_attachments_for_its_author_and_the_treasurers_only() {
    let site = secret_site().await;
    let mut p = commons_with_an_expense(&site).await;
    let overview = p.ben.get(&site, &format!("{}/private", p.path)).await;
    overview.shows("visible only to you and the treasurers of this commons");
    let page = format!("{}/private/expenses/{}", p.path, p.expense.to_hex());
    overview.shows(&format!("href=\"{page}\""));
    assert!(
        !p.cleo
            .get(&site, &format!("{}/private", p.path))
            .await
            .text
            .contains(&page)
    );

    let uploaded = upload_form(
        &site,
        &mut p.ben,
        (&page, &page),
        "invoice-77.pdf",
        "application/pdf",
        PDF,
    )
    .await;
    assert_eq!(
        uploaded.status,
        StatusCode::SEE_OTHER,
        "{}",
        main(&uploaded.text)
    );
    let flash = p.ben.flash(&site, &page).await;
    assert!(flash.contains("invoice-77.pdf is attached."), "{flash}");
    let wrong = upload_form(
        &site,
        &mut p.ben,
        (&page, &page),
        "a.gif",
        "image/gif",
        b"GIF89a",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::SEE_OTHER);
    let flash = p.ben.flash(&site, &page).await;
    assert!(flash.contains("attachment_type_unsupported"), "{flash}");

    let listed = p.founder.get(&site, &page).await;
    assert_eq!(listed.status, StatusCode::OK);
    listed.shows("Visible only to its author and the treasurers of this commons.");
    listed.shows("invoice-77.pdf");
    listed.shows(&format!(
        "{}/private/expenses/{}/attachments/1",
        p.api,
        p.expense.to_hex()
    ));
    let by_other = p.cleo.get(&site, &page).await;
    assert_eq!(by_other.status, StatusCode::FORBIDDEN);
    assert!(!by_other.text.contains("invoice-77"));
    let forged = upload_form(
        &site,
        &mut p.cleo,
        (&page, &p.path),
        "x.pdf",
        "application/pdf",
        PDF,
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let stored = site
        .node
        .store()
        .attachments(&site.commons(), &p.expense)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].file_name, "invoice-77.pdf");
}

#[tokio::test]
async fn private_details_never_reach_the_log() {
    let (captured, _guard) = capture_log();
    let site = secret_site().await;
    let mut p = commons_with_an_expense(&site).await;
    let url = p.details_api.clone();
    let bad = json!({ "holder_name": HOLDER, "iban": "DE89370400440532013001" });
    put_details(&site, &mut p.ben, &url, bad).await;
    put_details(&site, &mut p.ben, &url, ben_details()).await;
    p.founder.get(&site, &url).await;
    p.cleo.get(&site, &url).await;
    let attachments = p.attachments_api.clone();
    upload(
        &site,
        &mut p.ben,
        &attachments,
        "ben-secret-invoice.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    p.founder.get(&site, &format!("{attachments}/1")).await;
    let page = format!("{}/private/payment-details/{}", p.path, p.ben_key);
    p.founder.get(&site, &page).await;
    // Make sure something was logged at all, so the check below means something.
    tracing::info!("end of the private details test");
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("end of the private details test"));
    for secret in [
        IBAN,
        "DE89370400440532013001",
        "DE89 3704",
        HOLDER,
        "Fridays",
        "ben-secret-invoice",
        "orchard ladders",
    ] {
        assert!(!log.contains(secret), "the log shows {secret}");
    }
}
