import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCA, createClientCert, createServingCert } from './pki.js';

describe('pki (openssl)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ca = createCA(dir);
  const caCert = new X509Certificate(readFileSync(ca.cert));

  it('creates a self-signed CA', () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toBe('CN=kubernetes');
  });

  it('signs the apiserver serving certificate for the in-cluster names, 127.0.0.1, the first service IP and extra SANs', () => {
    const cert = new X509Certificate(readFileSync(createServingCert(dir, ca, ['10.0.0.5', 'api.example.com']).cert));
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(cert.checkIP('10.0.0.5')).toBe('10.0.0.5');
    for (const host of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'api.example.com']) {
      expect(cert.checkHost(host)).toBe(host);
    }
  });

  it('signs client certificates with CN = user and one O per group', () => {
    const cert = new X509Certificate(readFileSync(createClientCert(dir, ca, 'node', 'system:node:n1', ['system:nodes', 'extra/group']).cert));
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subject.split('\n')).toEqual(['O=system:nodes', 'O=extra/group', 'CN=system:node:n1']);
  });
});
