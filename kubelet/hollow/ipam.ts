// Pod IPs of a hollow node, handed out in order from its podCIDR as the host-local IPAM
// plugin does (network and gateway .1 skipped, then the next free address after the last
// one given), released when the pod goes away. A node IPAM has not served yet takes
// addresses from a pool shared by the whole process.

export class PodIPRangeFull extends Error {
  constructor(cidr: string) {
    super(`no free pod IP left in ${cidr}`);
    this.name = 'PodIPRangeFull';
  }
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function toIP(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class PodIPRange {
  private readonly base: number;
  private readonly size: number;
  private readonly used = new Set<number>();
  private next = 2;

  constructor(readonly cidr: string) {
    const [ip, len] = cidr.split('/');
    const prefix = Number(len);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip ?? '') || !(prefix >= 8 && prefix <= 30)) throw new Error(`unusable pod CIDR ${cidr}`);
    this.size = 2 ** (32 - prefix);
    this.base = toNumber(ip!) - (toNumber(ip!) % this.size);
  }

  contains(ip: string): boolean {
    const n = toNumber(ip);
    return n >= this.base && n < this.base + this.size;
  }

  allocate(): string {
    // Offsets 0 (network), 1 (gateway) and size-1 (broadcast) are never handed out.
    const usable = this.size - 3;
    for (let i = 0; i < usable; i++) {
      const offset = 2 + ((this.next - 2 + i) % usable);
      if (!this.used.has(offset)) {
        this.used.add(offset);
        this.next = offset + 1 >= this.size - 1 ? 2 : offset + 1;
        return toIP(this.base + offset);
      }
    }
    throw new PodIPRangeFull(this.cidr);
  }

  occupy(ip: string): void {
    if (this.contains(ip)) this.used.add(toNumber(ip) - this.base);
  }

  release(ip: string): void {
    if (this.contains(ip)) this.used.delete(toNumber(ip) - this.base);
  }

  get inUse(): number {
    return this.used.size;
  }
}

/** Every hollow node's pod IPs: by podCIDR once the node has one, else from the fallback pool. */
export class HollowIPAM {
  private readonly ranges = new Map<string, PodIPRange>();
  private readonly fallback: PodIPRange;
  /** The IP each pod holds, by pod uid, and the range it came from. */
  private readonly byPod = new Map<string, { ip: string; range: PodIPRange }>();

  constructor(fallbackCIDR: string) {
    this.fallback = new PodIPRange(fallbackCIDR);
  }

  private rangeFor(podCIDR: string | undefined): PodIPRange {
    if (!podCIDR) return this.fallback;
    let r = this.ranges.get(podCIDR);
    if (!r) this.ranges.set(podCIDR, (r = new PodIPRange(podCIDR)));
    return r;
  }

  /** The pod's IP: the one it holds, or the next free one of its node's range. */
  allocate(uid: string, podCIDR: string | undefined): string {
    const held = this.byPod.get(uid);
    if (held) return held.ip;
    const range = this.rangeFor(podCIDR);
    const ip = range.allocate();
    this.byPod.set(uid, { ip, range });
    return ip;
  }

  /** Records an IP a pod already reports (after a restart of the hollow kubelet). */
  occupy(uid: string, ip: string, podCIDR: string | undefined): void {
    if (this.byPod.has(uid)) return;
    const own = podCIDR ? this.rangeFor(podCIDR) : undefined;
    const range = own?.contains(ip) ? own : this.fallback.contains(ip) ? this.fallback : undefined;
    if (!range) return;
    range.occupy(ip);
    this.byPod.set(uid, { ip, range });
  }

  release(uid: string): void {
    const held = this.byPod.get(uid);
    if (!held) return;
    held.range.release(held.ip);
    this.byPod.delete(uid);
  }

  holds(uid: string): boolean {
    return this.byPod.has(uid);
  }
}
