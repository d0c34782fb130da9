"""SESR-style network (Bhardwaj et al., MLSys 2022) on the Y channel: collapsible linear blocks, trained
over-parameterised and shipped as a short chain of plain convolutions.

Each block is a k x k convolution to P channels followed by a 1 x 1 convolution back to the block's width
(plus the identity where input and output widths agree). Both are linear, so the block equals one k x k
convolution whose kernel is the product of the two (and a 1 at the kernel's centre for the identity). That
is how the network is trained too: the forward pass collapses the block's weights first and runs the single
convolution (the gradient reaches the expanded weights through the product), which costs what the shipped
network costs instead of P / width times more. `forward(x, expanded=True)` runs the two convolutions one
after the other instead; the export test checks that both agree.

Shipped graph: pad edge R, conv5x5 1->F relu, M x (conv3x3 F->F relu), conv5x5 F->r^2, add the input pixel
to each of its r^2 sub-pixels (nearest skip, as in espcn.py), pixel shuffle. No long residual: the chain stays
plain, so it quantises to one integer convolution after another (ReLU is the uint8 clamp at zero).

grid=2 (the `qsr` family) runs the whole chain on the image's 2 x 2 space-to-depth grid: conv3x3 4->F relu,
M x (conv3x3 F->F relu), conv3x3 F->4 r^2, each output channel (py r + sy) 2r + px r + sx adding the LR pixel
(py, px) of its block, then one pixel shuffle by 2r. A quarter of the positions with twice the width or more:
the shape onnxruntime's int8 kernel runs fastest on this CPU (it is bound by filter taps per position, not by
channels; docs/performance.md). Its receptive radius is 2 (M + 2) + 1 LR pixels, and its inputs need even
sides (the export pads odd ones).
"""
import torch
import torch.nn.functional as F
from torch import nn


class CollapsibleBlock(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, expand: int):
        super().__init__()
        self.k, self.residual = k, cin == cout
        self.expand = nn.Conv2d(cin, expand, k)
        self.project = nn.Conv2d(expand, cout, 1)

    def collapsed(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The block as one k x k convolution: (weight, bias)."""
        p = self.project.weight[:, :, 0, 0]  # cout x P
        w = torch.einsum("op,pikl->oikl", p, self.expand.weight)
        b = p @ self.expand.bias + self.project.bias
        if self.residual:
            c = self.k // 2
            eye = torch.eye(w.shape[0], dtype=w.dtype, device=w.device)
            w = w + F.pad(eye[:, :, None, None], (c, self.k - 1 - c, c, self.k - 1 - c))
        return w, b

    def forward(self, x: torch.Tensor, expanded: bool = False) -> torch.Tensor:
        if expanded:
            y = self.project(self.expand(x))
            if self.residual:
                c = self.k // 2
                y = y + x[:, :, c:x.shape[2] - c, c:x.shape[3] - c]
            return y
        w, b = self.collapsed()
        return F.conv2d(x, w, b)


class SESR(nn.Module):
    def __init__(self, scale: int, width: int = 16, middle: int = 5, expand: int = 256, grid: int = 1):
        super().__init__()
        assert grid in (1, 2)
        self.scale, self.width, self.middle, self.expand, self.grid = scale, width, middle, expand, grid
        g2, outer = grid * grid, 5 if grid == 1 else 3
        # context taken on each side (a multiple of the grid) and the exact receptive radius, in LR pixels
        self.context = (2 + middle + 2) if grid == 1 else 2 * (middle + 2)
        self.receptive_radius = self.context + (grid - 1)
        self.blocks = nn.ModuleList([CollapsibleBlock(g2, width, outer, expand)]
                                    + [CollapsibleBlock(width, width, 3, expand) for _ in range(middle)]
                                    + [CollapsibleBlock(width, g2 * scale * scale, outer, expand)])
        self.valid = False

    def set_valid(self, valid: bool) -> "SESR":
        """valid=True: inputs are patches that carry receptive_radius pixels of context (training); else whole frames."""
        self.valid = valid
        return self

    def forward(self, x: torch.Tensor, expanded: bool = False) -> torch.Tensor:
        return run_chain(self, x, [lambda h, b=b: b(h, expanded) for b in self.blocks])

    def macs_per_lr_pixel(self) -> int:
        """Multiply-adds per LR pixel of the collapsed (shipped) network."""
        return sum(b.project.weight.shape[0] * b.expand.weight.shape[1] * b.k * b.k
                   for b in self.blocks) // (self.grid * self.grid)

    def plain(self) -> "PlainChain":
        """The collapsed network as a module of plain convolutions (what is exported)."""
        return PlainChain(self)


class PlainChain(nn.Module):
    """A trained SESR collapsed: pad, conv relu ... conv, skip, shuffle; only plain convolutions."""

    def __init__(self, net: SESR):
        super().__init__()
        self.scale, self.receptive_radius, self.context, self.grid = (net.scale, net.receptive_radius,
                                                                      net.context, net.grid)
        self.convs = nn.ModuleList()
        with torch.no_grad():
            for block in net.blocks:
                w, b = block.collapsed()
                conv = nn.Conv2d(w.shape[1], w.shape[0], block.k)
                conv.weight.copy_(w)
                conv.bias.copy_(b)
                self.convs.append(conv)
        self.valid = False

    def set_valid(self, valid: bool) -> "PlainChain":
        self.valid = valid
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return run_chain(self, x, list(self.convs))


def skip_pixels(scale: int) -> torch.Tensor:
    """grid 2: for each output channel (py r + sy) 2r + px r + sx, the block pixel py * 2 + px it adds."""
    s = scale
    return torch.tensor([((o // (2 * s)) // s) * 2 + (o % (2 * s)) // s for o in range(4 * s * s)])


def run_chain(net, x: torch.Tensor, layers) -> torch.Tensor:
    """Edge padding (training patches carry their context already: net.valid), the layers with ReLU between
    them, the nearest skip and the pixel shuffle; on the 2 x 2 grid for grid=2 (odd sides padded, then cropped)."""
    c, h_in, w_in = net.context, x.shape[2], x.shape[3]
    if not net.valid:  # (grid 1 pads by constants only, so that torch's exporter writes a plain Pad)
        odd_w, odd_h = (w_in % 2, h_in % 2) if net.grid == 2 else (0, 0)
        x = F.pad(x, (c, c + odd_w, c, c + odd_h), mode="replicate")
    h = x if net.grid == 1 else F.pixel_unshuffle(x, 2)
    for i, layer in enumerate(layers):
        h = layer(h)
        if i < len(layers) - 1:
            h = F.relu(h)
    if net.grid == 1:
        return F.pixel_shuffle(h + x[:, :, c:-c, c:-c], net.scale)
    skip = F.pixel_unshuffle(x[:, :, c:-c, c:-c], 2)[:, skip_pixels(net.scale).to(x.device)]
    out = F.pixel_shuffle(h + skip, 2 * net.scale)
    return out if net.valid else out[:, :, :h_in * net.scale, :w_in * net.scale]
