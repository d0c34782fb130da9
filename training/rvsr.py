"""rvsr: a one-way recurrent video super-resolution network on Y (RLSP-style, Fuoli et al. 2019).

One frame in, one frame out, with the past carried as explicit state. Per frame t the network sees, at LR size:
  the current LR frame x_t, the previous LR frame x_{t-1}, the previous HR output folded to LR size by
  space-to-depth (r^2 channels), and a hidden state h_{t-1} (S channels)
concatenated (2 + r^2 + S channels), then conv3x3 -> W relu, (L - 2) x conv3x3 W -> W relu, conv3x3 W -> r^2 + S.
The first r^2 output channels are the residual over bicubic upscaling of x_t; the last S are the next state
after tanh. The output is depth-to-space(bicubic(x_t) + residual), where bicubic(x_t) is itself a fixed
(untrained) 5x5 convolution 1 -> r^2 on the edge-padded frame: the r^2 phases of Keys' cubic (a = -0.5) x r
upscaling, from data.py's matrices, so the whole graph stays Pad/Conv/Relu/Tanh/Clip/Concat/Add and the two
depth/space rearrangements. Residual over bicubic rather than over nearest (sesr's free skip): the network
starts at bicubic's quality and only learns detail, and bicubic's 25 r^2 MACs per LR pixel are < 1 % of it.

Bounded loop (recurrent VSR drifts on long static scenes, Chiche et al. CVPR 2022): the state is tanh'd into
[-1, 1] and the fed-back output is clamped to [0, 1] inside the network, so whatever the caller passes back,
nothing in the loop can grow without bound.

Reset (first frame, scene cut): x_prev = x, out_prev = 0, state = 0. Training starts every sequence so.
Convolutions are zero-padded 'same' (a frame edge looks like a crop edge did in training).
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from data import _axis_matrix

BICUBIC_RADIUS = 2
CONFIDENCE_GAIN = 10.0  # the confidence input is this x (degraded moved past - current LR frame), on a 0-1 scale


def bicubic_kernel(scale: int) -> torch.Tensor:
    """(r^2, 1, 5, 5): phase (jy, jx) of x r bicubic upscaling as a convolution over LR, channel jy * r + jx."""
    n, k = 16, 8  # an interior LR pixel of a 16-pixel line, away from its edges
    m = _axis_matrix(n, n * scale)
    taps = np.stack([m[scale * k + j, k - BICUBIC_RADIUS : k + BICUBIC_RADIUS + 1] for j in range(scale)])
    assert np.allclose(m[scale * k : scale * k + scale].sum(1), 1) and np.allclose(taps.sum(1), 1)
    w = np.einsum("ay,bx->abyx", taps, taps).reshape(scale * scale, 1, 5, 5)
    return torch.tensor(w, dtype=torch.float32)


def shift_past(img: torch.Tensor, d) -> torch.Tensor:
    """out[n, :, p] = img[n, :, p + d[n]] with the edges replicated: a past (N x C x H x W) moved onto the grid of a
    frame whose window moved by d[n] = (dy, dx) whole pixels (an exact alignment for the pans' integer motion)."""
    _, _, h, w = img.shape
    outs = []
    for i, (dy, dx) in enumerate(d.tolist()):
        py, px = abs(dy), abs(dx)
        padded = F.pad(img[i : i + 1], (px, px, py, py), mode="replicate") if py or px else img[i : i + 1]
        outs.append(padded[:, :, py + dy : py + dy + h, px + dx : px + dx + w])
    return torch.cat(outs, 0)


def move_past(img: torch.Tensor, field: torch.Tensor, scale: int) -> torch.Tensor:
    """out[n, :, p] = img[n, :, p + d[n, p]] with the edges replicated, for a shift per LR pixel: field (N x h x w x 2,
    whole HR pixels) on the LR grid. img is on the LR grid (the state: each shift rounded to LR pixels, half to
    even) or on the HR grid (the previous output: each LR pixel's shift for its scale x scale HR pixels)."""
    n, c, h, w = img.shape
    d = torch.round(field.double() / scale).long() if h == field.shape[1] else field.repeat_interleave(scale, 1).repeat_interleave(scale, 2)
    sy = (torch.arange(h)[None, :, None] + d[..., 0]).clamp(0, h - 1)
    sx = (torch.arange(w)[None, None, :] + d[..., 1]).clamp(0, w - 1)
    idx = (sy * w + sx).reshape(n, 1, h * w).expand(n, c, h * w)
    return img.reshape(n, c, h * w).gather(2, idx).reshape(n, c, h, w)


def downscale_kernel(scale: int):
    """(1, 1, k, k) kernel and the offset of its first tap from scale * i: data.degrade's antialiased bicubic
    downscaling as a strided convolution (an interior row of its matrix)."""
    n, i = 16, 8
    m = _axis_matrix(n * scale, n)
    cols = np.nonzero(m[i])[0]
    taps = m[i, cols[0] : cols[-1] + 1]
    return torch.tensor(np.outer(taps, taps)[None, None], dtype=torch.float32), int(cols[0] - scale * i)


class RVSR(nn.Module):
    """fuse (an experiment): the network also outputs r^2 gates, and adds gate x the detail of the previous output
    that this frame's LR cannot carry (previous output - bicubic(its own degradation)) to its output: a learned,
    per-pixel temporal blend of detail from the past. confidence (an experiment, not exported): a convolution of its own
    adds the mismatch of the moved past with the frame (RVSR.mismatch) to the first layer's output."""

    def __init__(self, scale: int, width: int = 32, layers: int = 6, state: int = 16, fuse: bool = False,
                 confidence: bool = False):
        super().__init__()
        self.scale, self.width, self.layers, self.state, self.fuse = scale, width, layers, state, fuse
        self.confidence = confidence
        cin = 2 + scale * scale + state
        cout = scale * scale + state + (scale * scale if fuse else 0)
        self.convs = nn.ModuleList([nn.Conv2d(cin, width, 3, padding=1)]
                                   + [nn.Conv2d(width, width, 3, padding=1) for _ in range(layers - 2)]
                                   + [nn.Conv2d(width, cout, 3, padding=1)])
        if confidence:  # a convolution of its own, added to the first one's; it starts unread
            self.conf = nn.Conv2d(1, width, 3, padding=1, bias=False)
            nn.init.zeros_(self.conf.weight)
        with torch.no_grad():  # start near bicubic
            self.convs[-1].weight.mul_(0.1)
            self.convs[-1].bias.zero_()
            if fuse:  # gates start nearly closed (0.12)
                self.convs[-1].weight[scale * scale + state :].zero_()
                self.convs[-1].bias[scale * scale + state :].fill_(-2.0)
        self.register_buffer("bicubic", bicubic_kernel(scale))
        if fuse or confidence:
            kernel, self.down_offset = downscale_kernel(scale)
            self.register_buffer("down", kernel)

    def load_grown(self, state_dict):
        """Weights of a smaller checkpoint: one without fuse (the gates start nearly closed) or a narrower one (the
        new channels start from their fresh initialisation and nothing reads them yet), so the network computes
        about (without fuse) or exactly (wider) what the checkpoint did."""
        own = self.state_dict()
        for k, v in state_dict.items():
            if own[k].shape == v.shape:
                own[k] = v
                continue
            if own[k].dim() == 4:  # the old outputs read none of the new inputs
                own[k][: v.shape[0], v.shape[1] :] = 0
            own[k][tuple(slice(0, n) for n in v.shape)] = v
        self.load_state_dict(own)

    def degrade(self, hr: torch.Tensor) -> torch.Tensor:
        """data.degrade's downscaling (without its rounding), edges replicated."""
        s, k = self.scale, self.down.shape[-1]
        n = hr.shape[-1] // s
        left = -self.down_offset
        right = max(0, s * (n - 1) + self.down_offset + k - hr.shape[-1])
        nh = hr.shape[-2] // s
        bottom = max(0, s * (nh - 1) + self.down_offset + k - hr.shape[-2])
        return F.conv2d(F.pad(hr, (left, right, left, bottom), mode="replicate"), self.down, stride=s)[..., :nh, :n]

    def mismatch(self, x: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        """The confidence input: how far the moved past, degraded (low), is from the current LR frame x, scaled."""
        return CONFIDENCE_GAIN * (low - x)

    def reset(self, x: torch.Tensor):
        """(x_prev, out_prev, state) for a first frame x (N x 1 x H x W)."""
        n, _, h, w = x.shape
        s = self.scale
        return x, x.new_zeros(n, 1, h * s, w * s), x.new_zeros(n, self.state, h, w)

    def upscale_bicubic(self, x: torch.Tensor) -> torch.Tensor:
        r = BICUBIC_RADIUS
        return F.conv2d(F.pad(x, (r, r, r, r), mode="replicate"), self.bicubic)

    def forward(self, x, x_prev, out_prev, state):
        """One frame: (out, next state). x, x_prev: N x 1 x H x W in [0, 1]; out_prev: N x 1 x sH x sW;
        state: N x S x H x W."""
        s = self.scale
        prev = out_prev.clamp(0, 1)
        low = self.degrade(prev) if self.fuse or self.confidence else None
        h = self.convs[0](torch.cat([x, x_prev, F.pixel_unshuffle(prev, s), state], 1))
        if self.confidence:
            h = h + self.conf(self.mismatch(x, low))
        h = F.relu(h)
        for conv in self.convs[1:-1]:
            h = F.relu(conv(h))
        h = self.convs[-1](h)
        base = self.upscale_bicubic(x) + h[:, : s * s]
        if self.fuse:
            detail = F.pixel_unshuffle(prev, s) - self.upscale_bicubic(low)
            base = base + torch.sigmoid(h[:, s * s + self.state :]) * detail
        out = F.pixel_shuffle(base, s)
        return out, torch.tanh(h[:, s * s : s * s + self.state])

    def run(self, seq: torch.Tensor, carry=None, shifts=None):
        """A sequence N x T x 1 x H x W -> outputs N x T x 1 x sH x sW and the carry (x_prev, out_prev, state).
        shifts (N x T x 2 whole HR pixels, optional): how far frame t's window moved from frame t-1's; the previous
        output is moved by it and the state by it rounded to LR pixels. N x T x H x W x 2: a shift per LR pixel
        (move_past), as for a motion per block."""
        x_prev, out_prev, state = carry if carry is not None else self.reset(seq[:, 0])
        outs = []
        for t in range(seq.shape[1]):
            if shifts is not None and (t > 0 or carry is not None):
                d = shifts[:, t]
                if d.dim() == 4:
                    out_prev, state = move_past(out_prev, d, self.scale), move_past(state, d, self.scale)
                else:
                    out_prev = shift_past(out_prev, d)
                    state = shift_past(state, torch.round(d.double() / self.scale).long())
            out, state = self(seq[:, t], x_prev, out_prev, state)
            outs.append(out)
            x_prev, out_prev = seq[:, t], out
        return torch.stack(outs, 1), (x_prev, out_prev, state)

    def macs_per_lr_pixel(self) -> int:
        """Multiply-adds per LR pixel: the convolutions and the fixed bicubic one."""
        down = self.down.numel() // self.scale**2 if self.fuse or self.confidence else 0
        fused = self.bicubic.numel() if self.fuse else 0
        conf = self.conf.weight.numel() if self.confidence else 0
        return sum(c.weight.numel() for c in self.convs) + self.bicubic.numel() + down + fused + conf

    def config(self) -> dict:
        return {"scale": self.scale, "width": self.width, "layers": self.layers, "state": self.state,
                **({"fuse": True} if self.fuse else {}), **({"confidence": True} if self.confidence else {})}
