#!/usr/bin/env python3
"""Full int8 for a plain chain of convolutions with ReLU (a collapsed SESR, training/sesr.py): every
convolution runs as an onnxruntime QLinearConv (uint8 activations, int8 weights per output channel, int32 bias).

  /usr/bin/python3 training/quantize_chain.py models/sesr-x2.onnx --out models/sesr-int8-x2.onnx \
      --log docs/training/sesr-x2-int8 --steps 4000        # --steps 0: calibration only, no fine-tuning

The graph: pad edge, QuantizeLinear(Y/255, 1/255) (exact for 8-bit luma), QLinearConv ... QLinearConv,
DequantizeLinear, the nearest skip (float add), DepthToSpace. No QuantizeLinear or DequantizeLinear between
the convolutions:
- Each hidden activation is stored as relu(z_c) / r_c in [0, 1] in steps of 1/255 (uint8, zero point 0), r_c
  being channel c's range calibrated on training patches. QLinearConv takes one scale per tensor; the
  per-channel ranges are folded into the weights instead (output channel o of a layer divided by r_o, input
  channel c of the next multiplied by r_c; ReLU commutes with a positive scale). A uint8 output with zero
  point 0 clamps at 0: the ReLU costs nothing.
- The last convolution writes the residual over nearest-neighbour in steps of exactly 1/255 around zero point
  128. The skip adds Y/255, an integer multiple of 1/255 too, so this rounding is the one srvid makes anyway
  when it writes 8-bit luma: it costs nothing there (10-bit output loses its two extra bits of the residual).
Quantisation-aware fine-tuning (--steps) trains the float weights with exactly these roundings in the forward
pass (straight-through gradients), ranges held fixed. Activation ranges come from the training set only.
Needs Debian's python3-onnx and python3-torch.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import PatchSampler, list_images, load_eval_set  # noqa: E402
from qat import fine_tune  # noqa: E402
from quantize import YGraph, s8_per_channel  # noqa: E402
from sesr import run_chain, skip_pixels  # noqa: E402
from train import SHARED, validate, write_csv  # noqa: E402

STEP = 1 / 255.0


def read_chain(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight OIHW, bias) of each convolution, in graph order."""
    model = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in model.graph.initializer}
    return [(inits[n.input[1]], inits[n.input[2]]) for n in model.graph.node if n.op_type == "Conv"]


def ste_round(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.round(x) - x).detach()


