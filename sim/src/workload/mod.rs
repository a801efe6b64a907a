//! Workloads: named lists of GEMM layers, built in or read from a TOML file.
//!
//! A layer may repeat (the 12 attention heads of a transformer layer are one layer with
//! `repeat = 12`); runs are identical for identical shapes, so a repeated layer is simulated once
//! and its statistics counted `repeat` times.
//!
//! File format (TOML):
//! ```toml
//! name = "my-net"
//! [[layer]]
//! name = "fc1"
//! m = 1        # rows of A and C (output pixels / tokens)
//! n = 4096     # columns of B and C (output channels)
//! k = 9216     # reduction (input channels x filter area)
//! repeat = 1   # optional, default 1
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::array::schedule::GemmShape;
use crate::config::line_col;
use crate::error::WorkloadError;

/// One GEMM layer of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemmLayer {
    /// Layer name.
    pub name: String,
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// The reduction dimension.
    pub k: usize,
    /// How many times the layer runs (default 1).
    #[serde(default = "one")]
    pub repeat: u64,
}

fn one() -> u64 {
    1
}

impl GemmLayer {
    /// The layer's GEMM shape.
    pub fn shape(&self) -> GemmShape {
        GemmShape {
            m: self.m,
            n: self.n,
            k: self.k,
        }
    }

    /// MACs of all repeats (saturating).
    pub fn macs(&self) -> u64 {
        self.shape().macs().saturating_mul(self.repeat)
    }
}

/// A named list of layers that run one after another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Workload name.
    pub name: String,
    /// Where the shapes come from.
    #[serde(default)]
    pub source: String,
    /// The layers, in execution order.
    #[serde(rename = "layer")]
    pub layers: Vec<GemmLayer>,
}

/// Largest `repeat` a layer may have.
pub const MAX_REPEAT: u64 = 1_000_000;

/// The workload `systole run` uses when none is given.
pub const DEFAULT_WORKLOAD: &str = "bert-base";

/// Names of the built-in workloads.
pub fn builtin_names() -> Vec<&'static str> {
    vec!["bert-base"]
}

impl Workload {
    /// Total MACs of the workload.
    pub fn macs(&self) -> u64 {
        self.layers
            .iter()
            .fold(0u64, |acc, l| acc.saturating_add(l.macs()))
    }

    /// A built-in workload.
    pub fn builtin(name: &str) -> Option<Workload> {
        match name {
            "bert-base" => Some(bert_base_layer(128)),
            _ => None,
        }
    }

    /// A built-in name or the path of a TOML workload file.
    pub fn load(name_or_path: &str) -> Result<Workload, WorkloadError> {
        if let Some(w) = Workload::builtin(name_or_path) {
            return Ok(w);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(WorkloadError::Unknown {
                name: name_or_path.to_string(),
                builtins: builtin_names().join(", "),
            });
        }
        Workload::from_file(path)
    }

    /// Reads and checks a TOML workload file.
    pub fn from_file(path: &Path) -> Result<Workload, WorkloadError> {
        let err = |line, message: String| WorkloadError::File {
            path: path.to_path_buf(),
            line,
            message,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
        let w: Workload = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| line_col(&text, s.start).0);
            err(line, e.message().trim().to_string())
        })?;
        if w.layers.is_empty() {
            return Err(err(None, "has no [[layer]]".into()));
        }
        for (i, l) in w.layers.iter().enumerate() {
            for (dim, v) in [("m", l.m), ("n", l.n), ("k", l.k)] {
                if v == 0 {
                    return Err(err(
                        None,
                        format!(
                            "layer {} (`{}`): {dim} = 0: must be at least 1",
                            i + 1,
                            l.name
                        ),
                    ));
                }
            }
            if l.repeat == 0 || l.repeat > MAX_REPEAT {
                return Err(err(
                    None,
                    format!(
                        "layer {} (`{}`): repeat = {}: must be between 1 and {MAX_REPEAT}",
                        i + 1,
                        l.name,
                        l.repeat
                    ),
                ));
            }
        }
        Ok(w)
    }
}

/// The GEMMs of one BERT-base encoder layer (Devlin et al., 2019: hidden 768, 12 heads of 64,
/// feed-forward 3072) on a sequence of `seq` tokens. A (ifmap) holds activations, B the weights;
/// in the two attention products both operands are activations.
pub fn bert_base_layer(seq: usize) -> Workload {
    let (h, heads, dh, ff) = (768, 12, 64, 3072);
    let l = |name: &str, m, n, k, repeat| GemmLayer {
        name: name.to_string(),
        m,
        n,
        k,
        repeat,
    };
    Workload {
        name: "bert-base".to_string(),
        source: format!(
            "one BERT-base encoder layer, sequence {seq} (Devlin et al., NAACL 2019: hidden 768, 12 heads, FFN 3072)"
        ),
        layers: vec![
            l("qkv_proj", seq, h, h, 3),
            l("attn_scores", seq, seq, dh, heads),
            l("attn_context", seq, dh, seq, heads),
            l("attn_out_proj", seq, h, h, 1),
            l("ffn_up", seq, ff, h, 1),
            l("ffn_down", seq, h, ff, 1),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bert_base_macs() {
        let w = Workload::builtin("bert-base").unwrap();
        // 4 x 128x768x768 + 2 x 12 x 128x128x64 + 2 x 128x768x3072
        let want = 4 * 128 * 768 * 768 + 2 * 12 * 128 * 128 * 64 + 2 * 128 * 768 * 3072;
        assert_eq!(w.macs(), want as u64);
    }

    #[test]
    fn file_errors_name_file_and_line() {
        let dir = std::env::temp_dir().join(format!("systole-wl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("w.toml");
        std::fs::write(
            &p,
            "name = \"x\"\n[[layer]]\nname = \"a\"\nm = 2\nn = 3\nkk = 4\n",
        )
        .unwrap();
        let e = Workload::from_file(&p).unwrap_err().to_string();
        assert!(e.contains("w.toml:6") && e.contains("kk"), "{e}");
        std::fs::write(
            &p,
            "name = \"x\"\n[[layer]]\nname = \"a\"\nm = 0\nn = 3\nk = 4\n",
        )
        .unwrap();
        let e = Workload::from_file(&p).unwrap_err().to_string();
        assert!(e.contains("m = 0"), "{e}");
        std::fs::write(
            &p,
            "name = \"x\"\n[[layer]]\nname = \"a\"\nm = 2\nn = 3\nk = 4\n",
        )
        .unwrap();
        let w = Workload::from_file(&p).unwrap();
        assert_eq!(w.layers[0].repeat, 1);
        std::fs::write(
            &p,
            "name = \"x\"\n[[layer]]\nname = \"a\"\nm = 2\nn = 3\nk = 4\nrepeat = 1000000000000\n",
        )
        .unwrap();
        let e = Workload::from_file(&p).unwrap_err().to_string();
        assert!(e.contains("repeat = 1000000000000"), "{e}");
        assert!(matches!(
            Workload::load("no-such-net"),
            Err(WorkloadError::Unknown { .. })
        ));
    }
}
