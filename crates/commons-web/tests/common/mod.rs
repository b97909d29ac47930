//! The association harness shared by the router tests of the association and of
//! participatory budgeting: a commons with adopted statutes and admitted members, events
//! submitted to `POST /api/v1/events`, ledger time moved by the node's manual clock, and
//! JSON read back without a socket.
// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use commons_core::production::Rule;
use commons_core::production::bodies::{self, NewArea, NewContribution};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId};
use commons_testkit::{Author, T0_MS, TestNode, key, key_value};
use commons_web::association::StatutesJson;
use commons_web::{WebConfig, router};
use serde_json::{Value as Json, json};
use std::net::SocketAddr;
use tower::ServiceExt;

pub const DAY_MS: u64 = 86_400_000;

pub fn statutes() -> StatutesJson {
    serde_json::from_value(json!({
        "name": "Friends of the Orchard",
        "purpose": "Keep the orchard's maps free and its server running",
        "admission": "maintainers",
        "chambers": [
            {"slug": "contributors", "name": "Contributors", "basis": "contributors"},
            {"slug": "users", "name": "Users", "basis": "declared"}
        ],
        "contributor_window_months": 6,
        "board_seats": 2,
        "board_term_months": 12,
        "rules": {
            "amend_statutes": {"method": "proposal", "electorate": "members", "threshold": "2/3", "quorum": "1/3"},
            "admit_member": {"method": "proposal", "electorate": "members", "threshold": "1/2", "strict": true},
            "suspend_member": {"method": "proposal", "electorate": "members", "threshold": "1/2", "quorum": "1/4"},
            "expel_member": {"method": "proposal", "electorate": "members", "threshold": "2/3", "quorum": "1/2",
                             "progressive": {"full_turnout": "3/4", "max_threshold": "3/4"}},
            "elect_board": {"method": "stv-scottish", "electorate": "members", "threshold": "0/1"},
            "general": {"method": "proposal", "electorate": "members", "threshold": "1/2", "strict": true,
                        "chambers": {"combine": "concurrent", "required": 1}}
        }
    }))
    .unwrap()
}

/// A commons whose maintainer Maya adopted [`statutes`]; Ana and Ben applied as users and
/// were admitted, Chloe was refused, Dan's application waits. Ben has accepted work, so
/// he sits in the derived `contributors` chamber.
pub struct App {
    pub test: TestNode,
    pub router: Router,
    pub commons: CommonsId,
    pub maya: Author,
    pub ana: Author,
    pub ben: Author,
    pub chloe: Author,
    pub dan: Author,
    pub dan_application: EventId,
}

