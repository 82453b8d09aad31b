import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAuthenticationConfig } from './authentication-config.js';
import { RequestAuthenticator } from './authentication.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-authn-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (text: string) => {
  const p = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, text);
  return p;
};
const HEAD = 'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\n';

describe('--authentication-config anonymous', () => {
  it('lets anonymous requests through on the listed paths only; everything else is 401', async () => {
    const policy = readAuthenticationConfig(file(`${HEAD}anonymous:\n  enabled: true\n  conditions: [{path: /healthz}, {path: /version}]\n`));
    expect(policy).toEqual({ paths: ['/healthz', '/version'] });
    const a = new RequestAuthenticator({ clientCertificates: false, tokens: [], anonymous: policy });
    const req = (path: string) => ({ headers: {}, socket: undefined, path });
    expect(await a.authenticate(req('/healthz'))).toEqual({ name: 'system:anonymous', groups: ['system:unauthenticated'] });
    await expect(a.authenticate(req('/api/v1/pods'))).rejects.toMatchObject({ code: 401 });
    await expect(a.authenticate(req('/healthz/etcd'))).rejects.toMatchObject({ code: 401 });
  });

  it('enabled without conditions is --anonymous-auth=true, disabled is false', () => {
    expect(readAuthenticationConfig(file(`${HEAD}anonymous: {enabled: true}\n`))).toBe(true);
    expect(readAuthenticationConfig(file(`${HEAD}anonymous: {enabled: false}\n`))).toBe(false);
    expect(readAuthenticationConfig(file(HEAD))).toBe(true);
  });

  it('refuses a bad file naming the field', () => {
    expect(() => readAuthenticationConfig(file(`${HEAD}anonymous: {enabled: false, conditions: [{path: /healthz}]}\n`))).toThrow(/anonymous.conditions: Invalid value: enabled should be set to true/);
    expect(() => readAuthenticationConfig(file(`${HEAD}anonymous: {enabled: true, conditions: [{path: healthz}]}\n`))).toThrow(/anonymous.conditions\[0\].path/);
    expect(() => readAuthenticationConfig(file(`${HEAD}jwt: []\n`))).toThrow(/jwt: not supported/);
    expect(() => readAuthenticationConfig(file('kind: Config\n'))).toThrow(/kind: must be AuthenticationConfiguration/);
    expect(() => readAuthenticationConfig(join(dir, 'missing'))).toThrow(/--authentication-config/);
  });
});
