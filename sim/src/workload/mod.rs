//! Workloads: named lists of layers, built in ([`networks`]), read from our TOML format, or read
//! from SCALE-Sim topology CSVs ([`crate::scalesim`]; [`crate::source`] picks the reader).
//!
//! A layer may repeat (the 12 attention heads of a transformer layer are one layer with
//! `repeat = 12`); runs are identical for identical shapes, so a repeated layer is simulated once
//! and its statistics counted `repeat` times. [`layer`] says how each kind of layer maps onto the
//! GEMM the array runs.
//!
//! File format (TOML); `kind` is `gemm` (the default), `conv`, `depthwise` or `fc`:
//! ```toml
//! name = "my-net"
//! [[layer]]
//! name = "conv1"
//! kind = "conv"
//! ifmap = [224, 224]   # height, width (or ifmap_h, ifmap_w)
//! channels = 3
//! filter = [7, 7]      # height, width (or filter_h, filter_w)
//! filters = 64
//! stride = 2           # or [h, w], or stride_h, stride_w; default 1
//! padding = 3          # or [top, bottom, left, right], or pad_top, ...; default 0
//! batch = 1            # optional, default 1
//! [[layer]]
//! name = "fc"
//! kind = "fc"
//! inputs = 512
//! outputs = 1000
//! [[layer]]
//! name = "qkv"
//! m = 128              # rows of A and C (output pixels / tokens)
//! n = 2304             # columns of B and C (output channels)
//! k = 768              # reduction (input channels x filter area)
//! repeat = 1           # optional, default 1
//! ```
//! A `depthwise` layer takes `multiplier` (default 1) instead of `filters`; a `conv` layer may
//! take `groups` (default 1).

pub mod im2col;
pub mod layer;
pub mod networks;
pub mod quantized;
pub mod shape;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::line_col;
use crate::error::WorkloadError;
pub use layer::{Conv, LayerOp};
pub use shape::GemmShape;

/// One layer of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// Layer name.
    pub name: String,
    /// What it computes.
    pub op: LayerOp,
    /// How many times the layer runs (default 1).
    pub repeat: u64,
}

impl Layer {
    /// A layer that runs once.
    pub fn new(name: impl Into<String>, op: LayerOp) -> Layer {
        Layer {
            name: name.into(),
            op,
            repeat: 1,
        }
    }

    /// A plain GEMM layer.
    pub fn gemm(name: impl Into<String>, m: usize, n: usize, k: usize) -> Layer {
        Layer::new(name, LayerOp::Gemm { m, n, k })
    }

    /// The same layer run `repeat` times.
    pub fn times(mut self, repeat: u64) -> Layer {
        self.repeat = repeat;
        self
    }

    /// The GEMM the array runs for the layer.
    pub fn shape(&self) -> GemmShape {
        self.op.gemm().0
    }

    /// How many times that GEMM runs for the whole layer: `repeat`, times the channels of a
    /// depthwise layer (saturating).
    pub fn runs(&self) -> u64 {
        self.op.gemm().1.saturating_mul(self.repeat)
    }

    /// MACs of all runs (saturating).
    pub fn macs(&self) -> u64 {
        self.shape().macs().saturating_mul(self.runs())
    }

    /// Checks the shape ([`LayerOp::check`]), the repeat and the whole product: the MACs of every
    /// run of the layer (per run x groups x repeat) must not pass [`MAX_MACS`]. The message names
    /// the offending field.
    pub fn check(&self) -> Result<(), String> {
        if self.name.is_empty() || self.name.chars().any(char::is_control) {
            return Err(format!(
                "name \"{}\": must be one line of text, without control characters (it heads a row of every table)",
                self.name.escape_debug()
            ));
        }
        self.op.check()?;
        if self.repeat == 0 || self.repeat > MAX_REPEAT {
            return Err(format!(
                "repeat = {}: must be between 1 and {MAX_REPEAT}",
                self.repeat
            ));
        }
        let (per_run, runs) = (self.shape().macs(), self.runs());
        if per_run
            .checked_mul(self.op.gemm().1)
            .and_then(|m| m.checked_mul(self.repeat))
            .is_none_or(|m| m > MAX_MACS)
        {
            return Err(format!(
                "too large: {per_run} MACs per GEMM x {runs} GEMMs (groups x repeat) is more than 2^53 MACs, the most a workload may have"
            ));
        }
        Ok(())
    }
}

