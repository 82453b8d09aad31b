import { describe, expect, it } from 'vitest';
import { canonicalTemplate, computeHash, equalIgnoreHash, fnv32a, safeEncodeString } from './hash.js';
import type { PodTemplateSpec } from './types.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A template as the apiserver stores it after defaulting. */
const stored = (image = 'nginx:1.25'): PodTemplateSpec => ({
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [{ name: 'web', image, imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: {},
    schedulerName: 'default-scheduler',
  },
});

describe('fnv32a', () => {
  it('matches the FNV-1a test vectors', () => {
    expect(fnv32a(enc(''))).toBe(0x811c9dc5);
    expect(fnv32a(enc('a'))).toBe(0xe40c292c);
    expect(fnv32a(enc('foobar'))).toBe(0xbf9cf968);
  });
});

describe('safeEncodeString', () => {
  it('maps each character into consonants and digits, keeping the length', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    expect(safeEncodeString('3977416546')).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
  });
});

describe('computeHash', () => {
  it('is stable and safe-encoded', () => {
    const h = computeHash(stored());
    expect(h).toBe(computeHash(stored()));
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('changes with the template and with the collision count', () => {
    expect(computeHash(stored('nginx:1.26'))).not.toBe(computeHash(stored()));
    expect(computeHash(stored(), 1)).not.toBe(computeHash(stored()));
    expect(computeHash(stored(), 0)).not.toBe(computeHash(stored(), 1));
  });

  it('ignores key order, nulls and empty values as Go structs do', () => {
    const t = stored();
    const shuffled: PodTemplateSpec = {
      spec: { ...t.spec, containers: [{ resources: { requests: { memory: '64Mi', cpu: '0.1' } }, ...t.spec.containers[0], env: [], stdin: false }], nodeSelector: null },
      metadata: { creationTimestamp: null, labels: { app: 'web' }, annotations: {} },
    };
    expect(computeHash(shuffled)).toBe(computeHash(t));
  });

  it('keeps label entries with empty values distinct from absent ones', () => {
    const withEmpty = stored();
    withEmpty.metadata!.labels = { app: 'web', tier: '' };
    expect(computeHash(withEmpty)).not.toBe(computeHash(stored()));
  });
});

describe('equalIgnoreHash', () => {
  it('matches the template kubectl rollout undo sends back to the old replica set', () => {
    const rsTemplate = stored();
    rsTemplate.metadata!.labels = { app: 'web', 'pod-template-hash': '7d4b9c' };
    // kubectl decodes the replica set into Go types, drops the hash label and re-encodes.
    const fromUndo: PodTemplateSpec = JSON.parse(JSON.stringify(stored()));
    fromUndo.metadata = { creationTimestamp: null, labels: { app: 'web' } };
    fromUndo.spec.containers[0].resources = { requests: { cpu: '100m', memory: '64Mi' } };
    expect(equalIgnoreHash(fromUndo, rsTemplate)).toBe(true);
    const bare = JSON.parse(JSON.stringify(fromUndo));
    delete bare.spec.containers[0].resources;
    bare.spec.containers[0].resources = {};
    const rsBare = JSON.parse(JSON.stringify(rsTemplate));
    delete rsBare.spec.containers[0].resources;
    expect(equalIgnoreHash(bare, rsBare)).toBe(true);
  });

  it('tells different images, quantities and annotations apart', () => {
    expect(equalIgnoreHash(stored('a'), stored('b'))).toBe(false);
    const more = stored();
    more.spec.containers[0].resources.requests.cpu = '200m';
    expect(equalIgnoreHash(more, stored())).toBe(false);
    const restarted = stored();
    restarted.metadata!.annotations = { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T10:00:00Z' };
    expect(equalIgnoreHash(restarted, stored())).toBe(false);
  });

  it('does not change the hash of a template by comparing it', () => {
    const t = stored();
    t.metadata!.labels!['pod-template-hash'] = 'x';
    const before = canonicalTemplate(t);
    equalIgnoreHash(t, stored());
    expect(canonicalTemplate(t)).toBe(before);
    expect(t.metadata!.labels!['pod-template-hash']).toBe('x');
  });
});
