//! The UI's TypeScript types are generated from these crates' structs and committed; this test
//! fails when they are stale. `cargo xtask gen` runs it with STINT_WRITE_GENERATED=1 to rewrite
//! them instead.

use std::path::Path;

#[test]
fn committed_typescript_types_match_the_rust_structs() {
    // At run time, so a test binary shared between checkouts checks the one it runs in.
    let manifest_dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or(env!("CARGO_MANIFEST_DIR").into());
    let committed = Path::new(&manifest_dir).join("../../ui/src/lib/generated");
    if std::env::var_os("STINT_WRITE_GENERATED").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        stint_api::typescript::write_all(&committed).unwrap();
        return;
    }
    let fresh = tempfile::tempdir().unwrap();
    stint_api::typescript::write_all(fresh.path()).unwrap();
    let mut stale = Vec::new();
    for file in std::fs::read_dir(fresh.path()).unwrap() {
        let file = file.unwrap();
        let expected = std::fs::read_to_string(file.path()).unwrap();
        let actual = std::fs::read_to_string(committed.join(file.file_name())).unwrap_or_default();
        if expected != actual {
            stale.push(file.file_name().to_string_lossy().into_owned());
        }
    }
    let generated = std::fs::read_dir(fresh.path()).unwrap().count();
    let committed_count = std::fs::read_dir(&committed)
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(
        stale.is_empty() && generated == committed_count,
        "ui/src/lib/generated is stale ({stale:?}; {committed_count} files committed, {generated} generated): run `cargo xtask gen`"
    );
}
