#!/usr/bin/env python3
"""Quantisation-aware fine-tuning of a shipped float ESPCN, then its int8 ONNX (see quantize.py).

  /usr/bin/python3 training/qat.py models/espcn-x2.onnx --out models/espcn-int8-x2.onnx \
      --log docs/training/x2-int8 --steps 24000 --lr 2e-4

Post-training quantisation alone cost 0.13 dB on Set5 x2 (measured, with per-channel scales); conv2's 8-bit
output, rounded before tanh, is the largest part. Here the network is trained on, starting from the float
weights, with exactly those roundings in the forward pass (straight-through gradients). Activation ranges are
calibrated on training patches before the first step and then held fixed, so the exported graph rounds where
training did. For the shipped weights, 12,000 steps brought the loss to 0.03 dB at x3/x4; x2 needed 24,000
(0.064 dB after 12,000, 0.018 after 24,000). Writes OUT (.onnx + .json), and args.json,
train.csv and val.csv under --log.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import PatchSampler, list_images, load_eval_set  # noqa: E402
from espcn import ESPCN, RECEPTIVE_RADIUS  # noqa: E402
from quantize import UNIT, calibrate, float_weights, write_model  # noqa: E402
from train import SHARED, validate, write_csv  # noqa: E402


def fake_quant(x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """uint8 around 128 with one scale per channel (r / 127.5), as quantize.py's graph rounds; the gradient
    passes straight through where nothing is clipped."""
    s = (r * float(UNIT)).view(1, -1, 1, 1)
    q = torch.clamp(x / s, -128, 127)
    return (q + (torch.round(q) - q).detach()) * s


class QuantESPCN(ESPCN):
    """ESPCN whose forward rounds where the int8 graph does: tanh(conv1) and conv2's output to 8 bits per channel,
    conv2's (equalised) weights to int8 per output channel."""

    def __init__(self, scale: int, c1: int, c2: int, ranges: dict):
        super().__init__(scale, c1, c2)
        self.r1 = torch.from_numpy(ranges["a1"])
        self.r2 = torch.from_numpy(ranges["z2"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = RECEPTIVE_RADIUS
        if not self.valid:
            x = F.pad(x, (r, r, r, r), mode="replicate")
        a1 = fake_quant(torch.tanh(self.conv1(x)), self.r1)
        eq = (self.r1.view(1, -1, 1, 1) / self.r2.view(-1, 1, 1, 1))
        w_eq = self.conv2.weight * eq
        s = w_eq.detach().abs().flatten(1).amax(dim=1).clamp_min(1e-12).div(127.0).view(-1, 1, 1, 1)
        q = w_eq / s
        w2 = (q + (torch.round(q).clamp(-127, 127) - q).detach()) * s / eq
        z2 = fake_quant(F.conv2d(a1, w2, self.conv2.bias), self.r2)
        return self.shuffle(self.conv3(torch.tanh(z2)) + x[:, :, r:-r, r:-r])


def fine_tune(model, sampler, sets: dict, scale: int, a, val_rows: list) -> list:
    """Quantisation-aware steps (a.steps, a.batch, a.lr on a cosine, validation every a.val_every, appended to
    val_rows); returns the training rows (step, loss, lr, seconds)."""
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    model.train().set_valid(True)
    train_rows, t0, acc = [], time.time(), []
    for step in range(1, a.steps + 1):
        for g in opt.param_groups:
            g["lr"] = a.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * (step - 1) / a.steps)))
        lr_np, hr_np = sampler.batch(a.batch)
        loss = F.mse_loss(model(torch.from_numpy(lr_np)), torch.from_numpy(hr_np))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        acc.append(loss.item())
        if step % 100 == 0:
            train_rows.append([step, float(np.mean(acc)), opt.param_groups[0]["lr"], round(time.time() - t0, 1)])
            acc = []
        if step % a.val_every == 0 or step == a.steps:
            scores = validate(model, sets, scale, "cpu")
            val_rows.append([step, round(time.time() - t0, 1), *(round(v, 3) for v in scores.values())])
            print(f"step {step}/{a.steps}  loss {loss.item():.6f}  {(time.time() - t0) / 60:.1f} min  "
                  + "  ".join(f"{k} {v:.3f} dB" for k, v in scores.items()), flush=True)
    return train_rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=Path, help="float ESPCN .onnx (with its .json beside it)")
    p.add_argument("--out", type=Path, required=True, help="int8 .onnx to write")
    p.add_argument("--log", type=Path, required=True, help="folder for args.json, train.csv, val.csv")
    p.add_argument("--train", type=Path, nargs="+", default=[SHARED / "train"])
    p.add_argument("--val", type=Path, nargs="+", default=[SHARED / "val" / "Set5", SHARED / "val" / "Set14"])
    p.add_argument("--steps", type=int, default=12000, help="the shipped int8 models took 12,000 (x3, x4) and 24,000 (x2)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--patch", type=int, default=24)
    p.add_argument("--lr", type=float, default=2e-4, help="start learning rate (cosine decay to 1%% of it)")
    p.add_argument("--calibration-patches", type=int, default=2048)
    p.add_argument("--percentile", type=float, default=99.99)
    p.add_argument("--val-every", type=int, default=2000)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    a.log.mkdir(parents=True, exist_ok=True)
    (a.log / "args.json").write_text(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()},
                                                indent=2, default=str))
    meta = json.loads(a.model.with_suffix(".json").read_text())
    scale = int(meta["scale"])
    w = float_weights(a.model)
    paths = [q for f in a.train for q in list_images(f)]
    calib, _ = PatchSampler(paths, scale, a.patch, RECEPTIVE_RADIUS, seed=a.seed + 1).batch(a.calibration_patches)
    ranges = calibrate(w, scale, calib, a.percentile)
    model = QuantESPCN(scale, w["conv1.weight"].shape[0], w["conv2.weight"].shape[0], ranges)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()})
    sampler = PatchSampler(paths, scale, a.patch, RECEPTIVE_RADIUS, seed=a.seed)
    sets = {f.name: load_eval_set(f, scale) for f in a.val}
    val_rows = [[0, 0.0, *(round(v, 3) for v in validate(model, sets, scale, "cpu").values())]]
    print(f"fake-quantised before fine-tuning: {val_rows[0][2:]} (Set5, Set14 PSNR-Y dB)", flush=True)
    t0 = time.time()
    train_rows = fine_tune(model, sampler, sets, scale, a, val_rows)
    write_csv(a.log / "train.csv", ["step", "loss", "lr", "seconds"], train_rows)
    write_csv(a.log / "val.csv", ["step", "seconds", *sets.keys()], val_rows)
    trained = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    write_model(trained, scale, ranges, a.out, meta, {
        "from": a.model.name,
        "fineTuning": f"{a.steps} quantisation-aware steps (batch {a.batch}, {a.patch} px LR patches, Adam from "
                      f"{a.lr:g}, cosine), {round(time.time() - t0)} s on CPU, {a.threads} thread(s)",
        "calibration": f"{a.calibration_patches} LR patches of the training set before fine-tuning, "
                       f"{a.percentile} percentile ranges, then held fixed",
        "fakeQuantPsnrY": dict(zip(sets.keys(), val_rows[-1][2:])),
    })


if __name__ == "__main__":
    main()
