// Stops this process when the pipeline run that started it is gone (killed with `kill -9`, say),
// so no step or Nx process keeps writing the work directory behind a dead run.
//
// Runs in a worker thread, because a training step keeps the main thread busy for a whole epoch
// and a timer there would not fire. Used two ways:
// - from TypeScript: startRunWatchdog() starts this file as a worker with the run's pid;
// - as a preload (`node --require watchdog.cjs nx ...`): on the main thread it reads the run's pid
//   from TGS_RUN_PID / TGS_RUN_START and starts itself as a worker.
const { isMainThread, Worker, workerData } = require('node:worker_threads');
const { readFileSync, writeSync } = require('node:fs');

function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] };
  } catch {
    return undefined;
  }
}

function running(pid, start) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  const now = startTime(pid);
  if (!now) return true; // no /proc: the signal test is all there is
  return now.state !== 'Z' && (!start || now.start === start);
}

if (isMainThread) {
  const pid = Number(process.env.TGS_RUN_PID);
  if (Number.isInteger(pid) && pid > 0) {
    const worker = new Worker(__filename, {
      workerData: { pid, start: process.env.TGS_RUN_START || undefined, label: process.env.TGS_WATCHDOG_LABEL || 'nx', intervalMs: 500 },
    });
    worker.unref();
  }
} else {
  const { pid, start, label, intervalMs } = workerData;
  const timer = setInterval(() => {
    if (running(pid, start)) return;
    clearInterval(timer);
    writeSync(2, `${label}: the pipeline run that started this process (pid ${pid}) is gone; stopping\n`);
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 3000);
  }, intervalMs);
}
