// A set of equal-sized subnets carved out of a cluster CIDR (pkg/controller/nodeipam/ipam/
// cidrset): allocate the next free one, occupy one a node already has, release one.
// IPv4 only, as skiff's cluster network is single-stack.

export class CidrSetError extends Error {
  constructor(
    readonly code: 'InvalidCIDR' | 'RangeFull' | 'OutOfRange',
    message: string,
  ) {
    super(message);
    this.name = 'CidrSetError';
  }
}

export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "10.244.0.0/16" → base address (masked) and prefix length. */
export function parseCIDR(cidr: string): { base: number; prefix: number } {
  const [ip, len, ...rest] = cidr.split('/');
  const addr = parseIPv4(ip ?? '');
  const prefix = Number(len);
  if (addr === undefined || rest.length || !/^\d{1,2}$/.test(len ?? '') || prefix > 32) {
    throw new CidrSetError('InvalidCIDR', `invalid CIDR address: ${cidr}`);
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (addr & mask) >>> 0, prefix };
}

export class CidrSet {
  private readonly base: number;
  private readonly clusterPrefix: number;
  private readonly used: Uint8Array;
  private nextCandidate = 0;
  private allocated = 0;

  constructor(
    clusterCIDR: string,
    readonly nodeMaskSize: number,
  ) {
    const { base, prefix } = parseCIDR(clusterCIDR);
    if (nodeMaskSize < prefix || nodeMaskSize > 32) {
      throw new CidrSetError('InvalidCIDR', `node CIDR mask size /${nodeMaskSize} does not fit in cluster CIDR ${clusterCIDR}`);
    }
    if (nodeMaskSize - prefix > 16) {
      throw new CidrSetError('InvalidCIDR', `cluster CIDR ${clusterCIDR} holds too many /${nodeMaskSize} subnets (at most 2^16)`);
    }
    this.base = base;
    this.clusterPrefix = prefix;
    this.used = new Uint8Array(2 ** (nodeMaskSize - prefix));
  }

  get size(): number {
    return this.used.length;
  }

  get free(): number {
    return this.used.length - this.allocated;
  }

  private cidrOf(index: number): string {
    return `${formatIPv4((this.base + index * 2 ** (32 - this.nodeMaskSize)) >>> 0)}/${this.nodeMaskSize}`;
  }

  /** The next free subnet after the last one handed out, wrapping around. */
  allocateNext(): string {
    const n = this.used.length;
    for (let i = 0; i < n; i++) {
      const candidate = (this.nextCandidate + i) % n;
      if (!this.used[candidate]) {
        this.used[candidate] = 1;
        this.allocated++;
        this.nextCandidate = (candidate + 1) % n;
        return this.cidrOf(candidate);
      }
    }
    throw new CidrSetError('RangeFull', 'CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range');
  }

  /** The subnet indexes a CIDR covers (it may be larger or smaller than one node subnet). */
  private indexes(cidr: string): [number, number] {
    const { base, prefix } = parseCIDR(cidr);
    const clusterSize = 2 ** (32 - this.clusterPrefix);
    if (prefix < this.clusterPrefix || base < this.base || base >= this.base + clusterSize) {
      throw new CidrSetError('OutOfRange', `CIDR ${cidr} is outside the cluster CIDR ${this.cidrOf(0).split('/')[0]}/${this.clusterPrefix}`);
    }
    const step = 2 ** (32 - this.nodeMaskSize);
    const first = Math.floor((base - this.base) / step);
    const count = prefix >= this.nodeMaskSize ? 1 : 2 ** (this.nodeMaskSize - prefix);
    return [first, first + count];
  }

  /** Marks a subnet a node already has as used (idempotent). */
  occupy(cidr: string): void {
    const [from, to] = this.indexes(cidr);
    for (let i = from; i < to; i++) {
      if (!this.used[i]) this.allocated++;
      this.used[i] = 1;
    }
  }

  release(cidr: string): void {
    const [from, to] = this.indexes(cidr);
    for (let i = from; i < to; i++) {
      if (this.used[i]) this.allocated--;
      this.used[i] = 0;
    }
  }

  isUsed(cidr: string): boolean {
    const [from, to] = this.indexes(cidr);
    for (let i = from; i < to; i++) if (this.used[i]) return true;
    return false;
  }
}
