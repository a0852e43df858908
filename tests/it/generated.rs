//! The committed shell completions and man pages must match the clap definitions.

const REGENERATE: &str = "MOTH_REGENERATE=1 cargo test --test it generated";

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("MOTH_REGENERATE").is_some() {
        moth::generate::write_all(root).expect("write generated files");
        return;
    }
    let mut stale = Vec::new();
    for (path, expected) in moth::generate::files().expect("generate") {
        match std::fs::read(root.join(&path)) {
            Ok(actual) if actual == expected => {}
            _ => stale.push(path),
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {}; regenerate them with: {REGENERATE}",
        stale.join(", ")
    );
}
