// Entry of the child process that trains one job: `tunekit train ARGS` with the process's own
// I/O. It dies with its worker: when the worker process ends (even by SIGKILL) the IPC channel
// closes and this process kills itself at once, as a machine that is lost would stop; the job's
// last complete checkpoint stays for the worker that takes the job over.
import { processIo, runCli } from "@tunekit/cli";

const orphaned = (): void => {
  process.kill(process.pid, "SIGKILL");
};
process.on("disconnect", orphaned);
process.exitCode = await runCli(process.argv.slice(2), processIo());
process.off("disconnect", orphaned);
if (process.connected) process.disconnect();
