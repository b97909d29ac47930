//! CLI transcripts: the real `commons` binary against a real node on a free port, verb by
//! verb, as a user would type them in the README's tour.
// A panic is the failure report in a test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_commons");

fn commons(args: &[&str], data: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .env("COMMONS_DATA", data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(args: &[&str], data: &Path) -> String {
    let output = commons(args, data);
    assert!(
        output.status.success(),
        "commons {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A node on a free port; killed when dropped. Its standard output stays open.
struct Serving {
    child: Child,
    url: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &Path, extra: &[&str]) -> Serving {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("COMMONS_DATA", data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first_line).unwrap();
    let url = first_line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("serve printed no URL: {first_line:?}"))
        .trim_end_matches('/')
        .to_owned();
    Serving {
        child,
        url,
        _stdout: stdout,
    }
}

/// A plain HTTP/1.1 GET, enough for the node's JSON answers (which carry a length).
fn get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "GET {url}: {head}");
    body.to_owned()
}

#[test]
fn every_verb_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for verb in [
        "serve", "init", "fork", "lineage", "submit", "can", "verify", "export", "import", "proof",
        "rebuild",
    ] {
        let help = ok(&[verb, "--help"], dir.path());
        assert!(
            help.contains("Example"),
            "`commons {verb} --help` shows no example:\n{help}"
        );
    }
    for (group, verb) in [
        ("key", "new"),
        ("key", "show"),
        ("key", "sign-challenge"),
        ("blob", "put"),
        ("blob", "get"),
    ] {
        let help = ok(&[group, verb, "--help"], dir.path());
        assert!(
            help.contains("Example"),
            "`commons {group} {verb} --help` shows no example"
        );
    }
}