/// A named list of layers that run one after another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Workload name.
    pub name: String,
    /// Where the shapes come from.
    pub source: String,
    /// The layers, in execution order.
    pub layers: Vec<Layer>,
    /// What the source said that systole does not model (e.g. a SCALE-Sim sparsity column).
    #[serde(default)]
    pub notes: Vec<String>,
    /// A quantized network's data (weights, biases, requantization, input): a run then computes
    /// the real int8 network layer by layer with the output stage instead of random operands.
    #[serde(skip)]
    pub quantized: Option<std::sync::Arc<quantized::QuantNet>>,
}

/// Largest `repeat` a layer may have.
pub const MAX_REPEAT: u64 = 1_000_000;

/// Most multiply-accumulates a workload may have, over every run of every layer: 2^53 (about
/// 9.0e15, a million times ResNet-50's 3.8e9), up to which counts are exact in the `f64`
/// arithmetic of the reports. Bounding the whole product (not only M x N x K) keeps a depthwise
/// layer of 10^12 channels repeated 10^6 times from saturating every total.
pub const MAX_MACS: u64 = 1 << 53;

/// The workload `systole run` uses when none is given.
pub const DEFAULT_WORKLOAD: &str = "resnet18";

/// Names of the built-in workloads.
pub fn builtin_names() -> Vec<&'static str> {
    networks::NAMES
        .iter()
        .chain(quantized::NAMES)
        .copied()
        .collect()
}

/// A layer as written in a TOML workload file: every field of every kind, checked on conversion.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    name: toml::Spanned<String>,
    kind: Option<String>,
    m: Option<usize>,
    n: Option<usize>,
    k: Option<usize>,
    ifmap: Option<[usize; 2]>,
    ifmap_h: Option<usize>,
    ifmap_w: Option<usize>,
    channels: Option<usize>,
    filter: Option<[usize; 2]>,
    filter_h: Option<usize>,
    filter_w: Option<usize>,
    filters: Option<usize>,
    multiplier: Option<usize>,
    groups: Option<usize>,
    stride: Option<OneOrMany>,
    stride_h: Option<usize>,
    stride_w: Option<usize>,
    padding: Option<OneOrMany>,
    pad_top: Option<usize>,
    pad_bottom: Option<usize>,
    pad_left: Option<usize>,
    pad_right: Option<usize>,
    batch: Option<usize>,
    inputs: Option<usize>,
    outputs: Option<usize>,
    repeat: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(usize),
    Many(Vec<usize>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    name: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    layer: Vec<RawLayer>,
}

/// Which fields each kind takes (for "does not take" errors).
const FIELDS: &[(&str, &[&str])] = &[
    ("gemm", &["m", "n", "k"]),
    (
        "conv",
        &[
            "ifmap",
            "ifmap_h",
            "ifmap_w",
            "channels",
            "filter",
            "filter_h",
            "filter_w",
            "filters",
            "groups",
            "stride",
            "stride_h",
            "stride_w",
            "padding",
            "pad_top",
            "pad_bottom",
            "pad_left",
            "pad_right",
            "batch",
        ],
    ),
    (
        "depthwise",
        &[
            "ifmap",
            "ifmap_h",
            "ifmap_w",
            "channels",
            "filter",
            "filter_h",
            "filter_w",
            "multiplier",
            "stride",
            "stride_h",
            "stride_w",
            "padding",
            "pad_top",
            "pad_bottom",
            "pad_left",
            "pad_right",
            "batch",
        ],
    ),
    ("fc", &["inputs", "outputs", "batch"]),
];

