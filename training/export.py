#!/usr/bin/env python3
"""Export an ESPCN checkpoint to ONNX (dynamic batch/height/width) with a metadata JSON beside it; train.py
also exports SESR and the classic networks (classic.py) through export_onnx.

  /usr/bin/python3 training/export.py runs/x2/ckpt.pt --scale 2 --out models/espcn-x2.onnx
"""
import argparse
import copy
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classic import SRCNN, SRGAN, VDSR, SRResNet, UNet, count_parameters, measured_overlap  # noqa: E402
from data import degrade, load_y, modcrop  # noqa: E402
from espcn import ESPCN, RECEPTIVE_RADIUS  # noqa: E402
from sesr import SESR  # noqa: E402


def export_onnx(model, path: Path, meta: dict) -> Path:
    """ESPCN as it is; SESR collapsed to its plain chain of convolutions."""
    if isinstance(model, SESR):
        return export_sesr(model, path, meta)
    if isinstance(model, (SRCNN, VDSR, SRResNet, UNet)):
        return export_classic(model, path, meta)
    m = copy.deepcopy(model).cpu().eval().set_valid(False)
    path.parent.mkdir(parents=True, exist_ok=True)
    x = torch.rand(1, 1, 17, 23)
    torch.onnx.export(m, x, str(path), input_names=["y"], output_names=["y_up"], opset_version=13,
                      dynamic_axes={"y": {0: "batch", 2: "height", 3: "width"},
                                    "y_up": {0: "batch", 2: "height_up", 3: "width_up"}})
    c1, c2 = m.conv1.out_channels, m.conv2.out_channels
    info = {
        "name": path.stem, "scale": m.scale, "format": "onnx", "opset": 13,
        "architecture": {
            "family": "ESPCN", "layers": [f"pad {RECEPTIVE_RADIUS} edge", f"conv5x5 1->{c1} tanh",
                                          f"conv3x3 {c1}->{c2} tanh", f"conv3x3 {c2}->{m.scale ** 2}",
                                          "add input (nearest skip)", "DepthToSpace CRD"],
            "channels": [c1, c2], "macsPerLrPixel": m.macs_per_lr_pixel(), "receptiveRadius": RECEPTIVE_RADIUS,
        },
        "input": "Y/255 of the 8-bit luma plane (studio range), NCHW float32",
        "output": "Y/255 at scale x the input's size; clamp to [0,1]",
        **meta,
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    return path


def _onnx(m, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(m, torch.rand(1, 1, 17, 23), str(path), input_names=["y"], output_names=["y_up"], opset_version=13,
                      dynamic_axes={"y": {0: "batch", 2: "height", 3: "width"},
                                    "y_up": {0: "batch", 2: "height_up", 3: "width_up"}})


def export_sesr(model: SESR, path: Path, meta: dict) -> Path:
    """sesr through torch's exporter; qsr (grid 2, whose odd sizes need padding decided at run time) through
    quantize_chain.build's float graph, the int8 graph's twin."""
    net = copy.deepcopy(model).cpu().eval()
    plain = net.plain().eval().set_valid(False)
    path.parent.mkdir(parents=True, exist_ok=True)
    w, s, r = net.width, net.scale, net.receptive_radius
    if net.grid == 1:
        _onnx(plain, path)
        layers = [f"pad {r} edge", f"conv5x5 1->{w} relu", *[f"conv3x3 {w}->{w} relu"] * net.middle,
                  f"conv5x5 {w}->{s * s}", "add input (nearest skip)", "DepthToSpace CRD"]
        grid = {}
    else:
        import onnx
        from quantize_chain import QuantChain, build  # late: quantize_chain imports train, which imports this
        chain = [(c.weight.detach().numpy(), c.bias.detach().numpy()) for c in plain.convs]
        onnx.save(build(QuantChain(chain, s, grid=2), quantised=False), str(path))
        layers = [f"pad {net.context} edge (+1 for an odd side)", "SpaceToDepth 2", f"conv3x3 4->{w} relu",
                  *[f"conv3x3 {w}->{w} relu"] * net.middle, f"conv3x3 {w}->{4 * s * s}",
                  "add the block's input pixels (nearest skip)", f"DepthToSpace {2 * s} CRD", "crop"]
        # Strips must start on even rows: the 2 x 2 grid makes the output depend on where a strip starts. Its
        # activations hold width / 4 samples per LR pixel, so a strip may hold as many input pixels as keep them
        # within what espcn's 80 Ki-pixel strips take (64 channels a pixel).
        grid = {"grid": 2, "tileAlign": 2, "tilePixels": round(80 * 1024 * 64 * 4 / w)}
    info = {
        "name": path.stem, "scale": s, "format": "onnx", "opset": 13,
        "architecture": {
            "family": "SESR" if net.grid == 1 else "QSR", "layers": layers,
            "width": w, "middle": net.middle, "trainedExpansion": net.expand,
            "macsPerLrPixel": net.macs_per_lr_pixel(), "receptiveRadius": r, **grid,
        },
        "input": "Y/255 of the 8-bit luma plane (studio range), NCHW float32",
        "output": "Y/255 at scale x the input's size; clamp to [0,1]",
        **meta,
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    return path


# a textured picture (fur) on which srresnet's overlap is measured (classic.measured_overlap)
OVERLAP_PICTURE = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "val" / "Set14" / "baboon.png"


def tiling_hints(m) -> dict:
    """What srvid's strips need beyond the receptive radius. unet: its strided stages make the output depend
    on where a strip starts, so strips start on multiples of 2^levels (tileAlign). Every classic network's
    widest activations are at the output size (scale² samples per LR pixel: srcnn's first layer, vdsr's
    layers, srresnet's and unet's last ones), so a strip holds as many input pixels as keep those activations
    within what srcnn x2's 80 Ki input pixels take (64 channels at 4 per LR pixel): tilePixels."""
    hints = {"tileAlign": 2 ** m.levels} if isinstance(m, UNet) else {}
    if isinstance(m, SRResNet):
        # its exact radius (40 LR pixels) would make strips 80 rows taller; the weights use far fewer
        if not OVERLAP_PICTURE.exists():
            sys.exit(f"export.py: {OVERLAP_PICTURE} is needed to measure srresnet's tile overlap")
        lr = degrade(modcrop(load_y(OVERLAP_PICTURE), m.scale), m.scale).astype(np.float32) / 255.0
        hints["tileOverlap"] = measured_overlap(m, torch.from_numpy(np.ascontiguousarray(lr[:, :64]))[None, None])
    widest = m.conv1.out_channels if isinstance(m, SRCNN) else m.width if isinstance(m, UNet) else m.features
    return {**hints, "tilePixels": round(80 * 1024 * 64 * 4 / (widest * m.scale ** 2))}


def export_classic(model, path: Path, meta: dict) -> Path:
    """A classic network as it is (eval mode: batch norm folded into the convolutions by the exporter).
    vdsr: the scale the model is set to is the one exported."""
    m = copy.deepcopy(model).cpu().eval().set_valid(False)
    _onnx(m, path)
    info = {
        "name": path.stem, "scale": m.scale, "format": "onnx", "opset": 13,
        "architecture": {
            "family": m.family, "layers": m.layers(), **m.widths(),
            "macsPerLrPixel": round(m.macs_per_lr_pixel()), "receptiveRadius": m.receptive_radius,
            "parameters": count_parameters(m), **tiling_hints(m),
        },
        "input": "Y/255 of the 8-bit luma plane (studio range), NCHW float32",
        "output": "Y/255 at scale x the input's size; clamp to [0,1]",
        **meta,
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpt", type=Path)
    p.add_argument("--scale", type=int, required=True)
    p.add_argument("--arch", choices=["espcn", "qsr", "srcnn", "vdsr", "srresnet", "srgan", "unet"], default="espcn",
                   help="the checkpoint's network (qsr: sesr on the 2 x 2 grid, the float graph that "
                        "quantize_chain.py turns into int8; srcnn: the 9-5-5 SRCNN with the bicubic skip; vdsr: "
                        "written for --scale only; srgan: train_srgan.py's generator; unet: the encoder-decoder; "
                        "classic.py)")
    p.add_argument("--channels", type=int, nargs=2, default=[64, 32])
    p.add_argument("--features", type=int, default=32, help="unet: width of the first stage")
    p.add_argument("--width", type=int, default=32, help="qsr without the run's args.json: channels of every layer")
    p.add_argument("--middle", type=int, default=4,
                   help="qsr without the run's args.json: 3x3 layers between the first and the last")
    p.add_argument("--levels", type=int, default=2, help="unet: stages below the LR size")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    state = torch.load(a.ckpt, map_location="cpu")
    if a.arch == "unet":
        model = UNet(a.scale, a.features, a.levels)
    elif a.arch == "qsr":  # the run's own width, middle and expansion where its args.json is there
        from train import build_model  # late: train imports this module
        run_args = a.ckpt.parent / "args.json"
        model = (build_model(argparse.Namespace(**json.loads(run_args.read_text()))) if run_args.exists()
                 else SESR(a.scale, a.width, a.middle, grid=2))
    elif a.arch == "vdsr":
        model = VDSR(a.scale)
    elif a.arch in ("srresnet", "srgan"):
        model = (SRGAN if a.arch == "srgan" else SRResNet)(a.scale)
    else:
        model = (SRCNN if a.arch == "srcnn" else ESPCN)(a.scale, *a.channels)
    model.load_state_dict(state["model"])
    val = state["val_rows"][-1] if state["val_rows"] else None
    # the columns of val.csv after step and seconds, as train.py and train_srgan.py write them
    names = ([f"{v} x{s}" for s in (2, 3, 4) for v in ("Set5", "Set14")] if a.arch == "vdsr"
             else ["Set5", "Set5 sharpness", "Set14", "Set14 sharpness"] if a.arch == "srgan" else ["Set5", "Set14"])
    scores = None
    if val:
        scores = dict(zip(names, val[2:])) if len(val) == 2 + len(names) else {"last": val[2:]}
    # the run's settings, from the args.json train.py or train_srgan.py wrote beside the checkpoint
    args_file = a.ckpt.parent / "args.json"
    run = json.loads(args_file.read_text()) if args_file.exists() else {}
    keep = ("train", "batch", "patch", "lr", "loss", "scales", "no_skip", "init", "pixel", "fm", "adv", "d_width")
    settings = {k: run[k] for k in keep if k in run and (k != "scales" or a.arch == "vdsr")}
    if "train" in settings:  # folder names, not this machine's paths
        settings["train"] = [Path(t).name for t in settings["train"]]
    if settings.get("init"):
        settings["init"] = str(Path(settings["init"]).parent.name)
    # prior_*: what the --init weights of a warm restart had cost (train.py --init)
    export_onnx(model, a.out, {"training": settings, "steps": state.get("prior_steps", 0) + state["step"],
                               "trainingSeconds": round(state.get("prior_seconds", 0.0) + state["elapsed"]),
                               # srgan's also holds its sharpness (gradient ratio) beside PSNR-Y
                               "validation" if a.arch == "srgan" else "validationPsnrY":
                                   scores and {**scores, "atStep": val[0]}})
    print(f"exported {a.out}")


if __name__ == "__main__":
    main()
