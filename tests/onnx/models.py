"""Small PyTorch models whose ONNX exports the importer is tested on.

Each builder returns (model in eval mode, (input name, per-sample shape,
dtype)); the batch dimension is prepended by the caller.
Builders are deterministic: the same seed gives the same weights, so the
reference outputs written next to an export can be regenerated bit for bit.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 20  # transformer token ids are in [0, VOCAB)
SEQ = 8  # transformer sequence length, static in the export


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # [B, 6, 14, 14]
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # [B, 16, 5, 5]
        # view with x.size(0) exports a Shape -> Gather -> Concat -> Reshape
        # chain, which the importer must fold to a static reshape.
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = BasicBlock(8, 8, 1)
        self.layer2 = BasicBlock(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


class SelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.dh = d // heads
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.out = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.size(0), x.size(1), x.size(2)

        def split(y):  # [B, T, d] -> [B, H, T, dh]
            return y.view(b, t, self.heads, self.dh).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.dh)
        y = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class EncoderBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = SelfAttention(d, heads)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, 4 * d)
        self.ff2 = nn.Linear(4 * d, d)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.ff2(F.gelu(self.ff1(self.ln2(x))))


class Transformer(nn.Module):
    # Written by hand rather than with nn.TransformerEncoderLayer, whose fused
    # inference path exports differently from one torch version to the next.
    def __init__(self, vocab=VOCAB, seq=SEQ, d=16, heads=2, blocks=2, classes=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(seq, d) * 0.1)
        self.blocks = nn.ModuleList(EncoderBlock(d, heads) for _ in range(blocks))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        x = self.embed(ids) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x).mean(1))


class Zoo(nn.Module):
    """The supported ops the other models do not reach: average and global
    max pooling, slices, a scalar-index Gather, concatenation, squeezes,
    reductions and the remaining element-wise ops."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(6 * 4 * 4 + 2 * 4 * 4 + 8, 10)

    def forward(self, x):  # [B, 3, 8, 8]
        c = F.leaky_relu(self.conv(x), 0.2)  # [B, 6, 8, 8]
        a = F.avg_pool2d(c, 3, stride=2, padding=1, count_include_pad=False)  # [B, 6, 4, 4]
        s = torch.tanh(a[:, 1:3]) * torch.sigmoid(a[:, 3:5])  # Slice: [B, 2, 4, 4]
        first = x[:, 0]  # Gather of a scalar index: [B, 8, 8]
        g = torch.sqrt(torch.abs(first) + 1).mean(dim=2)  # [B, 8]
        t = torch.cat([self.drop(a).flatten(1), s.flatten(1), torch.exp(-g)], dim=1)
        m = F.adaptive_max_pool2d(c, 1).squeeze(3).squeeze(2)  # [B, 6]
        bias = F.softplus(m).sum(1, keepdim=True) * 0.1 - torch.pow(g.mean(1, keepdim=True), 2)
        return F.log_softmax(self.fc(t) + bias, dim=1)


def _randomize_norms(model, generator):
    # Fresh LayerNorm/BatchNorm affine parameters are 1 and 0, which would
    # hide a gamma/beta swap in the importer.
    for m in model.modules():
        if isinstance(m, (nn.LayerNorm, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=generator))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=generator))


def mlp():
    torch.manual_seed(0)
    return MLP().eval(), ("x", [64], torch.float32)


def lenet():
    torch.manual_seed(1)
    return LeNet().eval(), ("x", [1, 28, 28], torch.float32)


def resnet():
    torch.manual_seed(2)
    model = ResNet()
    g = torch.Generator().manual_seed(2)
    _randomize_norms(model, g)
    # A few training-mode passes move the running statistics away from 0 and
    # 1, so that using the wrong statistics (or none) shows in the outputs.
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(16, 3, 16, 16, generator=g) * 2 + 0.5)
    return model.eval(), ("x", [3, 16, 16], torch.float32)


def transformer():
    torch.manual_seed(3)
    model = Transformer()
    _randomize_norms(model, torch.Generator().manual_seed(3))
    return model.eval(), ("ids", [SEQ], torch.int64)


def zoo():
    torch.manual_seed(4)
    return Zoo().eval(), ("x", [3, 8, 8], torch.float32)


CLASSES = {"mlp": 10, "lenet": 10, "resnet": 10, "transformer": 5, "zoo": 10}
BUILDERS = {"mlp": mlp, "lenet": lenet, "resnet": resnet, "transformer": transformer,
            "zoo": zoo}