impl RawLayer {
    /// The fields given, by name.
    fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        macro_rules! given {
            ($($f:ident),*) => { $( if self.$f.is_some() { v.push(stringify!($f)); } )* };
        }
        given!(
            m, n, k, ifmap, ifmap_h, ifmap_w, channels, filter, filter_h, filter_w, filters,
            multiplier, groups, stride, stride_h, stride_w, padding, pad_top, pad_bottom, pad_left,
            pad_right, batch, inputs, outputs
        );
        v
    }

    fn into_layer(self) -> Result<Layer, String> {
        let kind = self.kind.clone().unwrap_or_else(|| "gemm".to_string());
        let Some(&(_, takes)) = FIELDS.iter().find(|(k, _)| *k == kind) else {
            return Err(format!(
                "kind = \"{kind}\": use gemm, conv, depthwise or fc"
            ));
        };
        if let Some(f) = self.given().into_iter().find(|f| !takes.contains(f)) {
            return Err(format!("a {kind} layer does not take `{f}`"));
        }
        let need = |v: Option<usize>, name: &str| v.ok_or_else(|| format!("missing `{name}`"));
        let pair = |both: Option<[usize; 2]>,
                    a: Option<usize>,
                    b: Option<usize>,
                    names: (&str, &str, &str)|
         -> Result<(usize, usize), String> {
            match (both, a, b) {
                (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(format!(
                    "give `{}` or `{}`/`{}`, not both",
                    names.0, names.1, names.2
                )),
                (Some([x, y]), None, None) => Ok((x, y)),
                (None, a, b) => Ok((need(a, names.1)?, need(b, names.2)?)),
            }
        };
        let op = match kind.as_str() {
            "gemm" => LayerOp::Gemm {
                m: need(self.m, "m")?,
                n: need(self.n, "n")?,
                k: need(self.k, "k")?,
            },
            "fc" => LayerOp::Fc {
                batch: self.batch.unwrap_or(1),
                inputs: need(self.inputs, "inputs")?,
                outputs: need(self.outputs, "outputs")?,
            },
            _ => {
                let (ifmap_h, ifmap_w) = pair(
                    self.ifmap,
                    self.ifmap_h,
                    self.ifmap_w,
                    ("ifmap", "ifmap_h", "ifmap_w"),
                )?;
                let (filter_h, filter_w) = pair(
                    self.filter,
                    self.filter_h,
                    self.filter_w,
                    ("filter", "filter_h", "filter_w"),
                )?;
                let channels = need(self.channels, "channels")?;
                let (stride_h, stride_w) = match (&self.stride, self.stride_h, self.stride_w) {
                    (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                        return Err("give `stride` or `stride_h`/`stride_w`, not both".into())
                    }
                    (Some(OneOrMany::One(s)), None, None) => (*s, *s),
                    (Some(OneOrMany::Many(v)), None, None) if v.len() == 2 => (v[0], v[1]),
                    (Some(OneOrMany::Many(v)), None, None) => {
                        return Err(format!(
                            "stride has {} values: give one, or [height, width]",
                            v.len()
                        ))
                    }
                    (None, h, w) => (h.unwrap_or(1), w.unwrap_or(1)),
                };
                let sides = [self.pad_top, self.pad_bottom, self.pad_left, self.pad_right];
                let pads = match &self.padding {
                    Some(_) if sides.iter().any(Option::is_some) => {
                        return Err("give `padding` or `pad_top`/... , not both".into())
                    }
                    Some(OneOrMany::One(p)) => [*p; 4],
                    Some(OneOrMany::Many(v)) if v.len() == 2 => [v[0], v[0], v[1], v[1]],
                    Some(OneOrMany::Many(v)) if v.len() == 4 => [v[0], v[1], v[2], v[3]],
                    Some(OneOrMany::Many(v)) => {
                        return Err(format!(
                            "padding has {} values: give one, [vertical, horizontal] or [top, bottom, left, right]",
                            v.len()
                        ))
                    }
                    None => sides.map(|p| p.unwrap_or(0)),
                };
                let depthwise = kind == "depthwise";
                let filters = if depthwise {
                    let m = self.multiplier.unwrap_or(1);
                    channels.checked_mul(m).ok_or_else(|| {
                        format!(
                            "too large: channels = {channels} x multiplier = {m} filters do not fit in {} bits",
                            usize::BITS
                        )
                    })?
                } else {
                    need(self.filters, "filters")?
                };
                if depthwise && self.multiplier == Some(0) {
                    return Err("multiplier = 0: must be at least 1".into());
                }
                LayerOp::Conv(Conv {
                    batch: self.batch.unwrap_or(1),
                    ifmap_h,
                    ifmap_w,
                    channels,
                    filter_h,
                    filter_w,
                    filters,
                    stride_h,
                    stride_w,
                    pad_top: pads[0],
                    pad_bottom: pads[1],
                    pad_left: pads[2],
                    pad_right: pads[3],
                    groups: if depthwise {
                        channels
                    } else {
                        self.groups.unwrap_or(1)
                    },
                })
            }
        };
        let layer = Layer {
            name: self.name.into_inner(),
            op,
            repeat: self.repeat.unwrap_or(1),
        };
        layer.check()?;
        Ok(layer)
    }
}

