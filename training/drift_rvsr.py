#!/usr/bin/env python3
"""Does an rvsr checkpoint drift on a long, nearly static scene? (Chiche et al., CVPR 2022: recurrent VSR builds
up artefacts through its loop on static input.)

  /usr/bin/python3 training/drift_rvsr.py runs/rvsr-x2/ckpt.pt --frames 3000

The scene: the first frame of a held-out clip (an HR centre crop), still, or panning slowly (--pan HR pixels per
frame, integer offsets of a larger crop, so the HR stays exact), with fresh sensor-like Gaussian noise (--noise,
8-bit units) on the HR of every frame before it is degraded (data.degrade). Prints PSNR-Y per block of frames,
the level after the first second (frames 25-49), the last block's difference from it (the issue asks for
within 0.1 dB), and the largest |state| seen.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import degrade, imresize, psnr_y  # noqa: E402
from rvsr import RVSR  # noqa: E402
from rvsr_data import VAL_CLIPS, load_clip  # noqa: E402

HERE = Path(__file__).resolve().parent


def scene(hr_frame: np.ndarray, n: int, crop: int, pan: float, noise: float, rng):
    """Yields (HR, noisy HR) crops: a still or slowly panning window over one frame."""
    h, w = hr_frame.shape
    travel = int(np.ceil(abs(pan) * n))
    span_x = min(w - crop, travel)
    y0 = (h - crop) // 2
    x0 = (w - crop - span_x) // 2
    for t in range(n):
        dx = int(np.floor(abs(pan) * t)) % (2 * span_x) if span_x else 0
        dx = dx if dx <= span_x else 2 * span_x - dx  # back and forth if the frame is too narrow
        clean = hr_frame[y0 : y0 + crop, x0 + dx : x0 + dx + crop].astype(np.float64)
        yield clean, np.clip(clean + rng.normal(0, noise, clean.shape), 0, 255)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpt", type=Path)
    p.add_argument("--cache", type=Path, default=HERE.parent / "runs" / "cache")
    p.add_argument("--clip", default=VAL_CLIPS[2])
    p.add_argument("--frames", type=int, default=3000)
    p.add_argument("--crop", type=int, default=192, help="HR crop")
    p.add_argument("--pan", type=float, default=0.05, help="HR pixels per frame (0: still)")
    p.add_argument("--noise", type=float, default=2.0, help="Gaussian noise on the HR, 8-bit units")
    p.add_argument("--block", type=int, default=250)
    a = p.parse_args()
    torch.set_num_threads(1)
    state = torch.load(a.ckpt, map_location="cpu")
    model = RVSR(**state["config"]).eval()
    model.load_state_dict(state["model"])
    s = model.scale
    _, hr = load_clip(a.cache, a.clip, s)
    rng = np.random.default_rng(0)
    psnrs, bics, peak, carry = [], [], 0.0, None
    with torch.no_grad():
        for clean, noisy in scene(np.asarray(hr[0]), a.frames, a.crop, a.pan, a.noise, rng):
            lr = degrade(noisy, s)
            bics.append(psnr_y(np.clip(np.round(imresize(lr, a.crop, a.crop)), 0, 255), np.round(clean), s))
            x = torch.from_numpy(lr.astype(np.float32) / 255.0)[None, None, None]
            out, carry = model.run(x, carry)
            sr = np.clip(np.round(out[0, 0, 0].numpy() * 255), 0, 255)
            psnrs.append(psnr_y(sr, np.round(clean), s))
            peak = max(peak, float(carry[2].abs().max()))
    psnrs, bics = np.array(psnrs), np.array(bics)
    for b in range(0, a.frames, a.block):
        r, c = psnrs[b : b + a.block].mean(), bics[b : b + a.block].mean()
        print(f"frames {b:5d}-{min(b + a.block, a.frames) - 1:5d}: PSNR-Y {r:.3f} dB, bicubic {c:.3f} ({r - c:+.3f})")
    first, last = psnrs[25:50].mean(), psnrs[-a.block :].mean()
    gain0, gain1 = first - bics[25:50].mean(), last - bics[-a.block :].mean()
    print(f"{a.clip}, step {state['step']}, pan {a.pan}: after the first second {first:.3f} dB "
          f"({gain0:+.3f} over bicubic), "
          f"last {a.block} frames {last:.3f} dB ({gain1:+.3f}); largest |state| {peak:.3f}")


if __name__ == "__main__":
    main()
