// Stops this process when a process it depends on is gone (killed with `kill -9`, say): a step or
// Nx when the pipeline run that started it is gone, so nothing keeps writing the work directory
// behind a dead run; the run itself when the npm process that launched it is gone.
//
// Runs in a worker thread, because a training step keeps the main thread busy for a whole epoch
// and a timer there would not fire. Used two ways:
// - from TypeScript: startRunWatchdog() / startLauncherWatchdog() start this file as a worker with
//   the processes to watch;
// - as a preload (`node --require watchdog.cjs nx ...`): on the main thread it reads the run's pid
//   from SEGKIT_RUN_PID / SEGKIT_RUN_START and starts itself as a worker.
//
// Nothing here may throw before the stop: when the whole process group was killed, stderr is a
// pipe nobody reads any more and writing the farewell fails with EPIPE — which, uncaught, would
// end this worker and leave a busy main thread running forever.
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

function stop(label, gone, killAfterMs) {
  try {
    writeSync(2, `${label}: ${gone.what} (pid ${gone.pid}) is gone; stopping\n`);
  } catch {
    // stderr's reader died with the rest of the process group: stop all the same
  }
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), killAfterMs ?? 3000);
  process.kill(process.pid, 'SIGTERM');
}

if (isMainThread) {
  const pid = Number(process.env.SEGKIT_RUN_PID);
  if (Number.isInteger(pid) && pid > 0) {
    const worker = new Worker(__filename, {
      workerData: {
        targets: [{ pid, start: process.env.SEGKIT_RUN_START || undefined, what: 'the pipeline run that started this process' }],
        label: process.env.SEGKIT_WATCHDOG_LABEL || 'nx',
        intervalMs: 500,
      },
    });
    worker.unref();
  }
} else {
  const { targets, label, intervalMs, killAfterMs } = workerData;
  const timer = setInterval(() => {
    const gone = targets.find((t) => !running(t.pid, t.start));
    if (!gone) return;
    clearInterval(timer);
    stop(label, gone, killAfterMs);
  }, intervalMs);
}