#[test]
fn the_readme_tour_works_from_key_to_imported_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let user = dir.path().join("user");
    let node = serve(&data, &["--demo"]);
    let node_flag = ["--node", node.url.as_str()];

    // A key, kept readable by its owner only.
    let key = ok(&["key", "new", "alice"], &user);
    assert_eq!(key.trim().len(), 66);
    assert_eq!(ok(&["key", "show", "alice"], &user), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(user.join("keys/alice.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A commons of one's own, then a profile in it.
    let commons_id = ok(
        &[
            &["init", "Tool library", "--key", "alice"][..],
            &node_flag[..],
        ]
        .concat(),
        &user,
    );
    let commons_id = commons_id.trim();
    let profile = dir.path().join("profile.json");
    std::fs::write(&profile, r#"{"name": "Alice", "kind": "person"}"#).unwrap();
    let submitted = ok(
        &[
            &[
                "submit",
                "--commons",
                commons_id,
                "--kind",
                "agent.profile",
                "--body-json",
            ][..],
            &[profile.to_str().unwrap(), "--key", "alice"][..],
            &node_flag[..],
        ]
        .concat(),
        &user,
    );
    assert!(submitted.contains("sequenced at index"), "{submitted}");
    let event_id = submitted.split_whitespace().next().unwrap();

    // A rule violation is refused with its stable code.
    let gov = dir.path().join("gov.json");
    std::fs::write(&gov, r#"{"licence": "not a licence ((("}"#).unwrap();
    let refused = commons(
        &[
            &[
                "submit",
                "--commons",
                commons_id,
                "--kind",
                "gov.update",
                "--body-json",
            ][..],
            &[gov.to_str().unwrap(), "--key", "alice"][..],
            &node_flag[..],
        ]
        .concat(),
        &user,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("licence_invalid"));

    // The CLI asks the node the authorization question the ledger applies.
    let can = ok(
        &[
            &[
                "can",
                "--commons",
                commons_id,
                "--kind",
                "gov.update",
                "--key",
                "alice",
            ][..],
            &node_flag[..],
        ]
        .concat(),
        &user,
    );
    assert!(can.starts_with("yes:"), "{can}");
    ok(&["key", "new", "bob"], &user);
    let cannot = commons(
        &[
            &[
                "can",
                "--commons",
                commons_id,
                "--kind",
                "gov.update",
                "--key",
                "bob",
            ][..],
            &node_flag[..],
        ]
        .concat(),
        &user,
    );
    assert!(!cannot.status.success());
    assert!(String::from_utf8_lossy(&cannot.stderr).contains("not_authorised"));

    // Linking a key to a web account: only link-key challenges are signed.
    let signed = ok(
        &[
            "key",
            "sign-challenge",
            "alice",
            "commons-link-key-v1:abcd:1:ef01",
        ],
        &user,
    );
    assert!(
        signed.contains(key.trim()) && signed.contains("signature: "),
        "{signed}"
    );
    let refused_to_sign = commons(&["key", "sign-challenge", "alice", "anything else"], &user);
    assert!(!refused_to_sign.status.success());

    // An offline receipt, checked with no node.
    let receipt = ok(
        &[
            &["proof", commons_id, "--event", event_id][..],
            &node_flag[..],
        ]
        .concat(),
        &user,
    );
    let receipt_file = dir.path().join("receipt.txt");
    std::fs::write(&receipt_file, &receipt).unwrap();
    let checked = ok(&["proof", "verify", receipt_file.to_str().unwrap()], &user);
    assert!(checked.starts_with("ok: event"), "{checked}");
    let sequencer = get(&format!("{}/api/v1/node", node.url));
    assert!(sequencer.contains("sequencer"));

    // Export from the running node and verify the bundle independently.
    let from_node = commons(
        &[&["export", commons_id][..], &node_flag[..]].concat(),
        &user,
    );
    assert!(
        from_node.status.success(),
        "{}",
        String::from_utf8_lossy(&from_node.stderr)
    );
    let node_bundle = dir.path().join("from-node.bundle");
    std::fs::write(&node_bundle, from_node.stdout).unwrap();
    ok(
        &["verify", "--bundle", node_bundle.to_str().unwrap()],
        &user,
    );
    drop(node);

    // Offline: audit, export, import into a mirror, audit the mirror, rebuild.
    let verified = ok(&["verify"], &data);
    assert_eq!(
        verified.lines().filter(|l| l.starts_with("ok ")).count(),
        3,
        "the demo commons, its fork and the tour's own commons: {verified}"
    );
    let bundle = Command::new(BIN)
        .args(["export", commons_id])
        .env("COMMONS_DATA", &data)
        .output()
        .unwrap();
    assert!(bundle.status.success());
    let bundle_file = dir.path().join("tools.bundle");
    std::fs::write(&bundle_file, &bundle.stdout).unwrap();
    ok(
        &["verify", "--bundle", bundle_file.to_str().unwrap()],
        &user,
    );
    let mirror = dir.path().join("mirror");
    ok(&["import", bundle_file.to_str().unwrap()], &mirror);
    let mirror_verified = ok(&["verify"], &mirror);
    assert!(mirror_verified.contains(commons_id), "{mirror_verified}");
    let rebuilt = ok(&["rebuild"], &data);
    assert!(
        rebuilt
            .lines()
            .all(|l| l.contains("equal to the stored ones")),
        "{rebuilt}"
    );
}

#[test]
fn serving_the_demo_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let count = |url: &str| {
        get(&format!("{url}/api/v1/commons"))
            .matches("\"id\"")
            .count()
    };
    // The demo commons and its fork.
    let first = serve(dir.path(), &["--demo"]);
    assert_eq!(count(&first.url), 2);
    drop(first);
    let authors_before = ok(&["verify"], dir.path());
    let second = serve(dir.path(), &["--demo"]);
    assert_eq!(count(&second.url), 2);
    drop(second);
    let authors_after = ok(&["verify"], dir.path());
    // Only ledger ticks may differ; the number of commons and a passing audit stay.
    assert_eq!(
        authors_before.lines().count(),
        authors_after.lines().count()
    );
}

#[test]
fn a_tampered_bundle_fails_verification_and_names_the_failure() {
    let dir = tempfile::tempdir().unwrap();
    let node = serve(dir.path(), &["--demo"]);
    drop(node);
    let verified = ok(&["verify"], dir.path());
    let commons_id = verified
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .to_owned();
    let bundle = Command::new(BIN)
        .args(["export", &commons_id])
        .env("COMMONS_DATA", dir.path())
        .output()
        .unwrap();
    let mut bytes = bundle.stdout;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let file = dir.path().join("tampered.bundle");
    std::fs::write(&file, bytes).unwrap();
    let output = commons(&["verify", "--bundle", file.to_str().unwrap()], dir.path());
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("error:"));
}

#[test]
fn a_blob_put_on_a_node_is_got_back_under_its_reference_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let node = serve(&dir.path().join("node"), &[]);
    let node_flag = ["--node", node.url.as_str()];
    let file = dir.path().join("design.txt");
    let content = b"a sketch of the tool shed, version 3\n".repeat(100);
    std::fs::write(&file, &content).unwrap();
    let expected = commons_ledger::blob::BlobRef::of_bytes(&content);

    let put = ok(
        &[&["blob", "put", file.to_str().unwrap()][..], &node_flag[..]].concat(),
        dir.path(),
    );
    assert_eq!(
        put.trim(),
        format!("{} {} bytes", expected.name(), content.len())
    );
    // Again: the same reference.
    let again = ok(
        &[&["blob", "put", file.to_str().unwrap()][..], &node_flag[..]].concat(),
        dir.path(),
    );
    assert_eq!(again, put);

    let name = expected.name();
    let out = dir.path().join("copy.txt");
    let get = [
        &["blob", "get", name.as_str(), "-o", out.to_str().unwrap()][..],
        &node_flag[..],
    ]
    .concat();
    assert_eq!(ok(&get, dir.path()), "");
    assert_eq!(std::fs::read(&out).unwrap(), content);
    // Without -o the bytes go to standard output.
    let to_stdout = commons(
        &[&["blob", "get", name.as_str()][..], &node_flag[..]].concat(),
        dir.path(),
    );
    assert!(to_stdout.status.success());
    assert_eq!(to_stdout.stdout, content);

    // A blob the node does not hold fails with the node's code, and writes nothing.
    let unknown = commons_ledger::blob::BlobRef::of_bytes(b"never uploaded").name();
    let missing = dir.path().join("missing.txt");
    let refused = commons(
        &[
            &[
                "blob",
                "get",
                unknown.as_str(),
                "-o",
                missing.to_str().unwrap(),
            ][..],
            &node_flag[..],
        ]
        .concat(),
        dir.path(),
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("blob_unknown"));
    assert!(!missing.exists());
}

/// A node stand-in that answers every request with 200 and `body`, once per connection.
fn lying_node(body: &'static [u8]) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    url
}

#[test]
fn a_blob_whose_bytes_do_not_match_its_reference_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let url = lying_node(b"not what was asked for");
    let asked = commons_ledger::blob::BlobRef::of_bytes(b"what was asked for").name();
    let out = dir.path().join("artifact.bin");
    let refused = commons(
        &[
            "blob",
            "get",
            asked.as_str(),
            "-o",
            out.to_str().unwrap(),
            "--node",
            url.as_str(),
        ],
        dir.path(),
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("are not") && stderr.contains(&asked),
        "{stderr}"
    );
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Nor anything on standard output.
    let to_stdout = commons(
        &["blob", "get", asked.as_str(), "--node", url.as_str()],
        dir.path(),
    );
    assert!(!to_stdout.status.success());
    assert!(to_stdout.stdout.is_empty());
}

