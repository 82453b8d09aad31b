// A real several-node cluster started as a user starts one, `skiff up --nodes 3`, for the
// seeds' end-to-end suite: the stock kubectl on the admin kubeconfig it writes, each node's
// own Docker engine, commands inside a node's network namespace, `skiff node stop|start`,
// the control plane's pid files, and `skiff down --purge` with a check that nothing is left.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './apiserver.js';
import { until } from './until.js';

export const NODES = ['skiff-node-1', 'skiff-node-2', 'skiff-node-3'] as const;
/** skiff-node-i is 10.250.0.(10+i) on the host bridge skiff-br0. */
export const nodeIP = (node: string): string => `10.250.0.${10 + Number(node.slice(node.lastIndexOf('-') + 1))}`;
/** What `skiff up` runs on the host, each with a pid file in D/run. */
export const CONTROL_PLANE = ['apiserver', 'controller-manager', 'scheduler', 'dns'] as const;

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

interface ExecOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

/** Runs a command with a hard time bound; never rejects: a timeout or a missing binary is a non-zero code with the reason in stderr. */
export function exec(cmd: string, args: string[], o: ExecOptions = {}): Promise<Result> {
  return new Promise((resolve) => {
    const env = { ...process.env, ...o.env };
    // A command that exits without reading its stdin makes writing to it fail (EPIPE): said in stderr, not thrown.
    let stdinError = '';
    const child = execFile(cmd, args, { env, timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr: `${stderr}${stdinError}` });
      const e = err as Error & { code?: number | string; killed?: boolean };
      const why = e.killed ? `\n(${cmd} killed after ${o.timeoutMs ?? 60_000} ms)` : typeof e.code === 'string' ? `\n(${e.message})` : '';
      resolve({ code: typeof e.code === 'number' ? e.code : -1, stdout, stderr: `${stderr}${why}${stdinError}` });
    });
    child.stdin?.on('error', (err) => (stdinError = `\n(writing ${cmd}'s stdin: ${err.message})`));
    if (o.input === undefined) child.stdin?.end();
    else child.stdin?.end(o.input);
  });
}

const describeRun = (what: string, r: Result) => `${what} exited ${r.code}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}`;

/** The files under `dir` (a few levels deep) whose name ends with .log. */
function logFiles(dir: string, depth = 4): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...logFiles(p, depth - 1));
    else if (e.isFile() && e.name.endsWith('.log')) out.push(p);
  }
  return out;
}

export class SkiffCluster {
  /** The cluster's one data directory (--data-dir). */
  readonly dir = mkdtempSync(join(tmpdir(), 'skiff-seeds-'));
  readonly kubeconfig = join(this.dir, 'kubeconfig');
  /** kubectl's HOME (its discovery cache), apart from the user's. */
  private readonly home = mkdtempSync(join(tmpdir(), 'skiff-seeds-home-'));
  /** Everything `skiff up` printed, for failure messages. */
  upOutput = '';

  /** `skiff ARGS --data-dir D`. */
  skiff(args: string[], timeoutMs = 300_000): Promise<Result> {
    return exec(process.execPath, [CLI, ...args, '--data-dir', this.dir], { timeoutMs });
  }

  async up(extra: string[] = []): Promise<Result> {
    const r = await this.skiff(['up', '--nodes', String(NODES.length), ...extra], 300_000);
    this.upOutput += r.stdout + r.stderr;
    return r;
  }

  /** `skiff down --purge`, and kubectl's HOME goes too. */
  async down(): Promise<Result> {
    const r = await this.skiff(['down', '--purge'], 180_000);
    rmSync(this.home, { recursive: true, force: true });
    return r;
  }

  async nodeStop(node: string): Promise<void> {
    const r = await this.skiff(['node', 'stop', node], 120_000);
    if (r.code !== 0) throw new Error(describeRun(`skiff node stop ${node}`, r));
  }

