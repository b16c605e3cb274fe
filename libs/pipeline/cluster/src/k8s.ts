/**
 * The pipeline as Kubernetes Jobs, for a cluster with a shared ReadWriteMany volume holding the
 * workspace (the repository with its node_modules, the data and the work directory):
 *
 *   tgs-<name>-prepare   a Job: data + folds
 *   tgs-<name>-folds     an Indexed Job (completionMode: Indexed, completions = parallelism = k):
 *                        pod i runs fold i, read from JOB_COMPLETION_INDEX
 *   tgs-<name>-final     a Job: ensemble → tune → submit → report
 *
 * Kubernetes has no dependencies between Jobs, so they are applied one after the other, waiting
 * for each (`kubectl wait --for=condition=complete`); the commands are in the file's header.
 * Written from the Job API (batch/v1) documentation; not run on a real cluster here.
 */
import { ClusterStage, RunSettings, toEnv } from '@segkit/run';

export interface K8sOptions {
  /** Job name prefix part, e.g. the config's name (lower-cased, made DNS-safe). */
  name: string;
  k: number;
  /** An image with Node 20 (the workspace itself comes from the volume). */
  image: string;
  /** The PersistentVolumeClaim holding the workspace. */
  claim: string;
  /** Where the claim is mounted; the workspace root inside the pods. */
  mountPath: string;
  /** The run's settings, with paths as the pods see them (inside mountPath). */
  settings: RunSettings;
  /** --out for the final job, inside the volume. */
  outDir: string;
  /** The final job writes submission.csv to outDir even when the run is worthless (`--allow-worthless`). */
  allowWorthless?: boolean;
  /** GPUs per fold pod (nvidia.com/gpu); 0 for none. */
  gpusPerFold: number;
}

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

/** A DNS-1123 label part: lower case, digits and '-'. */
export function dnsName(s: string): string {
  const out = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return (out || 'run').slice(0, 40);
}

function container(opts: K8sOptions, stage: ClusterStage, extraArgs: string[], gpus: number): Yaml {
  const env: Yaml[] = Object.entries(toEnv(opts.settings))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  env.push({ name: 'NX_DAEMON', value: 'false' }, { name: 'NX_NO_CLOUD', value: 'true' });
  if (gpus > 0) env.push({ name: 'TF_FORCE_GPU_ALLOW_GROWTH', value: 'true' });
  return {
    name: stage,
    image: opts.image,
    workingDir: opts.mountPath,
    command: ['node', '--require', './tools/run/bundled.cjs', 'apps/pipeline/src/stage.ts', stage, ...extraArgs],
    env,
    volumeMounts: [{ name: 'workspace', mountPath: opts.mountPath }],
    ...(gpus > 0 ? { resources: { limits: { 'nvidia.com/gpu': gpus } } } : {}),
  };
}

function job(opts: K8sOptions, stage: ClusterStage, spec: Record<string, Yaml>, extraArgs: string[] = [], gpus = 0): Yaml {
  const name = `tgs-${dnsName(opts.name)}-${stage === 'fold' ? 'folds' : stage}`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: 'tgs-pipeline', 'tgs-run': dnsName(opts.name), 'segkit-stage': stage } },
    spec: {
      ...spec,
      template: {
        metadata: { labels: { app: 'tgs-pipeline', 'tgs-run': dnsName(opts.name), 'segkit-stage': stage } },
        spec: {
          // OnFailure restarts a preempted or crashed pod in place; training resumes from its last epoch.
          restartPolicy: 'OnFailure',
          containers: [container(opts, stage, extraArgs, gpus)],
          volumes: [{ name: 'workspace', persistentVolumeClaim: { claimName: opts.claim } }],
        },
      },
    },
  };
}

/** The three Job objects, in the order they are applied. */
export function k8sJobs(opts: K8sOptions): { prepare: Yaml; folds: Yaml; final: Yaml } {
  return {
    prepare: job(opts, 'prepare', { backoffLimit: 2 }),
    folds: job(opts, 'fold', { completionMode: 'Indexed', completions: opts.k, parallelism: opts.k, backoffLimit: 2 * opts.k }, [], opts.gpusPerFold),
    final: job(opts, 'final', { backoffLimit: 1 }, ['--out', opts.outDir, ...(opts.allowWorthless ? ['--allow-worthless'] : [])]),
  };
}

function scalar(v: string | number | boolean | null): string {
  // JSON strings are valid YAML double-quoted scalars; quoting every string avoids YAML's surprises ("no", "1e3", "08").
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Block-style YAML of plain data (maps, lists, scalars). */
export function toYaml(value: Yaml, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}[]\n`;
    return value
      .map((item) => {
        if (item !== null && typeof item === 'object' && !(Array.isArray(item) && item.length === 0)) {
          const body = toYaml(item, indent + 2);
          return `${pad}- ${body.slice(indent + 2)}`;
        }
        return `${pad}- ${item !== null && typeof item === 'object' ? '[]' : scalar(item)}\n`;
      })
      .join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return `${pad}{}\n`;
    return entries
      .map(([k, v]) => {
        const key = /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(k) ? k : JSON.stringify(k);
        if (v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)) {
          return `${pad}${key}:\n${toYaml(v, Array.isArray(v) ? indent : indent + 2)}`;
        }
        return `${pad}${key}: ${v !== null && typeof v === 'object' ? (Array.isArray(v) ? '[]' : '{}') : scalar(v)}\n`;
      })
      .join('');
  }
  return `${pad}${scalar(value)}\n`;
}

/** The manifest file: a header with the kubectl commands, then the three Jobs as YAML documents. */
export function k8sManifest(opts: K8sOptions): string {
  const jobs = k8sJobs(opts);
  const name = (j: Yaml) => ((j as { metadata: { name: string } }).metadata.name);
  const header = [
    `# The pipeline run "${opts.name}" as Kubernetes Jobs (written by \`npm run pipeline -- --emit k8s\`).`,
    `# Needs a ReadWriteMany PersistentVolumeClaim "${opts.claim}" holding this workspace (after \`npm ci\`),`,
    `# mounted at ${opts.mountPath}. Untested on a real cluster. Apply in order:`,
    '#',
    `#   kubectl apply -f pipeline.yaml -l segkit-stage=prepare && kubectl wait --for=condition=complete --timeout=-1s job/${name(jobs.prepare)}`,
    `#   kubectl apply -f pipeline.yaml -l segkit-stage=fold    && kubectl wait --for=condition=complete --timeout=-1s job/${name(jobs.folds)}`,
    `#   kubectl apply -f pipeline.yaml -l segkit-stage=final   && kubectl wait --for=condition=complete --timeout=-1s job/${name(jobs.final)}`,
    '#',
    `# Fold i's log: kubectl logs -l job-name=${name(jobs.folds)},batch.kubernetes.io/job-completion-index=i`,
  ].join('\n');
  return `${header}\n${[jobs.prepare, jobs.folds, jobs.final].map((j) => `---\n${toYaml(j)}`).join('')}`;
}
