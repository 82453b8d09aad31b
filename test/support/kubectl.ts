// Runs the stock kubectl against a skiff apiserver with its own kubeconfig and a fresh
// discovery cache, as a user on a new machine would.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { writeKubeconfig } from './apiserver.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Every kubectl home the test file made, removed after its last test (tests leave nothing in /tmp). */
const homes = new Set<string>();
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  homes.clear();
});

export class Kubectl {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly cacheDir: string;

  constructor(url: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
    homes.add(this.dir);
    this.kubeconfig = writeKubeconfig(this.dir, url);
    this.cacheDir = join(this.dir, 'cache');
  }

  run(args: string[], opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const p = spawn('kubectl', ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], {
        env: { ...process.env, HOME: this.dir, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`kubectl ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, opts.timeoutMs ?? 60_000);
      p.on('error', reject);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      p.stdin.end(opts.stdin ?? '');
    });
  }

  /** Runs and fails the test with kubectl's own words if it exits non-zero. */
  async ok(args: string[], opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }
}
