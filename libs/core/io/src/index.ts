export { atomicWriteFile, atomicWriteDir, tempPathFor, parseTempName, TEMP_HOST } from './atomic';
export { UserError, runCli, exitCodeFor, errorLine } from './errors';
export { checkOutputDir } from './paths';
export { Progress, formatDuration, log } from './progress';
export type { ProgressOptions } from './progress';
export { NpyReader, NpyWriter, npyHeader, readNpy, readNpyChunks, readNpyInfo, writeNpy } from './npy';
export type { NpyInfo } from './npy';
export { readJsonArtifact, parseArtifact, requireArtifact, writeJsonArtifact, InvalidArtifactError } from './artifact';
