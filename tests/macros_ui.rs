//! Compile-time behaviour of `#[derive(Actor)]` and `#[messages]`: valid
//! inputs compile and run, invalid ones fail with the pinned, spanned
//! diagnostics in `tests/ui/fail/*.stderr`.
//!
//! Regenerate the pinned output after an intended change with
//! `TRYBUILD=overwrite cargo test --test macros_ui`, then read every diff.

// Breaks if a valid macro use stops compiling, or a diagnostic changes its text or span.
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