impl Workload {
    /// Total MACs of the workload.
    pub fn macs(&self) -> u64 {
        self.layers
            .iter()
            .fold(0u64, |acc, l| acc.saturating_add(l.macs()))
    }

    /// Checks that the layers together stay within [`MAX_MACS`] (each layer is checked on its
    /// own by [`Layer::check`]).
    pub fn check_macs(&self) -> Result<(), String> {
        if self.macs() > MAX_MACS {
            return Err(format!(
                "too large: its layers add up to {} MACs, more than 2^53, the most a workload may have",
                crate::text::count(self.macs())
            ));
        }
        Ok(())
    }

    /// A built-in workload.
    pub fn builtin(name: &str) -> Option<Workload> {
        networks::builtin(name).or_else(|| quantized::QuantNet::builtin(name).map(|q| q.workload()))
    }

    /// Reads and checks a TOML workload file.
    pub fn from_file(path: &Path) -> Result<Workload, WorkloadError> {
        let text = crate::input::read_text(path).map_err(|e| WorkloadError::File {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Workload::from_toml_str(&text, path)
    }

    /// Parses and checks the text of a TOML workload file; `path` names it in errors.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Workload, WorkloadError> {
        let err = |line, message: String| WorkloadError::File {
            path: path.to_path_buf(),
            line,
            message,
        };
        let raw: RawWorkload = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_col(text, s.start).0);
            err(line, e.message().trim().to_string())
        })?;
        if raw.layer.is_empty() {
            return Err(err(None, "has no [[layer]]".into()));
        }
        if raw.name.trim().is_empty() || raw.name.chars().any(char::is_control) {
            return Err(err(
                None,
                format!(
                    "name = \"{}\": must be one line of text, without control characters",
                    raw.name.escape_debug()
                ),
            ));
        }
        let mut layers = Vec::with_capacity(raw.layer.len());
        for (i, l) in raw.layer.into_iter().enumerate() {
            // The line is counted only for an error: counting it for every layer made reading a
            // file of n layers take time in n^2.
            let at = l.name.span().start;
            let name = l.name.get_ref().clone();
            let layer = l.into_layer().map_err(|m| {
                err(
                    Some(line_col(text, at).0),
                    format!("layer {} (`{}`): {m}", i + 1, name.escape_debug()),
                )
            })?;
            layers.push(layer);
        }
        let w = Workload {
            name: raw.name,
            source: raw.source,
            layers,
            notes: Vec::new(),
            quantized: None,
        };
        w.check_macs().map_err(|m| err(None, m))?;
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A file of many layers reads in time proportional to its length (each layer's line was
    /// counted from the start of the file: 100,000 layers took minutes).
    #[test]
    fn many_layers_read_in_linear_time() {
        let mut text = String::from("name = \"many\"\n");
        for i in 0..100_000 {
            text.push_str(&format!(
                "[[layer]]\nname = \"l{i}\"\nm = 2\nn = 2\nk = 2\n"
            ));
        }
        let began = std::time::Instant::now();
        let w = Workload::from_toml_str(&text, Path::new("many.toml")).unwrap();
        assert_eq!(w.layers.len(), 100_000);
        let took = began.elapsed();
        assert!(took.as_secs() < 10, "{took:?}");
        // An error in the last layer still names its line.
        let bad = text.replace("name = \"l99999\"\nm = 2", "name = \"l99999\"\nm = 0");
        let e = Workload::from_toml_str(&bad, Path::new("many.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("many.toml:499998: layer 100000 (`l99999`): m = 0"),
            "{e}"
        );
    }

    #[test]
    fn conv_fc_and_depthwise_layers_read_from_toml() {
        let dir = std::env::temp_dir().join(format!("systole-wl-conv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("net.toml");
        std::fs::write(
            &p,
            r#"name = "net"
[[layer]]
name = "stem"
kind = "conv"
ifmap = [224, 224]
channels = 3
filter = [7, 7]
filters = 64
stride = 2
padding = 3
[[layer]]
name = "dw"
kind = "depthwise"
ifmap_h = 56
ifmap_w = 56
channels = 32
filter = [3, 3]
multiplier = 2
stride = [2, 1]
padding = [1, 1, 0, 2]
batch = 4
[[layer]]
name = "grouped"
kind = "conv"
ifmap = [13, 13]
channels = 384
filter = [3, 3]
filters = 256
groups = 2
padding = 1
[[layer]]
name = "fc"
kind = "fc"
inputs = 512
outputs = 1000
batch = 8
repeat = 2
"#,
        )
        .unwrap();
        let w = Workload::from_file(&p).unwrap();
        let g: Vec<_> = w
            .layers
            .iter()
            .map(|l| (l.shape().m, l.shape().n, l.shape().k, l.runs()))
            .collect();
        assert_eq!(
            g,
            vec![
                (112 * 112, 64, 147, 1),
                // h: (56 + 2 - 3) / 2 + 1 = 28; w: (56 + 2 - 3) / 1 + 1 = 56; 4 images.
                (4 * 28 * 56, 2, 9, 32),
                (169, 128, 9 * 192, 2),
                (8, 1000, 512, 2),
            ]
        );
        let errors = [
            (
                "kind = \"conv\"",
                "kind = \"pool\"",
                "net.toml:3: layer 1 (`stem`): kind = \"pool\"",
            ),
            ("filters = 64\n", "", "layer 1 (`stem`): missing `filters`"),
            (
                "inputs = 512",
                "inputs = 512\nchannels = 3",
                "layer 4 (`fc`): a fc layer does not take `channels`",
            ),
            (
                "padding = [1, 1, 0, 2]",
                "padding = [1, 2, 3]",
                "padding has 3 values",
            ),
            (
                "stride = 2\n",
                "stride = 2\nstride_w = 1\n",
                "give `stride` or `stride_h`/`stride_w`, not both",
            ),
            (
                "groups = 2",
                "groups = 5",
                "groups = 5: must divide channels = 384",
            ),
            (
                "filter = [7, 7]",
                "filter = [7, 7]\nfilter_h = 7",
                "give `filter` or `filter_h`/`filter_w`, not both",
            ),
            (
                "filter = [7, 7]",
                "filter = [231, 7]",
                "filter_h = 231 is taller than the padded ifmap (224 + 3 + 3 rows)",
            ),
            (
                "multiplier = 2",
                "multiplier = 9223372036854775807",
                "too large: channels = 32 x multiplier = 9223372036854775807",
            ),
        ];
        let good = std::fs::read_to_string(&p).unwrap();
        for (from, to, want) in errors {
            assert!(good.contains(from), "{from}");
            std::fs::write(&p, good.replacen(from, to, 1)).unwrap();
            let e = Workload::from_file(&p).unwrap_err().to_string();
            assert!(e.contains(want), "want `{want}` in `{e}`");
        }
    }
}
