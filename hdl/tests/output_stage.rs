//! The output stage on every backend: bias, TFLite requantization, zero point and clamp, applied
//! in the write cycle of each row's last accumulation. The fast model and the RTL (rust-hdl) agree
//! access by access; Icarus and Verilator run the stage's hand-written Verilog and must give the
//! same C and counters; all equal the stage applied to the plain matrix product.

use systole_hdl::backend::{Backend, RunRequest};
use systole_sim::array::GemmRun;
use systole_sim::config::{ArchConfig, Dataflow, MemoryModel};
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::probe::NoProbe;
use systole_sim::quant::{OutputStage, Requant};

mod common;
use common::Rng;

const ALL: [Dataflow; 3] = [Dataflow::Os, Dataflow::Ws, Dataflow::Is];

/// A stage for `n` columns: column 0..4 are edge cases (shift 0, -31 and 30, the extreme
/// multipliers), the rest realistic scales (outputs mostly inside the int8 range) or random.
fn stage(n: usize, seed: u64) -> OutputStage {
    let mut r = Rng(seed);
    let edge = [
        Requant {
            multiplier: 1 << 30,
            shift: 0,
        },
        Requant {
            multiplier: i32::MAX,
            shift: -31,
        },
        Requant {
            multiplier: i32::MIN,
            shift: 30,
        },
        Requant {
            multiplier: 1 << 30,
            shift: -1,
        },
    ];
    let requant = (0..n)
        .map(|i| match edge.get(i) {
            Some(&e) => e,
            None if i % 2 == 0 => Requant {
                multiplier: r.irange(1 << 30, i64::from(i32::MAX)) as i32,
                shift: r.irange(-14, -6) as i32,
            },
            None => Requant {
                multiplier: r.next() as i32,
                shift: r.irange(-31, 30) as i32,
            },
        })
        .collect();
    let lo = r.irange(-128, 0) as i8;
    OutputStage {
        bias: (0..n)
            .map(|i| {
                if i % 3 == 0 {
                    r.next() as i32
                } else {
                    r.irange(-5000, 5000) as i32
                }
            })
            .collect(),
        requant,
        out_zero_point: r.irange(-128, 127) as i32,
        act_min: lo,
        act_max: r.irange(i64::from(lo), 127) as i8,
    }
}

fn arch(memory: MemoryModel) -> ArchConfig {
    systole_sim::testing::preset_on("tiny-4x4", memory, None)
}

fn fast(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    st: &OutputStage,
) -> GemmRun {
    let run = Backend::Fast
        .run(RunRequest::new(cfg, df, a, b).stage(Some(st)), &mut NoProbe)
        .unwrap()
        .run;
    let want = st.apply_matrix(&reference_matmul(a, b));
    let got = Matrix::from_fn(run.c.rows(), run.c.cols(), |i, j| run.c.get(i, j) as i8);
    assert_eq!(got, want, "{} {df}: fast model C", cfg.name);
    assert!(run.c.as_slice().iter().all(|&x| i8::try_from(x).is_ok()));
    assert_eq!(
        run.stats.events.output_stage_ops,
        (a.rows() * b.cols()) as u64
    );
    run
}

#[test]
fn rust_hdl_requantizes_like_the_fast_model_access_by_access() {
    // K = 9 > R = 4: WS and IS accumulate over three row tiles, and only the last one requantizes.
    let (a, b) = (
        Matrix::<i8>::random(6, 9, 11),
        Matrix::<i8>::random(9, 7, 12),
    );
    let st = stage(7, 5);
    for memory in [MemoryModel::Ideal, MemoryModel::Dram] {
        let cfg = arch(memory);
        for df in ALL {
            let what = format!("{} {} {df}", cfg.name, memory.name());
            let mut ft = common::Trace::default();
            let f = Backend::Fast
                .run(RunRequest::new(&cfg, df, &a, &b).stage(Some(&st)), &mut ft)
                .unwrap()
                .run;
            fast(&cfg, df, &a, &b, &st);
            let mut rt = common::Trace::default();
            let r = Backend::Rtl
                .run(RunRequest::new(&cfg, df, &a, &b).stage(Some(&st)), &mut rt)
                .unwrap_or_else(|e| panic!("{what}: {e}"))
                .run;
            common::same_run(&what, (ft, &f), (rt, &r));
        }
    }
}

