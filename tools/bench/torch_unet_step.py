"""PyTorch CPU baseline for tools/bench/backend.bench.ts.

Builds the same two U-Nets as the tfjs side and times one Adam + BCE-with-logits training step
and hflip-TTA prediction:
  reference  libs/compute/backend/src/reference-unet.ts: 4 levels of two 3x3 conv(+bias)+ReLU
             (16..128 filters), a 256-filter bottleneck, 2x2 max-pool, 2x2 stride-2 transposed
             conv, skip concatenation, 1x1 head; 128x128x1 input.
  default    the pipeline's default model (@segkit/models defaultUnetConfig(101, 101)): the same
             U-Net with conv(no bias) + BatchNorm(eps 1e-5, momentum 0.1 in PyTorch's convention)
             + ReLU blocks, the 101x101 input reflection-padded to 128 and the features cropped
             back before the 1x1 head.

Prints one JSON line: {"torch": version, "threads": n, "step_ms": [...], "cpu_ms": [...],
"predict_images_per_s": x} (wall and process CPU time per step).
Usage: python3 torch_unet_step.py --model reference|default --threads N --batch B --steps S
       --warmup W --predict-images P
"""
import argparse
import json
import time

import torch
from torch import nn
import torch.nn.functional as F


def block(cin, cout, bn):
    if bn:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1), nn.ReLU(inplace=True))
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, base=16, levels=4, bn=False, size=128, pad_to=128):
        super().__init__()
        chans = [base * 2 ** i for i in range(levels)]
        self.down = nn.ModuleList()
        cin = 1
        for c in chans:
            self.down.append(block(cin, c, bn))
            cin = c
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = block(cin, base * 2 ** levels, bn)
        cin = base * 2 ** levels
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for c in reversed(chans):
            self.up.append(nn.ConvTranspose2d(cin, c, 2, stride=2))
            self.dec.append(block(2 * c, c, bn))
            cin = c
        self.head = nn.Conv2d(cin, 1, 1)
        total = pad_to - size
        self.pad = (total // 2, total - total // 2)

    def forward(self, x):
        before, after = self.pad
        if before or after:
            x = F.pad(x, (before, after, before, after), mode='reflect')
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], 1))
        if before or after:
            x = x[:, :, before:x.shape[2] - after, before:x.shape[3] - after]
        return self.head(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', choices=['reference', 'default'], default='reference')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--predict-images', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    size = 101 if a.model == 'default' else 128
    model = UNet(bn=a.model == 'default', size=size)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    x = torch.randn(a.batch, 1, size, size)
    y = (torch.rand(a.batch, 1, size, size) > 0.5).float()
    times, cpu = [], []
    model.train()
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    ips = None
    if a.predict_images > 0:
        model.eval()
        images = torch.rand(a.predict_images, 1, size, size)
        with torch.no_grad():
            model(images[:8])
            t0 = time.perf_counter()
            for s in range(0, a.predict_images, 32):
                b = images[s:s + 32]
                logits = (model(b) + torch.flip(model(torch.flip(b, [3])), [3])) / 2
                logits.sum().item()
            ips = a.predict_images / (time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "step_ms": times, "cpu_ms": cpu, "predict_images_per_s": ips}))


if __name__ == '__main__':
    main()
