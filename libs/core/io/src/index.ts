export { atomicWriteFile, atomicWriteJson, atomicWriteDir, tempPathFor } from './atomic';
export { UserError, runCli } from './errors';
export { Progress, formatDuration, log } from './progress';
export type { ProgressOptions } from './progress';
export { NpyWriter, npyHeader, readNpy, readNpyChunks, readNpyInfo, writeNpy } from './npy';
export type { NpyInfo } from './npy';
