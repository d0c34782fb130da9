#!/usr/bin/env python3
"""Run a SESR (or qsr) training checkpoint in its expanded form (each block's two convolutions one after the other,
as trained) on a luma plane, for comparison with the exported (collapsed) ONNX model.

  /usr/bin/python3 training/check_collapse.py runs/sesr-x2 --input y.f32 --size 192 144 --out up.f32

The input is Y/255 as raw float32 (height x width, row-major); the output is Y/255 at the scale, the same way.
The run folder's args.json gives the architecture; its ckpt.pt the weights.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train import build_model  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="a training run folder of train.py --arch sesr or qsr")
    p.add_argument("--input", type=Path, required=True)
    p.add_argument("--size", type=int, nargs=2, required=True, metavar=("WIDTH", "HEIGHT"))
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    args = json.loads((a.run / "args.json").read_text())
    model = build_model(argparse.Namespace(**args))  # the architecture, train.py's defaults included
    model.load_state_dict(torch.load(a.run / "ckpt.pt", map_location="cpu")["model"])
    model.eval().set_valid(False)
    w, h = a.size
    x = torch.from_numpy(np.fromfile(a.input, np.float32).reshape(1, 1, h, w))
    with torch.no_grad():
        y = model.double()(x.double(), expanded=True)  # float64: the comparison measures the export, not rounding
    y.float().numpy().tofile(a.out)


if __name__ == "__main__":
    main()