#[test]
fn icarus_and_verilator_run_the_stages_verilog() {
    let work = std::env::temp_dir().join(format!("systole-stage-cosim-{}", std::process::id()));
    let mut seed = 100;
    for memory in [MemoryModel::Ideal, MemoryModel::Dram] {
        let cfg = arch(memory);
        for df in ALL {
            seed += 1;
            let (m, n, k) = (5, 9, 10);
            let a = Matrix::<i8>::random(m, k, seed);
            let b = Matrix::<i8>::random(k, n, seed + 50);
            let st = stage(n, seed);
            let want = fast(&cfg, df, &a, &b, &st);
            let what = format!("{} {} {df}", cfg.name, memory.name());
            let dir = work.join(format!("{}-{df}", memory.name()));
            let ica = Backend::Icarus
                .run(
                    RunRequest::new(&cfg, df, &a, &b)
                        .stage(Some(&st))
                        .work_dir(&dir),
                    &mut NoProbe,
                )
                .unwrap_or_else(|e| panic!("Icarus {what}: {e}"));
            assert_eq!(ica.run.c, want.c, "Icarus {what}: C");
            assert_eq!(ica.run.stats, want.stats, "Icarus {what}: stats");
            let ver = Backend::Verilator
                .run(
                    RunRequest::new(&cfg, df, &a, &b)
                        .stage(Some(&st))
                        .work_dir(&dir),
                    &mut NoProbe,
                )
                .unwrap_or_else(|e| panic!("Verilator {what}: {e}"));
            assert_eq!(ver.run.c, want.c, "Verilator {what}: C");
            assert_eq!(ver.run.stats, want.stats, "Verilator {what}: stats");
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_stage_too_small_or_missing_is_refused() {
    let (a, b) = (
        Matrix::<i8>::random(2, 3, 1),
        Matrix::<i8>::random(3, 70, 2),
    );
    let cfg = arch(MemoryModel::Ideal);
    let st = stage(70, 1);
    let e = Backend::Rtl
        .run(
            RunRequest::new(&cfg, Dataflow::Os, &a, &b).stage(Some(&st)),
            &mut systole_sim::probe::NoProbe,
        )
        .expect_err("70 columns on a 64-channel table");
    assert!(e.to_string().contains("64 channels"), "{e}");
    let mut none = cfg.clone();
    none.output_stage = None;
    let st = stage(3, 1);
    let b = Matrix::<i8>::random(3, 3, 2);
    let e = Backend::Icarus
        .run(
            RunRequest::new(&none, Dataflow::Os, &a, &b)
                .stage(Some(&st))
                .work_dir(std::path::Path::new("/nonexistent")),
            &mut NoProbe,
        )
        .expect_err("no output stage");
    assert!(e.to_string().contains("has none"), "{e}");
}

/// The stage's Verilog functions alone in Icarus, on every edge case of
/// `systole_sim::quant::requant_cases` plus random ones: each result equals the Rust model's.
/// (Whole GEMMs rarely hit an exact rounding tie; these cases are built to.)
#[test]
fn the_verilog_requantization_matches_on_every_edge_case() {
    let cases = systole_sim::quant::requant_cases(20_000, 7);
    let dir = std::env::temp_dir().join(format!("systole-requant-fn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vec: String = cases.iter().map(|c| c.hex_line() + "\n").collect();
    std::fs::write(dir.join("vec.txt"), vec).unwrap();
    let tb = format!(
        r#"module tb;
{functions}
  integer fd, code, i;
  reg signed [31:0] acc, bias, mult;
  reg signed [7:0] shift, zp, lo, hi;
  initial begin
    fd = $fopen("vec.txt", "r");
    for (i = 0; i < {n}; i = i + 1) begin
      code = $fscanf(fd, "%h %h %h %h %h %h %h\n", acc, bias, mult, shift, zp, lo, hi);
      $display("%0d", requant(acc, bias, mult, shift, zp, lo, hi));
    end
    $finish;
  end
endmodule
"#,
        functions = systole_hdl::blocks::output_stage::REQUANT_FUNCTIONS,
        n = cases.len()
    );
    std::fs::write(dir.join("tb.v"), tb).unwrap();
    let run = |prog: &str, args: &[&str]| {
        let out = std::process::Command::new(prog)
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run `{prog}` ({e}): install Icarus Verilog (scripts/test.sh does)")
            });
        assert!(
            out.status.success(),
            "{prog}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run("iverilog", &["-g2005", "-o", "tb.vvp", "tb.v"]);
    let text = run("vvp", &["-n", "tb.vvp"]);
    let got: Vec<i64> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
    assert_eq!(got.len(), cases.len(), "one result per case");
    for (c, &g) in cases.iter().zip(&got) {
        assert_eq!(g, i64::from(c.expected()), "{c:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
