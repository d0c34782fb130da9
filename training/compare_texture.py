#!/usr/bin/env python3
"""SRGAN against its PSNR-trained twin SRResNet at x4: PSNR-Y (faithfulness) and the gradient ratio (sharpness,
data.gradient_ratio: 1.0 is the truth's amount of edge and texture) on Set5 and Set14, for bicubic (as
`srvid eval` makes it), srresnet and srgan; and a side-by-side picture of crops (bicubic, srresnet, srgan,
ground truth).

  /usr/bin/python3 training/compare_texture.py --srresnet training/checkpoints/srresnet-x4/ckpt.pt \\
      --srgan training/checkpoints/srgan-x4/ckpt.pt --figure docs/figures/srgan-x4.png --table docs/srgan-x4.md
"""
import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classic import SRResNet  # noqa: E402
from data import gradient_ratio, imresize, load_eval_set, psnr_y  # noqa: E402
from train import SHARED  # noqa: E402

# (set, image, top, left, size) of the crops in the picture, in HR pixels: fur, stripes and fine lines
CROPS = [("Set14", "baboon", 40, 300, 120), ("Set14", "zebra", 150, 260, 120), ("Set5", "butterfly", 80, 40, 120)]


def load(path: Path) -> SRResNet:
    g = SRResNet(4)
    g.load_state_dict(torch.load(path, map_location="cpu")["model"])
    return g.eval()


@torch.no_grad()
def upscale(g, lr):
    return g(torch.from_numpy(lr)[None, None])[0, 0].clamp(0, 1).mul(255).round().numpy()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--srresnet", type=Path, required=True)
    p.add_argument("--srgan", type=Path, required=True)
    p.add_argument("--figure", type=Path, required=True)
    p.add_argument("--table", type=Path, required=True)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    nets = {"srresnet": load(a.srresnet), "srgan": load(a.srgan)}
    rows, outputs = [], {}
    for set_name in ("Set5", "Set14"):
        scores = {k: ([], []) for k in ("bicubic", *nets)}
        for name, lr, hr in load_eval_set(SHARED / "val" / set_name, 4):
            outs = {"bicubic": np.clip(np.round(imresize(lr * 255.0, hr.shape[1], hr.shape[0])), 0, 255)}
            outs.update({k: upscale(g, lr) for k, g in nets.items()})
            for k, sr in outs.items():
                scores[k][0].append(psnr_y(sr, hr, 4))
                scores[k][1].append(gradient_ratio(sr, hr, 4))
            outputs[(set_name, name)] = {**outs, "ground truth": hr}
        rows += [(set_name, k, np.mean(v[0]), np.mean(v[1])) for k, v in scores.items()]
    lines = ["| set | | PSNR-Y (dB) | gradient ratio (truth = 1.00) |", "|---|---|---|---|"]
    lines += [f"| {s} | {k} | {psnr:.2f} | {ratio:.3f} |" for s, k, psnr, ratio in rows]
    a.table.parent.mkdir(parents=True, exist_ok=True)
    a.table.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    kinds = ["bicubic", "srresnet", "srgan", "ground truth"]
    fig, axes = plt.subplots(len(CROPS), len(kinds), figsize=(3 * len(kinds), 3 * len(CROPS)))
    for r, (set_name, name, top, left, size) in enumerate(CROPS):
        outs = outputs[(set_name, name)]
        for c, k in enumerate(kinds):
            crop = outs[k][top:top + size, left:left + size]
            ax = axes[r, c]
            ax.imshow(crop, cmap="gray", vmin=16, vmax=235, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            hr = outs["ground truth"]
            label = k if k == "ground truth" else f"{k}  {psnr_y(outs[k], hr, 4):.2f} dB, grad {gradient_ratio(outs[k], hr, 4):.2f}"
            ax.set_title(label, fontsize=8)
            if c == 0:
                ax.set_ylabel(f"{name} (x4)", fontsize=9)
    fig.tight_layout()
    a.figure.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.figure, dpi=80)
    print(f"wrote {a.figure} and {a.table}")


if __name__ == "__main__":
    main()
