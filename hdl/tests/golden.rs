//! Golden files for review: the Verilog of one PE and the port description of `tiny-4x4`. A
//! change to either shows up as a diff in review. After an intended change, regenerate with
//! `SYSTOLE_BLESS=1 cargo test -p systole-hdl --test golden` and commit the files.

use rust_hdl::prelude::*;
use systole_hdl::pe::Pe;
use systole_hdl::verilog::interface_text;
use systole_sim::config::ArchConfig;

fn check(name: &str, text: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("SYSTOLE_BLESS").is_some() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with SYSTOLE_BLESS=1)", path.display()));
    assert!(
        want == text,
        "{name} differs from {}; if the change is intended, regenerate with SYSTOLE_BLESS=1",
        path.display()
    );
}

#[test]
fn pe_verilog() {
    let mut pe = Pe::new(2);
    pe.connect_all();
    check("pe-row2.v", &generate_verilog(&pe));
}

#[test]
fn tiny_interface() {
    check(
        "tiny-4x4-interface.md",
        &interface_text(&ArchConfig::preset("tiny-4x4").unwrap()),
    );
}