class QuantChain(torch.nn.Module):
    """The plain chain whose forward rounds where the int8 graph does (fake quantisation). grid=2: a qsr chain,
    run on the 2 x 2 space-to-depth grid (sesr.py)."""

    def __init__(self, chain, scale: int, ranges: list[np.ndarray] | None = None, grid: int = 1):
        super().__init__()
        self.scale, self.grid = scale, grid
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(torch.from_numpy(w.copy())) for w, _ in chain])
        self.biases = torch.nn.ParameterList([torch.nn.Parameter(torch.from_numpy(b.copy())) for _, b in chain])
        self.context = grid * sum((w.shape[2] - 1) // 2 for w, _ in chain)
        self.receptive_radius = self.context + grid - 1
        self.ranges = [torch.from_numpy(r) for r in ranges] if ranges is not None else None
        self.valid = False

    def set_valid(self, valid: bool) -> "QuantChain":
        self.valid = valid
        return self

    def equalised(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Layer i's weight and bias for inputs a/r_in and outputs z/r_out (r = 1 for the image and the residual)."""
        w, b = self.weights[i], self.biases[i]
        last = i == len(self.weights) - 1
        r_in = self.ranges[i - 1] if i > 0 else torch.ones(1)
        r_out = torch.ones(w.shape[0]) if last else self.ranges[i]
        return w * r_in.view(1, -1, 1, 1) / r_out.view(-1, 1, 1, 1), b / r_out

    def forward(self, x: torch.Tensor, quantised: bool = True) -> torch.Tensor:
        n = len(self.weights)
        if self.ranges is None or not quantised:  # float, for calibration
            layers = [lambda h, i=i: F.conv2d(h, self.weights[i], self.biases[i]) for i in range(n)]
            return run_chain(self, x, layers)

        def layer(h: torch.Tensor, i: int) -> torch.Tensor:
            # run_chain applies the ReLU between layers; the clamp to [0, 1] and the rounding of a hidden
            # activation to uint8 (zero point 0) happen here, at the next layer's input. Y/255 is already exact.
            if i > 0:
                h = ste_round(h.clamp(0, 1) / STEP) * STEP
            w, b = self.equalised(i)
            s = w.detach().abs().flatten(1).amax(dim=1).clamp_min(1e-12).div(127.0).view(-1, 1, 1, 1)
            wq = ste_round(w / s).clamp(-127, 127) * s
            bq = ste_round(b / (STEP * s.view(-1))) * (STEP * s.view(-1))
            z = F.conv2d(h, wq, bq)
            if i == n - 1:  # the residual: uint8 around 128
                z = ste_round(z.clamp(-128 * STEP, 127 * STEP) / STEP) * STEP
            return z

        return run_chain(self, x, [lambda h, i=i: layer(h, i) for i in range(n)])

    def plain(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(w.detach().numpy().astype(np.float32), b.detach().numpy().astype(np.float32))
                for w, b in zip(self.weights, self.biases)]


@torch.no_grad()
def calibrate(chain, scale: int, patches: np.ndarray, pct: float, grid: int = 1) -> list[np.ndarray]:
    """Each hidden layer's per-channel range: relu(z) at the `pct` percentile, on training patches."""
    m = QuantChain(chain, scale, grid=grid).set_valid(True)
    h, ranges = torch.from_numpy(patches), []
    if grid == 2:
        h = F.pixel_unshuffle(h, 2)
    for w, b in list(zip(m.weights, m.biases))[:-1]:
        h = F.relu(F.conv2d(h, w, b))
        v = h.transpose(0, 1).flatten(1).numpy()
        ranges.append(np.maximum(np.percentile(v, pct, axis=1), 1e-3).astype(np.float32))
    return ranges


BLOCK = 2  # LR pixels per side that the first and last convolutions compute at once


def blocked_first(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A k x k convolution of the one-channel image as a convolution on its 2 x 2 space-to-depth grid: input
    channel (dy, dx) is the pixel at that offset in a block, output channel c * 4 + py * 2 + px is channel c at
    offset (py, px), so DepthToSpace(2, CRD) puts the full-resolution feature map back. Same arithmetic (the
    extra taps are zeros); 4 input and 4F output channels take onnxruntime's fast int8 path, one input does not."""
    o_n, i_n, k, _ = w.shape
    assert i_n == 1, "the first layer reads the one-channel image"
    taps = (k + BLOCK) // BLOCK
    wb = np.zeros((o_n * 4, 4, taps, taps), np.float32)
    for py in range(BLOCK):
        for px in range(BLOCK):
            for ky in range(k):
                for kx in range(k):
                    ay, ax = py + ky, px + kx
                    wb[py * 2 + px::4, (ay % 2) * 2 + ax % 2, ay // 2, ax // 2] = w[:, 0, ky, kx]
    return wb, np.repeat(b, 4).astype(np.float32)


def blocked_last(w: np.ndarray, b: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The last k x k convolution (scale^2 outputs) for 2 x 2 LR pixels at once: k + 1 taps, stride 2, 4 scale^2
    outputs ordered as one DepthToSpace(2 scale, CRD) needs, (py s + sy) 2s + px s + sx. Also returns which of
    the block's four pixels (py * 2 + px) each output belongs to, for the skip."""
    o_n, i_n, k, _ = w.shape
    s = scale
    wb = np.zeros((o_n * 4, i_n, k + 1, k + 1), np.float32)
    bb = np.zeros(o_n * 4, np.float32)
    pixel = np.zeros(o_n * 4, np.int64)
    for sy in range(s):
        for sx in range(s):
            for py in range(BLOCK):
                for px in range(BLOCK):
                    o = (py * s + sy) * 2 * s + px * s + sx
                    wb[o, :, py:py + k, px:px + k] = w[sy * s + sx]
                    bb[o], pixel[o] = b[sy * s + sx], py * 2 + px
    return wb, bb, pixel


def build(m: QuantChain, quantised: bool = True) -> onnx.ModelProto:
    """The int8 graph in QDQ form: QuantizeLinear/DequantizeLinear around each convolution, which onnxruntime
    (optimisation level 'all') fuses into NHWC QLinearConv. Its fast integer kernel wants inputs in multiples of
    4 channels and at least 16 outputs. A sesr chain (grid 1) has one input and scale^2 outputs, so its first
    convolution runs on the image's 2 x 2 space-to-depth grid and its last on 2 x 2 blocks of LR pixels
    (blocked_first, blocked_last): the same integer arithmetic as one QLinearConv per layer, reshuffled. A qsr
    chain (grid 2) runs on that grid throughout. Both need an even size, so the edge padding adds a row and a
    column for odd inputs and the result is cropped to the input's size times the scale.
    quantised=False: the same graph in float32 (ReLU where the roundings are), qsr's float export."""
    r, scale, n, grid = m.context, m.scale, len(m.weights), m.grid
    assert n >= 3 and m.weights[0].shape[1] == grid * grid, "a chain from the image: first, middle ..., last"
    g = YGraph()
    const, node = g.const, g.node
    step, zero, mid = "step", "zero", "mid"
    if quantised:
        const(step, np.float32(STEP)), const(zero, np.uint8(0)), const(mid, np.uint8(128))

    def qdq(x: str, out: str, zp: str) -> None:
        if not quantised:  # float: the ReLU of a hidden activation, nothing for the image or the residual
            node("Relu" if zp == zero and x != "blocks" else "Identity", [x], [out])
            return
        node("QuantizeLinear", [x, step, zp], [out + "_q"])
        node("DequantizeLinear", [out + "_q", step, zp], [out])

    def conv(i: int, x: str, out: str, w: np.ndarray, b: np.ndarray, **attrs) -> None:
        if not quantised:
            node("Conv", [x, const(f"w{i}", w), const(f"b{i}", b)], [out], kernel_shape=list(w.shape[2:]), **attrs)
            return
        wq, ws = s8_per_channel(w)
        node("DequantizeLinear", [const(f"w{i}_q", wq), const(f"w{i}_s", ws),
                                  const(f"w{i}_zp", np.zeros(len(ws), np.int8))], [f"w{i}"], axis=0)
        node("DequantizeLinear", [const(f"b{i}_q", np.round(b / (STEP * ws)).astype(np.int32)),
                                  const(f"b{i}_s", (STEP * ws).astype(np.float32)),
                                  const(f"b{i}_zp", np.zeros(len(ws), np.int32))], [f"b{i}"], axis=0)
        node("Conv", [x, f"w{i}", f"b{i}"], [out], kernel_shape=list(w.shape[2:]), **attrs)

    # Edge padding: r on every side, and one more row (column) below (right of) an odd size, so that the
    # padded plane and the blocks of output pixels both have even sides.
    node("Shape", ["y"], ["shape"])
    node("Slice", ["shape", const("two", np.array([2], np.int64)), const("four", np.array([4], np.int64))], ["hw"])
    node("Mod", ["hw", const("even", np.array([2, 2], np.int64))], ["odd"])
    node("Add", ["odd", const("r2", np.array([r, r], np.int64))], ["far"])
    node("Concat", [const("near", np.array([0, 0, r, r, 0, 0], np.int64)), "far"], ["pads"], axis=0)
    node("Pad", ["y", "pads"], ["padded"], mode="edge")
    node("SpaceToDepth", ["padded"], ["blocks"], blocksize=BLOCK)
    qdq("blocks", "a0b", zero)  # Y/255 is on the 1/255 grid: exact
    with torch.no_grad():
        layers = [tuple(t.numpy().astype(np.float32) for t in (m.equalised(i) if quantised else
                                                                (m.weights[i], m.biases[i]))) for i in range(n)]
    if grid == 1:
        conv(0, "a0b", "z1b", *blocked_first(*layers[0]))
        qdq("z1b", "a1b", zero)  # uint8 with zero point 0: the ReLU
        node("DepthToSpace", ["a1b"], ["z1"], blocksize=BLOCK, mode="CRD")
        qdq("z1", "a1", zero)
    else:
        conv(0, "a0b", "z1", *layers[0])
        qdq("z1", "a1", zero)
    for i in range(1, n - 1):
        conv(i, f"a{i}", f"z{i + 1}", *layers[i])
        qdq(f"z{i + 1}", f"a{i + 1}", zero)
    if grid == 1:
        w, b, pixel = blocked_last(*layers[-1], scale)
        conv(n - 1, f"a{n - 1}", "resb", w, b, strides=[BLOCK, BLOCK])
    else:
        pixel = skip_pixels(scale).numpy()
        conv(n - 1, f"a{n - 1}", "resb", *layers[-1])
    qdq("resb", "res", mid)  # the residual in steps of exactly 1/255 around 128
    # The nearest skip: each output adds its LR pixel, taken from the same 2 x 2 block of the (padded) input.
    node("Concat", [const("none", np.zeros(6, np.int64)), "odd"], ["pads2"], axis=0)
    node("Pad", ["y", "pads2"], ["y2"], mode="edge")
    node("SpaceToDepth", ["y2"], ["yb"], blocksize=BLOCK)
    node("Gather", ["yb", const("pixel", pixel)], ["skip"], axis=1)
    node("Add", ["res", "skip"], ["sumb"])
    node("DepthToSpace", ["sumb"], ["upb"], blocksize=BLOCK * scale, mode="CRD")
    node("Mul", ["hw", const("scale", np.array([scale, scale], np.int64))], ["hw_up"])
    node("Slice", ["upb", const("origin", np.array([0, 0], np.int64)), "hw_up",
                   const("axes", np.array([2, 3], np.int64))], ["y_up"])
    return g.model(scale, "chain_int8" if quantised else "chain", "srvid quantize_chain.py", skip=False)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=Path, help="float plain-chain .onnx (with its .json beside it)")
    p.add_argument("--out", type=Path, required=True, help="int8 .onnx to write")
    p.add_argument("--log", type=Path, default=None, help="folder for args.json, train.csv, val.csv")
    p.add_argument("--train", type=Path, nargs="+", default=[SHARED / "train"])
    p.add_argument("--val", type=Path, nargs="+", default=[SHARED / "val" / "Set5", SHARED / "val" / "Set14"])
    p.add_argument("--steps", type=int, default=4000, help="quantisation-aware steps (0: calibration only)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--patch", type=int, default=24)
    p.add_argument("--lr", type=float, default=5e-5, help="start learning rate (cosine decay to 1%% of it)")
    p.add_argument("--calibration-patches", type=int, default=2048)
    p.add_argument("--percentile", type=float, default=99.99)
    p.add_argument("--val-every", type=int, default=1000)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--distill", type=float, default=0.0,
                   help="weight of the float model's own output in the fine-tuning target (0: the HR patch alone)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.log:
        a.log.mkdir(parents=True, exist_ok=True)
        (a.log / "args.json").write_text(json.dumps({k: str(v) if isinstance(v, Path) else v
                                                     for k, v in vars(a).items()}, indent=2, default=str))
    meta = json.loads(a.model.with_suffix(".json").read_text())
    scale = int(meta["scale"])
    grid = int(meta["architecture"].get("grid", 1))
    chain = read_chain(a.model)
    radius = QuantChain(chain, scale, grid=grid).context  # the context each training patch carries
    paths = [q for f in a.train for q in list_images(f)]
    calib, _ = PatchSampler(paths, scale, a.patch, radius, seed=a.seed + 1).batch(a.calibration_patches)
    model = QuantChain(chain, scale, calibrate(chain, scale, calib, a.percentile, grid), grid)
    sets = {f.name: load_eval_set(f, scale) for f in a.val}
    float_scores = validate(_Float(model), sets, scale, "cpu")
    val_rows = [[0, 0.0, *(round(v, 3) for v in validate(model, sets, scale, "cpu").values())]]
    print(f"float {[round(v, 3) for v in float_scores.values()]}, fake-quantised before fine-tuning "
          f"{val_rows[0][2:]} (PSNR-Y dB: {', '.join(sets)})", flush=True)
    sampler = PatchSampler(paths, scale, a.patch, radius, seed=a.seed)
    if a.distill > 0:
        sampler = Distilled(sampler, QuantChain(chain, scale, grid=grid).set_valid(True), a.distill)
    t0 = time.time()
    train_rows = fine_tune(model, sampler, sets, scale, a, val_rows)
    if a.log:
        write_csv(a.log / "train.csv", ["step", "loss", "lr", "seconds"], train_rows)
        write_csv(a.log / "val.csv", ["step", "seconds", *sets.keys()], val_rows)
    model.eval()
    onnx_model = build(model)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(onnx_model, str(a.out))
    info = {**meta, "name": a.out.stem, "quantization": {
        "int8": "every convolution (QDQ, fused by onnxruntime into QLinearConv: uint8 activations, int8 weights per "
                "output channel, int32 bias); " + ("all on the 2 x 2 space-to-depth grid" if grid == 2 else
                                                   "the first on the 2 x 2 space-to-depth grid, the last on 2 x 2 blocks"),
        "activations": "relu(z)/range per channel in steps of 1/255 (ranges folded into the weights); "
                       "the residual in steps of exactly 1/255",
        "float": "edge padding, the nearest skip", "from": a.model.name,
        "fineTuning": f"{a.steps} quantisation-aware steps (batch {a.batch}, {a.patch} px LR patches, Adam from "
                      f"{a.lr:g}, cosine), {round(time.time() - t0)} s on CPU, {a.threads} thread(s); target "
                      + (f"{1 - a.distill:g} x HR + {a.distill:g} x the float model's output" if a.distill else "the HR patch"),
        "calibration": f"{a.calibration_patches} LR patches of the training set, {a.percentile} percentile ranges, "
                       "then held fixed",
        "fakeQuantPsnrY": dict(zip(sets.keys(), val_rows[-1][2:])),
        "ranges": [[round(float(v), 4) for v in r] for r in model.ranges]}}
    info.pop("validationPsnrY", None)
    # The output lies on the 8-bit grid (an 8-bit skip plus a residual in steps of 1/255), so srvid may run the
    # graph on 8-bit planes directly (src/models/backends/byte-io-graph.ts) and get the same levels.
    info["io8"] = True
    a.out.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {a.out}", flush=True)


class Distilled:
    """Patches whose target leans towards the float model's own output (weight `w`): the int8 model then learns
    to follow the float one, rounding noise included, which is what keeps it as steady on video (its output's
    change from frame to frame is the float model's plus the change of their difference)."""

    def __init__(self, sampler: PatchSampler, teacher: QuantChain, w: float):
        self.sampler, self.teacher, self.w = sampler, teacher, w

    def batch(self, n: int):
        lr, hr = self.sampler.batch(n)
        with torch.no_grad():
            out = self.teacher(torch.from_numpy(lr), quantised=False).numpy()
        return lr, ((1 - self.w) * hr + self.w * out).astype(np.float32)


class _Float(torch.nn.Module):
    """The chain without its roundings, for the float figure."""

    def __init__(self, m: QuantChain):
        super().__init__()
        self.m = m

    def set_valid(self, valid: bool):
        self.m.set_valid(valid)
        return self

    def forward(self, x):
        return self.m(x, quantised=False)


if __name__ == "__main__":
    main()
