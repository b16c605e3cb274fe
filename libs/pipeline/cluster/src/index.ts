export { defaultExec, execFailure } from './exec';
export type { Exec, ExecResult } from './exec';
export {
  acquireGpuSlot,
  detectGpus,
  devicesFromEnv,
  foldDevice,
  foldGpuEnv,
  gpuBackendInstalled,
  gpuLockDir,
  gpuSchedule,
  parseNvidiaSmiList,
  pinFoldToGpu,
  resolveGpus,
} from './gpus';
export type { Gpu, GpuDetection, GpuPlan, ResolveGpusOptions } from './gpus';
export { STAGES, checkFoldsFinished, finishedFolds, foldFromEnv, nxJobEnv, runFinalStage, runFoldStage, runPrepareStage } from './stages';
export type { Stage, StageContext } from './stages';
export {
  activeJobs,
  assertNoActiveRun,
  detachMessage,
  expandArrayIndices,
  followSlurm,
  isTerminal,
  jobScript,
  jobStatuses,
  lastStepLine,
  logTail,
  parseJobId,
  parseSacct,
  parseScontrolJobs,
  readSubmittedRun,
  sbatchArgs,
  slurmAvailable,
  submitSlurm,
} from './slurm';
export type { FollowOptions, JobStatus, SlurmIo, SlurmOptions, SlurmRun, SubmittedRun } from './slurm';
export { dnsName, k8sJobs, k8sManifest, toYaml } from './k8s';
export type { K8sOptions } from './k8s';
export { CUDA_LIBRARIES, defaultProbes, doctorLines, findLibraries, nativeKernelStatusProbe, probeBackends } from './doctor';
export type { BackendProbe, DoctorProbes, NativeKernelState } from './doctor';
