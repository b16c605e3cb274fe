export { atomicWriteFile, atomicWriteJson, atomicWriteDir, tempPathFor } from './atomic';
export { UserError, runCli } from './errors';
export { Progress, formatDuration, log } from './progress';
export type { ProgressOptions } from './progress';
export { Float32FileWriter, writeFloat32File, readFloat32File, readFloat32Chunks, float32FileLength } from './float32-file';
