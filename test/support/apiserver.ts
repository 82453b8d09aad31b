// Starts a real `skiff apiserver` process on a temp data dir and a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The package root and the built CLI, found the same way as `skiff up` finds them. */
export { CLI, ROOT } from '../../deploy/cluster/processes.js';
import { CLI } from '../../deploy/cluster/processes.js';

/**
 * Every process the test helpers start, killed when the test process exits, so that a
 * test which fails or times out before its afterAll never leaves servers behind.
 */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export interface ApiserverProcess {
  url: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait: the crash the durability tests need. */
  kill9(): Promise<void>;
  /** Start again on the same data dir and port. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** An admission flag in a test's arguments means it chose its plugins itself. */
const ADMISSION_FLAG = /^--(enable-admission-plugins|disable-admission-plugins|admission-control)(=|$)/;

/**
 * Test apiservers run without ServiceAccount admission unless the test chooses its
 * plugins, as Kubernetes' own integration tests do: most start no serviceaccount
 * controller, so the `default` account a pod needs would never appear.
 */
function testAdmissionFlags(extra: string[]): string[] {
  return extra.some((a) => ADMISSION_FLAG.test(a)) ? [] : ['--disable-admission-plugins=ServiceAccount'];
}

export async function startApiserver(extra: string[] = [], dataDir?: string): Promise<ApiserverProcess> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-apiserver-'));
  const port = await freePort();
  let out = '';
  const self: ApiserverProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir: dir,
    proc: undefined as unknown as ChildProcess,
    output: () => out,
    stop: async () => {
      if (self.proc.exitCode !== null || self.proc.signalCode !== null) return;
      const exited = new Promise((r) => self.proc.once('exit', r));
      self.proc.kill('SIGTERM');
      await exited;
    },
    kill9: async () => {
      if (self.proc.exitCode !== null || self.proc.signalCode !== null) return;
      const exited = new Promise((r) => self.proc.once('exit', r));
      self.proc.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      await self.stop();
      await launch();
    },
    cleanup: async () => {
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const launch = async () => {
    self.proc = track(spawn(process.execPath, [CLI, 'apiserver', '--data-dir', dir, '--bind-address', '127.0.0.1', '--port', String(port), '--v', 'warn', ...testAdmissionFlags(extra), ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    self.proc.stdout!.on('data', (d) => (out += d));
    self.proc.stderr!.on('data', (d) => (out += d));
    await waitReady(self);
  };
  await launch();
  return self;
}

async function waitReady(s: ApiserverProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (s.proc.exitCode !== null) throw new Error(`apiserver exited with ${s.proc.exitCode}:\n${s.output()}`);
    try {
      const res = await fetch(`${s.url}/readyz`);
      if (res.ok) {
        // Bootstrap objects are written right after listen; wait for the default namespace.
        const ns = await fetch(`${s.url}/api/v1/namespaces/default`);
        if (ns.ok) return;
      }
    } catch {
      // not listening yet: retry below
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`apiserver did not become ready in 30s:\n${s.output()}`);
}

/** A kubeconfig for the stock kubectl pointing at a plain-HTTP apiserver. */
export function writeKubeconfig(dir: string, url: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: skiff',
      '  cluster:',
      `    server: ${url}`,
      'users:',
      '- name: admin',
      '  user: {}',
      'contexts:',
      '- name: skiff',
      '  context:',
      '    cluster: skiff',
      '    user: admin',
      '    namespace: default',
      'current-context: skiff',
      '',
    ].join('\n'),
  );
  return path;
}

export interface ComponentProcess {
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `skiff controller-manager` against an apiserver. */
export function startControllerManager(server: string, extra: string[] = []): Promise<ComponentProcess> {
  let out = '';
  const proc = track(spawn(process.execPath, [CLI, 'controller-manager', '--server', server, '--v', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] }));
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return Promise.resolve({
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  });
}

/** Starts any skiff component (`scheduler`, `kubelet`, …) as a process of its own. */
export function startComponent(command: string, args: string[]): ComponentProcess {
  let out = '';
  const proc = track(spawn(process.execPath, [CLI, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