  async nodeStart(node: string): Promise<void> {
    const r = await this.skiff(['node', 'start', node], 180_000);
    if (r.code !== 0) throw new Error(describeRun(`skiff node start ${node}`, r));
  }

  /** `skiff image load IMAGE`: a locally built image pushed into the cluster's registry. */
  async imageLoad(image: string): Promise<void> {
    const r = await this.skiff(['image', 'load', image], 180_000);
    if (r.code !== 0) throw new Error(describeRun(`skiff image load ${image}`, r));
  }

  /** The stock kubectl on the admin kubeconfig. */
  kubectl(args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
    return exec('kubectl', ['--kubeconfig', this.kubeconfig, ...args], { env: { HOME: this.home }, input: o.input, timeoutMs: o.timeoutMs ?? 90_000 });
  }

  /** kubectl that must succeed: its stdout, or an error quoting what it said. */
  async k(args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.kubectl(args, o);
    if (r.code !== 0) throw new Error(describeRun(`kubectl ${args.join(' ')}`, r));
    return r.stdout;
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.k([...args, '-o', 'json'])) as T;
  }

  apply(yaml: string): Promise<string> {
    return this.k(['apply', '-f', '-'], { input: yaml });
  }

  /** The Docker engine of one node. */
  dockerHost(node: string): string {
    return `unix://${join(this.dir, 'nodes', node, 'docker.sock')}`;
  }

  async docker(node: string, args: string[]): Promise<string> {
    const r = await exec('docker', args, { env: { DOCKER_HOST: this.dockerHost(node) }, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(describeRun(`DOCKER_HOST=${this.dockerHost(node)} docker ${args.join(' ')}`, r));
    return r.stdout;
  }

  /** A command inside a node's network namespace (where ClusterIPs and the cluster DNS answer). */
  inNode(node: string, args: string[], timeoutMs = 15_000): Promise<Result> {
    return exec('nsenter', [`--net=/var/run/netns/${node}`, ...args], { timeoutMs });
  }

  /** The pids of the host's control plane, from D/run/COMPONENT.pid. */
  controlPlanePids(): Record<string, number> {
    const pids: Record<string, number> = {};
    for (const c of CONTROL_PLANE) pids[c] = Number(readFileSync(join(this.dir, 'run', `${c}.pid`), 'utf8').trim());
    return pids;
  }

  until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 500): Promise<T> {
    return until(what, fn, timeoutMs, () => this.logs(), everyMs);
  }

  /** The end of every log the cluster wrote, newest first, for failure messages. */
  logs(chars = 1500): string {
    const files = logFiles(this.dir).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    return files.map((f) => `--- ${f} ---\n${readFileSync(f, 'utf8').slice(-chars)}`).join('\n');
  }
}

/** What a cluster left on the host: node network namespaces and the cluster bridge. */
export async function leftovers(): Promise<string[]> {
  const left: string[] = [];
  const netns = await exec('ip', ['netns', 'list']);
  for (const line of netns.stdout.split('\n')) if (/^skiff-node-/.test(line)) left.push(`netns ${line.split(' ')[0]}`);
  const link = await exec('ip', ['-o', 'link', 'show']);
  if (/: skiff-br0[:@]/.test(link.stdout)) left.push('link skiff-br0');
  return left;
}

/** Builds an image on the host's engine, as a user does before `skiff image load`. */
/** The images the suite built on the host's engine, removed again by removeBuiltImages. */
const built = new Set<string>();

export async function buildImage(tag: string, context: string): Promise<void> {
  built.add(tag);
  const r = await exec('docker', ['build', '-t', tag, context], { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(describeRun(`docker build -t ${tag} ${context}`, r));
}

export async function removeBuiltImages(): Promise<void> {
  if (built.size) await exec('docker', ['rmi', '-f', ...built], { timeoutMs: 60_000 });
  built.clear();
}

/** Whether a pid is a live process (gone, or a zombie, is not). */
export function processAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
