fn main() {
    let cfg = systole_sim::config::ArchConfig::preset("tiny-4x4").unwrap();
    print!("{}", systole_hdl::verilog::accelerator_verilog(&cfg));
}
