#!/usr/bin/env python3
"""How much rvsr's state is worth on sharp footage: slow camera pans over held-out photographs.

  /usr/bin/python3 training/pans_rvsr.py training/checkpoints/rvsr-x4/ckpt.pt [more checkpoints ...]

The project's held-out clips are soft (bicubic already scores high on them), while the footage video methods are
usually judged on is sharp and moves slowly, so that every frame shows the same fine texture at a new sub-pixel
phase. This makes such sequences from the validation photographs (Set5 + Set14, which no rvsr or sesr run trains
on): a window moving at a constant velocity in whole HR pixels (rvsr_data.PhotoPans' rule: no interpolation of
the HR), each frame degraded from a larger window so the crop's LR has no artificial edge. Velocities in HR
pixels per frame: still, and four slow pans (at x4 one HR pixel is a quarter of an LR pixel).

Prints, per checkpoint, the mean PSNR-Y (peak 255, `scale` pixels shaved) over frames 10-29 for bicubic, the
single-frame default (sesr, from its training checkpoint), rvsr with its state reset on every frame and rvsr,
and the temporal error (mean |d output - d truth| between consecutive frames, 8-bit units) over all 30 frames;
the rows are means over the sequences, then per velocity.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import list_images, load_y  # noqa: E402
from motion import REFINE, REFINEMENTS, estimate_shifts  # noqa: E402
from motion_rvsr import ensembles, run as run_blocks  # noqa: E402
from rvsr import RVSR  # noqa: E402
from rvsr_data import VAL_CLIPS, PhotoPans, load_val, render_pan  # noqa: E402
from train import SHARED  # noqa: E402
from train_rvsr import bicubic_outputs, clip_scores, load_sesr, run_rvsr, sesr_outputs  # noqa: E402

HERE = Path(__file__).resolve().parent
VELOCITIES = ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.5, 1.5), (2.0, 0.5))  # (down, right) HR pixels per frame
FRAMES, FROM = 30, 10


def sequences(scale: int, folders, crop: int):
    """(name, velocity, LR frames T x h x w float32 in [0, 1], HR frames T x H x W float64, shifts T x 2: how far
    each frame's window moved from the one before, in whole HR pixels)."""
    m = PhotoPans.MARGIN
    for path in [p for f in folders for p in list_images(f)]:
        img = np.round(load_y(path)).astype(np.uint8)
        for v in VELOCITIES:
            travel = np.ceil(np.abs(v) * (FRAMES - 1)).astype(int)
            c = min(crop, (min(img.shape[0] - travel[0], img.shape[1] - travel[1]) - 2 * m * scale) // scale * scale)
            hp = c + 2 * m * scale
            y0 = (img.shape[0] - hp - travel[0]) // 2 + (travel[0] if v[0] < 0 else 0)
            x0 = (img.shape[1] - hp - travel[1]) // 2 + (travel[1] if v[1] < 0 else 0)
            positions = [(y0 + int(np.floor(v[0] * t)), x0 + int(np.floor(v[1] * t))) for t in range(FRAMES)]
            lrs, hrs, shifts = render_pan(img, positions, scale, hp)
            yield path.stem, v, lrs.astype(np.float32) / 255.0, hrs.astype(np.float64), shifts


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpts", type=Path, nargs="+")
    p.add_argument("--photos", type=Path, nargs="*", default=[SHARED / "val" / "Set5", SHARED / "val" / "Set14"])
    p.add_argument("--crop", type=int, default=192, help="HR crop at most (smaller where a photo is too small)")
    p.add_argument("--aligned", action="store_true", help="also run each checkpoint with its past moved by the true motion")
    p.add_argument("--estimated", action="store_true",
                   help="also run each checkpoint with its past moved by the motion motion.py estimates from the LR")
    p.add_argument("--refine", choices=REFINEMENTS, default=REFINE, help="the estimate's sub-pixel step")
    p.add_argument("--block", type=int, default=None, metavar="N",
                   help="also run each checkpoint with its past moved by motion.block_shifts with blocks of N LR pixels")
    p.add_argument("--ensemble", action="store_true",
                   help="with --block: also backwards, both ways and mirrored (motion_rvsr.py's --ensemble)")
    p.add_argument("--clips", type=Path, default=None, metavar="CACHE",
                   help="then the held-out clips as train_rvsr.py validates on them (its cache), as run and estimated")
    a = p.parse_args()
    if a.ensemble and not a.block:
        p.error("--ensemble needs --block")
    torch.set_num_threads(1)
    models = []
    for path in a.ckpts:
        state = torch.load(path, map_location="cpu")
        model = RVSR(**state["config"]).eval()
        model.load_state_dict(state["model"])
        models.append((f"{path.parent.name}@{state['step']}", model))
    scale = models[0][1].scale
    sesr = load_sesr(HERE.parent / "docs" / "training" / f"sesr-x{scale}" / "ckpt.pt", scale)
    rows = {}  # (velocity, column) -> list of (psnr over frames >= FROM, temporal error)
    with torch.no_grad():
        for name, v, lr, hr, shifts in sequences(scale, a.photos, a.crop):
            outs = {"bicubic": bicubic_outputs(lr, scale), "sesr": sesr_outputs(sesr, lr)}
            for label, model in models:
                outs[f"{label} alone"] = run_rvsr(model, lr, True)
                outs[label] = run_rvsr(model, lr)
                if a.aligned:
                    outs[f"{label} aligned"] = run_rvsr(model, lr, shifts=shifts)
                if a.estimated:
                    outs[f"{label} estimated"] = run_rvsr(model, lr, shifts=estimate_shifts(lr, scale, refine=a.refine))
                if a.block:
                    lr8 = np.round(lr * 255).astype(np.uint8)
                    out = outs[f"{label} blocks {a.block}"] = run_blocks(model, lr8, a.block, 3, a.refine)
                    if a.ensemble:
                        for k, o in ensembles(model, lr8, out, a.block, 3, a.refine).items():
                            outs[f"{label} blocks {a.block} {k}"] = o
            for col, out in outs.items():
                psnrs, terr = clip_scores(out, hr, scale)
                rows.setdefault((v, col), []).append((float(np.mean(psnrs[FROM:])), terr))
    cols = list(dict.fromkeys(c for _, c in rows))
    print(f"x{scale}, {len(rows[(VELOCITIES[0], 'bicubic')])} photos x {len(VELOCITIES)} velocities, "
          f"{FRAMES} frames; PSNR-Y over frames {FROM}-{FRAMES - 1}, temporal error over all")
    wl = max(34, *(len(c) + 2 for c in cols))
    print(f"{'':{wl}s}" + "".join(f"{str(v):>14s}" for v in VELOCITIES) + f"{'all':>10s}{'gain':>8s}{'t.err':>8s}")
    bic = np.mean([r[0] for v in VELOCITIES for r in rows[(v, "bicubic")]])
    for col in cols:
        per_v = [np.mean([r[0] for r in rows[(v, col)]]) for v in VELOCITIES]
        allp = np.mean([r[0] for v in VELOCITIES for r in rows[(v, col)]])
        terr = np.mean([r[1] for v in VELOCITIES for r in rows[(v, col)]])
        print(f"{col:{wl}s}" + "".join(f"{x:14.3f}" for x in per_v) + f"{allp:10.3f}{allp - bic:+8.3f}{terr:8.3f}")
    if a.clips:
        val = load_val(a.clips, VAL_CLIPS, scale, 40, 256)
        print(f"held-out clips (train_rvsr.py's validation: {len(val)} clips, 40 frames, 256-pixel HR crops): "
              "PSNR-Y over all frames, temporal error")
        for label, model in models:
            for how in ("run", "estimated"):
                scores = [clip_scores(run_rvsr(model, lr, shifts=estimate_shifts(lr, scale, refine=a.refine) if how == "estimated" else None),
                                      hr, scale) for _, lr, hr in val]
                print(f"{label + ' ' + how:34s}{np.mean([np.mean(p) for p, _ in scores]):10.3f}"
                      f"{np.mean([t for _, t in scores]):8.3f}")


if __name__ == "__main__":
    main()
