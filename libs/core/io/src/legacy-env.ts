/** The prefix of the workspace's environment variables. */
export const ENV_PREFIX = 'SEGKIT_';
/** The prefix they had before the workspace's rename; still read, with a notice. */
export const LEGACY_ENV_PREFIX = 'TGS_';

/**
 * Reads variables of the former name: each `TGS_<NAME>` whose `SEGKIT_<NAME>` is unset is copied
 * to it (a `SEGKIT_` variable wins when both are set), and one line names the adopted variables and
 * their new names. Entry points call it once, before anything reads the environment; child
 * processes inherit both names, so the notice is printed once per run. Returns the adopted names.
 */
export function adoptLegacyEnv(env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string[] {
  const adopted: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(LEGACY_ENV_PREFIX) || name.length === LEGACY_ENV_PREFIX.length) continue;
    const renamed = ENV_PREFIX + name.slice(LEGACY_ENV_PREFIX.length);
    if (env[renamed] !== undefined) continue;
    env[renamed] = env[name];
    adopted.push(name);
  }
  if (adopted.length > 0) {
    const pairs = adopted.map((n) => `${n} → ${ENV_PREFIX}${n.slice(LEGACY_ENV_PREFIX.length)}`).join(', ');
    warn(`warning: ${LEGACY_ENV_PREFIX}* variables are deprecated and will stop working in a later release; rename ${pairs}`);
  }
  return adopted;
}
