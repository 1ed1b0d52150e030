fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/generated");
    let _ = std::fs::remove_dir_all(&dir);
    stint_api::typescript::write_all(&dir).unwrap();
}
