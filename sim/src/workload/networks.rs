//! The built-in networks, with layer shapes from their papers.
//!
//! Only the layers that run on the array are listed: convolutions, fully connected layers and
//! the matrix products of attention. Pooling, element-wise additions, normalisation and softmax
//! do not run on a systolic array and are left out, as SCALE-Sim's topologies leave them out.
//! Identical layers are one entry with a `repeat`.

use super::{Conv, Layer, LayerOp, Workload};

/// The built-in workloads, in the order `systole workloads` lists them.
pub const NAMES: &[&str] = &[
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "mobilenetv2",
    "bert-base",
    "gpt2-decode",
];

/// A built-in workload by name.
pub fn builtin(name: &str) -> Option<Workload> {
    Some(match name {
        "alexnet" => alexnet(),
        "vgg16" => vgg16(),
        "resnet18" => resnet18(),
        "resnet50" => resnet50(),
        "mobilenetv2" => mobilenetv2(),
        "bert-base" => bert_base(128),
        "gpt2-decode" => gpt2_decode(1024),
        _ => return None,
    })
}

/// A square convolution of one image: `hw` x `hw` x `c` in, `f` filters of `r` x `r`, stride
/// `s`, padding `p` on every side.
fn conv(name: &str, hw: usize, c: usize, r: usize, f: usize, s: usize, p: usize) -> Layer {
    Layer::new(
        name,
        LayerOp::Conv(Conv::unpadded((hw, hw), (r, r), c, f, s).padded(p)),
    )
}

/// A depthwise `r` x `r` convolution (multiplier 1), padding `r / 2`.
fn dw(name: &str, hw: usize, c: usize, r: usize, s: usize) -> Layer {
    Layer::new(
        name,
        LayerOp::Conv(
            Conv::unpadded((hw, hw), (r, r), c, c, s)
                .padded(r / 2)
                .depthwise(1),
        ),
    )
}

fn fc(name: &str, inputs: usize, outputs: usize) -> Layer {
    Layer::new(
        name,
        LayerOp::Fc {
            batch: 1,
            inputs,
            outputs,
        },
    )
}

fn workload(name: &str, source: &str, layers: Vec<Layer>) -> Workload {
    Workload {
        name: name.to_string(),
        source: source.to_string(),
        layers,
        notes: Vec::new(),
        quantized: None,
    }
}

/// AlexNet (Krizhevsky, Sutskever and Hinton, NeurIPS 2012), with its two-GPU grouping of conv2,
/// conv4 and conv5. The input is 227x227, the size the paper's layer sizes imply (its "224" does
/// not give 55x55 after an 11x11/4 convolution).
pub fn alexnet() -> Workload {
    let grouped = |l: Layer| match l.op {
        LayerOp::Conv(c) => Layer::new(l.name, LayerOp::Conv(c.grouped(2))),
        _ => l,
    };
    workload(
        "alexnet",
        "AlexNet (Krizhevsky et al., NeurIPS 2012), 227x227 input, conv2/4/5 in two groups",
        vec![
            conv("conv1", 227, 3, 11, 96, 4, 0),
            grouped(conv("conv2", 27, 96, 5, 256, 1, 2)),
            conv("conv3", 13, 256, 3, 384, 1, 1),
            grouped(conv("conv4", 13, 384, 3, 384, 1, 1)),
            grouped(conv("conv5", 13, 384, 3, 256, 1, 1)),
            fc("fc6", 6 * 6 * 256, 4096),
            fc("fc7", 4096, 4096),
            fc("fc8", 4096, 1000),
        ],
    )
}

/// VGG-16, configuration D (Simonyan and Zisserman, ICLR 2015), 224x224 input.
pub fn vgg16() -> Workload {
    workload(
        "vgg16",
        "VGG-16, configuration D (Simonyan and Zisserman, ICLR 2015), 224x224 input",
        vec![
            conv("conv1_1", 224, 3, 3, 64, 1, 1),
            conv("conv1_2", 224, 64, 3, 64, 1, 1),
            conv("conv2_1", 112, 64, 3, 128, 1, 1),
            conv("conv2_2", 112, 128, 3, 128, 1, 1),
            conv("conv3_1", 56, 128, 3, 256, 1, 1),
            conv("conv3_2", 56, 256, 3, 256, 1, 1).times(2),
            conv("conv4_1", 28, 256, 3, 512, 1, 1),
            conv("conv4_2", 28, 512, 3, 512, 1, 1).times(2),
            conv("conv5_x", 14, 512, 3, 512, 1, 1).times(3),
            fc("fc6", 7 * 7 * 512, 4096),
            fc("fc7", 4096, 4096),
            fc("fc8", 4096, 1000),
        ],
    )
}

