"""ESPCN (Shi et al. 2016) on the Y channel, with a free nearest-neighbour skip.

conv 5x5 1->64, 3x3 64->32, 3x3 32->r^2, pixel shuffle (= ONNX DepthToSpace CRD).
The skip adds the input pixel to each of its r^2 sub-pixels before the shuffle, so the
convolutions learn the residual over nearest-neighbour upscaling. It costs one add per
output pixel and no multiply, so the network's cost stays ESPCN's (21,184 MACs per LR
pixel at x2 with 64-32 channels).
"""
import torch
from torch import nn

RECEPTIVE_RADIUS = 4  # 2 (5x5) + 1 (3x3) + 1 (3x3) LR pixels on each side


class ESPCN(nn.Module):
    def __init__(self, scale: int, c1: int = 64, c2: int = 32):
        super().__init__()
        self.scale = scale
        self.conv1 = nn.Conv2d(1, c1, 5, padding=2)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.conv3 = nn.Conv2d(c2, scale * scale, 3, padding=1)
        self.act = nn.Tanh()
        self.shuffle = nn.PixelShuffle(scale)
        self.valid = False

    def set_valid(self, valid: bool) -> "ESPCN":
        """Unpadded ('valid') convolutions for training on patches with context; zero 'same' padding otherwise."""
        self.valid = valid
        for conv in (self.conv1, self.conv2, self.conv3):
            k = conv.kernel_size[0] // 2
            conv.padding = (0, 0) if valid else (k, k)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv3(self.act(self.conv2(self.act(self.conv1(x)))))
        if self.valid:  # training on context-padded patches: crop the skip to the valid region
            r = RECEPTIVE_RADIUS
            x = x[:, :, r:-r, r:-r]
        return self.shuffle(y + x)

    def macs_per_lr_pixel(self) -> int:
        return sum(m.weight.numel() for m in (self.conv1, self.conv2, self.conv3))