#[test]
fn peer_production_verbs_post_claim_contribute_review_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let user = dir.path().join("user");
    let node = serve(&data, &[]);
    let node_flag = ["--node", node.url.as_str()];
    let run = |args: &[&str]| ok(&[args, &node_flag[..]].concat(), &user);
    let alice = ok(&["key", "new", "alice"], &user).trim().to_owned();
    let bob = ok(&["key", "new", "bob"], &user).trim().to_owned();
    ok(&["key", "new", "ann"], &user);
    let commons_id = run(&["init", "Handbook", "--key", "alice"])
        .trim()
        .to_owned();
    let c = commons_id.as_str();
    let first_word = |out: String| out.split_whitespace().next().unwrap().to_owned();

    run(&[
        "area",
        "create",
        "--commons",
        c,
        "--slug",
        "docs",
        "--name",
        "Documentation",
        "--maintainer",
        &alice,
        "--maintainer",
        &bob,
        "--approvals",
        "1",
        "--key",
        "alice",
    ]);
    let areas = run(&["area", "list", "--commons", c]);
    assert!(
        areas.contains("docs") && areas.contains("2 maintainer(s)"),
        "{areas}"
    );

    let task = first_word(run(&[
        "task",
        "post",
        "--commons",
        c,
        "--area",
        "docs",
        "--title",
        "First-steps guide",
        "--label",
        "beginner",
        "--chore",
        "--key",
        "ann",
    ]));
    run(&["task", "signal", &task, "--commons", c, "--key", "bob"]);
    let board = run(&["task", "board", "--commons", c]);
    assert!(
        board.contains("First-steps guide") && board.contains("1 need"),
        "{board}"
    );
    assert!(
        board.contains("3 points"),
        "the ranking is explained: {board}"
    );
    run(&["task", "claim", &task, "--commons", c, "--key", "ann"]);
    let refused = commons(
        &[
            &["task", "claim", &task, "--commons", c, "--key", "bob"][..],
            &node_flag[..],
        ]
        .concat(),
        &user,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("task_claimed"));

    let work = first_word(run(&[
        "contrib",
        "submit",
        "--commons",
        c,
        "--area",
        "docs",
        "--kind",
        "care",
        "--title",
        "Wrote the guide",
        "--task",
        &task,
        "--effort-minutes",
        "120",
        "--key",
        "ann",
    ]));
    let self_approval = commons(
        &[
            &[
                "contrib",
                "review",
                &work,
                "--approve",
                "--commons",
                c,
                "--key",
                "ann",
            ][..],
            &node_flag[..],
        ]
        .concat(),
        &user,
    );
    assert!(String::from_utf8_lossy(&self_approval.stderr).contains("self_approval_forbidden"));
    run(&[
        "contrib",
        "review",
        &work,
        "--approve",
        "--commons",
        c,
        "--key",
        "bob",
    ]);
    let shown = run(&["contrib", "show", &work, "--commons", c]);
    assert!(shown.contains("\"status\": \"accepted\""), "{shown}");
    let listed = run(&["contrib", "list", "--commons", c, "--status", "accepted"]);
    assert!(
        listed.contains("Wrote the guide") && listed.contains("volunteer"),
        "{listed}"
    );

    run(&[
        "thread",
        "post",
        "--on",
        &format!("task:{task}"),
        "--text",
        "Done, thanks!",
        "--commons",
        c,
        "--key",
        "ann",
    ]);
    let thread = run(&[
        "thread",
        "show",
        "--on",
        &format!("task:{task}"),
        "--commons",
        c,
    ]);
    assert!(thread.contains("Done, thanks!"), "{thread}");

    let ann = ok(&["key", "show", "ann"], &user).trim().to_owned();
    let record = run(&["record", &ann, "--commons", c]);
    assert!(
        record.contains("1 accepted") && record.contains("chores done 1"),
        "{record}"
    );
    let stats = run(&["stats", "--commons", c]);
    assert!(stats.contains("\"accepted\": 1"), "{stats}");
    for verb in [
        ["area", "create"],
        ["task", "board"],
        ["task", "claim"],
        ["contrib", "submit"],
        ["contrib", "review"],
        ["thread", "post"],
    ] {
        let help = ok(&[verb[0], verb[1], "--help"], &user);
        assert!(
            help.contains("Example"),
            "`commons {} {} --help` shows no example",
            verb[0],
            verb[1]
        );
    }
}

