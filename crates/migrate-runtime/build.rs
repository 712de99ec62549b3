fn main() {
    // The doc tests embed this directory; rebuild them when it changes.
    println!("cargo:rerun-if-changed=tests/doc_migrations");
}