/// ResNet-18 (He et al., CVPR 2016, Table 1), 224x224 input: basic blocks, projection shortcuts
/// (1x1, stride 2) where the shape changes.
pub fn resnet18() -> Workload {
    let mut layers = vec![conv("conv1", 224, 3, 7, 64, 2, 3)];
    // After the 3x3/2 max pool: 56x56x64.
    layers.push(conv("conv2_x", 56, 64, 3, 64, 1, 1).times(4));
    let mut hw = 56;
    let mut c = 64;
    for (stage, f) in [(3, 128), (4, 256), (5, 512)] {
        let out = hw / 2;
        layers.push(conv(&format!("conv{stage}_1a"), hw, c, 3, f, 2, 1));
        layers.push(conv(&format!("conv{stage}_proj"), hw, c, 1, f, 2, 0));
        layers.push(conv(&format!("conv{stage}_x"), out, f, 3, f, 1, 1).times(3));
        hw = out;
        c = f;
    }
    layers.push(fc("fc", 512, 1000));
    workload(
        "resnet18",
        "ResNet-18 (He et al., CVPR 2016, Table 1), 224x224 input",
        layers,
    )
}

/// ResNet-50 (He et al., CVPR 2016, Table 1), 224x224 input: bottleneck blocks with the stride
/// in the first 1x1 convolution of a stage, as the paper has it (torchvision's "v1.5" moves it
/// to the 3x3), and projection shortcuts at the first block of each stage.
pub fn resnet50() -> Workload {
    let mut layers = vec![conv("conv1", 224, 3, 7, 64, 2, 3)];
    let mut hw = 56;
    let mut c = 64;
    for (stage, width, blocks) in [(2, 64, 3), (3, 128, 4), (4, 256, 6), (5, 512, 3)] {
        let s = if stage == 2 { 1 } else { 2 };
        let out = hw / s;
        let f = 4 * width;
        let name = |part: &str| format!("conv{stage}_{part}");
        layers.push(conv(&name("1a"), hw, c, 1, width, s, 0));
        layers.push(conv(&name("proj"), hw, c, 1, f, s, 0));
        layers.push(conv(&name("1b"), out, f, 1, width, 1, 0).times(blocks - 1));
        layers.push(conv(&name("2"), out, width, 3, width, 1, 1).times(blocks));
        layers.push(conv(&name("3"), out, width, 1, f, 1, 0).times(blocks));
        hw = out;
        c = f;
    }
    layers.push(fc("fc", 2048, 1000));
    workload(
        "resnet50",
        "ResNet-50 (He et al., CVPR 2016, Table 1), 224x224 input, stride in the first 1x1 of a stage",
        layers,
    )
}

/// MobileNetV2 (Sandler et al., CVPR 2018, Table 2), 224x224 input, width 1.0: inverted
/// residual bottlenecks (1x1 expansion by `t`, 3x3 depthwise, 1x1 projection).
pub fn mobilenetv2() -> Workload {
    let mut layers = vec![conv("conv1", 224, 3, 3, 32, 2, 1)];
    let mut hw = 112;
    let mut c = 32;
    // (t, c, n, s) rows of Table 2.
    let rows = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ];
    for (b, &(t, out_c, n, s)) in rows.iter().enumerate() {
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            let name = |part: &str| format!("block{}_{}_{part}", b + 1, i + 1);
            let e = c * t;
            if t != 1 {
                layers.push(conv(&name("expand"), hw, c, 1, e, 1, 0));
            }
            layers.push(dw(&name("dw"), hw, e, 3, stride));
            hw /= stride;
            layers.push(conv(&name("project"), hw, e, 1, out_c, 1, 0));
            c = out_c;
        }
    }
    layers.push(conv("conv2", hw, c, 1, 1280, 1, 0));
    layers.push(fc("fc", 1280, 1000));
    workload(
        "mobilenetv2",
        "MobileNetV2 (Sandler et al., CVPR 2018, Table 2), 224x224 input, width 1.0",
        layers,
    )
}

/// BERT-base (Devlin et al., NAACL 2019: 12 encoder layers, hidden 768, 12 heads of 64,
/// feed-forward 3072) on a sequence of `seq` tokens. A (ifmap) holds activations, B the weights;
/// in the two attention products both operands are activations.
pub fn bert_base(seq: usize) -> Workload {
    let (h, heads, dh, ff, layers) = (768, 12, 64, 3072, 12);
    let l =
        |name: &str, m, n, k, per_layer: u64| Layer::gemm(name, m, n, k).times(per_layer * layers);
    workload(
        "bert-base",
        &format!(
            "BERT-base, 12 encoder layers, sequence {seq} (Devlin et al., NAACL 2019: hidden 768, 12 heads, FFN 3072)"
        ),
        vec![
            l("qkv_proj", seq, h, h, 3),
            l("attn_scores", seq, seq, dh, heads),
            l("attn_context", seq, dh, seq, heads),
            l("attn_out_proj", seq, h, h, 1),
            l("ffn_up", seq, ff, h, 1),
            l("ffn_down", seq, h, ff, 1),
        ],
    )
}

