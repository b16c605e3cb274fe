/**
 * A restricted unpickler: enough of the pickle virtual machine (protocols 2–4) for what
 * `torch.save(model.state_dict())` writes, and nothing that can run code. A pickle can only call
 * the globals the caller allows (each one a plain JavaScript function here); any other global, any
 * other opcode and any BUILD on something other than a dict is refused with a {@link PickleError}.
 */

/** A Python tuple (JavaScript arrays stand for lists). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A reference to an allowed global, as GLOBAL / STACK_GLOBAL push it. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** What the pickle contains that a state dict may not: the caller adds the file name. */
export class PickleError extends Error {}

export interface UnpickleOptions {
  /**
   * `module.name` → what REDUCE with that callable returns, given the argument tuple's items.
   * Globals listed with `null` may be referenced (e.g. storage classes inside persistent ids) but
   * not called.
   */
  globals: Record<string, ((args: unknown[]) => unknown) | null>;
  /** Resolves a BINPERSID id (PyTorch: the storage tuple). */
  persistentLoad: (pid: unknown) => unknown;
}

const MARK = Symbol('mark');

/** Opcode names for error messages. */
const OPCODE_NAMES: Record<number, string> = {
  0x63: 'GLOBAL', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x50: 'PERSID', 0x52: 'REDUCE', 0x62: 'BUILD',
  0x53: 'STRING', 0x56: 'UNICODE', 0x49: 'INT', 0x4c: 'LONG', 0x46: 'FLOAT', 0x70: 'PUT', 0x67: 'GET', 0x8b: 'LONG4',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER', 0x32: 'DUP', 0x30: 'POP', 0x31: 'POP_MARK',
};

/** Runs the pickle in `bytes` and returns the object STOP leaves on the stack. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;

  const need = (n: number): void => {
    if (pos + n > buf.length) throw new PickleError(`truncated pickle at byte ${pos}`);
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2);
    pos += 2;
    return buf.readUInt16LE(pos - 2);
  };
  const u32 = (): number => {
    need(4);
    pos += 4;
    return buf.readUInt32LE(pos - 4);
  };
  const u64 = (): number => {
    need(8);
    pos += 8;
    const v = buf.readBigUInt64LE(pos - 8);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError(`length ${v} too large`);
    return Number(v);
  };
  const text = (n: number): string => {
    need(n);
    pos += n;
    return buf.toString('utf8', pos - n, pos);
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError('unterminated GLOBAL');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw new PickleError('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new PickleError('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new PickleError('no MARK on the stack');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const global = (module: string, name: string): PyGlobal => {
    const qualified = `${module}.${name}`;
    if (!Object.prototype.hasOwnProperty.call(options.globals, qualified)) {
      throw new PickleError(`refuses the global '${qualified}' (a state dict holds only tensors, an OrderedDict and storages; this file could run code)`);
    }
    return new PyGlobal(module, name);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) throw new PickleError('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) throw new PickleError('odd number of dict items');
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const memoKey = (k: number): unknown => {
    if (!memo.has(k)) throw new PickleError(`memo key ${k} was never stored`);
    return memo.get(k);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleError('unknown pickle protocol');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(buf.readInt32LE(pos));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = u8();
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[pos + i]);
        if (n > 0 && buf[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(buf.readDoubleBE(pos));
        pos += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x63: {
        // GLOBAL module\nname\n
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError('STACK_GLOBAL needs two strings');
        stack.push(global(module, name));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoKey(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoKey(u32()));
        break;
      case 0x51: // BINPERSID
        stack.push(options.persistentLoad(pop()));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PyGlobal)) throw new PickleError('REDUCE on something that is not a global');
        if (!(args instanceof PyTuple)) throw new PickleError(`REDUCE of '${callable.qualifiedName}' without an argument tuple`);
        const fn = options.globals[callable.qualifiedName];
        if (fn == null) throw new PickleError(`refuses to call '${callable.qualifiedName}'`);
        stack.push(fn(args.items));
        break;
      }
      case 0x62: {
        // BUILD: only a dict's attributes (an OrderedDict's _metadata), which a state dict does not need.
        const state = pop();
        if (!(top() instanceof Map) || !(state instanceof Map || state instanceof PyTuple)) throw new PickleError('BUILD on something that is not a dict');
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError('APPEND on something that is not a list');
        list.push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError('APPENDS on something that is not a list');
        list.push(...items);
        break;
      }
      default: {
        const name = OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
        throw new PickleError(`refuses opcode ${name} at byte ${at} (not used by a state dict)`);
      }
    }
  }
}
