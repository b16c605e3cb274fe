export { atomicWriteFile, atomicCopyFile, atomicWriteDir, tempPathFor, parseTempName, removeStaleTempsIn, TEMP_HOST } from './atomic';
export type { TempCleanup } from './atomic';
export { UserError, runCli, exitCodeFor, errorLine, fromFileSystemError } from './errors';
export { checkOutputDir } from './paths';
export { Progress, formatDuration, log } from './progress';
export type { ProgressOptions } from './progress';
export { NpyReader, NpyWriter, npyHeader, readNpy, readNpyChunks, readNpyInfo, writeNpy } from './npy';
export type { NpyInfo } from './npy';
export { readJsonArtifact, parseArtifact, requireArtifact, writeJsonArtifact, InvalidArtifactError } from './artifact';
