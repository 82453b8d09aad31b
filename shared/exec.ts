// Running the host's network tools (ip, iptables, conntrack): one place that turns a
// failure into an error naming the command and quoting what it printed on stderr.
import { execFile } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number | string | undefined,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Runs `cmd args…` (optionally feeding `input` on stdin) and returns its stdout. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 0 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as Error & { code?: number | string };
      const said = String(stderr).trim() || String(stdout).trim() || e.message;
      reject(new CommandError(`${cmd} ${args.join(' ')} failed: ${said}`, e.code, String(stderr)));
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
