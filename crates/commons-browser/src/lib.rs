//! Browser tests for the node's web UI: a real headless Chromium, driven through
//! chromedriver with `fantoccini`, against a real `commons serve` on a free loopback port
//! with a fresh data directory.
//!
//! Everything here is behind the `browser` feature, so `cargo test --workspace` neither
//! builds nor runs it. Run the suite with
//!
//! ```sh
//! cargo test -p commons-browser --features browser
//! ```
//!
//! (or `scripts/browser-tests.sh`, which `.ci/run` calls). With the feature on, a missing
//! Chromium or chromedriver fails the tests with the install command ([`INSTALL`]); they
//! never skip. Screenshots of each main page go to `target/screenshots/`.
//!
//! The harness: [`Node`] runs the binary (built by [`commons_testkit::serve::commons_binary`]),
//! [`Browser`] starts chromedriver on a free port and one Chromium session with the options
//! of [`CHROMIUM_ARGS`], and offers the few page actions the flows need, each failing with
//! the selector, the URL and the page's text so that a broken page is easy to name.

#[cfg(feature = "browser")]
mod harness;

#[cfg(feature = "browser")]
pub use harness::*;

#[cfg(feature = "browser")]
pub mod flows;
