#!/usr/bin/env python3
"""Train ESPCN, SESR (--arch sesr, or qsr on the 2 x 2 grid) or a classic network (--arch srcnn|vdsr|srresnet|unet, classic.py) on Y;
checkpoint, resume, log curves, export ONNX. VDSR trains one network for x2, x3 and x4 (--scales) at once.

  /usr/bin/python3 training/train.py --scale 2 --steps 60000 --out runs/x2
  /usr/bin/python3 training/train.py --scale 2 --out runs/x2 --resume      # continue after a stop
  /usr/bin/python3 training/train.py --scale 2 --out runs/x2b --init runs/x2/ckpt.pt --lr 5e-4 --steps 40000
                                                                            # a new schedule from trained weights
  /usr/bin/python3 training/train.py --arch vdsr --out runs/vdsr --models runs/vdsr/export   # vdsr-x2/x3/x4
Writes runs/x2/{args.json, ckpt.pt, train.csv, val.csv, curves.png} and, at the end, the ONNX
model and its metadata (see export.py) under --models.
"""
import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classic import SRCNN, VDSR, SRResNet, UNet  # noqa: E402
from data import PatchSampler, list_images, load_eval_set, psnr_y  # noqa: E402
from espcn import ESPCN  # noqa: E402
from export import export_onnx  # noqa: E402
from plot import plot_curves  # noqa: E402
from sesr import SESR  # noqa: E402

