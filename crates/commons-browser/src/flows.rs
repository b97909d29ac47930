//! Steps every browser flow takes: starting a node and a browser around a flow (with the
//! node's log on failure), registering, logging in and out, publishing a profile, ticking
//! a box, scrolling to a part of the page, and reading the flash of the last action.

use crate::{Browser, Node, chromedriver_path, chromium_path};
use anyhow::{Context, Result, bail, ensure};

/// Every account of the flows has this password.
pub const PASSWORD: &str = "correct horse battery staple";

/// Starts a node and a browser on it, runs `flow`, closes the browser, and on failure
/// adds the node's last log lines to the error.
pub async fn with_browser<F>(flow: F) -> Result<()>
where
    F: AsyncFnOnce(&Node, &Browser) -> Result<()>,
{
    // A missing browser fails at once, before the node is built.
    chromium_path()?;
    chromedriver_path()?;
    run(Node::start().await?, flow).await
}

/// [`with_browser`] on a node serving the demo commons (`serve --demo`).
pub async fn with_demo_browser<F>(flow: F) -> Result<()>
where
    F: AsyncFnOnce(&Node, &Browser) -> Result<()>,
{
    chromium_path()?;
    chromedriver_path()?;
    run(Node::start_demo().await?, flow).await
}

async fn run<F>(node: Node, flow: F) -> Result<()>
where
    F: AsyncFnOnce(&Node, &Browser) -> Result<()>,
{
    let browser = Browser::start(&node.base).await?;
    let result = flow(&node, &browser).await;
    let closed = browser.close().await;
    if let Err(error) = result {
        bail!(
            "{error:#}\n\nthe node's stderr ends:\n{}",
            node.stderr_tail()
        );
    }
    closed
}

/// Fails the test with the error, which names the selector, the URL and the page's text.
pub fn check(result: Result<()>) {
    if let Err(error) = result {
        panic!("{error:#}");
    }
}

/// Registers an account (with [`PASSWORD`]) and ends logged in.
pub async fn register(b: &Browser, name: &str, email: &str) -> Result<()> {
    b.goto("/register").await?;
    let form = "form#register-form";
    b.fill(form, "display_name", name).await?;
    b.fill(form, "email", email).await?;
    b.fill(form, "password", PASSWORD).await?;
    b.fill(form, "password_confirm", PASSWORD).await?;
    b.submit(form).await?;
    b.find("a#nav-account").await?;
    Ok(())
}

pub async fn log_in_as(b: &Browser, email: &str) -> Result<()> {
    log_in_with(b, email, PASSWORD).await
}

/// Logs in with an account's own password (the demo's accounts have theirs).
pub async fn log_in_with(b: &Browser, email: &str, password: &str) -> Result<()> {
    b.goto("/login").await?;
    b.fill("form#login-form", "email", email).await?;
    b.fill("form#login-form", "password", password).await?;
    b.submit("form#login-form").await?;
    b.find("a#nav-account").await?;
    Ok(())
}

/// Logs out through the navigation's POST form (with its CSRF token) and checks the
/// logged-out navigation on the home page.
pub async fn log_out(b: &Browser) -> Result<()> {
    let method = b.attr("form#logout-form", "method").await?;
    ensure!(
        method.eq_ignore_ascii_case("post"),
        "form#logout-form uses method {method:?}, not POST"
    );
    b.find("form#logout-form input[name=csrf]").await?;
    b.submit("form#logout-form").await?;
    ensure!(
        b.path().await? == "/",
        "logging out led to {}",
        b.path().await?
    );
    b.find("a#nav-login").await?;
    b.assert_absent("a#nav-account").await?;
    b.assert_absent("form#logout-form").await?;
    Ok(())
}

/// Publishes the logged-in person's name in the commons at `commons_path`.
pub async fn publish_profile(b: &Browser, commons_path: &str) -> Result<()> {
    b.goto(commons_path).await?;
    b.submit("form#profile-form").await?;
    b.find(".flash[role=status]").await?;
    Ok(())
}

/// Ticks a checkbox or picks a radio button without leaving the page.
pub async fn tick(b: &Browser, css: &str) -> Result<()> {
    b.find(css)
        .await?
        .click()
        .await
        .with_context(|| format!("tick `{css}`"))
}

/// Scrolls the element matching `css` to the top of the window, for a screenshot of it.
pub async fn scroll_to(b: &Browser, css: &str) -> Result<()> {
    b.find(css).await?;
    b.execute(
        "document.querySelector(arguments[0]).scrollIntoView();",
        vec![serde_json::Value::String(css.to_owned())],
    )
    .await?;
    Ok(())
}

/// The flash of the page the last action led to says `part`.
pub async fn assert_done(b: &Browser, part: &str) -> Result<()> {
    let flash = b.text(".flash").await?;
    ensure!(
        flash.contains(part),
        "the page flashes {flash:?}, not {part:?}"
    );
    Ok(())
}

/// Whether the image `css` loaded (complete, with a width).
pub async fn image_loaded(b: &Browser, css: &str) -> Result<()> {
    let loaded = b
        .execute(
            "const img = document.querySelector(arguments[0]); return img !== null && img.complete && img.naturalWidth > 0;",
            vec![serde_json::Value::String(css.to_owned())],
        )
        .await?;
    ensure!(
        loaded == serde_json::Value::Bool(true),
        "the image {css} did not load at {}",
        b.path().await?
    );
    Ok(())
}
