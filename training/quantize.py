#!/usr/bin/env python3
"""Quantise a shipped float ESPCN (.onnx) to int8 for onnxruntime's CPU provider, calibrated on training patches.

  /usr/bin/python3 training/quantize.py models/espcn-x2.onnx --out models/espcn-int8-x2.onnx

The float model's weights are read from its ONNX file. Activation ranges come from running those weights (in
PyTorch) on LR patches of the training set, never on the validation images. The graph keeps the float model's
interface (Y/255 in, Y/255 at x scale out) and its edge padding, so srvid runs it like any other model:

  conv1 float, tanh, QuantizeLinear (uint8, one scale per channel), QLinearConv 3x3 (int8 weights per output
  channel, uint8 output), DequantizeLinear (one scale per channel), tanh, conv3 float, skip, pixel shuffle.
conv2 is 87% of ESPCN's multiply-adds (77% of espcn-light's) and runs 3.8x faster in int8 here (profiled:
38 -> 10 ms at 640x360, one thread). Quantising conv1 (one input channel) or conv3 (r^2 outputs) as well made
them slower, not faster, in onnxruntime 1.30 (QLinearConv 19 ms vs 14 ms float; 15-18 ms vs 14 ms).
Needs Debian's python3-onnx and python3-torch.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import PatchSampler, list_images  # noqa: E402
from espcn import ESPCN, RECEPTIVE_RADIUS  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def float_weights(path: Path) -> dict:
    return {i.name: numpy_helper.to_array(i).astype(np.float32) for i in onnx.load(str(path)).graph.initializer}


@torch.no_grad()
def calibrate(w: dict, scale: int, patches: np.ndarray, pct: float) -> dict:
    """Per-channel ranges (|x| at the `pct` percentile) of tanh(conv1) and of conv2's pre-activations."""
    c1, c2 = w["conv1.weight"].shape[0], w["conv2.weight"].shape[0]
    m = ESPCN(scale, c1, c2).set_valid(True)
    m.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()})
    a1 = torch.tanh(m.conv1(torch.from_numpy(patches)))
    z2 = m.conv2(a1)

    def span(t, limit):
        v = t.transpose(0, 1).flatten(1).abs().numpy()
        return np.clip(np.percentile(v, pct, axis=1), 1e-3, limit).astype(np.float32)

    # tanh is flat beyond 4 (0.9993): a wider range for conv2's output would only coarsen the steps.
    return {"a1": span(a1, 1.0), "z2": span(z2, 4.0)}


def s8_per_channel(wt: np.ndarray):
    """Symmetric int8 per output channel (zero point 0), the layout onnxruntime's u8s8 kernels take."""
    amax = np.abs(wt.reshape(wt.shape[0], -1)).max(axis=1)
    s = np.maximum(amax, 1e-12) / 127.0
    q = np.clip(np.round(wt / s[:, None, None, None]), -127, 127).astype(np.int8)
    return q, s.astype(np.float32)


# QLinearConv takes one scale for its whole input and one for its whole output, and 8 bits per tensor are too
# coarse for ESPCN's activations, whose channels span 0.05 to 0.9 (tanh(conv1)) and 0.05 to 3.6 (conv2): one
# scale per tensor cost 0.40 dB on Set5 x2, one per channel 0.12 (PyTorch simulation). The per-channel scales
# live in QuantizeLinear/DequantizeLinear (axis 1), and conv2's weights absorb them: input channel c is
# stored as a1_c / r1_c and output channel o as z2_o / r2_o, both in [-1, 1] with one step of 1/127.5.
UNIT = np.float32(1 / 127.5)


def equalised_conv2(w: dict, ranges: dict):
    """conv2's weights and bias for inputs a1_c / r1_c and outputs z2_o / r2_o."""
    r1, r2 = ranges["a1"], ranges["z2"]
    return (w["conv2.weight"] * r1[None, :, None, None] / r2[:, None, None, None]).astype(np.float32), \
        (w["conv2.bias"] / r2).astype(np.float32)


