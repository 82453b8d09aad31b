// Malformed credentials against the secure port of a real apiserver: garbage bearer
// tokens, truncated and garbled ServiceAccount JWTs, wrong algorithms, huge tokens,
// client certificates from another CA and malformed Impersonate headers. Every answer is
// exactly the 401 / 400 / 403 Kubernetes gives, never a 5xx, and the server keeps serving.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecureCall } from '../support/https.js';
import { startSecureCluster, type SecureCluster } from '../support/secure-cluster.js';
import { mulberry32 as rng } from '../support/rng.js';


const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');

interface Case {
  name: string;
  o: SecureCall;
  want: number;
}

describe('secure port fuzz: malformed credentials', () => {
  let c: SecureCluster;
  let valid: string;

  beforeAll(async () => {
    c = await startSecureCluster();
    await c.insecure('POST', '/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fuzz' } });
    valid = (await c.insecure('POST', '/api/v1/namespaces/default/serviceaccounts/fuzz/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} })).status.token;
  }, 60_000);

  afterAll(async () => {
    await c?.api.cleanup();
    if (c) rmSync(c.dir, { recursive: true, force: true });
  });

  function cases(seed: number): Case[] {
    const r = rng(seed);
    const int = (n: number) => Math.floor(r() * n);
    const printable = (n: number) => Array.from({ length: n }, () => String.fromCharCode(0x21 + int(0x5e))).join('');
    const out: Case[] = [];
    const token = (name: string, t: string) => out.push({ name, o: { token: t }, want: 401 });
    for (let i = 0; i < 200; i++) token(`garbage printable ${i}`, printable(1 + int(200)));
    for (let i = 0; i < 100; i++) token(`garbage base64 ${i}`, b64u(Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256)))));
    for (let i = 0; i < 60; i++) token(`three dotted parts ${i}`, `${printable(1 + int(40)).replace(/\./g, '')}.${b64u(printable(int(80)))}.${printable(int(60))}`);
    for (let i = 0; i < 50; i++) token(`bootstrap-shaped ${i}`, `${printable(6).toLowerCase().replace(/[^a-z0-9]/g, 'a')}.${'0123456789abcdef'.slice(0, 16)}`);
    for (let i = 0; i < 200; i++) token(`truncated JWT ${i}`, valid.slice(0, int(valid.length - 1)));
    const [h, p, s] = valid.split('.') as [string, string, string];
    for (let i = 0; i < 200; i++) {
      const at = int(p.length - 1);
      const ch = p[at] === 'A' ? 'B' : 'A';
      token(`garbled payload ${i}`, `${h}.${p.slice(0, at)}${ch}${p.slice(at + 1)}.${s}`);
    }
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    for (let i = 0; i < 100; i++) {
      const alg = ['none', 'HS256', 'RS512', 'ES256', 'PS256', '', 'rs256'][i % 7]!;
      const sig = i % 2 ? '' : b64u(printable(1 + int(64)));
      token(`alg ${JSON.stringify(alg)} ${i}`, `${b64u(JSON.stringify({ alg, kid: 'x' }))}.${b64u(JSON.stringify(claims))}.${sig}`);
    }
    for (let i = 0; i < 40; i++) token(`huge token ${i}`, printable(4000 + int(8000)));
    for (let i = 0; i < 100; i++) out.push({ name: `client cert from another CA ${i}`, o: { cert: c.certs.foreign }, want: 401 });
    for (let i = 0; i < 100; i++) {
      const admin = { cert: c.certs.admin };
      const variants: Case[] = [
        { name: 'group without user', o: { ...admin, headers: { 'Impersonate-Group': printable(8) } }, want: 400 },
        { name: 'uid without user', o: { ...admin, headers: { 'Impersonate-Uid': printable(8) } }, want: 400 },
        { name: 'extra without user', o: { ...admin, headers: { [`Impersonate-Extra-${printable(5).replace(/[^a-z]/gi, 'k')}`]: 'v' } }, want: 400 },
        { name: 'bad escape in an extra key', o: { ...admin, headers: { 'Impersonate-User': 'u', 'Impersonate-Extra-%zz': 'v' } }, want: 400 },
        { name: 'malformed ServiceAccount user (a plain user then)', o: { cert: c.certs.viewer, headers: { 'Impersonate-User': `system:serviceaccount:${printable(4).replace(/:/g, '')}` } }, want: 403 },
        { name: 'anonymous impersonating', o: { headers: { 'Impersonate-User': printable(10) } }, want: 403 },
        { name: 'viewer impersonating a group', o: { cert: c.certs.viewer, headers: { 'Impersonate-User': 'viewer', 'Impersonate-Group': 'system:masters' } }, want: 403 },
      ];
      const v = variants[i % variants.length]!;
      out.push({ ...v, name: `${v.name} ${i}` });
    }
    return out;
  }

  it('answers at least 1,000 malformed credentials with 401, 400 or 403, never a 5xx, and keeps serving', async () => {
    const all = cases(20261122);
    expect(all.length).toBeGreaterThanOrEqual(1000);
    const wrong: string[] = [];
    const counts: Record<number, number> = {};
    for (let i = 0; i < all.length; i += 25) {
      await Promise.all(all.slice(i, i + 25).map(async (k) => {
        const res = await c.call('GET', '/api/v1/namespaces', k.o);
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        if (res.status !== k.want) wrong.push(`${k.name}: got ${res.status}, want ${k.want}: ${res.text.slice(0, 200)}`);
      }));
    }
    expect(wrong).toEqual([]);
    expect(Object.keys(counts).filter((code) => Number(code) >= 500)).toEqual([]);
    expect((await c.call('GET', '/api/v1/namespaces', { cert: c.certs.admin })).status).toBe(200);
    expect((await c.call('GET', '/api/v1/namespaces', { token: valid })).status).toBe(403);
  }, 120_000);
});
