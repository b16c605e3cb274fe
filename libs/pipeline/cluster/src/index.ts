export { defaultExec, execFailure } from './exec';
export type { Exec, ExecResult } from './exec';
export { acquireLock, readLockOwner } from './file-lock';
export type { AcquireLockOptions, HeldLock, LockOwner } from './file-lock';
export {
  GPUS_ENV,
  acquireGpuSlot,
  detectGpus,
  devicesFromEnv,
  foldDevice,
  foldGpuEnv,
  gpuBackendInstalled,
  gpuLockDir,
  gpuSchedule,
  parseDeviceList,
  parseNvidiaSmiList,
  pinFoldToGpu,
  resolveGpus,
} from './gpus';
export type { Gpu, GpuDetection, GpuPlan, ResolveGpusOptions } from './gpus';
