fn main() {
    // The doc tests embed this directory; rebuild them when it changes.
    println!("cargo:rerun-if-changed=tests/doc_migrations");
    // The process tests embed this fixture set.
    println!("cargo:rerun-if-changed=tests/sets/concurrent");
}
