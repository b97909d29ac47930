//! The node's front page: a small server-rendered HTML index of the commons hosted here,
//! linking into the API, so that the URL `commons serve` prints shows something useful in
//! a browser. The full web UI grows from here.

use crate::AppState;
use axum::extract::State;
use axum::response::Html;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `GET /`: the commons hosted on this node, with their size and licence.
pub async fn home(State(state): State<AppState>) -> Html<String> {
    let mut rows = String::new();
    for view in state.node.list_commons() {
        let id = view.id.to_hex();
        rows.push_str(&format!(
            "<tr><td><a href=\"/api/v1/commons/{id}\">{name}</a></td><td>{size}</td><td>{licence}</td>\
             <td><a href=\"/api/v1/commons/{id}/events?order=desc\">events</a> · \
             <a href=\"/api/v1/commons/{id}/checkpoint\">checkpoint</a></td></tr>\n",
            name = escape_html(&view.governance.name),
            size = view.size,
            licence = escape_html(&view.governance.licence),
        ));
    }
    if rows.is_empty() {
        rows.push_str("<tr><td colspan=\"4\">No commons yet. Create one with <code>commons init NAME</code>.</td></tr>\n");
    }
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>commons node</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd}}
code{{background:#f3f3f3;padding:0 .2rem}}a{{color:#0b5cad}}</style></head>
<body><header><h1>commons node</h1>
<p>Signed, verifiable histories of the commons hosted here. Sequencer key <code>{sequencer}</code>.</p></header>
<main><h2>Commons</h2>
<table><thead><tr><th scope="col">Name</th><th scope="col">Events</th><th scope="col">Licence</th><th scope="col">Ledger</th></tr></thead>
<tbody>
{rows}</tbody></table>
<h2>API</h2><p>Everything here is public and checkable: <a href="/api/v1/openapi.json">OpenAPI document</a>,
<a href="/api/v1/commons">commons list</a>, <a href="/metrics">metrics</a>.
Verify any receipt offline with <code>commons proof verify</code>.</p></main></body></html>
"#,
        sequencer = state.node.sequencer_key().to_hex(),
    ))
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