class YGraph:
    """An ONNX graph from the Y plane ("y") to the upscaled Y plane ("y_up"), built a node at a time: the
    network's residual ends as "res", to which `model` adds the nearest-neighbour skip and the pixel shuffle."""

    def __init__(self):
        self.inits, self.nodes = [], []

    def const(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(self, op, inputs, outputs, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    def model(self, scale: int, name: str, producer: str, skip: bool = True) -> onnx.ModelProto:
        """skip=False: the graph already ends in "y_up" (it added the skip itself)."""
        if skip:
            self.node("Add", ["res", "y"], ["sum"])  # the nearest-neighbour skip
            self.node("DepthToSpace", ["sum"], ["y_up"], blocksize=scale, mode="CRD")
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1, "height", "width"])],
            [helper.make_tensor_value_info("y_up", TensorProto.FLOAT, ["batch", 1, "height_up", "width_up"])],
            self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name=producer)
        model.ir_version = 7
        onnx.checker.check_model(model)
        return model


def build(w: dict, scale: int, ranges: dict) -> onnx.ModelProto:
    r = RECEPTIVE_RADIUS
    g = YGraph()
    const, node = g.const, g.node

    c1, c2 = len(ranges["a1"]), len(ranges["z2"])
    node("Pad", ["y", const("pads", np.array([0, 0, r, r, 0, 0, r, r], np.int64))], ["padded"], mode="edge")
    node("Conv", ["padded", const("conv1.weight", w["conv1.weight"]), const("conv1.bias", w["conv1.bias"])], ["z1"],
         kernel_shape=[5, 5])
    node("Tanh", ["z1"], ["a1"])
    node("QuantizeLinear", ["a1", const("a1_s", (ranges["a1"] * UNIT).astype(np.float32)),
                            const("a1_zp", np.full(c1, 128, np.uint8))], ["a1_q"], axis=1)
    wt, bias = equalised_conv2(w, ranges)
    wq, ws = s8_per_channel(wt)
    node("QLinearConv", ["a1_q", const("unit", UNIT), const("mid", np.uint8(128)), const("w2_q", wq),
                         const("w2_s", ws), const("w2_zp", np.zeros(c2, np.int8)), "unit", "mid",
                         const("b2_q", np.round(bias / (UNIT * ws)).astype(np.int32))],
         ["z2_q"], kernel_shape=[3, 3], pads=[0, 0, 0, 0])
    node("DequantizeLinear", ["z2_q", const("z2_s", (ranges["z2"] * UNIT).astype(np.float32)),
                              const("z2_zp", np.full(c2, 128, np.uint8))], ["z2"], axis=1)
    node("Tanh", ["z2"], ["a2"])
    node("Conv", ["a2", const("conv3.weight", w["conv3.weight"]), const("conv3.bias", w["conv3.bias"])], ["res"],
         kernel_shape=[3, 3])
    return g.model(scale, "espcn_int8", "srvid quantize.py")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=Path, help="float ESPCN .onnx (with its .json beside it)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--train", type=Path, nargs="+", default=[SHARED / "train"])
    p.add_argument("--patches", type=int, default=2048, help="calibration LR patches")
    p.add_argument("--percentile", type=float, default=99.99, help="range kept of each activation")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    meta = json.loads(a.model.with_suffix(".json").read_text())
    scale = int(meta["scale"])
    w = float_weights(a.model)
    sampler = PatchSampler([q for f in a.train for q in list_images(f)], scale, 24, RECEPTIVE_RADIUS, seed=a.seed)
    patches, _ = sampler.batch(a.patches)
    ranges = calibrate(w, scale, patches, a.percentile)
    write_model(w, scale, ranges, a.out, meta, {
        "calibration": f"{a.patches} LR patches (24 px + context) of the training set, seed {a.seed}, "
                       f"{a.percentile} percentile ranges"})


def write_model(w: dict, scale: int, ranges: dict, out: Path, meta: dict, extra: dict) -> None:
    """The int8 graph and its metadata JSON (the float model's, with how it was quantised)."""
    model = build(w, scale, ranges)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    info = {**meta, "name": out.stem,
            "quantization": {"int8": "conv2 (QLinearConv, weights int8 per output channel)",
                             "activations": "uint8, one scale per channel (folded into conv2's weights)",
                             "float": "conv1, conv3, tanh", **extra,
                             "ranges": {k: [round(float(v), 4) for v in rs] for k, rs in ranges.items()}}}
    info.pop("validationPsnrY", None)
    out.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {out}: ranges " + ", ".join(f"{k} {rs.min():.3f}-{rs.max():.3f}" for k, rs in ranges.items()))


if __name__ == "__main__":
    main()
