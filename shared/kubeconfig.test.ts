import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionFromFlags, KubeconfigError, loadKubeconfig, renderKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubeconfig', () => {
  it('reads the current context\'s server, says what is missing', () => {
    const path = join(dir, 'two');
    writeFileSync(path, 'apiVersion: v1\nkind: Config\ncurrent-context: b\ncontexts:\n- {name: a, context: {cluster: one}}\n- {name: b, context: {cluster: two}}\nclusters:\n- {name: one, cluster: {server: "http://127.0.0.1:1"}}\n- {name: two, cluster: {server: "http://127.0.0.1:2"}}\n');
    expect(loadKubeconfig(path)).toEqual({ server: 'http://127.0.0.1:2' });
    writeFileSync(path, 'current-context: nope\ncontexts: []\n');
    expect(() => loadKubeconfig(path)).toThrow(KubeconfigError);
    expect(() => loadKubeconfig(join(dir, 'missing'))).toThrow(/reading kubeconfig/);
  });

  it('reads back what it writes: CA, client certificate and key inline, or a token', () => {
    const path = join(dir, 'admin');
    const conn = { server: 'https://10.250.0.1:6443', ca: 'CA PEM\n', cert: 'CERT PEM\n', key: 'KEY PEM\n' };
    writeFileSync(path, renderKubeconfig(conn));
    expect(loadKubeconfig(path)).toEqual(conn);
    writeFileSync(path, renderKubeconfig({ server: 'https://x:6443', token: 'abc.def' }, 'robot'));
    expect(loadKubeconfig(path)).toEqual({ server: 'https://x:6443', token: 'abc.def' });
  });

  it('reads file references relative to the kubeconfig, and refuses a certificate without its key', () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    writeFileSync(join(dir, 'me.crt'), 'C');
    const path = join(dir, 'files');
    writeFileSync(path, 'current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: "https://h", certificate-authority: ca.crt}}]\nusers: [{name: u, user: {client-certificate: me.crt}}]\n');
    expect(() => loadKubeconfig(path)).toThrow(/certificate without its key/);
    writeFileSync(path, 'current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: "https://h", certificate-authority: nope.crt}}]\nusers: [{name: u, user: {}}]\n');
    expect(() => loadKubeconfig(path)).toThrow(/certificate-authority .*nope\.crt/);
  });

  it('--server when there is no --kubeconfig', () => {
    expect(connectionFromFlags({ kubeconfig: '', server: 'http://127.0.0.1:9' })).toEqual({ server: 'http://127.0.0.1:9' });
  });
});
