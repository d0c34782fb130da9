#!/usr/bin/env python3
"""Fine-tune a trained SRResNet (train.py --arch srresnet) into SRGAN (Ledig et al. 2017): the same generator,
trained against a discriminator so that it draws texture instead of averaging it away.

No pretrained VGG can be downloaded here, so the paper's VGG content loss is replaced by two terms the project
owns: the L1 pixel loss the SRResNet was trained with (it keeps the picture faithful) and a feature-matching
loss on the discriminator's own feature maps (pix2pixHD, Wang et al. 2018: the L1 distance between the
discriminator's activations for the output and for the truth, a perceptual loss learnt by the adversary
itself). The adversarial term is the relativistic average GAN of ESRGAN (Wang et al. 2018), which its authors found trains
steadier than the paper's plain GAN. Sharpness is measured as the gradient ratio (data.gradient_ratio):
1.0 is the truth's amount of edge and texture; bicubic and PSNR-trained networks stay below it.

  /usr/bin/python3 training/train_srgan.py --init runs/srresnet-x4/ckpt.pt --out runs/srgan-x4 \\
      --models runs/srgan-x4/export                         # writes srgan-x4.onnx at the end
  /usr/bin/python3 training/train_srgan.py --out runs/srgan-x4 --models runs/srgan-x4/export --resume
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classic import SRGAN  # noqa: E402
from data import PatchSampler, gradient_ratio, list_images, load_eval_set, psnr_y  # noqa: E402
from export import export_onnx  # noqa: E402
from plot import plot_curves  # noqa: E402
from train import SHARED, training_data_summary, write_csv  # noqa: E402


class Discriminator(nn.Module):
    """SRGAN's discriminator narrowed for a CPU: conv3x3 pairs (the second strided) from `width` to 8 x
    `width` channels, batch norm after every convolution but the first, LeakyReLU(0.2), then global average
    pooling and two dense layers (any patch size). `forward` returns the logit and the feature maps of every pair."""

    def __init__(self, width: int = 32):
        super().__init__()
        chans, cin, blocks = [width, width * 2, width * 4, width * 8], 1, []
        for i, c in enumerate(chans):
            blocks.append(nn.Sequential(
                nn.Conv2d(cin, c, 3, 1, 1), *([nn.BatchNorm2d(c)] if i else []), nn.LeakyReLU(0.2),
                nn.Conv2d(c, c, 3, 2, 1), nn.BatchNorm2d(c), nn.LeakyReLU(0.2)))
            cin = c
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Sequential(nn.Linear(cin, 4 * width), nn.LeakyReLU(0.2), nn.Linear(4 * width, 1))

    def forward(self, x):
        feats = []
        for b in self.blocks:
            x = b(x)
            feats.append(x)
        return self.head(x.mean((2, 3))).squeeze(1), feats


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--init", type=Path, help="the SRResNet checkpoint to start from (required unless --resume)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--models", type=Path, required=True, help="where srgan-x4.onnx is written at the end")
    p.add_argument("--train", type=Path, nargs="+", default=[SHARED / "train"])
    p.add_argument("--val", type=Path, nargs="+", default=[SHARED / "val" / "Set5", SHARED / "val" / "Set14"])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--patch", type=int, default=24, help="LR patch size (HR: 4x)")
    p.add_argument("--lr", type=float, default=1e-4, help="generator and discriminator, constant")
    p.add_argument("--pixel", type=float, default=1.0, help="weight of the L1 pixel loss")
    p.add_argument("--fm", type=float, default=0.3, help="weight of the discriminator feature-matching loss")
    p.add_argument("--adv", type=float, default=5e-3, help="weight of the adversarial loss")
    p.add_argument("--d-width", type=int, default=32)
    p.add_argument("--val-every", type=int, default=250)
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--resume", action="store_true")
    args = p.parse_args(argv)
    if not args.resume and not args.init:
        p.error("--init is required unless --resume")
    return args


def ragan(real, fake, real_is_real: bool):
    """Relativistic average GAN loss: is the real patch more realistic than the average fake one?"""
    ones, zeros = torch.ones_like(real), torch.zeros_like(real)
    a, b = (ones, zeros) if real_is_real else (zeros, ones)
    return (F.binary_cross_entropy_with_logits(real - fake.mean(), a)
            + F.binary_cross_entropy_with_logits(fake - real.mean(), b)) / 2


@torch.no_grad()
def validate(g, sets):
    g.eval()
    scores = {}
    for name, images in sets.items():
        p, r = [], []
        for _, lr, hr in images:
            sr = g(torch.from_numpy(lr)[None, None])[0, 0].clamp(0, 1).mul(255).round().numpy()
            p.append(psnr_y(sr, hr, 4))
            r.append(gradient_ratio(sr, hr, 4))
        scores[name], scores[f"{name} sharpness"] = float(np.mean(p)), float(np.mean(r))
    g.train()
    return scores


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.out / "ckpt.pt"
    g, d = SRGAN(4), Discriminator(args.d_width)
    opt_g = torch.optim.Adam(g.parameters(), lr=args.lr, betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(d.parameters(), lr=args.lr, betas=(0.9, 0.99))
    step, train_rows, val_rows, elapsed0, prior = 0, [], [], 0.0, {"steps": 0, "seconds": 0.0}
    if args.resume:
        state = torch.load(ckpt_path, map_location="cpu")
        for m, k in ((g, "g"), (d, "d"), (opt_g, "opt_g"), (opt_d, "opt_d")):
            m.load_state_dict(state[k])
        step, train_rows, val_rows = state["step"], state["train_rows"], state["val_rows"]
        elapsed0, prior = state["elapsed"], state["prior"]
        print(f"resumed at step {step}", flush=True)
    else:
        state = torch.load(args.init, map_location="cpu")
        g.load_state_dict(state["model"])
        prior = {"steps": state.get("prior_steps", 0) + state["step"],
                 "seconds": state.get("prior_seconds", 0.0) + state["elapsed"], "from": str(args.init)}
        print(f"generator from {args.init} (SRResNet, {prior['steps']} steps)", flush=True)
    (args.out / (f"args-resume-{step}.json" if args.resume else "args.json")).write_text(
        json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, indent=2, default=str))

    paths = [p for folder in args.train for p in list_images(folder)]
    sampler = PatchSampler(paths, 4, args.patch, 0, seed=args.seed + step)
    sets = {folder.name: load_eval_set(folder, 4) for folder in args.val}
    names = [k for s in sets for k in (s, f"{s} sharpness")]
    if not val_rows:  # the starting point: the SRResNet itself
        val_rows.append([0, 0.0, *(round(v, 4) for v in validate(g, sets).values())])
        print("step 0  " + "  ".join(f"{k} {v}" for k, v in zip(names, val_rows[0][2:])), flush=True)

    def save():
        torch.save({"g": g.state_dict(), "d": d.state_dict(), "opt_g": opt_g.state_dict(),
                    "opt_d": opt_d.state_dict(), "step": step, "train_rows": train_rows, "val_rows": val_rows,
                    "elapsed": elapsed, "prior": prior,
                    # train.py's checkpoint layout too, so export.py and check_classic.py read the generator
                    "model": g.state_dict(), "prior_steps": prior["steps"], "prior_seconds": prior["seconds"]},
                   ckpt_path.with_suffix(".tmp"))
        ckpt_path.with_suffix(".tmp").replace(ckpt_path)
        write_csv(args.out / "train.csv", ["step", "g_loss", "pixel", "fm", "adv", "d_loss", "seconds"], train_rows)
        write_csv(args.out / "val.csv", ["step", "seconds", *names], val_rows)
        plot_curves([[r[0], r[2]] for r in train_rows], [[r[0], r[1], *r[2::2]] for r in val_rows], list(sets),
                    args.out / "curves.png", "SRGAN x4", "L1 pixel loss (Y in [0,1])")

    t0, elapsed, acc = time.time(), elapsed0, np.zeros(5)
    every = min(25, args.val_every, args.steps)  # steps per row of train.csv
    while step < args.steps:
        lr_np, hr_np = sampler.batch(args.batch)
        x, y = torch.from_numpy(lr_np), torch.from_numpy(hr_np)
        sr = g(x)
        # the discriminator: truth against the generator's output, relativistically
        real_logit, _ = d(y)
        fake_logit, _ = d(sr.detach())
        d_loss = ragan(real_logit, fake_logit, True)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        # the generator: faithful in pixels and in the discriminator's features, and realistic to it
        real_logit, real_feats = d(y)
        fake_logit, fake_feats = d(sr)
        pixel = F.l1_loss(sr, y)
        fm = sum(F.l1_loss(f, r.detach()) for f, r in zip(fake_feats, real_feats)) / len(fake_feats)
        adv = ragan(real_logit.detach(), fake_logit, False)
        g_loss = args.pixel * pixel + args.fm * fm + args.adv * adv
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        step += 1
        acc += [g_loss.item(), pixel.item(), fm.item(), adv.item(), d_loss.item()]
        elapsed = elapsed0 + time.time() - t0
        if step % every == 0 or step == args.steps:
            done = every if step % every == 0 else step % every
            train_rows.append([step, *np.round(acc / done, 6).tolist(), round(elapsed, 1)])
            acc[:] = 0
        if step % args.val_every == 0 or step == args.steps:
            scores = validate(g, sets)
            val_rows.append([step, round(elapsed, 1), *(round(v, 4) for v in scores.values())])
            print(f"step {step}/{args.steps}  g {train_rows[-1][1]:.4f} (pixel {train_rows[-1][2]:.4f} fm "
                  f"{train_rows[-1][3]:.4f} adv {train_rows[-1][4]:.3f})  d {train_rows[-1][5]:.3f}  "
                  f"{elapsed / 60:.1f} min  " + "  ".join(f"{k} {v:.3f}" for k, v in scores.items()), flush=True)
        if step % args.ckpt_every == 0 or step == args.steps:
            save()

    final = dict(zip(names, val_rows[-1][2:]))
    export_onnx(g, args.models / "srgan-x4.onnx", {
        "trainingData": training_data_summary(args.train, (0.9, 0.8, 0.7, 0.6)),
        "steps": prior["steps"] + step, "ganSteps": step, "batch": args.batch, "patch": args.patch,
        "seed": args.seed, "trainingSeconds": round(prior["seconds"] + elapsed),
        "losses": {"pixelL1": args.pixel, "discriminatorFeatureMatching": args.fm, "relativisticAdversarial": args.adv},
        "validationPsnrY": {s: final[s] for s in sets}, "validationSharpness": {s: final[f"{s} sharpness"] for s in sets},
    })
    print(f"exported {args.models / 'srgan-x4.onnx'}", flush=True)


if __name__ == "__main__":
    main()
