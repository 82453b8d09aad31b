import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import { jsonPatch } from './json.js';
import { mergePatch } from './merge.js';
import { listStrategy, strategicMerge, strategicMergePatch } from './strategic.js';

type Obj = Record<string, unknown>;

/** The ApiError thrown by fn, or a failed expectation. */
function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

function deployment(containers: unknown[]): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', annotations: { keep: 'me' } },
    spec: { replicas: 2, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } },
  };
}

const podSpec = (obj: Obj) => ((obj.spec as Obj).template as Obj).spec as Obj;

describe('mergePatch (RFC 7386)', () => {
  it('merges objects recursively and deletes keys set to null', () => {
    const target = { a: 1, b: { c: 2, d: 3 }, e: [1, 2] };
    const patch = { a: null, b: { c: null, x: 'y' }, e: [3], f: { g: null, h: 1 } };
    expect(mergePatch(target, patch)).toEqual({ b: { d: 3, x: 'y' }, e: [3], f: { h: 1 } });
  });

  it('replaces the target with a non-object patch', () => {
    expect(mergePatch({ a: 1 }, [1, 2])).toEqual([1, 2]);
    expect(mergePatch({ a: 1 }, 'x')).toBe('x');
    expect(mergePatch([1], { a: 1 })).toEqual({ a: 1 });
  });

  it('does not mutate its inputs or share structure with the result', () => {
    const target = { a: { b: 1 }, keep: { deep: [1] } };
    const patch = { a: { c: { d: 1 } } };
    const result = mergePatch(target, patch) as Obj;
    expect(target).toEqual({ a: { b: 1 }, keep: { deep: [1] } });
    expect(patch).toEqual({ a: { c: { d: 1 } } });
    expect(result.keep).not.toBe(target.keep);
    expect((result.a as Obj).c).not.toBe(patch.a.c);
  });

  it('stores a "__proto__" key as data', () => {
    const result = mergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Obj;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(['__proto__']);
  });
});

describe('jsonPatch (RFC 6902)', () => {
  const doc = { metadata: { labels: { 'a/b': '1', 'c~d': '2' } }, spec: { list: [1, 2, 3], replicas: 1 } };

  it('applies add, remove, replace, move, copy and test in order', () => {
    const result = jsonPatch(doc, [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/list/1', value: 9 },
      { op: 'add', path: '/spec/list/-', value: 4 },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'copy', from: '/spec/list', path: '/spec/copy' },
      { op: 'move', from: '/spec/replicas', path: '/spec/count' },
      { op: 'add', path: '/spec/obj', value: { x: 1 } },
    ]);
    expect(result).toEqual({
      metadata: { labels: { 'a/b': '1', 'c~d': '2' } },
      spec: { list: [9, 2, 3, 4], copy: [9, 2, 3, 4], count: 3, obj: { x: 1 } },
    });
    expect(doc.spec).toEqual({ list: [1, 2, 3], replicas: 1 });
  });

  it('unescapes ~1 and ~0 in pointers', () => {
    const result = jsonPatch(doc, [
      { op: 'remove', path: '/metadata/labels/a~1b' },
      { op: 'replace', path: '/metadata/labels/c~0d', value: 'x' },
    ]) as Obj;
    expect((result.metadata as Obj).labels).toEqual({ 'c~d': 'x' });
  });

  it('replaces the whole document at the empty path', () => {
    expect(jsonPatch(doc, [{ op: 'replace', path: '', value: { a: 1 } }])).toEqual({ a: 1 });
  });

  it('compares test values structurally', () => {
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/metadata', value: { labels: { 'c~d': '2', 'a/b': '1' } } }])).not.toThrow();
  });

  it('fails a test that does not match with 422 Invalid naming op and path', () => {
    const err = thrown(() => jsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 2 }]));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toContain('test');
    expect(err.message).toContain('/spec/replicas');
  });

  it.each([
    ['a missing path', [{ op: 'remove', path: '/spec/nope' }]],
    ['a missing parent', [{ op: 'add', path: '/nope/x', value: 1 }]],
    ['an index out of range', [{ op: 'add', path: '/spec/list/4', value: 1 }]],
    ['replace at an index out of range', [{ op: 'replace', path: '/spec/list/3', value: 1 }]],
    ['a non-numeric index', [{ op: 'remove', path: '/spec/list/x' }]],
    ['a move into its own child', [{ op: 'move', from: '/spec', path: '/spec/inner' }]],
  ])('rejects %s with 422', (_, ops) => {
    expect(thrown(() => jsonPatch(doc, ops)).code).toBe(422);
  });

  it.each([
    ['a non-array body', { op: 'add', path: '/a', value: 1 }],
    ['a missing op', [{ path: '/a', value: 1 }]],
    ['an unknown op', [{ op: 'frobnicate', path: '/a' }]],
    ['a non-string path', [{ op: 'remove', path: 3 }]],
    ['a pointer without leading slash', [{ op: 'remove', path: 'spec' }]],
    ['a missing value', [{ op: 'add', path: '/a' }]],
    ['a missing from', [{ op: 'copy', path: '/a' }]],
  ])('rejects %s with 400', (_, ops) => {
    const err = thrown(() => jsonPatch(doc, ops));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
  });

  it('checks the form of every operation before applying any', () => {
    const live = { a: 1 };
    expect(thrown(() => jsonPatch(live, [{ op: 'replace', path: '/a', value: 2 }, { op: 'bogus' }])).code).toBe(400);
    expect(live).toEqual({ a: 1 });
  });
});

