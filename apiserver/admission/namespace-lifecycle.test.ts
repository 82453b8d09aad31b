import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../shared/errors.js';
import { attrs, FakeContext, namespace, pod, resource } from './fake.test-helper.js';
import type { Operation } from './interface.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';

const ctx = new FakeContext([namespace('ns'), namespace('going', {}, 'Terminating'), namespace('default'), namespace('kube-system'), namespace('kube-public'), namespace('scratch')]);
const plugin = namespaceLifecycle(ctx);
const pods = resource('pods');
const namespaces = resource('namespaces');

function outcome(fn: () => void): string {
  try {
    fn();
    return 'allowed';
  } catch (err) {
    const e = err as ApiError;
    return `${e.code} ${e.message}`;
  }
}

describe('NamespaceLifecycle', () => {
  it.each<[string, Operation, string, string]>([
    ['a create in an active namespace', 'CREATE', 'ns', 'allowed'],
    ['a create in a missing namespace', 'CREATE', 'nope', '404 namespaces "nope" not found'],
    ['an update in a missing namespace', 'UPDATE', 'nope', '404 namespaces "nope" not found'],
    ['a create in a terminating namespace', 'CREATE', 'going', '403 pods "p" is forbidden: unable to create new content in namespace going because it is being terminated'],
    ['an update in a terminating namespace', 'UPDATE', 'going', 'allowed'],
    ['a delete in a terminating namespace', 'DELETE', 'going', 'allowed'],
    ['a delete in a missing namespace', 'DELETE', 'nope', 'allowed'],
  ])('%s', (_name, op, ns, want) => {
    const p = pod('p', {}, { namespace: ns });
    const a = attrs(op, pods, op === 'DELETE' ? undefined : p, { namespace: ns, ...(op === 'DELETE' ? { oldObject: p } : {}) });
    expect(outcome(() => plugin.validate!(a))).toBe(want);
  });

  it('names the namespace being terminated in a status cause', () => {
    try {
      plugin.validate!(attrs('CREATE', pods, pod('', {}, { namespace: 'going', generateName: 'web-' }), { namespace: 'going' }));
      expect.unreachable();
    } catch (err) {
      const e = err as ApiError;
      // The name is not drawn yet: the message shows the prefix, as kube-apiserver's.
      expect(e.message).toMatch(/^pods "web-" is forbidden/);
      expect(e.details?.causes).toEqual([{ reason: 'NamespaceTerminating', message: 'namespace going is being terminated', field: 'metadata.namespace' }]);
    }
  });

  it.each([
    ['default', '403 namespaces "default" is forbidden: this namespace may not be deleted'],
    ['kube-system', '403 namespaces "kube-system" is forbidden: this namespace may not be deleted'],
    ['kube-public', '403 namespaces "kube-public" is forbidden: this namespace may not be deleted'],
    ['scratch', 'allowed'],
  ])('deleting namespace %s: %s', (name, want) => {
    const ns = namespace(name);
    expect(outcome(() => plugin.validate!(attrs('DELETE', namespaces, undefined, { oldObject: ns, name })))).toBe(want);
  });

  it('leaves cluster-scoped resources and namespaces themselves alone otherwise', () => {
    expect(outcome(() => plugin.validate!(attrs('CREATE', resource('nodes'), { metadata: { name: 'n' } })))).toBe('allowed');
    expect(outcome(() => plugin.validate!(attrs('CREATE', namespaces, namespace('new'))))).toBe('allowed');
  });
});
