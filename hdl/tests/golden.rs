//! Golden files for review: the Verilog of one PE and the port description of `tiny-4x4`. A
//! change to either shows up as a diff in review. After an intended change, regenerate with
//! `SYSTOLE_BLESS=1 cargo test -p systole-hdl --test golden` and commit the files.

use rust_hdl::prelude::*;
use systole_hdl::blocks::pe::Pe;
use systole_hdl::flow::verilog::interface_text;
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

/// Every port of the top module, host side and memory side, has a row in the interface table
/// (the spill's `cmd_c_*` ports were once added without one).
#[test]
fn the_interface_describes_every_port() {
    let text = interface_text(&ArchConfig::preset("tiny-4x4").unwrap());
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| `")).collect();
    let documented = |name: &str| {
        // Lane ports are written once as `name$<lane>`.
        let name = name.split('$').next().unwrap();
        rows.iter().any(|r| {
            r.split('`').nth(1).is_some_and(|cell| {
                cell.split(", ")
                    .any(|p| p == name || p.split('$').next() == Some(name))
            })
        })
    };
    let ports = systole_hdl::interface::TOP_PORTS
        .iter()
        .map(|p| p.0.to_string())
        .chain(
            systole_hdl::interface::memory_ports(4, 4)
                .into_iter()
                .map(|p| p.0),
        );
    for p in ports {
        assert!(documented(&p), "port {p} has no row in the interface table");
    }
}