HERE = Path(__file__).resolve().parent
CLASSIC = ["srcnn", "vdsr", "srresnet", "unet"]
SHARED = HERE.parent.parent / "shared" / "data"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, choices=[2, 3, 4], help="required, except for vdsr (--scales)")
    p.add_argument("--scales", type=int, nargs="+", default=[2, 3, 4], help="vdsr: the scales trained together")
    p.add_argument("--train", type=Path, nargs="+", default=[SHARED / "train"], help="folders of HR training images")
    p.add_argument("--val", type=Path, nargs="+", default=[SHARED / "val" / "Set5", SHARED / "val" / "Set14"])
    p.add_argument("--out", type=Path, required=True, help="run folder: checkpoint, curves, args")
    p.add_argument("--models", type=Path, default=HERE.parent / "models", help="where the ONNX model is written")
    p.add_argument("--name", default=None, help="model name (default <arch>-x<scale>)")
    p.add_argument("--arch", choices=["espcn", "sesr", "qsr", *CLASSIC], default="espcn")
    p.add_argument("--channels", type=int, nargs=2, default=[64, 32], metavar=("C1", "C2"),
                   help="espcn's and srcnn's widths")
    p.add_argument("--no-skip", action="store_true", help="srcnn, srresnet: no bicubic skip (the papers' networks)")
    p.add_argument("--features", type=int, default=None,
                   help="vdsr, srresnet: channels (default 64); unet: channels of the first stage (default 32)")
    p.add_argument("--depth", type=int, default=20, help="vdsr: convolutions")
    p.add_argument("--blocks", type=int, default=16, help="srresnet: residual blocks")
    p.add_argument("--levels", type=int, default=2, help="unet: stages below the LR size")
    p.add_argument("--loss", choices=["l2", "l1"], default="l2")
    p.add_argument("--width", type=int, default=None, help="sesr, qsr: channels of every layer (16; qsr 32)")
    p.add_argument("--middle", type=int, default=None,
                   help="sesr, qsr: 3x3 layers between the first and the last (5; qsr 4)")
    p.add_argument("--expand", type=int, default=256,
                   help="sesr, qsr: channels inside a collapsible block in training")
    p.add_argument("--steps", type=int, default=60000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--patch", type=int, default=24, help="LR patch size (the loss region)")
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (cosine decay to 1%% of it)")
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--extra-scales", type=float, nargs="*", default=[0.9, 0.8, 0.7, 0.6])
    p.add_argument("--val-every", type=int, default=2000)
    p.add_argument("--ckpt-every", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.pt")
    p.add_argument("--init", type=Path, default=None,
                   help="start from the weights in this checkpoint, with a fresh optimiser and schedule (warm "
                        "restart); a sesr/qsr checkpoint with fewer --middle layers grows, its new layers starting "
                        "as the identity")
    p.add_argument("--no-export", action="store_true")
    args = p.parse_args(argv)
    if args.arch == "qsr" and args.patch % 2:
        p.error("qsr works on 2 x 2 blocks: --patch must be even")
    if args.arch == "vdsr":
        args.scale = None
    elif args.scale is None:
        p.error("--scale is required")
    return args


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    t = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


@torch.no_grad()
def validate(model, sets, scale, device):
    """`scale`: the scale of every set, or a dict of them by set name (vdsr's sets, one per scale)."""
    model.eval().set_valid(False)
    scores = {}
    for name, images in sets.items():
        vals = []
        if isinstance(scale, dict):
            model.scale = scale[name]
        for _, lr, hr in images:
            x = torch.from_numpy(lr)[None, None].to(device)
            sr = model(x)[0, 0].clamp(0, 1).mul(255).round().cpu().numpy()
            vals.append(psnr_y(sr, hr, scale[name] if isinstance(scale, dict) else scale))
        scores[name] = float(np.mean(vals))
    model.train().set_valid(True)
    return scores


def main(argv=None):
    args = parse_args(argv)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    if args.threads:
        torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.out / "ckpt.pt"
    if args.resume and not ckpt_path.exists():
        sys.exit(f"train.py: --resume given but {ckpt_path} does not exist")
    if args.init and not args.init.exists():
        sys.exit(f"train.py: --init {args.init} does not exist")

    torch.manual_seed(args.seed)
    model = build_model(args).to(device).set_valid(True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, train_rows, val_rows, elapsed0 = 0, [], [], 0.0
    sampler_seed = args.seed
    prior_steps, prior_seconds = 0, 0.0  # what the --init weights had already cost, for the metadata
    if args.init and not args.resume:  # a resumed run's checkpoint already holds the --init weights' history
        state = torch.load(args.init, map_location=device)
        model.load_state_dict(grown(state["model"], model) if args.arch in ("sesr", "qsr") else state["model"])
        prior_steps = state.get("prior_steps", 0) + state["step"]
        prior_seconds = state.get("prior_seconds", 0.0) + state["elapsed"]
        print(f"initialised from {args.init} (trained {prior_steps} steps)", flush=True)
    if args.resume:
        state = torch.load(ckpt_path, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, train_rows, val_rows = state["step"], state["train_rows"], state["val_rows"]
        elapsed0 = state["elapsed"]
        prior_steps, prior_seconds = state.get("prior_steps", 0), state.get("prior_seconds", 0.0)
        sampler_seed = args.seed + step  # a fresh, still reproducible stream of patches after a resume
        print(f"resumed at step {step}", flush=True)
    # args.json records a fresh run; each resume adds args-resume-<step>.json, so the whole history is kept.
    args_file = args.out / (f"args-resume-{step}.json" if args.resume else "args.json")
    args_file.write_text(json.dumps({k: str(v) if isinstance(v, Path) else v
                                     for k, v in vars(args).items()}, indent=2, default=str))

    paths = [p for folder in args.train for p in list_images(folder)]
    context = getattr(model, "context", model.receptive_radius)  # classic.py's 'same'-padded nets take none
    if args.arch == "vdsr":  # one sampler per scale, all with HR patches of 2 x --patch pixels
        scales = args.scales
        samplers = {s: PatchSampler(paths, s, round(2 * args.patch / s), context, tuple(args.extra_scales),
                                    sampler_seed + 1000 * s) for s in scales}
        sets = {f"{folder.name} x{s}": load_eval_set(folder, s) for s in scales for folder in args.val}
        val_scale = {f"{folder.name} x{s}": s for s in scales for folder in args.val}
        title, pairs = f"VDSR x{'/x'.join(map(str, scales))}", sum(len(v.pairs) for v in samplers.values())
    else:
        scales, val_scale, title = [args.scale], args.scale, f"{args.arch.upper()} x{args.scale}"
        samplers = {args.scale: PatchSampler(paths, args.scale, args.patch, context, tuple(args.extra_scales),
                                             sampler_seed)}
        sets = {folder.name: load_eval_set(folder, args.scale) for folder in args.val}
        pairs = len(samplers[args.scale].pairs)
    loss_fn = torch.nn.functional.l1_loss if args.loss == "l1" else torch.nn.functional.mse_loss
    print(f"x{'/x'.join(map(str, scales))}: {len(paths)} images -> {pairs} HR/LR pairs; "
          f"{model.macs_per_lr_pixel()} MACs per LR pixel; device {device}, {torch.get_num_threads()} threads",
          flush=True)

    def save():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "train_rows": train_rows, "val_rows": val_rows, "elapsed": elapsed,
                    "prior_steps": prior_steps, "prior_seconds": prior_seconds}, ckpt_path.with_suffix(".tmp"))
        ckpt_path.with_suffix(".tmp").replace(ckpt_path)
        write_csv(args.out / "train.csv", ["step", "loss", "lr", "seconds"], train_rows)
        write_csv(args.out / "val.csv", ["step", "seconds", *sets.keys()], val_rows)
        plot_curves(train_rows, val_rows, list(sets.keys()), args.out / "curves.png", title,
                    "MSE loss (Y in [0,1])" if args.loss == "l2" else "L1 loss (Y in [0,1])")

    t0 = time.time()
    elapsed = elapsed0
    loss_acc, n_acc = 0.0, 0
    while step < args.steps:
        s = scales[step % len(scales)]  # vdsr: the scales take turns
        model.scale = s
        lr_np, hr_np = samplers[s].batch(args.batch)
        x, y = torch.from_numpy(lr_np).to(device), torch.from_numpy(hr_np).to(device)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        loss_acc, n_acc = loss_acc + loss.item(), n_acc + 1
        elapsed = elapsed0 + time.time() - t0
        if step % 100 == 0:
            train_rows.append([step, loss_acc / n_acc, lr_at(step - 1, args), round(elapsed, 1)])
            loss_acc, n_acc = 0.0, 0
        if step % args.val_every == 0 or step == args.steps:
            scores = validate(model, sets, val_scale, device)
            val_rows.append([step, round(elapsed, 1), *(round(s, 3) for s in scores.values())])
            rate = step / max(elapsed, 1e-9) if not args.resume else float("nan")
            print(f"step {step}/{args.steps}  loss {train_rows[-1][1] if train_rows else float('nan'):.6f}  "
                  f"lr {lr_at(step - 1, args):.2e}  {elapsed / 60:.1f} min  "
                  + "  ".join(f"{k} {v:.3f} dB" for k, v in scores.items())
                  + (f"  ({rate:.1f} steps/s)" if rate == rate else ""), flush=True)
        if step % args.ckpt_every == 0 or step == args.steps:
            save()

    if not args.no_export:
        final = val_rows[-1]
        meta = {
            "trainingData": training_data_summary(args.train, args.extra_scales), "steps": prior_steps + step,
            "batch": args.batch, "patch": args.patch, "seed": args.seed, "trainingSeconds": round(prior_seconds + elapsed),
            "device": device, "threads": torch.get_num_threads(),
            "validationPsnrY": dict(zip(sets.keys(), final[2:])),
        }
        if args.arch == "vdsr":  # the same weights, one file per scale
            for s in scales:
                model.scale = s
                psnr = {k.rsplit(" x", 1)[0]: v for k, v in meta["validationPsnrY"].items() if val_scale[k] == s}
                onnx_path = export_onnx(model, args.models / f"{args.name or 'vdsr'}-x{s}.onnx",
                                        {**meta, "validationPsnrY": psnr, "trainedScales": scales})
                print(f"exported {onnx_path}", flush=True)
        else:
            # qsr's export is its float graph, which quantize_chain.py turns into the shipped int8 qsr-x<scale>
            name = args.name or (f"qsr-float-x{args.scale}" if args.arch == "qsr" else f"{args.arch}-x{args.scale}")
            onnx_path = export_onnx(model, args.models / f"{name}.onnx", meta)
            print(f"exported {onnx_path}", flush=True)


def build_model(args):
    if args.arch == "srcnn":
        return SRCNN(args.scale, *args.channels, skip=not args.no_skip)
    if args.arch == "vdsr":
        return VDSR(args.scales[0], args.depth, args.features or 64)
    if args.arch == "srresnet":
        return SRResNet(args.scale, args.blocks, args.features or 64, skip=not args.no_skip)
    if args.arch == "unet":
        return UNet(args.scale, args.features or 32, args.levels)
    if args.arch == "sesr":
        return SESR(args.scale, args.width or 16, 5 if args.middle is None else args.middle, args.expand)
    if args.arch == "qsr":  # sesr on the 2 x 2 space-to-depth grid (sesr.py)
        return SESR(args.scale, args.width or 32, 4 if args.middle is None else args.middle, args.expand, grid=2)
    return ESPCN(args.scale, *args.channels)


def grown(weights: dict, model) -> dict:
    """A sesr/qsr checkpoint's weights for a model with more middle layers: the new layers go in before the
    last one and start as the identity (their 1 x 1 projection zero, so the collapsed block is the residual's
    identity, and ReLU passes the previous ReLU's output unchanged): the grown network computes exactly what
    the checkpoint did, and training takes it from there. Weights with as many blocks come back as they are."""
    have = 1 + max(int(k.split(".")[1]) for k in weights if k.startswith("blocks."))
    want = len(model.blocks)
    if have >= want:
        return weights
    out = {k: v for k, v in weights.items() if int(k.split(".")[1]) < have - 1}
    for i in range(have - 1, want - 1):  # new middle layers: the model's own random expansion, zero projection
        for k, v in model.blocks[i].state_dict().items():
            out[f"blocks.{i}.{k}"] = torch.zeros_like(v) if k.startswith("project.") else v.clone()
    for k, v in weights.items():
        if int(k.split(".")[1]) == have - 1:
            out[k.replace(f"blocks.{have - 1}.", f"blocks.{want - 1}.", 1)] = v
    print(f"grown from {have - 2} to {want - 2} middle layers (the new ones start as the identity)", flush=True)
    return out


def training_data_summary(folders, extra_scales):
    """E.g. "T91 (91 images) + BSD200 (200 images), with copies downscaled by 0.9, 0.8, 0.7, 0.6"."""
    parts = []
    for folder in folders:
        subs = sorted({p.parent for p in list_images(folder)})
        parts += [f"{d.name} ({len(list_images(d))} images)" for d in subs]
    copies = f", with copies downscaled by {', '.join(str(f) for f in extra_scales)}" if extra_scales else ""
    return " + ".join(parts) + copies


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


if __name__ == "__main__":
    main()
