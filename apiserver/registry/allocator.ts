// ClusterIP and NodePort allocation from the apiserver's flag ranges. The allocated sets
// are derived from the stored Services at start, so nothing leaks across restarts; within
// a run they change only inside storage transactions, which are serialized, so two
// concurrent creates can never receive the same address or port.
import { cause, type StatusCause } from '../../shared/errors.js';

export function parseCidr(cidr: string): { base: number; size: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 30) throw new Error(`invalid CIDR ${JSON.stringify(cidr)} (prefix must be /8 to /30)`);
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const size = 2 ** (32 - bits);
  return { base: (addr & ~(size - 1)) >>> 0, size };
}

export function ipToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function ipToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export class ClusterIPAllocator {
  private readonly used = new Set<number>();
  private readonly base: number;
  private readonly size: number;

  constructor(
    readonly cidr: string,
    private readonly random: () => number = Math.random,
  ) {
    ({ base: this.base, size: this.size } = parseCidr(cidr));
  }

  /** The first usable address, kept for the `kubernetes` Service. */
  get first(): string {
    return ipToString(this.base + 1);
  }

  /** Marks an address as taken (restore at start); returns a cause if it can't be. */
  allocate(ip: string, field: string, reserve = true): StatusCause | undefined {
    const n = ipToNumber(ip);
    if (n === undefined) return cause.invalid(field, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    if (n <= this.base || n >= this.base + this.size - 1) {
      return cause.invalid(field, ip, `provided IP is not in the valid range. The range of valid IPs is ${this.cidr}`);
    }
    if (this.used.has(n)) return cause.invalid(field, ip, `provided IP is already allocated`);
    if (reserve) this.used.add(n);
    return undefined;
  }

  /**
   * A free address picked at random, as Kubernetes does; undefined when the range is full.
   * The first address is never handed out: it belongs to the `kubernetes` Service.
   */
  next(reserve = true): string | undefined {
    const usable = this.size - 3;
    const start = Math.floor(this.random() * usable);
    for (let i = 0; i < usable; i++) {
      const n = this.base + 2 + ((start + i) % usable);
      if (!this.used.has(n)) {
        if (reserve) this.used.add(n);
        return ipToString(n);
      }
    }
    return undefined;
  }

  release(ip: string | undefined): void {
    const n = ip ? ipToNumber(ip) : undefined;
    if (n !== undefined) this.used.delete(n);
  }

  has(ip: string): boolean {
    const n = ipToNumber(ip);
    return n !== undefined && this.used.has(n);
  }
}

export function parsePortRange(range: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(range);
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1 || max > 65535 || min > max) throw new Error(`invalid port range ${JSON.stringify(range)} (expected e.g. 30000-32767)`);
  return { min, max };
}

export class NodePortAllocator {
  private readonly used = new Set<number>();
  readonly min: number;
  readonly max: number;

  constructor(
    readonly range: string,
    private readonly random: () => number = Math.random,
  ) {
    ({ min: this.min, max: this.max } = parsePortRange(range));
  }

  allocate(port: number, field: string, reserve = true): StatusCause | undefined {
    if (!Number.isInteger(port) || port < this.min || port > this.max) {
      return cause.invalid(field, port, `provided port is not in the valid range. The range of valid ports is ${this.range}`);
    }
    if (this.used.has(port)) return cause.invalid(field, port, 'provided port is already allocated');
    if (reserve) this.used.add(port);
    return undefined;
  }

  next(reserve = true): number | undefined {
    const count = this.max - this.min + 1;
    if (this.used.size >= count) return undefined;
    const start = Math.floor(this.random() * count);
    for (let i = 0; i < count; i++) {
      const p = this.min + ((start + i) % count);
      if (!this.used.has(p)) {
        if (reserve) this.used.add(p);
        return p;
      }
    }
    return undefined;
  }

  release(port: number | undefined): void {
    if (port !== undefined) this.used.delete(port);
  }
}
