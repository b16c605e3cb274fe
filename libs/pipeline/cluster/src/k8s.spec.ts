import { parseAllDocuments } from 'yaml';
import { dnsName, k8sJobs, k8sManifest, K8sOptions, toYaml } from './k8s';

const opts: K8sOptions = {
  name: 'Smoke_Run',
  k: 3,
  image: 'node:20-bookworm',
  claim: 'segkit-workspace',
  mountPath: '/workspace',
  settings: { config: '/workspace/configs/smoke.json', work: 'runs/work', backend: 'tensorflow-gpu', threads: 2 },
  outDir: '/workspace/runs/output',
  gpusPerFold: 1,
};

describe('k8s manifests', () => {
  const docs = parseAllDocuments(k8sManifest(opts)).map((d) => d.toJSON());

  it('are three batch/v1 Jobs that parse back to exactly the objects built', () => {
    const jobs = k8sJobs(opts);
    expect(docs).toEqual([jobs.prepare, jobs.folds, jobs.final]);
    expect(docs.map((d) => [d.apiVersion, d.kind, d.metadata.name])).toEqual([
      ['batch/v1', 'Job', 'tgs-smoke-run-prepare'],
      ['batch/v1', 'Job', 'tgs-smoke-run-folds'],
      ['batch/v1', 'Job', 'tgs-smoke-run-final'],
    ]);
  });

  it('runs the folds as an Indexed Job of k completions, one fold per index', () => {
    const folds = docs[1];
    expect(folds.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const c = folds.spec.template.spec.containers[0];
    // No --fold: stage.ts reads JOB_COMPLETION_INDEX, which Kubernetes sets in each indexed pod.
    expect(c.command).toEqual(['node', '--require', './tools/run/bundled.cjs', 'apps/pipeline/src/stage.ts', 'fold']);
    expect(c.resources).toEqual({ limits: { 'nvidia.com/gpu': 1 } });
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'SEGKIT_WORK', value: 'runs/work' }, { name: 'SEGKIT_THREADS', value: '2' }, { name: 'TF_FORCE_GPU_ALLOW_GROWTH', value: 'true' }]));
    expect(folds.spec.template.spec.restartPolicy).toBe('OnFailure');
  });

  it('mounts the shared workspace volume in every pod and runs there', () => {
    for (const d of docs) {
      const pod = d.spec.template.spec;
      expect(pod.volumes).toEqual([{ name: 'workspace', persistentVolumeClaim: { claimName: 'segkit-workspace' } }]);
      expect(pod.containers[0].volumeMounts).toEqual([{ name: 'workspace', mountPath: '/workspace' }]);
      expect(pod.containers[0].workingDir).toBe('/workspace');
    }
    expect(docs[0].spec.template.spec.containers[0].command.at(-1)).toBe('prepare');
    expect(docs[2].spec.template.spec.containers[0].command.slice(-3)).toEqual(['final', '--out', '/workspace/runs/output']);
    expect((k8sJobs({ ...opts, allowWorthless: true }).final as { spec: { template: { spec: { containers: { command: string[] }[] } } } }).spec.template.spec.containers[0].command.slice(-4)).toEqual([
      'final',
      '--out',
      '/workspace/runs/output',
      '--allow-worthless',
    ]);
    expect(docs[0].spec.template.spec.containers[0].resources).toBeUndefined();
  });

  it('says in its header how to apply the Jobs in order, and that it is untested', () => {
    const text = k8sManifest(opts);
    expect(text).toContain('kubectl wait --for=condition=complete --timeout=-1s job/tgs-smoke-run-folds');
    expect(text).toMatch(/Untested on a real cluster/);
  });
});

describe('toYaml', () => {
  it.each([
    [{ a: 'no', b: '08', c: 1e3, d: true, e: null, f: [], g: {} }],
    [{ list: [{ x: 1, y: [1, 2] }, 'two', [3, [4]]], 'key with space': 'v: "q"' }],
  ])('round-trips %j through a YAML parser', (value) => {
    expect(parseAllDocuments(toYaml(value))[0].toJSON()).toEqual(value);
  });
  it('makes DNS-safe names', () => {
    expect(dnsName('My Exp_01!')).toBe('my-exp-01');
  });
});
