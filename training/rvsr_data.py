"""Video data for the recurrent model (rvsr.py): decoded Y planes cached as numpy, LR by data.degrade.

Each clip of ../shared/data/video-train is decoded once (ffmpeg, its own yuv420p, the Y plane taken as it is:
no range or matrix conversion, as the pipeline feeds the network) to CACHE/<clip>.y.npy (frames x H x W,
uint8), and its LR at each scale to CACHE/<clip>.x<s>.npy: every whole frame mod-cropped to the scale and
degraded by data.degrade (the antialiased bicubic of the image models and of `srvid eval`), so a crop of the
cached LR is exactly the LR of the whole frame, borders included.

Training sequences (VideoSampler): T consecutive frames of one clip, a random LR crop, random flips, transpose
and direction of time, and a random frame stride (1 or 2, as faster motion). A share of the sequences are
synthetic pans over the training photographs (PhotoPans): a still HR photo cropped at integer HR offsets that
move at a random constant velocity (0 included: a static scene), degraded crop by crop, so both HR and LR
are exact (no interpolation of the HR).
"""
import subprocess
from pathlib import Path

import numpy as np

from data import degrade, list_images, load_y
from motion import GATE, REFINE, block_edges, estimate_block_shifts, estimate_shifts

VAL_CLIPS = ("davis16_dog", "davis17_tennis", "sam2_bedroom", "opencv_cup")


