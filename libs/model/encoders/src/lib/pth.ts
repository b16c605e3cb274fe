import { UserError } from '@segkit/io';
import { PickleError, PyTuple, unpickle, type PyGlobal } from './pickle';
import { DTYPE_BYTES, decodeElements, type StateDict, type WeightDtype, type WeightTensor } from './tensor-data';
import { readZipDirectory, readZipEntry, ZipFormatError, type ZipEntry } from './zip';

/** PyTorch's typed storage classes → element type. */
const STORAGE_DTYPES: Record<string, WeightDtype> = {
  'torch.FloatStorage': 'F32',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
  'torch.DoubleStorage': 'F64',
  'torch.LongStorage': 'I64',
  'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16',
  'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8',
  'torch.BoolStorage': 'BOOL',
};

/** One storage of the archive (`<archive>/data/<key>`), read when a tensor needs it. */
interface Storage {
  dtype: WeightDtype;
  key: string;
  bytes: () => Uint8Array;
}

class Tensor {
  constructor(readonly tensor: WeightTensor) {}
}

/** Keys under which training checkpoints commonly nest the weights. */
const NESTED_KEYS = ['state_dict', 'model_state_dict', 'model'];

function asInts(value: unknown, what: string): number[] {
  if (!(value instanceof PyTuple) || !value.items.every((v) => Number.isInteger(v) && (v as number) >= 0)) {
    throw new PickleError(`${what} is not a tuple of non-negative integers`);
  }
  return value.items as number[];
}

/**
 * Reads a PyTorch `.pth` / `.pt` file written by `torch.save` (≥ 1.6, the zip format: one folder
 * holding `data.pkl`, the pickled object, and `data/<key>`, one raw little-endian storage per key)
 * holding a state dict, e.g. a torchvision or segmentation_models.pytorch checkpoint. The pickle is
 * run by a restricted unpickler that accepts only `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` and the typed storage classes as
 * persistent ids; anything else is refused, so a hostile file cannot run code. Views (storage
 * offset, strides, shared storages) are materialised. A checkpoint that nests the weights under
 * `state_dict`, `model_state_dict` or `model` is unwrapped. Every problem is a `UserError` naming `file`.
 */
export function parsePth(buf: Buffer, file: string): StateDict {
  if (buf.length >= 2 && buf[0] === 0x80) {
    throw new UserError(`${file}: a legacy (pre-1.6) torch.save file; re-save it with torch.save(torch.load(f), f) from PyTorch ≥ 1.6`);
  }
  try {
    return readArchive(buf);
  } catch (err) {
    if (err instanceof ZipFormatError) throw new UserError(`${file}: not a PyTorch zip checkpoint (${err.message})`);
    if (err instanceof PickleError) throw new UserError(`${file}: not a plain state dict: the pickle ${err.message}`);
    throw err;
  }
}

function readArchive(buf: Buffer): StateDict {
  const entries = readZipDirectory(buf);
  const pickles = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) throw new ZipFormatError(`expected one <archive>/data.pkl, found ${pickles.length}`);
  const prefix = pickles[0].name.slice(0, -'data.pkl'.length);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  const order = byName.get(`${prefix}byteorder`);
  if (order !== undefined && readZipEntry(buf, order).toString('latin1') !== 'little') {
    throw new ZipFormatError('storages are big-endian');
  }
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length < 5) throw new PickleError('has a persistent id that is not a storage');
    const [, type, key] = pid.items as [string, PyGlobal, unknown];
    const dtype = STORAGE_DTYPES[(type as PyGlobal | undefined)?.qualifiedName ?? ''];
    if (dtype === undefined || typeof key !== 'string') throw new PickleError('has a storage of an unknown type');
    const known = storages.get(key);
    if (known) return known;
    const entry = byName.get(`${prefix}data/${key}`);
    if (entry === undefined) throw new ZipFormatError(`storage '${key}' is missing (${prefix}data/${key})`);
    let cached: Uint8Array | undefined;
    const storage: Storage = { dtype, key, bytes: () => (cached ??= readZipEntry(buf, entry)) };
    storages.set(key, storage);
    return storage;
  };
  const rebuildTensor = (args: unknown[]): Tensor => {
    const [storage, offset, size, stride] = args as [Storage, number, unknown, unknown];
    if (storage == null || typeof storage !== 'object' || !('key' in storage)) throw new PickleError('rebuilds a tensor without a storage');
    if (!Number.isInteger(offset) || offset < 0) throw new PickleError('rebuilds a tensor with a bad storage offset');
    const shape = asInts(size, 'a tensor size');
    const strides = asInts(stride, 'a tensor stride');
    if (strides.length !== shape.length) throw new PickleError('rebuilds a tensor whose size and stride differ in length');
    const bytes = storage.bytes();
    const elements = bytes.length / DTYPE_BYTES[storage.dtype];
    const last = shape.some((d) => d === 0) ? offset - 1 : offset + shape.reduce((a, d, i) => a + (d - 1) * strides[i], 0);
    if (last >= elements) throw new ZipFormatError(`storage '${storage.key}' has ${elements} elements, a tensor reads element ${last}`);
    return new Tensor({ shape: [...shape], dtype: storage.dtype, values: decodeElements(bytes, storage.dtype, shape, strides, offset) });
  };
  const globals: Record<string, ((args: unknown[]) => unknown) | null> = {
    'collections.OrderedDict': (args) => {
      if (args.length > 0) throw new PickleError('builds an OrderedDict from arguments');
      return new Map();
    },
    'torch._utils._rebuild_tensor_v2': rebuildTensor,
    'torch._utils._rebuild_parameter': (args) => {
      if (!(args[0] instanceof Tensor)) throw new PickleError('rebuilds a parameter without a tensor');
      return args[0];
    },
  };
  for (const name of Object.keys(STORAGE_DTYPES)) globals[name] = null;

  const root = unpickle(readZipEntry(buf, pickles[0]), { globals, persistentLoad });
  return toStateDict(root);
}

function isTensorDict(value: unknown): value is Map<string, Tensor> {
  return value instanceof Map && value.size > 0 && [...value].every(([k, v]) => typeof k === 'string' && v instanceof Tensor);
}

function toStateDict(root: unknown): StateDict {
  let dict = root;
  if (!isTensorDict(dict) && dict instanceof Map) {
    const nested = NESTED_KEYS.find((k) => isTensorDict((dict as Map<unknown, unknown>).get(k)));
    if (nested !== undefined) dict = dict.get(nested);
  }
  if (!isTensorDict(dict)) {
    throw new PickleError(
      `holds ${root instanceof Map ? `a dict without tensors under keys ${JSON.stringify([...root.keys()].slice(0, 5))}` : 'no dict of tensors'} (expected model.state_dict(), possibly under ${NESTED_KEYS.map((k) => `'${k}'`).join(' / ')})`,
    );
  }
  return new Map([...dict].map(([k, v]) => [k, v.tensor]));
}
