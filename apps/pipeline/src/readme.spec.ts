import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { exportedNames, flagTableMismatches, FlagSpecs, HELP_FLAG, markdownTable, plainCell, undocumentedExports } from '@segkit/cli';
import { blendConfigSchema, configSchema } from '@segkit/config';
import { STEP_ORDER, STEPS } from '@segkit/run';
import { WORKSPACE_ROOT } from './context';
import { ALL_STEP_FLAGS, DOCTOR_FLAGS, PIPELINE_K8S_FLAGS, PIPELINE_RUN_FLAGS, PIPELINE_SLURM_FLAGS, stepCommandLine, stepTarget } from './flags';

const README = readFileSync(join(WORKSPACE_ROOT, 'README.md'), 'utf8');

describe('the README', () => {
  it.each<[string, string, FlagSpecs]>([
    ['npm run pipeline', '## Running it', { ...PIPELINE_RUN_FLAGS, slurm: PIPELINE_SLURM_FLAGS.slurm, emit: PIPELINE_K8S_FLAGS.emit, ...HELP_FLAG }],
    ['the steps', 'Every step takes these flags', ALL_STEP_FLAGS],
    ['npm run pipeline --slurm', '### Slurm', PIPELINE_SLURM_FLAGS],
    ['npm run pipeline --emit k8s', '### Kubernetes', PIPELINE_K8S_FLAGS],
    ['npm run doctor', '## More than one GPU or machine', DOCTOR_FLAGS],
  ])('documents every flag of %s with its default, and no other', (_, marker, flags) => {
    expect(flagTableMismatches(markdownTable(README, marker), flags)).toEqual([]);
  });

  it('lists every step with its summary and Nx target', () => {
    const rows = markdownTable(README, 'The steps (`tsx apps/pipeline/src/main.ts --help`');
    const expected = STEP_ORDER.map((s) => [stepCommandLine(s), stepTarget(s), STEPS[s].summary]);
    expect(rows.map((r) => r.map(plainCell))).toEqual(expected);
  });
});

/** A config key's dotted path (array elements as `[]`) and the values an enum or literal allows. */
interface KeyDoc {
  path: string;
  values: string[];
}

/** Every leaf key of a zod config schema. */
function schemaKeys(schema: z.ZodTypeAny, path = ''): KeyDoc[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return schemaKeys(schema._def.innerType, path);
  if (schema instanceof z.ZodEffects) return schemaKeys(schema._def.schema, path);
  if (schema instanceof z.ZodObject) return Object.entries(schema.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) => schemaKeys(v, path ? `${path}.${k}` : k));
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const options = [...(schema.options as z.ZodObject<z.ZodRawShape>[])];
    const kinds = options.map((o) => String((o.shape[schema.discriminator] as z.ZodLiteral<string>).value));
    const rest = options.flatMap((o) => schemaKeys(o, path)).filter((k) => k.path !== `${path}.${schema.discriminator}`);
    return [{ path: `${path}.${schema.discriminator}`, values: kinds }, ...rest];
  }
  if (schema instanceof z.ZodArray && (schema.element instanceof z.ZodObject || schema.element instanceof z.ZodDiscriminatedUnion)) return schemaKeys(schema.element, `${path}[]`);
  if (schema instanceof z.ZodEnum) return [{ path, values: [...(schema.options as string[])] }];
  if (schema instanceof z.ZodUnion) return [{ path, values: (schema.options as z.ZodTypeAny[]).flatMap((o) => (o instanceof z.ZodLiteral ? [String(o.value)] : [])) }];
  return [{ path, values: [] }];
}

/** The value at a dotted path of an object, or undefined. */
function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** A default as the README's table states it: JSON, strings bare. */
function shown(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

describe("the README's config section", () => {
  const rows = markdownTable(README, '### Configs');
  const documented = rows.map((r) => ({ keys: [...r[0].matchAll(/`([^`]+)`/g)].map((m) => m[1]), row: r }));
  // Keys both schemas (or several schedule kinds) have, once.
  const keys = [...new Map([...schemaKeys(configSchema), ...schemaKeys(blendConfigSchema)].map((k) => [k.path, k])).values()];
  const defaults = configSchema.parse({});

  /** The row of a key: its own path, or (for keys inside a repeated structure) its path from the structure on (`loss[].kind`). */
  function rowOf(path: string): string[] | undefined {
    const parts = path.split('.');
    for (let i = 0; i <= parts.length - Math.min(2, parts.length); i++) {
      const suffix = parts.slice(i).join('.');
      const found = documented.find((d) => d.keys.includes(suffix));
      if (found) return found.row;
    }
    return undefined;
  }

  it.each(keys.map((k) => [k.path, k]))('documents %s', (_, key) => {
    const row = rowOf(key.path);
    expect([key.path, row !== undefined]).toEqual([key.path, true]);
    for (const v of key.values) expect([key.path, row?.join(' | ').includes(`\`${v}\``)]).toEqual([key.path, true]);
  });

  it('documents no key the schema lacks', () => {
    const paths = keys.map((k) => k.path);
    const unknown = documented.flatMap((d) => d.keys).filter((k) => k.includes('.') && !paths.some((p) => p === k || p.endsWith(`.${k}`) || p.startsWith(`${k}.`) || p.startsWith(`${k}[]`)));
    expect(unknown).toEqual([]);
  });

  it("gives each top-level key's default as the schema fills it in", () => {
    for (const { keys: ks, row } of documented) {
      if (!ks.every((k) => at(defaults, k) !== undefined)) continue;
      expect([ks.join(', '), plainCell(row[row.length - 1])]).toEqual([ks.join(', '), ks.map((k) => shown(at(defaults, k))).join(', ')]);
    }
  });
});

describe('every project has a README', () => {
  const { compilerOptions } = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  // Each library's public entry points (index.ts, and entries such as @segkit/native/testing), by the project folder holding them.
  const libs = Object.entries(compilerOptions.paths).map(([alias, [entry]]) => ({ alias, entry, root: entry.slice(0, entry.indexOf('/src/')) }));
  const apps = readdirSync(join(WORKSPACE_ROOT, 'apps')).map((a) => `apps/${a}`);

  it.each(apps)('%s has a README', (app) => {
    expect(existsSync(join(WORKSPACE_ROOT, app, 'README.md'))).toBe(true);
  });

  it.each(libs.map((l) => [l.alias, l]))("%s's README names every export of its entry point", (_, { entry, root }) => {
    const readme = join(WORKSPACE_ROOT, root, 'README.md');
    expect([readme, existsSync(readme)]).toEqual([readme, true]);
    const missing = undocumentedExports(exportedNames(readFileSync(join(WORKSPACE_ROOT, entry), 'utf8')), readFileSync(readme, 'utf8'));
    expect([`${root}/README.md does not name`, missing]).toEqual([`${root}/README.md does not name`, []]);
  });
});
