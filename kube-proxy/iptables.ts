// kube-proxy's only door to netfilter: `iptables-restore --noflush` for whole sets of chains
// (one atomic transaction), `iptables-save` to find leftover chains at start-up, and
// check-then-insert for the jump rules from the built-in chains. Behind an interface so
// that unit tests use a fake (STYLE.md 5).
import { spawn } from 'node:child_process';

export type Table = 'nat' | 'filter';

export interface Iptables {
  /** Applies an iptables-restore payload with --noflush: atomic, all or nothing. */
  restore(payload: string): Promise<void>;
  /** The table as `iptables-save -t TABLE` prints it. */
  save(table: Table): Promise<string>;
  /**
   * Makes sure the jump rules exist and come first in the chain (after Docker's DOCKER-USER
   * jump), moving them back in front when something (Docker creating a network) inserted
   * rules before them. True when it had to change the chain.
   */
  ensureJumps(table: Table, chain: string, rules: string[][]): Promise<boolean>;
  /** Deletes every copy of a rule; no error when there is none. */
  deleteRule(table: Table, chain: string, rule: string[]): Promise<void>;
}

export class IptablesError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'IptablesError';
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {
      // The exit code and stderr say what went wrong; an EPIPE here adds nothing.
    });
    child.stdin.end(input ?? '');
  });
}

/** The real iptables binaries of this host (or of the network namespace the process runs in). */
export class ExecIptables implements Iptables {
  constructor(private readonly bin = { iptables: 'iptables', restore: 'iptables-restore', save: 'iptables-save' }) {}

  async restore(payload: string): Promise<void> {
    const r = await run(this.bin.restore, ['-w', '5', '--noflush'], payload);
    if (r.code !== 0) throw new IptablesError(`iptables-restore failed (exit ${r.code}): ${firstLines(r.stderr)}`, r.stderr);
  }

  async save(table: Table): Promise<string> {
    const r = await run(this.bin.save, ['-t', table]);
    if (r.code !== 0) throw new IptablesError(`iptables-save -t ${table} failed (exit ${r.code}): ${firstLines(r.stderr)}`, r.stderr);
    return r.stdout;
  }

  async ensureJumps(table: Table, chain: string, rules: string[][]): Promise<boolean> {
    const listed = await run(this.bin.iptables, ['-w', '5', '-t', table, '-S', chain]);
    if (listed.code !== 0) throw new IptablesError(`iptables -t ${table} -S ${chain} failed: ${firstLines(listed.stderr)}`, listed.stderr);
    const lines = listed.stdout.split('\n').filter((l) => l.startsWith('-A '));
    const targets = rules.map((r) => r[r.length - 1]!);
    const isOurs = (l: string) => targets.some((t) => l.endsWith(` -j ${t}`));
    const userJump = `-A ${chain} -j DOCKER-USER`;
    // In place: every jump present, and nothing but DOCKER-USER before any of them.
    const firstForeign = lines.findIndex((l) => !isOurs(l) && l !== userJump);
    const ours = lines.filter(isOurs);
    const lastOurs = lines.findLastIndex(isOurs);
    if (ours.length === rules.length && (firstForeign < 0 || lastOurs < firstForeign)) return false;
    for (const r of rules) await this.deleteRule(table, chain, r);
    const after = (await run(this.bin.iptables, ['-w', '5', '-t', table, '-S', chain])).stdout.split('\n').filter((l) => l.startsWith('-A '));
    // First in the chain, but after Docker's DOCKER-USER jump: the admin's policy there (on
    // these machines, the drop of anything forwarded to an uplink) keeps precedence.
    const position = after.indexOf(userJump) >= 0 ? after.indexOf(userJump) + 2 : 1;
    for (const r of [...rules].reverse()) {
      const ins = await run(this.bin.iptables, ['-w', '5', '-t', table, '-I', chain, String(position), ...r]);
      if (ins.code !== 0) throw new IptablesError(`iptables -t ${table} -I ${chain} ${r.join(' ')} failed: ${firstLines(ins.stderr)}`, ins.stderr);
    }
    return true;
  }

  async deleteRule(table: Table, chain: string, rule: string[]): Promise<void> {
    for (let i = 0; i < 16; i++) {
      const r = await run(this.bin.iptables, ['-w', '5', '-t', table, '-D', chain, ...rule]);
      if (r.code !== 0) return;
    }
  }
}

function firstLines(s: string): string {
  return s.trim().split('\n').slice(0, 3).join(' | ');
}

/** Chain names declared in an iptables-save dump (`:NAME POLICY [p:b]`). */
export function chainsIn(dump: string): string[] {
  const out: string[] = [];
  for (const line of dump.split('\n')) if (line.startsWith(':')) out.push(line.slice(1).split(' ')[0]!);
  return out;
}
