"""Writes the small .pth files the weights-reader tests read (libs/model/encoders/src/lib/fixtures).

Run from the repository root with PyTorch installed:  python3 tools/parity/reader_fixtures.py
The values are fixed by hand here and restated by hand in the tests.
"""
import collections
import io
import os
import pickle
import sys
import zipfile

import torch

OUT = os.path.join('libs', 'model', 'encoders', 'src', 'lib', 'fixtures')


def tiny_state_dict():
    sd = collections.OrderedDict()
    sd['conv1.weight'] = torch.tensor([[[[1.5]]], [[[-2.0]]]])  # [2, 1, 1, 1] float32
    sd['bn1.running_mean'] = torch.tensor([0.5, -0.25], dtype=torch.float16)
    sd['bn1.running_var'] = torch.tensor([1.0, -3.140625], dtype=torch.bfloat16)
    sd['bn1.num_batches_tracked'] = torch.tensor(7)
    base = torch.arange(6, dtype=torch.float32).reshape(2, 3)  # [[0, 1, 2], [3, 4, 5]]
    sd['fc.weight'] = base.t()  # a transposed view: [[0, 3], [1, 4], [2, 5]]
    sd['fc.bias'] = base[1, 1:]  # a view with a storage offset: [4, 5]
    return sd


def rezip_deflated(src, dst):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))


class Evil:
    def __reduce__(self):
        return (os.system, ('echo this must never run',))


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = tiny_state_dict()
    torch.save(sd, os.path.join(OUT, 'tiny.pth'))
    rezip_deflated(os.path.join(OUT, 'tiny.pth'), os.path.join(OUT, 'tiny-deflated.pth'))
    torch.save({'epoch': 3, 'state_dict': sd}, os.path.join(OUT, 'checkpoint.pth'))
    torch.save(sd, os.path.join(OUT, 'legacy.pth'), _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(os.path.join(OUT, 'evil.pth'), 'w', zipfile.ZIP_STORED) as z:
        z.writestr('evil/data.pkl', pickle.dumps(collections.OrderedDict(x=Evil()), protocol=2))
        z.writestr('evil/version', '3\n')
    print('wrote fixtures to', OUT, file=sys.stderr)


if __name__ == '__main__':
    main()