def decode_y(path: Path) -> np.ndarray:
    """All frames' Y planes (uint8, frames x H x W) of a yuv420p clip."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height,pix_fmt", "-of", "csv=p=0", str(path)],
                           check=True, capture_output=True, text=True).stdout.strip().split(",")
    w, h, fmt = int(probe[0]), int(probe[1]), probe[2]
    if fmt != "yuv420p":
        raise ValueError(f"{path.name}: {fmt}, expected yuv420p")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], check=True, capture_output=True).stdout
    frame = w * h * 3 // 2
    n = len(raw) // frame
    return np.frombuffer(raw, np.uint8)[: n * frame].reshape(n, frame)[:, : w * h].reshape(n, h, w).copy()


def build_cache(video_dir: Path, cache: Path, scales, log=print) -> list[str]:
    """Decode and degrade every clip not cached yet; returns the clip names."""
    cache.mkdir(parents=True, exist_ok=True)
    names = []
    for path in sorted(video_dir.glob("*.mkv")):
        names.append(path.stem)
        y_path = cache / f"{path.stem}.y.npy"
        if not y_path.exists():
            np.save(cache / f"{path.stem}.y.tmp.npy", decode_y(path))
            (cache / f"{path.stem}.y.tmp.npy").replace(y_path)
        y = np.load(y_path, mmap_mode="r")
        for s in scales:
            lr_path = cache / f"{path.stem}.x{s}.npy"
            if lr_path.exists():
                continue
            h, w = y.shape[1] - y.shape[1] % s, y.shape[2] - y.shape[2] % s
            lr = np.stack([degrade(f[:h, :w].astype(np.float64), s).astype(np.uint8) for f in y])
            np.save(cache / f"{path.stem}.x{s}.tmp.npy", lr)
            (cache / f"{path.stem}.x{s}.tmp.npy").replace(lr_path)
            log(f"cached {path.stem}: {y.shape[0]} frames {y.shape[2]}x{y.shape[1]}, x{s}")
    return names


def load_clip(cache: Path, name: str, scale: int):
    """(LR, HR) uint8 arrays, memory-mapped; HR mod-cropped to the scale."""
    lr = np.load(cache / f"{name}.x{scale}.npy", mmap_mode="r")
    hr = np.load(cache / f"{name}.y.npy", mmap_mode="r")
    return lr, hr[:, : lr.shape[1] * scale, : lr.shape[2] * scale]


def clip_shifts(cache: Path, name: str, scale: int, stride: int = 1, refine: str = REFINE) -> np.ndarray:
    """T x 2: the estimated global motion (motion.estimate_shifts over whole LR frames, refined as `refine` says)
    from frame t - stride to frame t of a cached clip, zeros for t < stride; computed once, into the cache."""
    stem = f"{name}.x{scale}.shifts{stride}" + ("" if refine == "parabola" else f".{refine}-gate{GATE}")
    path = cache / f"{stem}.npy"
    if not path.exists():
        d = estimate_shifts(np.load(cache / f"{name}.x{scale}.npy", mmap_mode="r"), scale, stride, refine)
        np.save(cache / f"{stem}.tmp.npy", d)
        (cache / f"{stem}.tmp.npy").replace(path)
    return np.load(path)


def clip_block_shifts(cache: Path, name: str, scale: int, block: int, stride: int = 1) -> np.ndarray:
    """T x rows x columns x 2: motion.block_shifts (cubic refinement, blocks of about `block` LR pixels over the
    whole LR frame, as the pipeline estimates them) from frame t - stride to frame t of a cached clip, zeros for
    t < stride; computed once, into the cache."""
    path = cache / f"{name}.x{scale}.blocks{block}-{stride}.cubic-gate{GATE}.npy"
    if not path.exists():
        d = estimate_block_shifts(np.load(cache / f"{name}.x{scale}.npy", mmap_mode="r"), scale, block, stride)
        np.save(path.with_suffix(".tmp.npy"), d)
        path.with_suffix(".tmp.npy").replace(path)
    return np.load(path)


def crop_field(blocks: np.ndarray, h: int, w: int, block: int, y: int, x: int, p: int, pw: int | None = None) -> np.ndarray:
    """T x p x pw x 2 (pw = p unless given): the shift of the block each LR pixel of the crop at (y, x) of an h x w
    frame lies in, from T x rows x columns x 2 block shifts (block_edges' blocks)."""
    iy = np.searchsorted(block_edges(h, block), np.arange(y, y + p), "right") - 1
    ix = np.searchsorted(block_edges(w, block), np.arange(x, x + (p if pw is None else pw)), "right") - 1
    return blocks[:, iy][:, :, ix]


def augment(lr: np.ndarray, hr: np.ndarray, rng, shifts=None):
    """Same flips / transpose / time reversal for an LR and an HR sequence (T x H x W); with shifts (T x 2, how far
    frame t's window moved from frame t-1's, (dy, dx) HR pixels; or T x H x W x 2, a shift per LR pixel), returns
    them moved the same way too. Reversed in time, a field is negated on the later frame's grid: exact where the
    motion is even, near it elsewhere."""
    d = np.zeros((lr.shape[0], 2), np.int64) if shifts is None else np.array(shifts, np.int64)
    field = d.ndim == 4
    if rng.integers(2):
        lr, hr, d = lr[:, :, ::-1], hr[:, :, ::-1], (d[:, :, ::-1] if field else d) * [1, -1]
    if rng.integers(2):
        lr, hr, d = lr[:, ::-1], hr[:, ::-1], (d[:, ::-1] if field else d) * [-1, 1]
    if rng.integers(2):
        lr, hr, d = lr.transpose(0, 2, 1), hr.transpose(0, 2, 1), (d.transpose(0, 2, 1, 3) if field else d)[..., ::-1]
    if rng.integers(2):
        lr, hr = lr[::-1], hr[::-1]
        d = np.concatenate([np.zeros_like(d[:1]), -d[:0:-1]])  # frame t is old frame T-1-t: it moved by -old d[T-t]
    return (lr, hr) if shifts is None else (lr, hr, d)


class VideoSampler:
    """Batches of (LR, HR) sequences, float32 in [0, 1]: B x T x 1 x P x P and B x T x 1 x sP x sP."""

    def __init__(self, cache: Path, names, scale, patch, photos=(), photo_share=0.0, seed=0, clip_motion=False,
                 pans_estimated=False, refine=REFINE, block=0):
        """clip_motion: with_shifts gives the clips' estimated global motion (clip_shifts) instead of zeros;
        pans_estimated: the pans' estimated motion instead of their true one (PhotoPans); refine: the estimator's
        sub-pixel step (motion.global_shift); block (with clip_motion): the clips' motion per block of about that
        many LR pixels (clip_block_shifts), so every sequence's shifts are a field, T x P x P x 2 (the pans' one
        shift everywhere)."""
        self.scale, self.patch, self.photo_share, self.block = scale, patch, photo_share, block
        self.rng = np.random.default_rng(seed)
        self.clips = [load_clip(cache, n, scale) for n in names]
        if clip_motion and block:
            self.motion = [{k: clip_block_shifts(cache, n, scale, block, k) for k in (1, 2)} for n in names]
        else:
            self.motion = [{k: clip_shifts(cache, n, scale, k, refine) for k in (1, 2)} for n in names] if clip_motion else None
        frames = np.array([lr.shape[0] for lr, _ in self.clips], np.float64)
        self.weights = frames / frames.sum()  # every frame of every clip equally likely
        self.pans = PhotoPans(photos, scale, patch, self.rng, estimated=pans_estimated, refine=refine) if photos and photo_share > 0 else None

    def sequence(self, length, with_shifts=False):
        """(LR, HR) or, with_shifts, (LR, HR, shifts): the pans' motion (PhotoPans); for the clips zeros, or
        with clip_motion their estimated global motion."""
        p, s = self.patch, self.scale
        if self.pans is not None and self.rng.random() < self.photo_share:
            seq = self.pans.sequence(length)
            if with_shifts and self.block and self.motion is not None:
                return (*seq[:2], np.broadcast_to(seq[2][:, None, None], (length, *seq[0].shape[1:], 2)))
            return seq if with_shifts else seq[:2]
        c = self.rng.choice(len(self.clips), p=self.weights)
        lr, hr = self.clips[c]
        stride = 2 if self.rng.random() < 0.3 and lr.shape[0] >= 2 * length else 1
        t0 = self.rng.integers(0, lr.shape[0] - stride * (length - 1))
        y = self.rng.integers(0, lr.shape[1] - p + 1)
        x = self.rng.integers(0, lr.shape[2] - p + 1)
        t = slice(t0, t0 + stride * (length - 1) + 1, stride)
        lr, hr = lr[t, y : y + p, x : x + p], hr[t, y * s : (y + p) * s, x * s : (x + p) * s]
        if not with_shifts:
            return augment(lr, hr, self.rng)
        if self.block and self.motion is not None:
            d = crop_field(self.motion[c][stride][t], *self.clips[c][0].shape[1:], self.block, y, x, p)
            d[0] = 0
            return augment(lr, hr, self.rng, d)
        d = np.zeros((length, 2), np.int64)
        if self.motion is not None:
            d[1:] = self.motion[c][stride][t][1:]
        return augment(lr, hr, self.rng, d)

    def batch(self, n, length, with_shifts=False):
        """LR, HR (and, with_shifts, B x T x 2 motion: see sequence)."""
        seqs = [self.sequence(length, with_shifts) for _ in range(n)]
        lr = np.stack([q[0] for q in seqs]).astype(np.float32)[:, :, None] / 255.0
        hr = np.stack([q[1] for q in seqs]).astype(np.float32)[:, :, None] / 255.0
        return (lr, hr, np.stack([q[2] for q in seqs])) if with_shifts else (lr, hr)


class PhotoPans:
    """Synthetic camera motion over still photographs: integer HR offsets at a constant velocity."""

    MARGIN = 8  # LR pixels degraded beyond the crop on each side, so the crop's LR has no artificial edge

    def __init__(self, paths, scale, patch, rng, max_speed=3.0, estimated=False, refine=REFINE):
        """estimated: the shifts are motion.py's estimate (refined as `refine` says) from the LR window (margins
        included), as the pipeline moves the past, instead of the true ones."""
        self.scale, self.patch, self.rng, self.max_speed, self.estimated = scale, patch, rng, max_speed, estimated
        self.refine = refine
        self.images = [np.round(load_y(p)).astype(np.uint8) for p in paths]

    def sequence(self, length):
        s, m = self.scale, self.MARGIN
        hp = (self.patch + 2 * m) * s  # HR window degraded per frame
        for _ in range(20):
            img = self.images[self.rng.integers(len(self.images))]
            v = self.rng.uniform(-self.max_speed, self.max_speed, 2) * (self.rng.random() > 0.1)  # 10 %: still
            travel = np.abs(v) * (length - 1)
            room = np.array(img.shape) - hp - np.ceil(travel)
            if room.min() >= 0:
                break
        else:
            raise ValueError("no training photo is large enough for the pans")
        start = np.array([self.rng.uniform(0, room[0] + 1), self.rng.uniform(0, room[1] + 1)])
        start += np.maximum(-v, 0) * (length - 1)  # a backward pan starts far enough in
        positions = [np.floor(start + v * t).astype(int) for t in range(length)]
        lr, hr, shifts = render_pan(img, positions, s, hp, self.estimated)
        if self.estimated:
            lr, shifts = lr[:, m:-m, m:-m], estimate_shifts(lr, s, refine=self.refine)
        return augment(lr, hr, self.rng, shifts)


def render_pan(img: np.ndarray, positions, scale: int, window: int, margins=False):
    """A pan over a still HR photo: for each (y, x), the `window` HR pixels from there degraded (data.degrade), less
    PhotoPans.MARGIN LR pixels each side (margins: with them), and the HR they cover. Returns the LR and HR frames
    (uint8) and the shifts (T x 2): how far each frame's window moved from the one before, in whole HR pixels (zero
    for the first)."""
    m, s = PhotoPans.MARGIN, scale
    lrs, hrs = [], []
    for y, x in positions:
        lr = degrade(img[y : y + window, x : x + window].astype(np.float64), s)
        lrs.append((lr if margins else lr[m:-m, m:-m]).astype(np.uint8))
        hrs.append(img[y + m * s : y + window - m * s, x + m * s : x + window - m * s])
    pos = np.array(positions)
    return np.stack(lrs), np.stack(hrs), np.diff(np.concatenate([pos[:1], pos]), axis=0)


def photo_paths(folders):
    return [p for folder in folders for p in list_images(folder)]


def val_corner(h: int, w: int, c: int) -> tuple[int, int]:
    """Where load_val's centre crop of c x c LR pixels starts in an h x w LR frame."""
    return (h - c) // 2, (w - c) // 2


def load_val(cache: Path, names, scale, frames, crop):
    """Held-out clips: the first `frames` frames, a centre crop of `crop` HR pixels (LR from the whole frame)."""
    out = []
    for n in names:
        lr, hr = load_clip(cache, n, scale)
        c = crop // scale
        y0, x0 = val_corner(*lr.shape[1:], c)
        out.append((n, np.asarray(lr[:frames, y0 : y0 + c, x0 : x0 + c], np.float32) / 255.0,
                    np.asarray(hr[:frames, y0 * scale : (y0 + c) * scale, x0 * scale : (x0 + c) * scale], np.float64)))
    return out
