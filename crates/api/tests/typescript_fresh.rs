//! The UI's TypeScript types are generated from these crates' structs and committed; this test
//! fails when they are stale. Regenerate with `cargo xtask gen`.

use std::path::Path;

#[test]
fn committed_typescript_types_match_the_rust_structs() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/generated");
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
    let committed_count = std::fs::read_dir(&committed).map(|d| d.count()).unwrap_or(0);
    assert!(
        stale.is_empty() && generated == committed_count,
        "ui/src/lib/generated is stale ({stale:?}; {committed_count} files committed, {generated} generated): run `cargo xtask gen`"
    );
}
