"""The field's classic networks on the Y channel, for comparison with the shipped ones (issue #25).

Every model maps an LR Y plane (N, 1, h, w), values Y/255, to HR (N, 1, s*h, s*w), as espcn.py does, so the
product runs it unchanged. Each has `scale`, `receptive_radius` (LR pixels an output depends on, each side:
the tile overlap), `context` (LR pixels of real context a training patch carries each side), `set_valid`,
`macs_per_lr_pixel()` (multiply-adds of the convolutions' weights, biases and activations not counted) and
`layers()` (the metadata's description).

  SRCNN (Dong et al. 2014), 9-5-5: bicubic upscale inside the network (F.interpolate, align_corners=False,
      PyTorch's a = -0.75; exported as ONNX Resize cubic), then conv9x9 1->64 relu, conv5x5 64->32 relu,
      conv5x5 32->1 at the output size. Unpadded convolutions on real context, as espcn.py: a whole frame is
      extended by `receptive_radius` LR pixels by repeating its edge first; a training patch carries them.
      With `skip` (the default) the bicubic upscale is added to the output (the convolutions learn the
      residual, as in VDSR; not in the 2014 paper, free at run time).
  VDSR (Kim et al. 2016): bicubic upscale inside, 20 conv3x3 of 64 channels (relu between), added to the
      upscale. One set of weights for every scale: `scale` is set before a call (training mixes x2/x3/x4).
      Zero-padded 'same' convolutions as in the paper: training patches carry no context.
  SRResNet (Ledig et al. 2017): conv9x9 1->64 prelu, 16 residual blocks (conv3x3 prelu conv3x3 + identity),
      conv3x3 + the first layer's output, log2(s) x (conv3x3 64->256, pixel shuffle 2, prelu), conv9x9 64->1.
      Without batch norm (as EDSR, Lim et al. 2017, argues for PSNR-oriented training). 'Same' padding. With
      `skip` (the default; not in the paper) the bicubic upscale is added to the output, the last layer
      starting at zero, as srcnn here: training starts at bicubic's quality, which a CPU's few thousand steps
      need (without it the paper's network was still 1 dB under bicubic after 500 steps).
  UNet: an encoder-decoder at LR size with skips, then transposed convolutions to the output size; see UNet.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

BICUBIC_TAPS = 2  # LR pixels a cubic interpolation reads each side of its position


def bicubic(x: torch.Tensor, scale: int) -> torch.Tensor:
    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)


def valid_context(scale: int, reach: int) -> int:
    """Fewest LR pixels of context such that every HR pixel that unpadded convolutions reaching `reach` HR
    pixels each side read for an output pixel was interpolated from real LR pixels (not clamped ones)."""
    c = 0
    while True:
        first = scale * c - reach  # the first HR pixel the convolutions read, in the upscaled patch
        if first >= 0 and math.floor((first + 0.5) / scale - 0.5) - BICUBIC_TAPS + 1 >= 0:
            return c
        c += 1


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class SRCNN(nn.Module):
    family = "SRCNN"

    def __init__(self, scale: int, c1: int = 64, c2: int = 32, skip: bool = True):
        super().__init__()
        self.scale, self.skip = scale, skip
        self.conv1 = nn.Conv2d(1, c1, 9)
        self.conv2 = nn.Conv2d(c1, c2, 5)
        self.conv3 = nn.Conv2d(c2, 1, 5)
        self.reach = 4 + 2 + 2  # HR pixels each side
        self.receptive_radius = self.context = valid_context(scale, self.reach)
        if skip:  # start at bicubic's quality; the residual is learnt
            nn.init.zeros_(self.conv3.weight)
            nn.init.zeros_(self.conv3.bias)
        self.valid = False

    def set_valid(self, valid: bool) -> "SRCNN":
        """valid=True: inputs are patches that carry `context` pixels of context (training); else whole frames."""
        self.valid = valid
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c, s = self.context, self.scale
        if not self.valid:
            x = F.pad(x, (c, c, c, c), mode="replicate")
        up = bicubic(x, s)
        y = self.conv3(F.relu(self.conv2(F.relu(self.conv1(up)))))
        k = s * c - self.reach  # what is left to crop after the convolutions' own shrinking
        y = y[:, :, k:y.shape[2] - k, k:y.shape[3] - k]
        if self.skip:
            y = y + up[:, :, s * c:up.shape[2] - s * c, s * c:up.shape[3] - s * c]
        return y

    def macs_per_lr_pixel(self) -> int:
        return self.scale ** 2 * sum(m.weight.numel() for m in (self.conv1, self.conv2, self.conv3))

    def layers(self) -> list:
        c1, c2 = self.conv1.out_channels, self.conv2.out_channels
        return [f"pad {self.context} edge", f"bicubic x{self.scale} (Resize cubic, a=-0.75, half-pixel)",
                f"conv9x9 1->{c1} relu", f"conv5x5 {c1}->{c2} relu", f"conv5x5 {c2}->1",
                f"crop to {self.scale}x the input"] + (["add the bicubic upscale"] if self.skip else [])

    def widths(self) -> dict:
        return {"channels": [self.conv1.out_channels, self.conv2.out_channels], "bicubicSkip": self.skip}


class VDSR(nn.Module):
    family = "VDSR"

    def __init__(self, scale: int = 2, depth: int = 20, features: int = 64):
        super().__init__()
        self.scale, self.depth, self.features = scale, depth, features
        self.convs = nn.ModuleList([nn.Conv2d(1, features, 3, padding=1)]
                                   + [nn.Conv2d(features, features, 3, padding=1) for _ in range(depth - 2)]
                                   + [nn.Conv2d(features, 1, 3, padding=1)])
        for conv in self.convs[:-1]:
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)
        nn.init.zeros_(self.convs[-1].weight)  # start at bicubic's quality
        nn.init.zeros_(self.convs[-1].bias)
        self.context = 0

    @property
    def receptive_radius(self) -> int:
        return math.ceil(self.depth / self.scale) + BICUBIC_TAPS

    def set_valid(self, valid: bool) -> "VDSR":
        return self  # 'same' padding: patches and frames are treated alike

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = bicubic(x, self.scale)
        h = up
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if i < len(self.convs) - 1:
                h = F.relu(h)
        return up + h

    def macs_per_lr_pixel(self) -> int:
        return self.scale ** 2 * sum(m.weight.numel() for m in self.convs)

    def layers(self) -> list:
        f = self.features
        return [f"bicubic x{self.scale} (Resize cubic, a=-0.75, half-pixel)", f"conv3x3 1->{f} relu",
                *[f"conv3x3 {f}->{f} relu"] * (self.depth - 2), f"conv3x3 {f}->1",
                "add the bicubic upscale", "zero padding 'same' (one set of weights for x2, x3, x4)"]

    def widths(self) -> dict:
        return {"depth": self.depth, "channels": self.features}


class ResBlock(nn.Module):
    def __init__(self, f: int):
        super().__init__()
        self.conv1, self.act, self.conv2 = nn.Conv2d(f, f, 3, padding=1), nn.PReLU(f), nn.Conv2d(f, f, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(self.act(self.conv1(x)))


class SRResNet(nn.Module):
    family = "SRResNet"

    def __init__(self, scale: int = 4, blocks: int = 16, features: int = 64, skip: bool = True):
        super().__init__()
        f = features
        self.scale, self.blocks_n, self.features, self.skip = scale, blocks, f, skip
        self.head = nn.Sequential(nn.Conv2d(1, f, 9, padding=4), nn.PReLU(f))
        self.body = nn.Sequential(*[ResBlock(f) for _ in range(blocks)])
        self.body_end = nn.Conv2d(f, f, 3, padding=1)
        self.steps = [2] * int(math.log2(scale)) if scale in (2, 4, 8) else [scale]
        self.up = nn.Sequential(*[m for r in self.steps
                                  for m in (nn.Conv2d(f, f * r * r, 3, padding=1), nn.PixelShuffle(r), nn.PReLU(f))])
        self.tail = nn.Conv2d(f, 1, 9, padding=4)
        if skip:  # start at bicubic's quality, as srcnn and vdsr do
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)
        self.context = 0
        # LR pixels each side: head 4, two per block, body_end 1, each up conv 1 at its own resolution, tail 4 at HR
        density, radius = 1, 4 + 2 * blocks + 1
        for r in self.steps:
            radius, density = radius + 1 / density, density * r
        self.receptive_radius = math.ceil(radius + 4 / density)

    def set_valid(self, valid: bool) -> "SRResNet":
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        out = self.tail(self.up(h + self.body_end(self.body(h))))
        return out + bicubic(x, self.scale) if self.skip else out

    def macs_per_lr_pixel(self) -> int:
        convs = [self.head[0], *[c for b in self.body for c in (b.conv1, b.conv2)], self.body_end]
        macs, density = sum(c.weight.numel() for c in convs), 1
        for i, r in enumerate(self.steps):
            macs += density * self.up[3 * i].weight.numel()
            density *= r * r
        return macs + density * self.tail.weight.numel()

    def layers(self) -> list:
        f = self.features
        return [f"conv9x9 1->{f} prelu", f"{self.blocks_n} x (conv3x3 {f}->{f} prelu, conv3x3 {f}->{f}, + input)",
                f"conv3x3 {f}->{f}, + the first layer's output",
                *[f"conv3x3 {f}->{f * r * r}, DepthToSpace {r}, prelu" for r in self.steps], f"conv9x9 {f}->1",
                *([f"add bicubic x{self.scale} (Resize cubic, a=-0.75, half-pixel)"] if self.skip else []),
                "zero padding 'same', no batch norm"]

    def widths(self) -> dict:
        return {"blocks": self.blocks_n, "channels": self.features, "bicubicSkip": self.skip}


class SRGAN(SRResNet):
    """SRResNet's network as train_srgan.py trains it (against a discriminator): the same graph and weights
    layout, exported under its own family."""
    family = "SRGAN"


def conv_bn(cin: int, cout: int, stride: int, bn: bool) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn)]
    return nn.Sequential(*layers, *([nn.BatchNorm2d(cout)] if bn else []), nn.LeakyReLU(0.2))


class UNet(nn.Module):
    """A U-Net at LR size, then x2 transposed convolutions to the output size, added to the bicubic upscale.

    Stage k (k = 0..levels) runs at 1/2^k of the LR size with width * 2^k channels: stage 0 is two conv3x3,
    each deeper stage a conv3x3 of stride 2 and a conv3x3, with batch norm from stage 2 on (the deeper stages;
    the shallow ones keep per-image statistics intact). Going up, a 2x2 transposed convolution of stride 2
    halves the channels and doubles the size (cropped to the skip's size, so any frame size works), the skip
    is concatenated and a conv3x3 mixes them. Then log2(scale) transposed 4x4 convolutions of stride 2
    (width channels) and a conv3x3 to one channel at the output size. LeakyReLU(0.2) throughout. 'Same'
    (zero) padding; the output is added to the bicubic upscale of the input.
    """

    family = "UNet"

    def __init__(self, scale: int = 4, width: int = 32, levels: int = 2):
        super().__init__()
        if scale not in (2, 4, 8):
            raise ValueError("unet: the scale must be a power of 2")
        w = width
        self.scale, self.width, self.levels = scale, width, levels
        self.down = nn.ModuleList([nn.Sequential(conv_bn(1, w, 1, False), conv_bn(w, w, 1, False))])
        for k in range(1, levels + 1):
            bn = k >= 2
            self.down.append(nn.Sequential(conv_bn(w << (k - 1), w << k, 2, bn), conv_bn(w << k, w << k, 1, bn)))
        self.up = nn.ModuleList([nn.ConvTranspose2d(w << k, w << (k - 1), 2, 2) for k in range(levels, 0, -1)])
        self.merge = nn.ModuleList([conv_bn(w << k, w << (k - 1), 1, k - 1 >= 2) for k in range(levels, 0, -1)])
        n_up = int(math.log2(scale))
        self.upsample = nn.Sequential(*[m for _ in range(n_up) for m in (nn.ConvTranspose2d(w, w, 4, 2, 1),
                                                                          nn.LeakyReLU(0.2))])
        self.tail = nn.Conv2d(w, 1, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)
        self.context = 0
        self.receptive_radius = measured_radius(self)

    def set_valid(self, valid: bool) -> "UNet":
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips, h = [], x
        for stage in self.down:
            h = stage(h)
            skips.append(h)
        h = skips.pop()
        for up, merge in zip(self.up, self.merge):
            skip = skips.pop()
            h = up(h)[:, :, :skip.shape[2], :skip.shape[3]]  # odd sizes: the stride-2 conv rounded up
            h = merge(torch.cat([h, skip], 1))
        return bicubic(x, self.scale) + self.tail(self.upsample(h))

    def macs_per_lr_pixel(self) -> int:
        """Convolutions: weight size x output pixels; transposed ones: weight size x input pixels; per LR pixel."""
        macs = 0.0
        for k, stage in enumerate(self.down):
            macs += stage[0][0].weight.numel() / 4 ** k + stage[1][0].weight.numel() / 4 ** k
        for i, (up, merge) in enumerate(zip(self.up, self.merge)):
            k = self.levels - i
            macs += up.weight.numel() / 4 ** k + merge[0].weight.numel() / 4 ** (k - 1)
        density = 1
        for m in self.upsample:
            if isinstance(m, nn.ConvTranspose2d):
                macs += density * m.weight.numel()
                density *= 4
        return round(macs + density * self.tail.weight.numel())

    def layers(self) -> list:
        w, out = self.width, []
        out.append(f"stage 0 (LR): conv3x3 1->{w} lrelu, conv3x3 {w}->{w} lrelu")
        for k in range(1, self.levels + 1):
            bn = " bn" if k >= 2 else ""
            out.append(f"stage {k} (1/{2 ** k}): conv3x3/2 {w << (k - 1)}->{w << k}{bn} lrelu, "
                       f"conv3x3 {w << k}->{w << k}{bn} lrelu")
        for k in range(self.levels, 0, -1):
            bn = " bn" if k - 1 >= 2 else ""
            out.append(f"up to stage {k - 1}: convT2x2/2 {w << k}->{w << (k - 1)}, concat skip, "
                       f"conv3x3 {w << k}->{w << (k - 1)}{bn} lrelu")
        out += [f"convT4x4/2 {w}->{w} lrelu"] * int(math.log2(self.scale))
        return out + [f"conv3x3 {w}->1", f"add bicubic x{self.scale} (Resize cubic, a=-0.75, half-pixel)",
                      "zero padding 'same'; batch norm folded into the convolutions on export"]

    def widths(self) -> dict:
        return {"width": self.width, "levels": self.levels}


def measured_radius(model: nn.Module, size: int = 64) -> int:
    """LR pixels each side that an output pixel depends on, from the gradient's support (eval mode, float64).

    With positive weights and a positive input every activation is positive and every path adds, so the
    gradient of a sum of outputs is nonzero exactly on the union of their supports. One pass per LR pixel
    along the diagonal covers every phase of strided layers (up to 8)."""
    import copy
    m = copy.deepcopy(model).double().eval()
    for p in m.parameters():
        p.data = torch.rand_like(p) * 0.1 + 0.01
    x = torch.rand(1, 1, size, size, dtype=torch.float64) + 0.1
    s, radius = model.scale, 0
    for c in range(size // 2, size // 2 + 8):
        x.requires_grad_(True)
        x.grad = None
        m(x)[0, 0, c * s:(c + 1) * s, c * s:(c + 1) * s].sum().backward()
        ys, xs = torch.nonzero(x.grad[0, 0], as_tuple=True)
        radius = max(radius, int((ys - c).abs().max()), int((xs - c).abs().max()))
    return radius


@torch.no_grad()
def measured_overlap(model: nn.Module, lr: torch.Tensor, tol: float = 0.25 / 255, keep: int = 16) -> int:
    """Fewest LR rows of real context a strip needs beyond what it keeps, for a 'same'-padded network whose
    exact receptive radius is far wider than what its trained weights use (srresnet: 40 LR pixels).

    `lr` (1, 1, h, w) is a real picture. For each candidate overlap r, the picture is cut as srvid cuts a
    frame (src/models/espcn/upscale-frame.ts, stripsFor): strips keeping `keep` rows (its smallest strips) and
    reading r rows of real context above and below, zero padding beyond, as the network's own padding; every
    row's output is compared with the whole picture's. The result is the smallest r whose largest difference
    is under `tol` (Y/255: a quarter of an 8-bit step, so the 8-bit output rarely moves, by one step at most)."""
    m, big, h = model.eval(), model.receptive_radius, lr.shape[2]
    if h < 2 * big + keep:
        raise ValueError(f"measured_overlap needs a picture of at least {2 * big + keep} rows, got {h}")
    whole, s = m(lr), model.scale
    for r in range(1, big + 1):
        worst = 0.0
        for start in range(0, h, keep):
            end = min(h, start + keep)
            lo, hi = max(0, start - r), min(h, end + r)
            strip = m(lr[:, :, lo:hi])[0, 0, (start - lo) * s:(end - lo) * s]
            worst = max(worst, float((strip - whole[0, 0, start * s:end * s]).abs().max()))
            if worst >= tol:
                break
        if worst < tol:
            return r
    return big