/// One decoding step of GPT-2 small (Radford et al., 2019: 12 layers, hidden 768, 12 heads of
/// 64, feed-forward 3072, vocabulary 50257) with `context` tokens in the key/value cache: every
/// product has one row (a GEMV), and the step ends with the vocabulary projection.
pub fn gpt2_decode(context: usize) -> Workload {
    let (h, heads, dh, ff, layers, vocab) = (768, 12, 64, 3072, 12u64, 50257);
    let l = |name: &str, n, k, per_layer: u64| Layer::gemm(name, 1, n, k).times(per_layer * layers);
    workload(
        "gpt2-decode",
        &format!(
            "one decoding step of GPT-2 small (Radford et al., 2019: 12 layers, hidden 768, 12 heads, FFN 3072, vocabulary 50257), {context} tokens of context"
        ),
        vec![
            l("qkv_proj", 3 * h, h, 1),
            l("attn_scores", context, dh, heads),
            l("attn_context", dh, context, heads),
            l("attn_out_proj", h, h, 1),
            l("ffn_up", ff, h, 1),
            l("ffn_down", h, ff, 1),
            Layer::gemm("lm_head", 1, vocab, h),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(got: u64, want: f64, tol: f64) -> bool {
        ((got as f64) - want).abs() <= tol * want
    }

    #[test]
    fn every_name_builds_a_valid_network() {
        for name in NAMES {
            let w = builtin(name).unwrap();
            assert_eq!(w.name, *name);
            for l in &w.layers {
                l.check()
                    .unwrap_or_else(|e| panic!("{name} {}: {e}", l.name));
            }
            w.check_macs().unwrap();
        }
        assert!(builtin("lenet").is_none());
    }

    #[test]
    fn macs_match_the_papers() {
        // He et al. Table 1: 1.8 and 3.8 x 10^9 multiply-adds.
        let r18 = builtin("resnet18").unwrap().macs();
        assert!(within(r18, 1.8e9, 0.02), "{r18}");
        let r50 = builtin("resnet50").unwrap().macs();
        assert!(within(r50, 3.8e9, 0.03), "{r50}");
        // Sandler et al. Table 3: 300M multiply-adds.
        let mb = builtin("mobilenetv2").unwrap().macs();
        assert!(within(mb, 300e6, 0.03), "{mb}");
        // VGG-16: 15.5 x 10^9 (as commonly counted from configuration D).
        let vgg = builtin("vgg16").unwrap().macs();
        assert!(within(vgg, 15.5e9, 0.01), "{vgg}");
        // AlexNet with its grouping: about 0.72 x 10^9.
        let alex = builtin("alexnet").unwrap().macs();
        assert!(within(alex, 0.72e9, 0.03), "{alex}");
    }

    #[test]
    fn resnet_stages_end_at_7x7() {
        let w = resnet50();
        let last_conv = w
            .layers
            .iter()
            .rev()
            .find_map(|l| match l.op {
                LayerOp::Conv(c) => Some(c),
                _ => None,
            })
            .unwrap();
        assert_eq!((last_conv.ofmap_h(), last_conv.filters), (7, 2048));
        let m = mobilenetv2();
        let dws = m
            .layers
            .iter()
            .filter(|l| l.op.kind() == "depthwise")
            .count();
        assert_eq!(dws, 17);
    }

    #[test]
    fn transformers_count_every_layer() {
        let b = bert_base(128);
        // 12 x (4 x 128x768x768 + 2 x 12 x 128x128x64 + 2 x 128x768x3072)
        let one = 4 * 128 * 768 * 768 + 2 * 12 * 128 * 128 * 64 + 2 * 128 * 768 * 3072;
        assert_eq!(b.macs(), 12 * one as u64);
        let g = gpt2_decode(1024);
        assert!(g.layers.iter().all(|l| l.shape().m == 1));
        // About 85M weights in the blocks plus the 38.6M-weight vocabulary projection, one MAC
        // each, plus attention over the cache.
        let weights = 12 * (4 * 768 * 768 + 2 * 768 * 3072) + 50257 * 768;
        let attn = 12 * 12 * 2 * 1024 * 64;
        assert_eq!(g.macs(), (weights + attn) as u64);
    }
}
