//! Rebuild when the assets built into the binary change: `include_dir!` and
//! `include_str!` of a directory are not tracked by cargo on stable Rust.

fn main() {
    for path in ["templates", "schemas", "fixtures/collectivites.json", "fixtures/logos"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
