#!/usr/bin/env python3
"""Export an rvsr checkpoint (train_rvsr.py) to ONNX, one frame per call with the state as explicit inputs and
outputs, with a metadata JSON beside it; then check the graph against the PyTorch model on a real clip.

  /usr/bin/python3 training/export_rvsr.py runs/rvsr-x2/ckpt.pt --out runs/rvsr-x2/rvsr-x2.onnx

Inputs (NCHW float32, Y/255): y (N x 1 x H x W), y_prev (N x 1 x H x W), y_up_prev (N x 1 x sH x sW, the previous
call's y_up), state (N x S x H x W). Outputs: y_up (N x 1 x sH x sW; clamp to [0,1] for display) and state_next.
After a reset (first frame, scene cut): y_prev = y, y_up_prev = 0, state = 0.

A fused checkpoint (RVSR fuse=True) exports the same way: the gated detail of y_up_prev is part of the graph, its
downscaling a strided convolution with constant pads (y_up_prev is always exactly s times y's size). --motion global
records in the JSON that the caller moves y_up_prev (and the state) by the global motion before each frame, as the
fused models are trained with an aligned past; --motion blocks --block N, by one motion per block of about N LR
pixels (motion.py block_shifts; the shipped models, N = 48).

The check runs the exported graph node by node with onnx_eval.py (an interpreter of its few op types, written
from the ONNX operator specs; Debian's onnx 1.12 has no reference evaluator and onnxruntime for Python is not
installable here) over --frames frames of a held-out clip, feeding the graph's own outputs back, and fails if
y_up or the state differ from the PyTorch model's by more than 1e-4.
"""
import argparse
import copy
import inspect
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from motion import REFINEMENTS, global_shift  # noqa: E402
from onnx_eval import run_graph  # noqa: E402
from rvsr import BICUBIC_RADIUS, RVSR  # noqa: E402
from rvsr_data import VAL_CLIPS, load_val  # noqa: E402

HERE = Path(__file__).resolve().parent
OPSET = 13


@torch.onnx.symbolic_helper.parse_args("v", "i")
def _space_to_depth(g, x, factor):
    """pixel_unshuffle of one channel is ONNX SpaceToDepth (for C = 1 both orders are bh * r + bw)."""
    return g.op("SpaceToDepth", x, blocksize_i=factor)


def _degrade_pads(net: RVSR) -> tuple:
    """(before, after) pads of RVSR.degrade for an HR frame of exactly s x an LR size, the same on both axes; then
    its output is the LR size and its final slice a no-op."""
    before, after = -net.down_offset, net.down_offset + net.down.shape[-1] - net.scale
    assert before >= 0 and after >= 0
    return before, after


def _static_pads(path: Path, net: RVSR) -> None:
    """The exporter computes each Pad's pads with a Shape/Reshape/Slice/Cast subgraph; make them constants, told
    apart by the kernel of the Conv each Pad feeds: the bicubic's (pad 2 each side) or, when fused, the
    downscaling's."""
    m = onnx.load(str(path))
    g, r = m.graph, BICUBIC_RADIUS
    pads = [n for n in g.node if n.op_type == "Pad"]
    assert len(pads) == (3 if net.fuse else 1), "rvsr has one Pad per bicubic and one for the degradation"
    weights = {i.name: tuple(i.dims) for i in g.initializer}
    constants = {tuple(net.bicubic.shape): ("bicubic_pads", [0, 0, r, r, 0, 0, r, r])}
    if net.fuse:
        b, e = _degrade_pads(net)
        constants[tuple(net.down.shape)] = ("degrade_pads", [0, 0, b, b, 0, 0, e, e])
    added = set()
    for pad in pads:
        conv = [n for n in g.node if pad.output[0] in n.input]
        assert len(conv) == 1 and conv[0].op_type == "Conv", "each Pad feeds one Conv"
        name, value = constants[weights[conv[0].input[1]]]
        if name not in added:
            g.initializer.append(numpy_helper.from_array(np.array(value, np.int64), name))
            added.add(name)
        pad.input[1] = name
    while True:  # drop what fed only the old pads
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    onnx.save(m, str(path))


class OneFrame(nn.Module):
    def __init__(self, net: RVSR):
        super().__init__()
        self.net = net
        if net.fuse:  # RVSR.degrade computes its pads and crop from the size; for s x an LR size both are fixed
            b, e = _degrade_pads(net)
            net.degrade = lambda hr: F.conv2d(F.pad(hr, (b, e, b, e), mode="replicate"), net.down, stride=net.scale)

    def forward(self, y, y_prev, y_up_prev, state):
        return self.net(y, y_prev, y_up_prev, state)