pub fn id_value(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

impl App {
    pub async fn start() -> App {
        App::start_with(statutes()).await
    }

    /// [`App::start`] with other statutes (treasurers, say) adopted.
    pub async fn start_with(statutes: StatutesJson) -> App {
        let test = TestNode::start().await;
        let maya_key = key(1);
        let commons = test.create_commons(&maya_key, "Orchard").await;
        let router = router(test.node.clone(), WebConfig::default());
        let mut app = App {
            router,
            commons,
            maya: Author {
                key: maya_key,
                commons: Some(commons),
                next_seq: 1,
                prev: Some(EventId(commons.0)),
            },
            ana: Author::new(key(2), commons),
            ben: Author::new(key(3), commons),
            chloe: Author::new(key(4), commons),
            dan: Author::new(key(5), commons),
            dan_application: EventId([0; 32]),
            test,
        };
        for (who, name) in [
            (0, "Maya"),
            (1, "Ana"),
            (2, "Ben"),
            (3, "Chloe"),
            (4, "Dan"),
        ] {
            let event = app.author(who).profile(name);
            app.expect_ok(&event).await;
        }
        let adopt = Value::text_map([("statutes", statutes.to_value().unwrap())]);
        let event = app.maya.sign("assoc.adopt", &adopt, vec![], T0_MS);
        app.expect_ok(&event).await;
        let mut applications = Vec::new();
        for (who, chambers) in [
            (1, &["users"][..]),
            (2, &["users"]),
            (3, &[]),
            (4, &["users"]),
        ] {
            let body = Value::text_map([
                ("statement", Value::text("I walk the orchard every week")),
                (
                    "chambers",
                    Value::Array(chambers.iter().map(|c| Value::text(*c)).collect()),
                ),
            ]);
            let event = app.author(who).sign("member.apply", &body, vec![], T0_MS);
            app.expect_ok(&event).await;
            applications.push(event.id);
        }
        for application in &applications[..2] {
            let body = Value::text_map([("application", id_value(application))]);
            let event = app.maya.sign("member.admit", &body, vec![], T0_MS);
            app.expect_ok(&event).await;
        }
        let refuse = Value::text_map([
            ("application", id_value(&applications[2])),
            ("refuse", Value::text("not a user of the orchard")),
        ]);
        let event = app.maya.sign("member.admit", &refuse, vec![], T0_MS);
        app.expect_ok(&event).await;
        app.dan_application = applications[3];
        app.accept_work_by_ben().await;
        app
    }

    pub fn author(&mut self, who: usize) -> &mut Author {
        match who {
            0 => &mut self.maya,
            1 => &mut self.ana,
            2 => &mut self.ben,
            3 => &mut self.chloe,
            _ => &mut self.dan,
        }
    }

    pub async fn accept_work_by_ben(&mut self) {
        let area = NewArea {
            slug: "maps".into(),
            name: "Maps".into(),
            description: None,
            maintainers: vec![self.maya.public()],
            threshold: None,
            rule: Rule::Maintainers { approvals: 1 },
            chores: vec![],
            self_approval: None,
            claim_ttl_ms: None,
        };
        let event = self.maya.sign("area.create", &area.body(), vec![], T0_MS);
        self.expect_ok(&event).await;
        let work = NewContribution {
            area: "maps".into(),
            kind: "care".into(),
            title: "Mapped the pear trees".into(),
            description: None,
            tasks: vec![],
            authors: vec![],
            effort_minutes: Some(60),
            sponsor: None,
            revision: None,
            evidence: vec![],
            checklist: vec![],
        };
        let work = self.ben.sign("contrib.submit", &work.body(), vec![], T0_MS);
        self.expect_ok(&work).await;
        let approve = self.maya.sign(
            "contrib.review",
            &bodies::review(&work.id, "approve", None),
            vec![],
            T0_MS,
        );
        self.expect_ok(&approve).await;
    }

    pub async fn admit_dan(&mut self) {
        let body = Value::text_map([("application", id_value(&self.dan_application))]);
        let event = self.maya.sign("member.admit", &body, vec![], T0_MS);
        self.expect_ok(&event).await;
    }

    pub async fn request(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let mut request = request;
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, body.to_vec())
    }

    pub async fn get_raw(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let uri = format!("/api/v1/commons/{}{path}", self.commons.to_hex());
        self.request(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Json) {
        let (status, body) = self.get_raw(path).await;
        (status, serde_json::from_slice(&body).unwrap_or(Json::Null))
    }

    pub async fn ok(&self, path: &str) -> Json {
        let (status, json) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {json}");
        json
    }

    pub async fn expect_ok(&self, event: &Event) {
        let request = Request::post("/api/v1/events")
            .header(header::CONTENT_TYPE, "application/cbor")
            .body(Body::from(event.envelope().encode()))
            .unwrap();
        let (status, body) = self.request(request).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{} refused: {}",
            event.header.kind.as_str(),
            String::from_utf8_lossy(&body)
        );
    }

    pub async fn open_poll(&mut self, fields: Vec<(&str, Value)>) -> EventId {
        let mut body = vec![
            ("closes_ms", Value::Unsigned(T0_MS + 7 * DAY_MS)),
            ("description", Value::text("Details on the forum")),
        ];
        body.extend(fields);
        let event = self
            .maya
            .sign("poll.open", &Value::text_map(body), vec![], T0_MS);
        self.expect_ok(&event).await;
        event.id
    }

    pub async fn vote(&mut self, who: usize, poll: &EventId, ballot: Value) {
        let body = Value::text_map([("poll", id_value(poll)), ("ballot", ballot)]);
        let event = self.author(who).sign("poll.vote", &body, vec![], T0_MS);
        self.expect_ok(&event).await;
    }

    pub async fn delegate(&mut self, who: usize, to: AuthorKey) {
        let body = Value::text_map([("to", key_value(&to))]);
        let event = self.author(who).sign("delegate.set", &body, vec![], T0_MS);
        self.expect_ok(&event).await;
    }

    /// Signs `kind` with `body` by author `who` and submits it, expecting a refusal;
    /// returns the refusal's code and leaves the author's chain as it was.
    pub async fn refused(&mut self, who: usize, kind: &str, body: &Value) -> String {
        let saved = self.author(who).clone();
        let event = self.author(who).sign(kind, body, vec![], T0_MS);
        *self.author(who) = saved;
        let request = Request::post("/api/v1/events")
            .header(header::CONTENT_TYPE, "application/cbor")
            .body(Body::from(event.envelope().encode()))
            .unwrap();
        let (status, body) = self.request(request).await;
        assert_ne!(status, StatusCode::OK, "{kind} was accepted");
        let json: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
        json["code"].as_str().unwrap_or_default().to_owned()
    }

    /// Moves ledger time to `time_ms`: Chloe's next event brings the tick that passes
    /// every deadline before it.
    pub async fn move_time_to(&mut self, time_ms: u64) {
        self.test.clock.set(time_ms);
        let event = self.chloe.profile("Chloe");
        self.expect_ok(&event).await;
    }

    /// Moves ledger time past every poll's close: the next event brings the tick.
    pub async fn close_polls(&mut self) {
        self.move_time_to(T0_MS + 8 * DAY_MS).await;
    }
}
