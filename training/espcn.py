"""ESPCN (Shi et al. 2016) on the Y channel, with a free nearest-neighbour skip and edge padding.

conv 5x5 1->64, 3x3 64->32, 3x3 32->r^2, pixel shuffle (= ONNX DepthToSpace CRD).
The skip adds the input pixel to each of its r^2 sub-pixels before the shuffle, so the
convolutions learn the residual over nearest-neighbour upscaling. It costs one add per
output pixel and no multiply, so the network's cost stays ESPCN's (21,184 MACs per LR
pixel at x2 with 64-32 channels).

Borders: the convolutions are unpadded; a whole frame is first extended by RECEPTIVE_RADIUS pixels by
repeating its edge (ONNX Pad mode 'edge'). Zero padding, as 'same' convolutions do, showed the network
inputs it never saw in training (patches come with real context): its border output drifted from step
to step and cost 1.6 dB on Set5 at x2 (34.76 vs 36.36 dB, same weights).
"""
import torch
import torch.nn.functional as F
from torch import nn

RECEPTIVE_RADIUS = 4  # 2 (5x5) + 1 (3x3) + 1 (3x3) LR pixels on each side


class ESPCN(nn.Module):
    def __init__(self, scale: int, c1: int = 64, c2: int = 32):
        super().__init__()
        self.scale = scale
        self.receptive_radius = RECEPTIVE_RADIUS
        self.conv1 = nn.Conv2d(1, c1, 5)
        self.conv2 = nn.Conv2d(c1, c2, 3)
        self.conv3 = nn.Conv2d(c2, scale * scale, 3)
        self.act = nn.Tanh()
        self.shuffle = nn.PixelShuffle(scale)
        self.valid = False

    def set_valid(self, valid: bool) -> "ESPCN":
        """valid=True: inputs are patches that carry RECEPTIVE_RADIUS pixels of context (training); else whole frames."""
        self.valid = valid
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = RECEPTIVE_RADIUS
        if not self.valid:
            x = F.pad(x, (r, r, r, r), mode="replicate")
        y = self.conv3(self.act(self.conv2(self.act(self.conv1(x)))))
        return self.shuffle(y + x[:, :, r:-r, r:-r])

    def macs_per_lr_pixel(self) -> int:
        return sum(m.weight.numel() for m in (self.conv1, self.conv2, self.conv3))
