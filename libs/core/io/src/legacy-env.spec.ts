import { adoptLegacyEnv } from './legacy-env';

describe('adoptLegacyEnv', () => {
  it('copies each TGS_ variable to its SEGKIT_ name and prints one notice naming them', () => {
    const env: NodeJS.ProcessEnv = { TGS_THREADS: '2', TGS_SET: 'stage1.epochs=1', PATH: '/bin' };
    const lines: string[] = [];
    expect(adoptLegacyEnv(env, (l) => lines.push(l))).toEqual(['TGS_SET', 'TGS_THREADS']);
    expect(env).toMatchObject({ SEGKIT_THREADS: '2', SEGKIT_SET: 'stage1.epochs=1', TGS_THREADS: '2' });
    expect(lines).toEqual(['warning: TGS_* variables are deprecated and will stop working in a later release; rename TGS_SET → SEGKIT_SET, TGS_THREADS → SEGKIT_THREADS']);
  });

  it('keeps a SEGKIT_ variable that is already set, and is silent when nothing is adopted (a child process)', () => {
    const env: NodeJS.ProcessEnv = { TGS_BACKEND: 'wasm', SEGKIT_BACKEND: 'cpu', TGS_: 'x' };
    const lines: string[] = [];
    expect(adoptLegacyEnv(env, (l) => lines.push(l))).toEqual([]);
    expect(env.SEGKIT_BACKEND).toBe('cpu');
    expect(lines).toEqual([]);
  });
});