def _fusion(net: RVSR) -> tuple:
    """The fusion step's line for the JSON's layers, and the LR pixels each side it reads of y_up_prev: through the
    downscaling, then the bicubic."""
    s, k, o = net.scale, net.down.shape[-1], net.down_offset
    b, e = _degrade_pads(net)
    line = (f"last {s * s}: sigmoid -> gates; add gates x (SpaceToDepth(clip(y_up_prev, 0, 1)) - bicubic(degrade: "
            f"pad {b}/{e} edge, fixed conv{k}x{k} 1->1 stride {s})) before DepthToSpace")
    return [line], BICUBIC_RADIUS + max(-(o // s), (o + k - 1) // s)


def export_rvsr(model: RVSR, path: Path, meta: dict) -> Path:
    net = copy.deepcopy(model).cpu().eval()
    s, n = net.scale, net.state
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.register_custom_op_symbolic("::pixel_unshuffle", _space_to_depth, OPSET)
    h, w = 17, 23
    if net.fuse:  # the export's constant-pad degrade is RVSR.degrade for any LR size
        fixed = OneFrame(copy.deepcopy(net)).net
        for lh, lw in [(h, w), (5, 3), (9, 12)]:
            hr = torch.rand(2, 1, lh * s, lw * s)
            assert torch.equal(fixed.degrade(hr), net.degrade(hr))
    example = (torch.rand(1, 1, h, w), torch.rand(1, 1, h, w), torch.rand(1, 1, h * s, w * s), torch.zeros(1, n, h, w))
    lr_axes, hr_axes = {0: "batch", 2: "height", 3: "width"}, {0: "batch", 2: "height_up", 3: "width_up"}
    torch.onnx.export(OneFrame(net), example, str(path), opset_version=OPSET,
                      input_names=["y", "y_prev", "y_up_prev", "state"], output_names=["y_up", "state_next"],
                      dynamic_axes={"y": lr_axes, "y_prev": lr_axes, "y_up_prev": hr_axes, "state": lr_axes,
                                    "y_up": hr_axes, "state_next": lr_axes})
    _static_pads(path, net)
    onnx.checker.check_model(onnx.load(str(path)))
    c = net.config()
    cin, wd = 2 + s * s + n, c["width"]
    fusion, reach = _fusion(net) if net.fuse else ([], 0)
    info = {
        "name": path.stem, "scale": s, "format": "onnx", "opset": OPSET, "recurrent": True,
        "architecture": {
            "family": "RVSR", "layers": [
                f"concat y, y_prev, SpaceToDepth(clip(y_up_prev, 0, 1)), state -> {cin}", f"conv3x3 {cin}->{wd} relu",
                *[f"conv3x3 {wd}->{wd} relu"] * (c["layers"] - 2),
                f"conv3x3 {wd}->{s * s}+{n}" + (f"+{s * s}" if net.fuse else ""),
                f"first {s * s}: add bicubic (pad 2 edge, fixed conv5x5 1->{s * s}), DepthToSpace CRD -> y_up",
                f"{'next' if net.fuse else 'last'} {n}: tanh -> state_next", *fusion],
            "width": wd, "convs": c["layers"], "state": n, **({"fuse": True} if net.fuse else {}),
            "macsPerLrPixel": net.macs_per_lr_pixel(),
            # LR pixels each side an output pixel depends on (each 3x3 convolution adds one): the rows a tile
            # needs beyond those it keeps, for the current frame and for the state alike
            "receptiveRadius": max(c["layers"], BICUBIC_RADIUS, reach),
        },
        "inputs": {"y": "Y/255 of the current 8-bit luma plane (studio range), N x 1 x H x W float32",
                   "y_prev": "the previous frame's y", "y_up_prev": "the previous call's y_up, N x 1 x sH x sW",
                   "state": f"the previous call's state_next, N x {n} x H x W"},
        "outputs": {"y_up": "Y/255 at scale x the input's size; clamp to [0,1]",
                    "state_next": f"N x {n} x H x W, in [-1, 1]"},
        "reset": "first frame or scene cut: y_prev = y, y_up_prev = 0, state = 0",
        **meta,
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    return path


def check(model: RVSR, path: Path, lr_frames: np.ndarray, tol=1e-4) -> float:
    """Largest |ONNX - PyTorch| over the frames' y_up and state; raises if above tol."""
    graph = onnx.load(str(path))
    net = model.cpu().eval()
    x = torch.from_numpy(lr_frames)[:, None, None]  # T x 1 x 1 x H x W
    with torch.no_grad():
        prev, up, st = net.reset(x[0])
        o_prev, o_up, o_st = prev.numpy(), up.numpy(), st.numpy()
        worst = 0.0
        for t in range(x.shape[0]):
            up, st = net(x[t], prev, up, st)
            got = run_graph(graph, {"y": x[t].numpy(), "y_prev": o_prev, "y_up_prev": o_up, "state": o_st})
            worst = max(worst, float(np.abs(got["y_up"] - up.numpy()).max()),
                        float(np.abs(got["state_next"] - st.numpy()).max()))
            prev, o_prev, o_up, o_st = x[t], x[t].numpy(), got["y_up"], got["state_next"]
    if worst > tol:
        raise SystemExit(f"export_rvsr.py: ONNX differs from PyTorch by {worst:.3g} (> {tol})")
    return worst


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpt", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--cache", type=Path, default=HERE.parent / "runs" / "cache")
    p.add_argument("--clip", default=VAL_CLIPS[0], help="held-out clip for the check")
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--crop", type=int, default=128, help="HR centre crop for the check")
    p.add_argument("--motion", choices=["global", "blocks"], default=None,
                   help="record that the caller aligns the past by the global motion (motion.py), or by one motion "
                        "per block, before each frame")
    p.add_argument("--block", type=int, default=None, metavar="N",
                   help="with --motion blocks, required: the blocks' side in LR pixels")
    p.add_argument("--refine", choices=REFINEMENTS, default=None,
                   help="with --motion, required: the estimate's sub-pixel step the caller uses (motion.py "
                        "global_shift); the checkpoint does not say which suits it (the shipped weights were trained "
                        "with parabola and run with cubic)")
    a = p.parse_args()
    if (a.motion is None) != (a.refine is None):
        p.error("--refine goes with --motion, and --motion needs --refine cubic or parabola")
    low = 2 * inspect.signature(global_shift).parameters["radius"].default + 2  # what the pipeline accepts
    if (a.motion == "blocks") != (a.block is not None) or (a.block is not None and not low <= a.block <= 1024):
        p.error(f"--block N ({low} to 1024 LR pixels) goes with --motion blocks, and --motion blocks needs it")
    torch.set_num_threads(1)
    state = torch.load(a.ckpt, map_location="cpu")
    if state["config"].get("confidence"):
        sys.exit("export_rvsr.py: a --confidence checkpoint is an experiment the pipeline does not run (its tiles "
                 "would need the degradation's reach too); not exported")
    model = RVSR(**state["config"])
    model.load_state_dict(state["model"])
    header, last = state["val_header"], state["val_rows"][-1]
    val = {h: v for h, v in zip(header, last) if h != "step" and h != "seconds"}
    if model.fuse and a.motion is None:
        print("export_rvsr.py: warning: a fused model was trained with an aligned past; without --motion the JSON "
              "does not tell the caller to align it", file=sys.stderr)
    defaults = {k: v.default for k, v in inspect.signature(global_shift).parameters.items()}
    step = {"cubic": "then every HR shift within one LR pixel of it tried with y_prev resampled there by Keys' cubic, "
                     "the best taken if its difference is under gate times the whole shift's, else a parabola through "
                     "the whole shifts' differences along each axis",
            "parabola": "the best refined by a parabola along each axis"}.get(a.refine)
    gate = {"gate": defaults["gate"]} if a.refine == "cubic" else {}
    where = {"global": ("global-shift", {}, "the global motion (dy, dx) between y_prev and y", "global_shift"),
             "blocks": ("block-shift", {"block": a.block},
                        f"its block's motion (dy, dx) between y_prev and y: n = max(1, floor(size / {a.block} + 1/2)) "
                        "blocks along each axis, edge i at floor(i * size / n); each block's estimated on the block "
                        "with radius + 1 LR pixels around it, and kept if y_prev resampled there by Keys' cubic fits "
                        "the block better (mean square on the search's samples) than at the whole frame's motion, "
                        "else the whole frame's",
                        "block_shifts")}.get(a.motion)
    motion = {"motion": {
        "estimator": where[0], **where[1], "radius": defaults["radius"], "stride": defaults["stride"],
        "refine": a.refine, **gate,
        "note": f"before each frame, move y_up_prev at each pixel by {where[2]}, in whole HR "
                "pixels: y_up_prev[p] <- y_up_prev[p + d], edges replicated; and the state by d / scale rounded half "
                "to even. The motion: the mean squared difference of y against y_prev over integer LR shifts within "
                f"radius, on every stride-th pixel away from the edges, {step} (training/motion.py {where[3]})"}} \
        if where else {}
    pans = {"pansNote": "pans_*: slow pans over Set5 + Set14 (training/pans_rvsr.py), PSNR-Y over frames 10-29"} \
        if "pans_rvsr" in val else {}
    export_rvsr(model, a.out, {"steps": state["step"], "trainingSeconds": round(state["elapsed"]),
                               "trainingData": "srvid video-train clips but " + ", ".join(VAL_CLIPS)
                               + ", plus synthetic pans over T91 + BSD200",
                               "validation": {"clips": list(VAL_CLIPS), "note": "first frames, HR centre crops; "
                                              "PSNR-Y (dB) and temporal error (8-bit)", **pans, **val},
                               **motion})
    _, lr, _ = load_val(a.cache, [a.clip], model.scale, a.frames, a.crop)[0]
    print(f"exported {a.out}; ONNX vs PyTorch over {a.frames} frames of {a.clip}: max |diff| "
          f"{check(model, a.out, lr):.2e}")


if __name__ == "__main__":
    main()