describe('strategicMergePatch', () => {
  it('applies the body kubectl apply sends for a changed image: image changes, ports stay', () => {
    const original = deployment([{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }]);
    const patch = JSON.parse(
      '{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"..."}},' +
        '"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.26","name":"web"}]}}}}',
    );
    const result = strategicMergePatch(original, patch);
    expect(podSpec(result).containers).toEqual([{ name: 'web', image: 'nginx:1.26', ports: [{ containerPort: 80 }] }]);
    expect((result.metadata as Obj).annotations).toEqual({ keep: 'me', 'kubectl.kubernetes.io/last-applied-configuration': '...' });
    expect((result.spec as Obj).replicas).toBe(2);
    expect(JSON.stringify(result)).not.toContain('$setElementOrder');
    expect(podSpec(original).containers).toEqual([{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }]);
  });

  it('merges env by name inside a container merged by name', () => {
    const original = deployment([{ name: 'web', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }]);
    const patch = { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: '3' }] }] } } } };
    const env = (podSpec(strategicMergePatch(original, patch)).containers as Obj[])[0].env;
    expect(env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '3' }]);
  });

  it('resolves pod templates under a CronJob like a Pod spec', () => {
    const cron = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } } } } };
    const patch = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'z' }] } } } } } };
    const result = strategicMergePatch(cron, patch) as any;
    expect(result.spec.jobTemplate.spec.template.spec.containers).toEqual([{ name: 'a', image: 'x' }, { name: 'b', image: 'z' }]);
    expect(listStrategy(['spec', 'containers'])).toEqual({ mergeKey: 'name' });
    expect(listStrategy(['spec', 'template', 'spec', 'containers', 'ports'])).toEqual({ mergeKey: 'containerPort' });
    expect(listStrategy(['spec', 'ports'])).toEqual({ mergeKey: 'port' });
    expect(listStrategy(['spec', 'tolerations'])).toBeUndefined();
    expect(listStrategy(['status', 'containerStatuses'])).toBeUndefined();
  });

  it('removes a list item marked $patch: delete', () => {
    const original = deployment([{ name: 'web' }, { name: 'sidecar' }]);
    const patch = { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } };
    expect(podSpec(strategicMergePatch(original, patch)).containers).toEqual([{ name: 'web' }]);
  });

  it('replaces a whole merging list with a $patch: replace item', () => {
    const original = deployment([{ name: 'web', image: 'a' }, { name: 'sidecar' }]);
    const patch = { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'new', image: 'b' }] } } } };
    expect(podSpec(strategicMergePatch(original, patch)).containers).toEqual([{ name: 'new', image: 'b' }]);
  });

  it('places a new item before the server items when no order is given, as apimachinery does', () => {
    const original = deployment([{ name: 'a' }, { name: 'b' }]);
    const patch = { spec: { template: { spec: { containers: [{ name: 'c' }] } } } };
    expect(podSpec(strategicMergePatch(original, patch)).containers).toEqual([{ name: 'c' }, { name: 'a' }, { name: 'b' }]);
  });

  it('orders the result by $setElementOrder', () => {
    const original = deployment([{ name: 'a' }, { name: 'b' }]);
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }, { name: 'c' }], containers: [{ name: 'c' }] } } } };
    expect(podSpec(strategicMergePatch(original, patch)).containers).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const reorder = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } } } };
    expect(podSpec(strategicMergePatch(original, reorder)).containers).toEqual([{ name: 'b' }, { name: 'a' }]);
  });

  it('rejects a patch list whose order contradicts $setElementOrder', () => {
    const original = deployment([{ name: 'a' }, { name: 'b' }]);
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b' }, { name: 'a' }] } } } };
    expect(thrown(() => strategicMergePatch(original, patch)).code).toBe(400);
  });

  it('unions metadata.finalizers and removes with $deleteFromPrimitiveList', () => {
    const original = { metadata: { name: 'x', finalizers: ['a', 'b'] } };
    const added = strategicMergePatch(original, { metadata: { finalizers: ['b', 'c'] } });
    expect([...((added.metadata as Obj).finalizers as string[])].sort()).toEqual(['a', 'b', 'c']);
    const removed = strategicMergePatch(original, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
    expect(removed.metadata).toEqual({ name: 'x', finalizers: ['b'] });
  });

  it('keeps only the fields named by $retainKeys', () => {
    const original = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } };
    expect(strategicMergePatch(original, patch)).toEqual({ spec: { strategy: { type: 'Recreate' } } });
    const bad = { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } };
    expect(thrown(() => strategicMergePatch(original, bad)).code).toBe(400);
  });

  it('honours $retainKeys on a volume merged by name', () => {
    const pod = { spec: { volumes: [{ name: 'data', emptyDir: {} }, { name: 'other', emptyDir: {} }] } };
    const patch = { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } };
    expect((strategicMergePatch(pod, patch).spec as Obj).volumes).toEqual([
      { name: 'data', hostPath: { path: '/x' } },
      { name: 'other', emptyDir: {} },
    ]);
  });

  it('replaces atomic lists such as tolerations and args', () => {
    const pod = { spec: { tolerations: [{ key: 'a' }, { key: 'b' }], containers: [{ name: 'c', args: ['1', '2'] }] } };
    const result = strategicMergePatch(pod, { spec: { tolerations: [{ key: 'c' }], containers: [{ name: 'c', args: ['3'] }] } });
    expect(result.spec).toEqual({ tolerations: [{ key: 'c' }], containers: [{ name: 'c', args: ['3'] }] });
  });

  it('merges Service ports by port and conditions by type', () => {
    const svc = { spec: { ports: [{ port: 80, name: 'http' }, { port: 443 }] }, status: { conditions: [{ type: 'A', status: 'False' }] } };
    const result = strategicMergePatch(svc, { spec: { ports: [{ port: 443, name: 'https' }] }, status: { conditions: [{ type: 'A', status: 'True' }] } });
    expect((result.spec as Obj).ports).toEqual([{ port: 80, name: 'http' }, { port: 443, name: 'https' }]);
    expect((result.status as Obj).conditions).toEqual([{ type: 'A', status: 'True' }]);
  });

  it('deletes keys set to null and handles $patch on maps', () => {
    const original = { metadata: { labels: { a: '1', b: '2' } }, spec: { selector: { x: '1', y: '2' }, nodeSelector: { z: '1' } } };
    const patch = { metadata: { labels: { a: null } }, spec: { selector: { $patch: 'replace', q: '1' }, nodeSelector: { $patch: 'delete' } } };
    expect(strategicMergePatch(original, patch)).toEqual({ metadata: { labels: { b: '2' } }, spec: { selector: { q: '1' }, nodeSelector: {} } });
  });

  it('strips directives and nulls from values the original did not have', () => {
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', env: [{ name: 'X', value: null }] }] } }, extra: { $patch: 'delete' } } };
    expect(strategicMergePatch({}, patch)).toEqual({ spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'X' }] }] } } } });
  });

  it('does not mutate its inputs', () => {
    const original = deployment([{ name: 'web', env: [{ name: 'A', value: '1' }] }]);
    const patch = { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }] }] } } } };
    const before = [structuredClone(original), structuredClone(patch)];
    strategicMergePatch(original, patch);
    expect([original, patch]).toEqual(before);
  });

  it.each([
    ['an unknown $patch on a map', { spec: { $patch: 'explode' } }],
    ['an unknown $patch in a list', { spec: { containers: [{ name: 'a', $patch: 'explode' }] } }],
    ['a list item without its merge key', { spec: { containers: [{ image: 'x' }] } }],
    ['$retainKeys that is not a list', { spec: { $retainKeys: 'a' } }],
    ['$setElementOrder that is not a list', { spec: { '$setElementOrder/containers': 'a' } }],
    ['$deleteFromPrimitiveList of objects', { metadata: { '$deleteFromPrimitiveList/finalizers': [{ a: 1 }] } }],
  ])('rejects %s with 400', (_, patch) => {
    const pod = { metadata: { finalizers: ['f'] }, spec: { containers: [{ name: 'a' }] } };
    expect(thrown(() => strategicMergePatch(pod, patch)).code).toBe(400);
  });

  it('merges without directives or null deletion for server-side apply', () => {
    const original = deployment([{ name: 'web', image: 'a', ports: [{ containerPort: 80 }] }]);
    const applied = { metadata: { annotations: { keep: null } }, spec: { template: { spec: { $retainKeys: ['x'], containers: [{ name: 'web', image: 'b', $patch: 'delete' }] } } } };
    const result = strategicMerge(original, applied, { directives: false });
    expect((result.metadata as Obj).annotations).toEqual({ keep: 'me' });
    expect(podSpec(result).containers).toEqual([{ name: 'web', image: 'b', ports: [{ containerPort: 80 }] }]);
  });
});
