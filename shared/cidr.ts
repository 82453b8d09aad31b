// Address ranges given on the command line.

/** The addresses of a pool given as a CIDR (network and broadcast excluded) or a list a,b,c. */
export function poolAddresses(spec: string): string[] {
  if (!spec) return [];
  if (!spec.includes('/')) return spec.split(',').map((s) => s.trim()).filter(Boolean);
  const [base, bitsS] = spec.split('/');
  const bits = Number(bitsS);
  const parts = base!.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255)) || !(bits >= 16 && bits <= 32)) throw new Error(`--lb-ip-pool: not a CIDR of /16 to /32: ${spec}`);
  const start = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const size = 2 ** (32 - bits);
  const net = start - (start % size);
  const out: string[] = [];
  const first = size > 2 ? 1 : 0;
  const last = size > 2 ? size - 2 : size - 1;
  for (let i = first; i <= last; i++) {
    const v = net + i;
    out.push([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.'));
  }
  return out;
}
