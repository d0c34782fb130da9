"""Training and validation data: BT.601 studio-range Y, LR by antialiased bicubic as MATLAB's imresize does it.

The degradation is the one `srvid eval` applies (src/image/resize.ts): Keys cubic (a = -0.5), kernel
widened by the factor when downscaling, symmetric edges, HR rounded to 8 bits before it is downscaled. Training
on PIL's bicubic instead (which renormalises a truncated kernel at the edges and took unrounded HR) left the
network's LR at the borders slightly different from the one it was scored on: training's own validation read
about 0.01-0.02 dB above `srvid eval`.
"""
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}


def rgb_to_y(rgb: np.ndarray) -> np.ndarray:
    """BT.601 studio-range Y in [16, 235] (float) from uint8 RGB."""
    rgb = rgb.astype(np.float64) / 255.0
    return 16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]


def load_y(path: Path) -> np.ndarray:
    img = Image.open(path)
    if img.mode == "L":  # grey images: R = G = B
        img = img.convert("RGB")
    return rgb_to_y(np.asarray(img.convert("RGB")))


def modcrop(y: np.ndarray, scale: int) -> np.ndarray:
    h, w = y.shape
    return y[: h - h % scale, : w - w % scale]


def resize_bicubic(y: np.ndarray, width: int, height: int) -> np.ndarray:
    """PIL's bicubic is antialiased on downscaling (support widened by the factor), like MATLAB imresize."""
    return np.asarray(Image.fromarray(y.astype(np.float32), "F").resize((width, height), Image.BICUBIC))


def cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic kernel, a = -0.5 (MATLAB's imresize; motion.py resamples with it too)."""
    ax = np.abs(x)
    return np.where(ax <= 1, (1.5 * ax - 2.5) * ax * ax + 1,
                    np.where(ax < 2, ((-0.5 * ax + 2.5) * ax - 4) * ax + 2, 0.0))


def _fold(i: np.ndarray, n: int) -> np.ndarray:
    """Mirror indices into [0, n) with the edge sample repeated (MATLAB's 'symmetric')."""
    m = np.mod(i, 2 * n)
    return np.where(m < n, m, 2 * n - 1 - m)


def _axis_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) resampling matrix for one axis, as resize.ts's `contributions`."""
    scale = n_out / n_in
    ks = min(scale, 1.0)
    half = 2 / ks
    taps = int(np.ceil(2 * half)) + 1 if scale < 1 else 4
    center = (np.arange(n_out) + 0.5) / scale - 0.5
    first = np.ceil(center - half) if scale < 1 else np.floor(center) - 1
    idx = first[:, None] + np.arange(taps)[None, :]
    wts = ks * cubic((center[:, None] - idx) * ks)
    wts /= wts.sum(axis=1, keepdims=True)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), taps), _fold(idx.astype(np.int64), n_in).ravel()), wts.ravel())
    return m


def imresize(y: np.ndarray, width: int, height: int) -> np.ndarray:
    """MATLAB-style bicubic resize of a float plane (antialiased when downscaling, symmetric edges)."""
    return _axis_matrix(y.shape[0], height) @ y.astype(np.float64) @ _axis_matrix(y.shape[1], width).T


def degrade(hr_y: np.ndarray, scale: int) -> np.ndarray:
    """LR as `srvid eval` makes it and the network sees it at run time: an 8-bit plane from the 8-bit HR."""
    h, w = hr_y.shape
    return np.clip(np.round(imresize(np.round(hr_y), w // scale, h // scale)), 0, 255)


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


class PatchSampler:
    """Random LR/HR patch pairs with flips and 90-degree rotations.

    Each HR image (and copies downscaled by `extra_scales`) is paired once with its LR; a patch is
    `patch` LR pixels plus `context` on each side, so training convolutions run unpadded.
    """

    def __init__(self, paths, scale, patch, context, extra_scales=(0.9, 0.8, 0.7, 0.6), seed=0):
        self.scale, self.patch, self.context = scale, patch, context
        self.rng = np.random.default_rng(seed)
        self.pairs = []
        for path in paths:
            base = load_y(path)
            for f in (1.0, *extra_scales):
                hr = base if f == 1.0 else resize_bicubic(base, round(base.shape[1] * f), round(base.shape[0] * f))
                hr = modcrop(hr, scale)
                lr = degrade(hr, scale)
                if min(lr.shape) < patch + 2 * context:
                    continue
                self.pairs.append((lr.astype(np.float32) / 255.0, np.round(hr).astype(np.float32) / 255.0))
        if not self.pairs:
            raise ValueError(f"no training image is large enough for {patch}px LR patches at x{scale}")
        sizes = np.array([lr.size for lr, _ in self.pairs], dtype=np.float64)
        self.weights = sizes / sizes.sum()  # sample images in proportion to their area

    def batch(self, n: int):
        p, c, s = self.patch, self.context, self.scale
        lrs = np.empty((n, 1, p + 2 * c, p + 2 * c), np.float32)
        hrs = np.empty((n, 1, p * s, p * s), np.float32)
        for i, k in enumerate(self.rng.choice(len(self.pairs), size=n, p=self.weights)):
            lr, hr = self.pairs[k]
            y = self.rng.integers(0, lr.shape[0] - p - 2 * c + 1)
            x = self.rng.integers(0, lr.shape[1] - p - 2 * c + 1)
            lp = lr[y : y + p + 2 * c, x : x + p + 2 * c]
            hp = hr[(y + c) * s : (y + c + p) * s, (x + c) * s : (x + c + p) * s]
            rot = int(self.rng.integers(4))
            lp, hp = np.rot90(lp, rot), np.rot90(hp, rot)
            if self.rng.integers(2):
                lp, hp = lp[:, ::-1], hp[:, ::-1]
            lrs[i, 0], hrs[i, 0] = lp, hp
        return lrs, hrs


def load_eval_set(folder: Path, scale: int):
    """(name, LR/255, HR Y rounded) per image, HR mod-cropped to the scale."""
    out = []
    for path in list_images(folder):
        hr = modcrop(load_y(path), scale)
        out.append((path.stem, degrade(hr, scale).astype(np.float32) / 255.0, np.round(hr)))
    return out


def psnr_y(sr: np.ndarray, hr: np.ndarray, shave: int) -> float:
    a = sr[shave:-shave, shave:-shave] if shave else sr
    b = hr[shave:-shave, shave:-shave] if shave else hr
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def gradient_ratio(sr: np.ndarray, hr: np.ndarray, shave: int) -> float:
    """Sharpness: the mean gradient magnitude (Sobel, on Y) of `sr` over that of the truth `hr`, `shave` pixels
    off each border. 1.0 is the truth's amount of edge and texture; a blurred picture scores below it, one with
    invented or exaggerated detail above it. PSNR says how faithful a picture is; this says how much detail."""
    def mean_gradient(y):
        y = y.astype(np.float64)[shave:-shave, shave:-shave] if shave else y.astype(np.float64)
        gx = (y[:-2, 2:] + 2 * y[1:-1, 2:] + y[2:, 2:]) - (y[:-2, :-2] + 2 * y[1:-1, :-2] + y[2:, :-2])
        gy = (y[2:, :-2] + 2 * y[2:, 1:-1] + y[2:, 2:]) - (y[:-2, :-2] + 2 * y[:-2, 1:-1] + y[:-2, 2:])
        return np.hypot(gx, gy).mean()
    truth = mean_gradient(hr)
    return float(mean_gradient(sr) / truth) if truth > 0 else float("nan")  # a flat truth has no detail to match