/// The arguments with `--node URL` after them.
fn on<'a>(url: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--node", url]);
    all
}

/// Runs a verb that must fail; returns its standard error.
fn refused(args: &[&str], data: &Path) -> String {
    let output = commons(args, data);
    assert!(!output.status.success(), "commons {args:?} succeeded");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn a_fork_made_with_the_cli_has_a_lineage_that_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let user = dir.path().join("user");
    let node = serve(&data, &[]);
    let url = node.url.clone();
    ok(&["key", "new", "alice"], &user);
    let bob = ok(&["key", "new", "bob"], &user);
    let parent = ok(
        &on(&url, &["init", "Tool library", "--key", "alice"]),
        &user,
    );
    let parent = parent.trim();

    // Alice wrote the parent's genesis, so a one-time key signs her fork's; she maintains it.
    let output = commons(
        &on(
            &url,
            &[
                "fork", parent, "--at", "latest", "--name", "Tools", "--key", "alice",
            ],
        ),
        &user,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("one-time key"));
    let fork = String::from_utf8(output.stdout).unwrap();
    let fork = fork.trim();
    assert_eq!(fork.len(), 64);
    let checks = ok(&on(&url, &["lineage", fork]), &user);
    let lines: Vec<&str> = checks.lines().collect();
    assert_eq!(lines.len(), 3, "{checks}");
    assert!(
        lines.iter().all(|line| line.starts_with("ok  ")),
        "{checks}"
    );
    assert!(checks.contains("parent checkpoint"));
    assert!(checks.contains("consistency proof"));
    let overview = get(&format!("{}/api/v1/commons/{fork}", node.url));
    let alice = ok(&["key", "show", "alice"], &user);
    assert!(overview.contains(alice.trim()), "{overview}");

    // Bob forks at size 1 under his own key; the fork is listed under its parent.
    let bobs = ok(
        &on(
            &url,
            &[
                "fork",
                parent,
                "--at",
                "1",
                "--name",
                "Bob's tools",
                "--key",
                "bob",
            ],
        ),
        &user,
    );
    let forks = get(&format!("{}/api/v1/commons/{parent}/forks", node.url));
    assert!(
        forks.contains(bobs.trim()) && forks.contains(fork),
        "{forks}"
    );
    let overview = get(&format!("{}/api/v1/commons/{}", node.url, bobs.trim()));
    assert!(overview.contains(bob.trim()), "{overview}");

    // Refusals name their code.
    let stderr = refused(
        &on(
            &url,
            &["fork", parent, "--at", "99", "--name", "x", "--key", "bob"],
        ),
        &user,
    );
    assert!(stderr.contains("no_checkpoint"), "{stderr}");
    let stderr = refused(
        &on(
            &url,
            &[
                "fork",
                parent,
                "--at",
                "latest",
                "--name",
                "x",
                "--licence",
                "MIT",
                "--key",
                "bob",
            ],
        ),
        &user,
    );
    assert!(stderr.contains("licence_incompatible"), "{stderr}");
    let stderr = refused(&on(&url, &["lineage", parent]), &user);
    assert!(stderr.contains("not_a_fork"), "{stderr}");
    let stderr = refused(
        &on(
            &url,
            &[
                "fork", parent, "--at", "soon", "--name", "x", "--key", "bob",
            ],
        ),
        &user,
    );
    assert!(stderr.contains("--at"), "{stderr}");

    // The whole data directory verifies, forks included.
    drop(node);
    let verified = ok(&["verify"], &data);
    assert!(verified.contains(fork), "{verified}");
}
