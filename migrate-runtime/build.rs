fn main() {
    // The doc tests embed this directory; rebuild them when it changes.
    println!("cargo:rerun-if-changed=tests/doc_migrations");
    // The process tests embed this fixture set.
    println!("cargo:rerun-if-changed=tests/sets/concurrent");
    // The baseline_from tests embed the expected imports of the foreign fixture sets.
    for tool in ["sqlx", "diesel", "refinery", "prisma"] {
        println!("cargo:rerun-if-changed=../tests/fixtures/foreign/imported/{tool}");
    }
}
