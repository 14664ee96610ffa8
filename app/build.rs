// `sqlx::migrate!` embeds the migration files at compile time; without this, a migration
// added to an otherwise unchanged crate is missing from the binary until something else
// recompiles it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
