#!/usr/bin/env python3
"""Train the recurrent video model rvsr (rvsr.py) on Y for one scale; checkpoint, resume, validate on held-out clips.

  nice -n 19 /usr/bin/python3 training/train_rvsr.py --scale 2 --out runs/rvsr-x2 --threads 1
  nice -n 19 /usr/bin/python3 training/train_rvsr.py --scale 2 --out runs/rvsr-x2 --threads 1 --resume

Data: the clips of ../shared/data/video-train but the held-out ones (rvsr_data.VAL_CLIPS), decoded and degraded
once into --cache, plus synthetic pans over the training photographs (--photo-share of the sequences).
Each step unrolls --frames frames from a reset state (loss on every frame); in --warm-share of the steps the
network first runs --frames earlier frames without gradient, so the loss also sees a state that has lived.
Charbonnier loss on Y/255, Adam, cosine schedule, gradient norm clipped. Writes OUT/{args.json, ckpt.pt
(atomically, every --ckpt-minutes and after each validation), train.csv, val.csv, curves.png}.
Validation (every --val-every steps): PSNR-Y (peak 255, `scale` px shaved) and temporal error (mean
|d output - d truth| between consecutive frames, 8-bit units) on the first --val-frames frames of each held-out
clip, a centre crop of --val-crop HR pixels, for rvsr, bicubic and the single-frame default (sesr, --sesr).
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import imresize, psnr_y  # noqa: E402
from plot import plot_curves  # noqa: E402
from rvsr import RVSR  # noqa: E402
from motion import REFINE, REFINEMENTS  # noqa: E402
from rvsr_data import (VAL_CLIPS, VideoSampler, build_cache, clip_block_shifts, clip_shifts, crop_field,  # noqa: E402
                       load_val, photo_paths, val_corner)
from sesr import SESR  # noqa: E402
from train import SHARED, lr_at, write_csv  # noqa: E402

HERE = Path(__file__).resolve().parent


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, required=True, choices=[2, 3, 4])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--video", type=Path, default=SHARED / "video-train", help="folder of .mkv clips")
    p.add_argument("--cache", type=Path, default=HERE.parent / "runs" / "cache", help="decoded Y planes and LR")
    p.add_argument("--photos", type=Path, nargs="*", default=[SHARED / "train"], help="photographs for synthetic pans")
    p.add_argument("--photo-share", type=float, default=0.25)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--state", type=int, default=16)
    p.add_argument("--steps", type=int, default=40000)
    p.add_argument("--batch", type=int, default=8, help="sequences per step")
    p.add_argument("--frames", type=int, default=10, help="frames unrolled with gradient")
    p.add_argument("--warm-share", type=float, default=0.5)
    p.add_argument("--patch", type=int, default=48, help="LR crop size")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (cosine decay to 1%% of it)")
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    p.add_argument("--temporal-weight", type=float, default=0.0,
                   help="weight of a Charbonnier loss on the change between consecutive frames (output's against truth's)")
    p.add_argument("--val-every", type=int, default=500)
    p.add_argument("--val-frames", type=int, default=40)
    p.add_argument("--val-crop", type=int, default=256)
    p.add_argument("--fuse", action="store_true", help="experiment: RVSR's gated detail from the past (rvsr.py)")
    p.add_argument("--confidence", action="store_true",
                   help="experiment: RVSR also sees how far its moved past, degraded, is from the current LR frame")
    p.add_argument("--confidence-lr", type=float, default=1.0, metavar="F",
                   help="with --confidence: its convolution learns at F x the rate (it starts from zero)")
    p.add_argument("--init", type=Path, default=None, help="start from this checkpoint's weights (grown with --fuse)")
    p.add_argument("--align-pans", action="store_true",
                   help="experiment: move the past by the pans' true motion (RVSR.run shifts); the clips stay unaligned")
    p.add_argument("--align-clips", action="store_true",
                   help="with --align-pans: move the clips' past too, by their estimated global motion (motion.py over "
                        "whole frames), in training and validation")
    p.add_argument("--clip-blocks", type=int, default=0, metavar="N",
                   help="with --align-clips: the clips' motion per block of about N LR pixels over the whole frame "
                        "(motion.block_shifts, as the shipped models' metadata asks), in training and validation")
    p.add_argument("--pans-estimated", action="store_true",
                   help="with --align-pans: move the pans' past in training by the motion motion.py estimates from "
                        "their LR (margins included), as the pipeline does, instead of the true one; validation "
                        "keeps the true one")
    p.add_argument("--refine", choices=REFINEMENTS, default=REFINE,
                   help="the motion estimate's sub-pixel step (motion.py; rvsr's weights up to 2026-12-07 were trained "
                        "with parabola)")
    p.add_argument("--val-pans", type=Path, nargs="*", default=None, metavar="FOLDER",
                   help="also score slow pans over these photographs (pans_rvsr.py; none named: Set5 and Set14)")
    p.add_argument("--sesr", type=Path, default=None, help="sesr checkpoint (default docs/training/sesr-x<s>/ckpt.pt)")
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.pt")
    return p.parse_args(argv)


def charbonnier(a, b, eps=1e-3):
    return torch.sqrt((a - b) ** 2 + eps * eps).mean()


def to8(y: np.ndarray) -> np.ndarray:
    return np.clip(np.round(y * 255.0), 0, 255)


def clip_scores(outs, hr, scale):
    """Per-frame PSNR-Y list and mean temporal error for 8-bit outputs (T x H x W) against HR."""
    psnrs = [psnr_y(o, h, scale) for o, h in zip(outs, hr)]
    s = slice(scale, -scale)
    d_out = np.diff(outs[:, s, s].astype(np.float64), axis=0)
    d_hr = np.diff(hr[:, s, s], axis=0)
    return psnrs, float(np.mean(np.abs(d_out - d_hr)))


@torch.no_grad()
def run_rvsr(model, lr, reset_each_frame=False, shifts=None):
    """8-bit outputs for LR frames (T x H x W); reset_each_frame: every frame alone, what the state is worth;
    shifts (T x 2): the past moved by the true motion (RVSR.run)."""
    model.eval()
    x = torch.from_numpy(lr)[None, :, None]
    d = None if shifts is None else torch.from_numpy(np.asarray(shifts))[None]
    out = torch.cat([model.run(x[:, t : t + 1])[0] for t in range(x.shape[1])], 1) if reset_each_frame else model.run(x, None, d)[0]
    model.train()
    return to8(out[0, :, 0].numpy())


def bicubic_outputs(lr, scale):
    """8-bit bicubic (imresize) upscaling of LR frames (T x h x w in [0, 1])."""
    return np.stack([to8(imresize(f, f.shape[1] * scale, f.shape[0] * scale)) for f in lr])


@torch.no_grad()
def sesr_outputs(sesr, lr):
    """8-bit outputs of the single-frame default for LR frames (T x h x w in [0, 1])."""
    return to8(sesr(torch.from_numpy(lr)[:, None])[:, 0].numpy())


def baselines(val, scale, sesr):
    """{clip: {"bicubic": (psnrs, terr), "sesr": ...}}, computed once."""
    res = {}
    for name, lr, hr in val:
        res[name] = {"bicubic": clip_scores(bicubic_outputs(lr, scale), hr, scale)}
        if sesr is not None:
            res[name]["sesr"] = clip_scores(sesr_outputs(sesr, lr), hr, scale)
    return res


def pan_scores(outs_of, pans, scale):
    """Mean PSNR-Y over frames >= 10 and mean temporal error over the pans (LR, HR, shifts), for
    outs_of(lr, shifts) -> 8-bit frames."""
    scores = [clip_scores(outs_of(lr, d), hr, scale) for lr, hr, d in pans]
    return round(float(np.mean([np.mean(p[10:]) for p, _ in scores])), 3), round(float(np.mean([t for _, t in scores])), 3)


def val_row(model, val, base, scale, pans=None, align=False, clip_motion=None):
    """Means over the clips of per-clip means: PSNR of rvsr / bicubic / sesr, rvsr on frame 0 and on frames >= 10,
    temporal errors, rvsr's PSNR per clip, and rvsr's PSNR with its state reset on every frame; with pans, rvsr's
    PSNR over them (frames >= 10), alone, and its temporal error there. clip_motion: {clip: T x 2} the clips' past
    moved by it."""
    motion = clip_motion or {}
    per = {n: clip_scores(run_rvsr(model, lr, shifts=motion.get(n)), hr, scale) for n, lr, hr in val}
    kinds = [k for k in ("bicubic", "sesr") if k in next(iter(base.values()))]
    m = lambda xs: round(float(np.mean(xs)), 3)  # noqa: E731
    row = [m([np.mean(per[n][0]) for n in per])] + [m([np.mean(base[n][k][0]) for n in per]) for k in kinds]
    row += [m([per[n][0][0] for n in per]), m([np.mean(per[n][0][10:]) for n in per])]
    row += [m([per[n][1] for n in per])] + [m([base[n][k][1] for n in per]) for k in kinds]
    alone = [np.mean(clip_scores(run_rvsr(model, lr, True), hr, scale)[0]) for _, lr, hr in val]
    row = row + [m(per[n][0]) for n in per] + [m(alone)]
    if pans:
        p, t = pan_scores(lambda lr, d: run_rvsr(model, lr, shifts=d if align else None), pans, scale)
        pa, _ = pan_scores(lambda lr, _: run_rvsr(model, lr, True), pans, scale)
        row += [p, pa, t]
    return row, kinds


def load_sesr(path: Path, scale: int):
    if not path.exists():
        print(f"no sesr checkpoint at {path}: comparing with bicubic only", flush=True)
        return None
    state = torch.load(path, map_location="cpu")
    net = SESR(scale)
    net.load_state_dict(state["model"])
    return net.eval().set_valid(False)


def val_motion(args, name: str, crop: int) -> np.ndarray:
    """A held-out clip's estimated motion for its validation crop (load_val's centre crop, `crop` LR pixels):
    T x 2 global shifts, or with --clip-blocks a field of its whole frames' block shifts (T x crop x crop x 2)."""
    if not args.clip_blocks:
        return clip_shifts(args.cache, name, args.scale, 1, args.refine)[: args.val_frames]
    blocks = clip_block_shifts(args.cache, name, args.scale, args.clip_blocks)[: args.val_frames]
    h, w = np.load(args.cache / f"{name}.x{args.scale}.npy", mmap_mode="r").shape[1:]
    return crop_field(blocks, h, w, args.clip_blocks, *val_corner(h, w, crop), crop)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    for flag, given in (("--align-clips", args.align_clips), ("--pans-estimated", args.pans_estimated)):
        if given and not args.align_pans:
            sys.exit(f"train_rvsr.py: {flag} needs --align-pans")
    if args.clip_blocks and (not args.align_clips or args.refine != "cubic"):
        sys.exit("train_rvsr.py: --clip-blocks needs --align-clips and --refine cubic")
    args.out.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.out / "ckpt.pt"
    if args.resume and not ckpt_path.exists():
        sys.exit(f"train_rvsr.py: --resume given but {ckpt_path} does not exist")
    torch.manual_seed(args.seed)
    model = RVSR(args.scale, args.width, args.layers, args.state, args.fuse, args.confidence)
    if args.init and not args.resume:
        model.load_grown(torch.load(args.init, map_location="cpu")["model"])
    groups = [{"params": [p for n, p in model.named_parameters() if not n.startswith("conf.")]}]
    if args.confidence:  # its convolution at --confidence-lr times the rate
        groups.append({"params": list(model.conf.parameters()), "factor": args.confidence_lr})
    opt = torch.optim.Adam(groups, lr=args.lr)
    step, train_rows, val_rows, elapsed0 = 0, [], [], 0.0
    if args.resume:
        state = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, train_rows, val_rows, elapsed0 = state["step"], state["train_rows"], state["val_rows"], state["elapsed"]
        print(f"resumed at step {step}", flush=True)
    args_file = args.out / (f"args-resume-{step}.json" if args.resume else "args.json")
    args_file.write_text(json.dumps(vars(args), indent=2, default=str))

    names = build_cache(args.video, args.cache, [args.scale], log=lambda m: print(m, flush=True))
    train_names = [n for n in names if n not in VAL_CLIPS]
    photos = photo_paths(args.photos) if args.photo_share > 0 else []
    sampler = VideoSampler(args.cache, train_names, args.scale, args.patch, photos, args.photo_share, args.seed + step,
                           args.align_clips, args.pans_estimated, args.refine, args.clip_blocks)
    val = load_val(args.cache, VAL_CLIPS, args.scale, args.val_frames, args.val_crop)
    clip_motion = {n: val_motion(args, n, lr.shape[1]) for n, lr, _ in val} if args.align_clips else None
    sesr = load_sesr(args.sesr or HERE.parent / "docs" / "training" / f"sesr-x{args.scale}" / "ckpt.pt", args.scale)
    base = baselines(val, args.scale, sesr)
    pans = None
    if args.val_pans is not None:
        from pans_rvsr import sequences  # noqa: E402

        folders = args.val_pans or [SHARED / "val" / "Set5", SHARED / "val" / "Set14"]
        pans = [(lr, hr, d) for _, _, lr, hr, d in sequences(args.scale, folders, 192)]
        pan_base = [pan_scores(lambda lr, _: bicubic_outputs(lr, args.scale), pans, args.scale)]
        if sesr is not None:
            pan_base.append(pan_scores(lambda lr, _: sesr_outputs(sesr, lr), pans, args.scale))
        print("pans: " + ", ".join(f"{k} {p} dB, temporal error {t}" for k, (p, t) in zip(["bicubic", "sesr"], pan_base)),
              flush=True)
    print(f"x{args.scale}: {len(train_names)} training clips ({sum(c[0].shape[0] for c in sampler.clips)} frames), "
          f"{len(photos)} photos at {args.photo_share:.0%}; {model.macs_per_lr_pixel()} MACs per LR pixel; "
          f"{torch.get_num_threads()} threads", flush=True)
    warm_rng = np.random.default_rng(args.seed + 7919 + step)
    kinds = ["bicubic"] + (["sesr"] if sesr is not None else [])
    val_header = ["step", "seconds", "rvsr", *kinds, "rvsr_frame0", "rvsr_frames10+", "terr_rvsr",
                  *[f"terr_{k}" for k in kinds], *[f"rvsr_{n}" for n, _, _ in val], "rvsr_reset_each_frame"]
    if pans:
        val_header += ["pans_rvsr", "pans_rvsr_alone", "pans_terr_rvsr"]
    val_rows = [r + [""] * (len(val_header) - len(r)) for r in val_rows]  # rows from before a column was added

    def save():
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "config": model.config(),
                    "train_rows": train_rows, "val_rows": val_rows, "val_header": val_header, "elapsed": elapsed}, tmp)
        tmp.replace(ckpt_path)
        write_csv(args.out / "train.csv", ["step", "loss", "lr", "seconds"], train_rows)
        write_csv(args.out / "val.csv", val_header, val_rows)
        plot_curves(train_rows, val_rows, ["rvsr", *kinds], args.out / "curves.png", f"rvsr x{args.scale}",
                    loss_label="Charbonnier loss (Y in [0,1])")

    t0 = time.time()
    elapsed, last_save = elapsed0, time.time()
    loss_acc, n_acc = 0.0, 0
    if not val_rows:
        val_rows.append([step, round(elapsed, 1), *val_row(model, val, base, args.scale, pans, args.align_pans, clip_motion)[0]])
        print("baseline " + "  ".join(f"{h} {v}" for h, v in zip(val_header, val_rows[-1])), flush=True)
    while step < args.steps:
        warm = warm_rng.random() < args.warm_share
        batch = sampler.batch(args.batch, args.frames * (2 if warm else 1), args.align_pans)
        x, y = torch.from_numpy(batch[0]), torch.from_numpy(batch[1])
        d = torch.from_numpy(batch[2]) if args.align_pans else None
        carry = None
        if warm:
            with torch.no_grad():
                _, carry = model.run(x[:, : args.frames], None, None if d is None else d[:, : args.frames])
            x, y = x[:, args.frames :], y[:, args.frames :]
            d = None if d is None else d[:, args.frames :]
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args) * g.get("factor", 1.0)
        out, _ = model.run(x, carry, d)
        loss = charbonnier(out, y)
        if args.temporal_weight:
            loss = loss + args.temporal_weight * charbonnier(out[:, 1:] - out[:, :-1], y[:, 1:] - y[:, :-1])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        step += 1
        loss_acc, n_acc = loss_acc + loss.item(), n_acc + 1
        elapsed = elapsed0 + time.time() - t0
        if step % 50 == 0:
            train_rows.append([step, loss_acc / n_acc, lr_at(step - 1, args), round(elapsed, 1)])
            loss_acc, n_acc = 0.0, 0
        if step % args.val_every == 0 or step == args.steps:
            tv = time.time()
            val_rows.append([step, round(elapsed, 1), *val_row(model, val, base, args.scale, pans, args.align_pans, clip_motion)[0]])
            shown = train_rows[-1][1] if train_rows else loss.item()
            print(f"step {step}/{args.steps}  loss {shown:.5f}  lr {lr_at(step - 1, args):.2e}  {elapsed / 60:.1f} min  "
                  + "  ".join(f"{h} {v}" for h, v in zip(val_header[2:], val_rows[-1][2:]))
                  + f"  (validation {time.time() - tv:.0f} s)", flush=True)
            save()
            last_save = time.time()
        elif time.time() - last_save > args.ckpt_minutes * 60:
            save()
            last_save = time.time()
    save()


if __name__ == "__main__":
    main()
