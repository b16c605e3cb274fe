"""PyTorch CPU baseline for tools/bench/backend.bench.ts.

Times one Adam + BCE-with-logits training step of the same U-Net as the tfjs reference
(libs/compute/backend/src/reference-unet.ts): 4 down levels of two 3x3 conv+ReLU (16, 32, 64,
128 filters), a 256-filter bottleneck, 2x2 max-pool down, 2x2 stride-2 transposed conv up, skip
concatenation, 1x1 logit head; input 128x128x1, batch 8. Uses one thread.

Prints one JSON line: {"torch": version, "threads": n, "step_ms": [...], "cpu_ms": [...]}
(wall and process CPU time per step).
Usage: python3 torch_unet_step.py [steps] [warmup]
"""
import json
import sys
import time

import torch
from torch import nn


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, base=16, levels=4):
        super().__init__()
        chans = [base * 2 ** i for i in range(levels)]
        self.down = nn.ModuleList()
        cin = 1
        for c in chans:
            self.down.append(block(cin, c))
            cin = c
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = block(cin, base * 2 ** levels)
        cin = base * 2 ** levels
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for c in reversed(chans):
            self.up.append(nn.ConvTranspose2d(cin, c, 2, stride=2))
            self.dec.append(block(2 * c, c))
            cin = c
        self.head = nn.Conv2d(cin, 1, 1)

    def forward(self, x):
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], 1))
        return self.head(x)


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = UNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    x = torch.randn(8, 1, 128, 128)
    y = (torch.rand(8, 1, 128, 128) > 0.5).float()
    times, cpu = [], []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "step_ms": times, "cpu_ms": cpu}))


if __name__ == "__main__":
    main()
