import { join } from 'node:path';

/**
 * The files a Slurm run keeps in the work directory's `slurm/` folder: the job scripts it
 * submitted, one log per job (appended to when a job is requeued or resubmitted), and the record
 * of the submitted job ids that guards against a second submission while they run.
 */
export function clusterPaths(workDir: string) {
  const dir = join(workDir, 'slurm');
  return {
    dir,
    record: join(dir, 'run.json'),
    submitLock: join(dir, 'submit.lock'),
    script: (stage: 'prepare' | 'fold' | 'final') => join(dir, `${stage}.sbatch`),
    log: (stage: 'prepare' | 'final') => join(dir, `${stage}.log`),
    foldLog: (fold: number) => join(dir, `fold-${fold}.log`),
    /** sbatch's --output pattern for the fold array (%a: the array index, the fold). */
    foldLogPattern: join(dir, 'fold-%a.log'),
  };
}
