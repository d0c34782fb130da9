#!/usr/bin/env python3
"""Export each classic network (classic.py) and check the ONNX file against PyTorch on real Set5 crops.

  /usr/bin/python3 training/check_classic.py --out runs/classic-check --threads 1
  /usr/bin/python3 training/check_classic.py --out runs/classic-check --only srcnn --ckpt runs/srcnn-x2/ckpt.pt
  /usr/bin/python3 training/check_classic.py --out runs/classic-check --only srcnn --scale 3 --ckpt runs/srcnn-x3/ckpt.pt
  /usr/bin/python3 training/check_classic.py --out runs/classic-check --only srgan --ckpt runs/srgan-x4/ckpt.pt

Without --ckpt the weights are random (PyTorch's initialisation, then every parameter, batch norm's running
statistics included, moved by noise, so that no zero-initialised layer hides a part of the graph). For each
family at one scale: the graph's Resize nodes (mode, coordinate transformation, cubic coefficient) are listed,
and two crops of different sizes (the export was traced at 17x23: the sizes must be dynamic) go through
onnxruntime (training/onnx_run.mjs, onnxruntime-node) and through PyTorch; the largest difference must be
<= 1e-4. Prints one line per check and a JSON summary (also written to OUT/check.json).
"""
import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classic import SRCNN, SRGAN, VDSR, SRResNet, UNet  # noqa: E402
from data import degrade, load_y, modcrop  # noqa: E402
from export import export_onnx  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
# Each family's network for a scale, and the scale checked unless --scale says
FAMILIES = {"srcnn": (SRCNN, 2), "vdsr": (VDSR, 3), "srresnet": (SRResNet, 4), "srgan": (SRGAN, 4), "unet": (UNet, 4)}
CROPS = [(61, 47), (40, 34)]  # odd and even sizes (unet's strided stages round up)


def perturb(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for t in [*model.parameters(), *model.buffers()]:
            if t.is_floating_point():
                t.add_(torch.randn(t.shape, generator=g) * 0.02)
        for m in model.modules():  # batch norm: variances must stay positive
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.abs_().add_(0.5)


def resize_attributes(path: Path) -> list:
    out = []
    for node in onnx.load(str(path)).graph.node:
        if node.op_type == "Resize":
            out.append({a.name: (v.decode() if isinstance(v := helper.get_attribute_value(a), bytes) else v)
                        for a in node.attribute})
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--only", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    p.add_argument("--ckpt", type=Path, default=None, help="weights for the (single) --only family")
    p.add_argument("--image", type=Path, default=SHARED / "val" / "Set5" / "butterfly.png")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--scale", type=int, default=None, help="the scale to build (default: each family's own above)")
    a = p.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)  # the exporter's notes on constant folding
    torch.set_num_threads(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for name in a.only:
        make, scale = FAMILIES[name]
        scale = a.scale or scale
        torch.manual_seed(1)
        model = make(scale)
        if a.ckpt:
            model.load_state_dict(torch.load(a.ckpt, map_location="cpu")["model"])
        else:
            perturb(model, 2)
        model.eval().set_valid(False)
        path = export_onnx(model, a.out / f"{name}-x{scale}.onnx", {"weights": str(a.ckpt or "random")})
        lr = degrade(modcrop(load_y(a.image), scale), scale).astype(np.float32) / 255.0
        worst = []
        for w, h in CROPS:
            y0, x0 = min(20, lr.shape[0] - h), min(30, lr.shape[1] - w)
            crop = np.ascontiguousarray(lr[y0:y0 + h, x0:x0 + w])
            crop.tofile(a.out / "in.f32")
            r = subprocess.run(["node", str(HERE / "onnx_run.mjs"), str(path), str(a.out / "in.f32"), str(w), str(h),
                                str(a.out / "out.f32")], capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"onnx_run.mjs failed on {path}: {r.stderr}")
            dims = json.loads(r.stdout)
            ort_out = np.fromfile(a.out / "out.f32", np.float32).reshape(dims)
            with torch.no_grad():
                ref = model(torch.from_numpy(crop)[None, None]).numpy()
            assert ort_out.shape == ref.shape == (1, 1, h * scale, w * scale), (ort_out.shape, ref.shape)
            worst.append(float(np.abs(ort_out - ref).max()))
            spread = float(np.abs(ref - np.kron(crop, np.ones((scale, scale)))).max())
            print(f"{name} x{scale} {w}x{h}: max |onnxruntime - PyTorch| = {worst[-1]:.2e} "
                  f"(output range {ref.min():.3f}..{ref.max():.3f}, max change over nearest {spread:.3f})", flush=True)
        meta = json.loads(path.with_suffix(".json").read_text())["architecture"]
        summary[f"{name}-x{scale}"] = {"maxAbsDiff": max(worst), "resize": resize_attributes(path),
                                       "macsPerLrPixel": meta["macsPerLrPixel"], "parameters": meta["parameters"],
                                       "receptiveRadius": meta["receptiveRadius"],
                                       "ops": sorted({n.op_type for n in onnx.load(str(path)).graph.node})}
    (a.out / "check.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    bad = [k for k, v in summary.items() if v["maxAbsDiff"] > 1e-4]
    if bad:
        sys.exit(f"check_classic.py: over 1e-4: {', '.join(bad)}")


if __name__ == "__main__":
    main()
