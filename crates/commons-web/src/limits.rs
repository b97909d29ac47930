//! Per-client request rate limiting and the request timeout.
//!
//! The rate limiter is a token bucket per client address: a client may spend up to
//! `burst` requests at once and earns `requests_per_minute` back per minute. Buckets live
//! in a map bounded by `clients_max`, so a flood of new addresses costs memory no more
//! than the limit allows. IPv6 clients are keyed by their /64, because one host usually
//! holds a whole /64 and could otherwise walk around its bucket.

use crate::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::time::{Duration, Instant};

/// Tokens are counted in units of 1/60,000 so that refilling `requests_per_minute` tokens
/// per minute is exactly `requests_per_minute` units per millisecond, in integers.
const UNITS_PER_TOKEN: u64 = 60_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    units: u64,
    /// The instant up to which refill has been credited.
    credited_at: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    units_per_ms: u64,
    capacity_units: u64,
    clients_max: usize,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// `requests_per_minute`, `burst` and `clients_max` below 1 are raised to 1: a limiter
    /// that refuses everything is never what a configuration means.
    pub fn new(requests_per_minute: u32, burst: u32, clients_max: usize) -> RateLimiter {
        RateLimiter {
            units_per_ms: u64::from(requests_per_minute.max(1)),
            capacity_units: u64::from(burst.max(1)) * UNITS_PER_TOKEN,
            clients_max: clients_max.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one token of `client`'s bucket, or answers how many seconds until one is there.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let key = bucket_key(client);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(&key) && buckets.len() >= self.clients_max {
            self.make_room(&mut buckets, now);
        }
        let capacity_units = self.capacity_units;
        let bucket = buckets.entry(key).or_insert(Bucket {
            units: capacity_units,
            credited_at: now,
        });
        self.refill(bucket, now);
        if bucket.units >= UNITS_PER_TOKEN {
            bucket.units -= UNITS_PER_TOKEN;
            return Ok(());
        }
        let missing_units = UNITS_PER_TOKEN - bucket.units;
        let wait_ms = missing_units.div_ceil(self.units_per_ms);
        Err(wait_ms.div_ceil(1_000).max(1))
    }

    /// Number of clients with a bucket.
    pub fn n_clients(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let elapsed_ms = u64::try_from(
            now.saturating_duration_since(bucket.credited_at)
                .as_millis(),
        )
        .unwrap_or(u64::MAX);
        let earned = elapsed_ms.saturating_mul(self.units_per_ms);
        bucket.units = bucket.units.saturating_add(earned).min(self.capacity_units);
        // Only whole milliseconds are credited, so requests closer together than 1 ms do not
        // lose their share of the refill.
        bucket.credited_at += Duration::from_millis(elapsed_ms);
    }

    /// Forgets every client whose bucket has refilled (it behaves like a new one); if every
    /// client is still spending, forgets the one closest to full, which loses the least.
    fn make_room(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        for bucket in buckets.values_mut() {
            self.refill(bucket, now);
        }
        let capacity_units = self.capacity_units;
        buckets.retain(|_, bucket| bucket.units < capacity_units);
        if buckets.len() >= self.clients_max {
            let fullest = buckets
                .iter()
                .max_by_key(|(_, bucket)| bucket.units)
                .map(|(key, _)| *key);
            if let Some(key) = fullest {
                buckets.remove(&key);
            }
        }
    }
}

/// IPv4 addresses as they are (also when mapped into IPv6), IPv6 addresses by their /64.
fn bucket_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// The peer address of a request; requests without one (a router driven without `serve`)
/// share the unspecified address, so limits keyed on it still hold.
pub fn client_ip(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        })
}

/// Middleware: refuses a request with 429 `rate_limited` and `Retry-After` when its client
/// has no token left. Requests without a known peer address (a router driven without
/// `serve`) share one bucket, so the limit still holds.
pub async fn rate_limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let client = client_ip(request.extensions());
    match limiter.check(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(retry_after_s) => ApiError::RateLimited { retry_after_s }.into_response(),
    }
}

/// Middleware: answers 503 `timeout` when a handler takes longer than the limit. An event
/// whose submission times out may still be sequenced; resubmitting it is idempotent.
pub async fn timeout(State(limit_ms): State<u64>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(Duration::from_millis(limit_ms), next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout { limit_ms }.into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    #[test]
    fn a_client_may_spend_its_burst_then_waits_for_the_refill() {
        let limiter = RateLimiter::new(60, 3, 10);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip(1), t0), Ok(()));
        }
        assert_eq!(limiter.check(ip(1), t0), Err(1));
        // 60 per minute is one per second.
        assert_eq!(
            limiter.check(ip(1), t0 + Duration::from_millis(999)),
            Err(1)
        );
        assert_eq!(
            limiter.check(ip(1), t0 + Duration::from_millis(1_000)),
            Ok(())
        );
        assert!(
            limiter.check(ip(2), t0).is_ok(),
            "another client has its own bucket"
        );
    }

    #[test]
    fn requests_closer_than_a_millisecond_keep_their_refill() {
        let limiter = RateLimiter::new(60_000, 1, 10);
        let t0 = Instant::now();
        assert_eq!(limiter.check(ip(1), t0), Ok(()));
        let mut now = t0;
        let mut granted = 0;
        for _ in 0..100 {
            now += Duration::from_micros(100);
            if limiter.check(ip(1), now).is_ok() {
                granted += 1;
            }
        }
        // 10 ms at 1,000 per second earn 10 requests.
        assert_eq!(granted, 10);
    }

    #[test]
    fn retry_after_counts_whole_seconds_until_the_next_token() {
        let limiter = RateLimiter::new(2, 1, 10);
        let t0 = Instant::now();
        assert_eq!(limiter.check(ip(1), t0), Ok(()));
        assert_eq!(limiter.check(ip(1), t0), Err(30));
    }

    #[test]
    fn the_map_of_clients_never_grows_past_its_limit() {
        let limiter = RateLimiter::new(60, 5, 100);
        let t0 = Instant::now();
        for n in 0..10_000 {
            let _ = limiter.check(ip(n), t0);
            assert!(limiter.n_clients() <= 100);
        }
        assert_eq!(limiter.n_clients(), 100);
    }

    #[tokio::test]
    async fn a_request_slower_than_the_limit_is_answered_with_503_timeout() {
        use axum::body::Body;
        use axum::http::{Request, StatusCode};
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    "late"
                }),
            )
            .route("/fast", axum::routing::get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(5u64, timeout));
        let slow = app
            .clone()
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(slow.into_body(), usize::MAX)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], "timeout");
        let fast = app
            .oneshot(Request::get("/fast").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(fast.status(), StatusCode::OK);
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_slash_64() {
        let limiter = RateLimiter::new(60, 1, 10);
        let t0 = Instant::now();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limiter.check(a, t0), Ok(()));
        assert!(limiter.check(b, t0).is_err());
        assert_eq!(limiter.check(c, t0), Ok(()));
    }
}
