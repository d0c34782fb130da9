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
    def __init__(self, scale: int, width: int = 16, middle: int = 5, expand: int = 256):
        super().__init__()
        self.scale, self.width, self.middle, self.expand = scale, width, middle, expand
        self.receptive_radius = 2 + middle + 2
        self.blocks = nn.ModuleList([CollapsibleBlock(1, width, 5, expand)]
                                    + [CollapsibleBlock(width, width, 3, expand) for _ in range(middle)]
                                    + [CollapsibleBlock(width, scale * scale, 5, expand)])
        self.shuffle = nn.PixelShuffle(scale)
        self.valid = False

    def set_valid(self, valid: bool) -> "SESR":
        """valid=True: inputs are patches that carry receptive_radius pixels of context (training); else whole frames."""
        self.valid = valid
        return self

    def forward(self, x: torch.Tensor, expanded: bool = False) -> torch.Tensor:
        r = self.receptive_radius
        if not self.valid:
            x = F.pad(x, (r, r, r, r), mode="replicate")
        h = x
        for i, block in enumerate(self.blocks):
            h = block(h, expanded)
            if i < len(self.blocks) - 1:
                h = F.relu(h)
        return self.shuffle(h + x[:, :, r:-r, r:-r])

    def macs_per_lr_pixel(self) -> int:
        """Multiply-adds per LR pixel of the collapsed (shipped) network."""
        return sum(b.project.weight.shape[0] * b.expand.weight.shape[1] * b.k * b.k for b in self.blocks)

    def plain(self) -> "PlainChain":
        """The collapsed network as a module of plain convolutions (what is exported)."""
        return PlainChain(self)


class PlainChain(nn.Module):
    """A trained SESR collapsed: pad, conv relu ... conv, skip, shuffle; only plain convolutions."""

    def __init__(self, net: SESR):
        super().__init__()
        self.scale, self.receptive_radius = net.scale, net.receptive_radius
        self.convs = nn.ModuleList()
        with torch.no_grad():
            for block in net.blocks:
                w, b = block.collapsed()
                conv = nn.Conv2d(w.shape[1], w.shape[0], block.k)
                conv.weight.copy_(w)
                conv.bias.copy_(b)
                self.convs.append(conv)
        self.shuffle = nn.PixelShuffle(net.scale)
        self.valid = False

    def set_valid(self, valid: bool) -> "PlainChain":
        self.valid = valid
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.receptive_radius
        if not self.valid:
            x = F.pad(x, (r, r, r, r), mode="replicate")
        h = x
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if i < len(self.convs) - 1:
                h = F.relu(h)
        return self.shuffle(h + x[:, :, r:-r, r:-r])
