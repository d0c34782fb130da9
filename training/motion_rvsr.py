#!/usr/bin/env python3
"""How an aligned rvsr checkpoint fares on the held-out clips (whole frames) when its past is moved by other motion
estimates than the one it was trained with: one global shift searched within a wider radius, or one shift per block.

  /usr/bin/python3 training/motion_rvsr.py training/checkpoints/rvsr-x4-aligned/ckpt.pt --radius 3 6 --blocks 32 48

Every variant moves the previous output by its shift to the HR pixel and the state by it rounded to LR pixels, as
RVSR.run does for a global shift. The blocks' shifts are motion.block_shifts' (what the shipped models' metadata
asks for with blocks of 48), optionally with a wider margin around each block. PSNR-Y over all frames and the
temporal error, per clip and over the clips (train_rvsr.py's clip_scores).

--ensemble also runs each variant on the clip backwards in time (the network, trained on both directions, reset at
the last frame), and scores the mean of the two runs' 8-bit outputs ("both ways": each frame then draws on the
frames before and after it, as an offline file could), and the mean of four runs: both ways and both ways on the
mirrored clip ("both ways mirrored").
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from motion import REFINE, REFINEMENTS, block_shifts, global_shift  # noqa: E402
from rvsr import RVSR, move_past  # noqa: E402
from rvsr_data import VAL_CLIPS, crop_field, load_clip  # noqa: E402
from train_rvsr import clip_scores, to8  # noqa: E402


def block_field(prev: np.ndarray, cur: np.ndarray, scale: int, block: int, radius: int, refine: str,
                context: int | None = None) -> np.ndarray:
    """H x W x 2 shifts in HR pixels, one per LR pixel: the global shift (block 0) or motion.block_shifts'."""
    h, w = cur.shape
    if block == 0:
        return np.broadcast_to(global_shift(prev, cur, scale, radius, refine=refine), (h, w, 2))
    d = block_shifts(prev, cur, scale, block, radius, refine=refine, context=context)
    return crop_field(d[None], h, w, block, 0, 0, h, w)[0]


@torch.no_grad()
def run(model: RVSR, lr8: np.ndarray, block: int, radius: int, refine: str = REFINE,
        context: int | None = None) -> np.ndarray:
    x = torch.from_numpy(lr8.astype(np.float32) / 255.0)[:, None, None]
    x_prev, out_prev, state = model.reset(x[0])
    outs = []
    for t in range(len(x)):
        if t > 0:
            field = block_field(lr8[t - 1], lr8[t], model.scale, block, radius, refine, context)
            f = torch.from_numpy(np.ascontiguousarray(field))[None]
            out_prev, state = move_past(out_prev, f, model.scale), move_past(state, f, model.scale)
        out, state = model(x[t], x_prev, out_prev, state)
        outs.append(out[0, 0].numpy())
        x_prev, out_prev = x[t], out
    return to8(np.stack(outs))


def ensembles(model: RVSR, lr8: np.ndarray, forward: np.ndarray, block: int, radius: int, refine: str = REFINE,
              context: int | None = None) -> dict:
    """8-bit outputs of the run backwards in time, of the mean of the forward run (run's outputs) and the backward
    one, and of the mean of those two and the same two on the left-right mirrored clip."""
    def go(seq, time, mirror):
        t, x = slice(None, None, time), slice(None, None, mirror)
        return run(model, np.ascontiguousarray(seq[t, :, x]), block, radius, refine, context)[t, :, x]

    backward = go(lr8, -1, 1)
    mirrored = go(lr8, 1, -1) + go(lr8, -1, -1)
    return {"backward": backward, "both ways": to8((forward + backward) / 510.0),
            "both ways mirrored": to8((forward + backward + mirrored) / 1020.0)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpt", type=Path)
    p.add_argument("--cache", type=Path, default=HERE.parent / "runs" / "cache", help="train_rvsr.py's cache")
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--radius", type=int, nargs="+", default=[3], help="global searches (LR pixels)")
    p.add_argument("--blocks", type=int, nargs="*", default=[], help="block sides (LR pixels), searched at radius 3")
    p.add_argument("--contexts", type=int, nargs="*", default=[],
                   help="also each block size with this margin (LR pixels) around each block instead of radius + 1")
    p.add_argument("--refine", choices=REFINEMENTS, default=REFINE, help="the estimate's sub-pixel step")
    p.add_argument("--ensemble", action="store_true", help="also each variant backwards, both ways, and mirrored")
    a = p.parse_args()
    torch.set_num_threads(1)
    state = torch.load(a.ckpt, map_location="cpu")
    model = RVSR(**state["config"]).eval()
    model.load_state_dict(state["model"])
    variants = [(f"global r{r}", 0, r, None) for r in a.radius] + [(f"blocks {b}", b, 3, None) for b in a.blocks] + [
        (f"blocks {b} c{c}", b, 3, c) for b in a.blocks for c in a.contexts]
    scores = {}
    for name in VAL_CLIPS:
        lr, hr = load_clip(a.cache, name, model.scale)
        lr8, hr = np.asarray(lr[: a.frames]), np.asarray(hr[: a.frames], np.float64)
        row = []
        for label, block, radius, context in variants:
            out = run(model, lr8, block, radius, a.refine, context)
            outs = {label: out}
            if a.ensemble:
                outs |= {f"{label} {k}": v for k, v in ensembles(model, lr8, out, block, radius, a.refine, context).items()}
            for key, out in outs.items():
                psnrs, terr = clip_scores(out, hr, model.scale)
                scores.setdefault(key, []).append((float(np.mean(psnrs)), terr))
                row.append(f"{key}: {np.mean(psnrs):.3f} dB, {terr:.3f}")
        print(f"{name:16s}" + "   ".join(row), flush=True)
    wl = max(16, *(len(k) + 6 for k in scores))
    for label, s in scores.items():
        print(f"{'all ' + label:{wl}s}{np.mean([x for x, _ in s]):.3f} dB, temporal error {np.mean([t for _, t in s]):.3f}")


if __name__ == "__main__":
    main()
