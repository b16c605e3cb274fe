"""PyTorch reference for the ResNet encoders' parity test (libs/model/encoders/src/lib/parity.spec.ts).

    python3 tools/parity/resnet_taps.py OUT_DIR [ARCH ...]

For each architecture (default: resnet18 resnet34 resnet50) builds torchvision's model with random
weights and non-trivial BatchNorm statistics (eval mode), and writes into OUT_DIR:
  <arch>.pth            torch.save(model.state_dict())                        (torchvision layout)
  <arch>.safetensors    the same tensors as float16, keys prefixed 'encoder.' as
                        segmentation_models.pytorch, written by hand (8-byte length, JSON header,
                        raw tensors); every weight is rounded to float16 first, so both files hold
                        the same values and the reference holds for both
  <arch>_<h>x<w>_input.npy      grey images in [0, 1], NHWC [n, h, w, 1]
  <arch>_<h>x<w>_tap<k>.npy     PyTorch's features at every encoder tap (relu, layer1..layer4), NHWC
The grey image is repeated to RGB and normalised with ImageNet's mean and std, as the tfjs model does.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision

SIZES = [(1, 64, 64), (1, 37, 45)]
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def randomise_batchnorm(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = torch.rand(c, generator=gen) + 0.5
            m.bias.data = torch.randn(c, generator=gen) * 0.2
            m.running_mean = torch.randn(c, generator=gen) * 0.3
            m.running_var = torch.rand(c, generator=gen) * 1.5 + 0.5
            m.num_batches_tracked = torch.tensor(11)


def taps(model, x):
    y = model.relu(model.bn1(model.conv1(x)))
    out = [y]
    y = model.maxpool(y)
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        y = layer(y)
        out.append(y)
    return out


def save_safetensors(state, path, prefix):
    header, chunks, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name, t in state.items():
        if t.dtype != torch.float32:
            continue  # num_batches_tracked: not a weight
        data = t.contiguous().numpy().astype('<f2').tobytes()
        header[prefix + name] = {'dtype': 'F16', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode('utf8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def nhwc(t):
    return np.ascontiguousarray(t.detach().permute(0, 2, 3, 1).numpy().astype(np.float32))


def main():
    out_dir = sys.argv[1]
    archs = sys.argv[2:] or ['resnet18', 'resnet34', 'resnet50']
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    for i, arch in enumerate(archs):
        gen = torch.Generator().manual_seed(1234 + i)
        torch.manual_seed(1234 + i)
        model = getattr(torchvision.models, arch)()
        randomise_batchnorm(model, gen)
        model.eval()
        state = model.state_dict()
        for t in state.values():
            if t.dtype == torch.float32:
                t.copy_(t.half().float())
        torch.save(state, os.path.join(out_dir, arch + '.pth'))
        save_safetensors(state, os.path.join(out_dir, arch + '.safetensors'), 'encoder.')
        for n, h, w in SIZES:
            grey = torch.rand(n, 1, h, w, generator=gen)
            x = (grey.repeat(1, 3, 1, 1) - MEAN) / STD
            with torch.no_grad():
                features = taps(model, x)
            stem = f'{arch}_{h}x{w}'
            np.save(os.path.join(out_dir, stem + '_input.npy'), nhwc(grey))
            for k, f in enumerate(features):
                np.save(os.path.join(out_dir, f'{stem}_tap{k}.npy'), nhwc(f))


if __name__ == '__main__':
    main()
