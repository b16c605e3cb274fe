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

With --pipeline, the whole-pipeline reference of `npm run bench -- pipeline` instead (never run in
tests or CI): the default model trained fold by fold the way the pipeline trains it — Adam, stage 1
BCE on logits for --epochs1 epochs from scratch, stage 2 the per-image Lovasz hinge on logits for
--epochs2 epochs from stage 1's best weights at --lr2, random horizontal flips, a validation pass
(no TTA) after every epoch keeping the best weights by mean IoU-swept AP at p = 0.5 — then stage
2's OOF logits and the test logits with hflip TTA (batches of 32). Images are the synthetic
competition's PNGs (--data, the folder with train/ and test/; needs numpy and PIL) or random blobs.
Prints one JSON line: {"torch", "threads", "seconds", "train_seconds", "predict_seconds",
"epoch_seconds": [[fold, stage, epoch, s], ...], "oof_map_stage2"}.
Usage: python3 torch_unet_step.py --pipeline --threads N --train 1000 --test 400 --folds 3
       --epochs1 2 --epochs2 1 --batch 16 [--data DIR]
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


def lovasz_hinge_per_image(logits, labels):
    """Berman et al.'s Lovasz hinge on raw logits, per image, averaged (the pipeline's stage-2 loss)."""
    losses = []
    for lg, lb in zip(logits.flatten(1), labels.flatten(1)):
        signs = 2 * lb - 1
        errors = 1 - lg * signs
        errors_sorted, perm = torch.sort(errors, descending=True)
        gt_sorted = lb[perm]
        gts = gt_sorted.sum()
        intersection = gts - gt_sorted.cumsum(0)
        union = gts + (1 - gt_sorted).cumsum(0)
        jaccard = 1 - intersection / union
        jaccard = torch.cat([jaccard[:1], jaccard[1:] - jaccard[:-1]])
        losses.append(torch.dot(F.relu(errors_sorted), jaccard))
    return torch.stack(losses).mean()


def tgs_map(logits, masks):
    """TGS mean AP at p = 0.5: per image the fraction of IoU thresholds 0.5..0.95 passed (empty/empty = 1)."""
    pred = logits > 0
    truth = masks > 0.5
    inter = (pred & truth).flatten(1).sum(1).float()
    union = (pred | truth).flatten(1).sum(1).float()
    iou = torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))
    ths = torch.arange(0.5, 1.0, 0.05)
    return (iou[:, None] > ths[None, :]).float().mean(1).mean().item()


def load_images(data, n_train, n_test, size):
    """The synthetic competition's images (and train masks) as float tensors, or random blobs without --data."""
    if data:
        import os
        import numpy as np
        from PIL import Image

        def read(folder, limit):
            names = sorted(os.listdir(folder))[:limit]
            return np.stack([np.asarray(Image.open(os.path.join(folder, n)).convert('L'), dtype=np.float32) for n in names])
        x = read(os.path.join(data, 'train', 'images'), n_train) / 255
        y = (read(os.path.join(data, 'train', 'masks'), n_train) > 0).astype(np.float32)
        t = read(os.path.join(data, 'test', 'images'), n_test) / 255
        return torch.from_numpy(x)[:, None], torch.from_numpy(y)[:, None], torch.from_numpy(t)[:, None]
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing='ij')
    cy, cx, r = (torch.rand(n_train, 3, generator=g) * torch.tensor([size, size, size / 3])).unbind(1)
    y = (((yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2) < r[:, None, None] ** 2).float()
    x = (0.4 + 0.3 * y + 0.1 * torch.rand(n_train, size, size, generator=g)).clamp(0, 1)
    return x[:, None], y[:, None], torch.rand(n_test, 1, size, size, generator=g)


def tta_logits(model, images, batch=32):
    out = []
    with torch.no_grad():
        for s in range(0, len(images), batch):
            b = images[s:s + batch]
            out.append((model(b) + torch.flip(model(torch.flip(b, [3])), [3])) / 2)
    return torch.cat(out)


def plain_logits(model, images, batch):
    with torch.no_grad():
        return torch.cat([model(images[s:s + batch]) for s in range(0, len(images), batch)])


def pipeline(a):
    """The pipeline's recipe, fold after fold on --threads threads (see the module's doc)."""
    started = time.perf_counter()
    x, y, test = load_images(a.data, a.train, a.test, 101)
    n = len(x)
    fold_of = torch.arange(n) % a.folds
    epochs, train_s, predict_s, oof_scores = [], 0.0, 0.0, []
    for fold in range(a.folds):
        torch.manual_seed(fold)
        t0 = time.perf_counter()
        tr, va = (fold_of != fold).nonzero().flatten(), (fold_of == fold).nonzero().flatten()
        model = UNet(bn=True, size=101)
        best_state, best = None, -1.0
        for stage, n_epochs, lr, loss_fn in ((1, a.epochs1, a.lr1, nn.BCEWithLogitsLoss()), (2, a.epochs2, a.lr2, lovasz_hinge_per_image)):
            if best_state is not None:
                model.load_state_dict(best_state)
            opt = torch.optim.Adam(model.parameters(), lr=lr)
            for epoch in range(n_epochs):
                e0 = time.perf_counter()
                model.train()
                order = tr[torch.randperm(len(tr))]
                for s in range(0, len(order), a.batch):
                    idx = order[s:s + a.batch]
                    xb, yb = x[idx], y[idx]
                    flip = torch.rand(len(idx)) < 0.5
                    xb = torch.where(flip[:, None, None, None], torch.flip(xb, [3]), xb)
                    yb = torch.where(flip[:, None, None, None], torch.flip(yb, [3]), yb)
                    opt.zero_grad()
                    loss = loss_fn(model(xb), yb)
                    loss.backward()
                    opt.step()
                    loss.item()
                model.eval()
                score = tgs_map(plain_logits(model, x[va], a.batch), y[va])
                if score > best or best_state is None:
                    best, best_state = score, {k: v.clone() for k, v in model.state_dict().items()}
                epochs.append([fold, stage, epoch + 1, round(time.perf_counter() - e0, 3)])
        model.load_state_dict(best_state)
        model.eval()
        train_s += time.perf_counter() - t0
        t1 = time.perf_counter()
        oof_scores.append((tgs_map(tta_logits(model, x[va]), y[va]), len(va)))
        tta_logits(model, test)
        predict_s += time.perf_counter() - t1
    oof = sum(s * k for s, k in oof_scores) / n
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "seconds": time.perf_counter() - started,
                      "train_seconds": train_s, "predict_seconds": predict_s, "epoch_seconds": epochs, "oof_map_stage2": oof}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--pipeline', action='store_true')
    p.add_argument('--train', type=int, default=1000)
    p.add_argument('--test', type=int, default=400)
    p.add_argument('--folds', type=int, default=3)
    p.add_argument('--epochs1', type=int, default=2)
    p.add_argument('--epochs2', type=int, default=1)
    p.add_argument('--lr1', type=float, default=1e-3)
    p.add_argument('--lr2', type=float, default=2e-4)
    p.add_argument('--data', default='')
    p.add_argument('--model', choices=['reference', 'default'], default='reference')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--batch', type=int, default=None, help='8 for one step, 16 with --pipeline')
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--predict-images', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    a.batch = a.batch or (16 if a.pipeline else 8)
    if a.pipeline:
        pipeline(a)
        return
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
