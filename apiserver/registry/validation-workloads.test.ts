import { describe, expect, it } from 'vitest';
import type { StatusCause } from '../../shared/errors.js';
import { applyDefaults } from './defaults.js';
import { validateObject } from './validation.js';

// Objects go through applyDefaults first, as the store does before validating.
function check(resource: string, obj: any, old?: any): StatusCause[] {
  const copy = structuredClone(obj);
  applyDefaults(resource, copy);
  let prev: any;
  if (old !== undefined) {
    prev = structuredClone(old);
    applyDefaults(resource, prev);
  }
  return validateObject(resource, copy, prev);
}

/** [field, reason] pairs, the shape a user reads in `kubectl` errors. */
const fields = (causes: StatusCause[]) => causes.map((c) => [c.field, c.reason]);

const meta = (name = 'web', extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', ...extra });
const container = (extra: Record<string, unknown> = {}) => ({ name: 'web', image: 'nginx:1.27', ...extra });
const template = (labels: Record<string, string> | undefined = { app: 'web' }, spec: Record<string, unknown> = {}) => ({
  metadata: { labels, creationTimestamp: null },
  spec: { containers: [container()], ...spec },
});
const deployment = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta(),
  spec: { selector: { matchLabels: { app: 'web' } }, template: template(), ...spec },
});

describe('workloads', () => {
  it('accepts a typical deployment', () => {
    expect(check('deployments', deployment())).toEqual([]);
  });

  it.each([
    ['negative replicas', { replicas: -1 }, [['spec.replicas', 'FieldValueInvalid']]],
    [
      'a missing selector',
      { selector: undefined },
      [
        ['spec.selector', 'FieldValueRequired'],
        ['spec.template.metadata.labels', 'FieldValueInvalid'],
      ],
    ],
    ['an empty selector', { selector: {} }, [['spec.selector', 'FieldValueInvalid']]],
    ['a mismatched selector', { selector: { matchLabels: { app: 'db' } } }, [['spec.template.metadata.labels', 'FieldValueInvalid']]],
    [
      'a bad selector operator',
      { selector: { matchExpressions: [{ key: 'app', operator: 'Is', values: ['web'] }] } },
      [
        ['spec.selector.matchExpressions[0].operator', 'FieldValueInvalid'],
        ['spec.selector', 'FieldValueInvalid'],
      ],
    ],
    ['a matching expression selector', { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } }, []],
    ['a bad template container', { template: template({ app: 'web' }, { containers: [container({ name: 'Web' })] }) }, [['spec.template.spec.containers[0].name', 'FieldValueInvalid']]],
    ['restartPolicy Never', { template: template({ app: 'web' }, { restartPolicy: 'Never' }) }, [['spec.template.spec.restartPolicy', 'FieldValueNotSupported']]],
    ['activeDeadlineSeconds', { template: template({ app: 'web' }, { activeDeadlineSeconds: 5 }) }, [['spec.template.spec.activeDeadlineSeconds', 'FieldValueForbidden']]],
    ['strategy Blue', { strategy: { type: 'Blue' } }, [['spec.strategy', 'FieldValueNotSupported']]],
    ['maxSurge 0 and maxUnavailable 0', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }, [['spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid']]],
    ['maxUnavailable 120%', { strategy: { rollingUpdate: { maxUnavailable: '120%' } } }, [['spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid']]],
    ['maxSurge "lots"', { strategy: { rollingUpdate: { maxSurge: 'lots' } } }, [['spec.strategy.rollingUpdate.maxSurge', 'FieldValueInvalid']]],
    ['rollingUpdate with Recreate', { strategy: { type: 'Recreate', rollingUpdate: {} } }, [['spec.strategy.rollingUpdate', 'FieldValueForbidden']]],
    ['a progress deadline below minReadySeconds', { minReadySeconds: 30, progressDeadlineSeconds: 10 }, [['spec.progressDeadlineSeconds', 'FieldValueInvalid']]],
    ['a template that is a string', { template: 'web' }, [['spec.template', 'FieldValueTypeInvalid']]],
  ])('deployment with %s', (_name, spec, want) => {
    expect(fields(check('deployments', deployment(spec)))).toEqual(want);
  });

  it('words selector errors as kubectl shows them', () => {
    expect(check('deployments', deployment({ selector: { matchLabels: { app: 'db' } } }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      },
    ]);
    expect(check('deployments', deployment({ selector: {} }))[0]!.message).toBe(
      'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    );
  });

  it.each([
    ['replicasets', { selector: { matchLabels: { app: 'web' } }, template: template() }, []],
    ['replicasets', { selector: {}, template: template() }, [['spec.selector', 'FieldValueInvalid']]],
    ['daemonsets', { selector: { matchLabels: { app: 'web' } }, template: template() }, []],
    ['daemonsets', { template: template() }, [['spec.template.metadata.labels', 'FieldValueInvalid']]],
    [
      'daemonsets',
      { selector: { matchLabels: { app: 'web' } }, template: template(), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } },
      [['spec.updateStrategy.rollingUpdate.maxUnavailable', 'FieldValueRequired']],
    ],
    ['statefulsets', { selector: { matchLabels: { app: 'web' } }, serviceName: 'web', template: template() }, []],
    [
      'statefulsets',
      {
        selector: { matchLabels: { app: 'web' } },
        template: template({ app: 'web' }, { containers: [container({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }),
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
      [],
    ],
    ['statefulsets', { selector: { matchLabels: { app: 'web' } }, template: template(), podManagementPolicy: 'Random' }, [['spec.podManagementPolicy', 'FieldValueInvalid']]],
    ['statefulsets', { selector: {}, template: template() }, [['spec.selector', 'FieldValueInvalid']]],
  ])('%s %#', (resource, spec, want) => {
    expect(fields(check(resource, { metadata: meta(), spec }))).toEqual(want);
  });

  describe('jobs', () => {
    const job = (spec: Record<string, unknown> = {}, uid = 'uid-1') => ({
      metadata: meta('pi', { uid }),
      spec: { template: { metadata: {}, spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5' }] } }, ...spec },
    });

    it.each([
      ['a generated selector', job(), []],
      ['no uid yet', job({}, ''), []],
      ['restartPolicy Always', job({ template: { spec: { restartPolicy: 'Always', containers: [{ name: 'pi', image: 'perl' }] } } }), [['spec.template.spec.restartPolicy', 'FieldValueNotSupported']]],
      ['no restartPolicy', job({ template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } }), [['spec.template.spec.restartPolicy', 'FieldValueNotSupported']]],
      ['a user selector without manualSelector', job({ selector: { matchLabels: { app: 'pi' } } }), [['spec.template.metadata.labels', 'FieldValueInvalid'], ['spec.selector', 'FieldValueInvalid']]],
      [
        'a manual selector',
        job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } }, template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'pi', image: 'perl' }] } } }),
        [],
      ],
      ['a manual job without selector', job({ manualSelector: true }), [['spec.selector', 'FieldValueRequired'], ['spec.template.metadata.labels', 'FieldValueInvalid']]],
      ['negative backoffLimit', job({ backoffLimit: -1 }), [['spec.backoffLimit', 'FieldValueInvalid']]],
      ['Indexed without completions', job({ completionMode: 'Indexed', parallelism: 2 }), [['spec.completions', 'FieldValueRequired']]],
    ])('%s', (_name, obj, want) => {
      expect(fields(check('jobs', obj))).toEqual(want);
    });

    it('words the restartPolicy error as kubectl shows it', () => {
      const causes = check('jobs', job({ template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } }));
      expect(causes[0]!.message).toBe('Unsupported value: "Always": supported values: "OnFailure", "Never"');
    });

    it('keeps selector and template on update', () => {
      const old = job();
      expect(fields(check('jobs', job({ parallelism: 2, completions: 1 }), old))).toEqual([]);
      expect(fields(check('jobs', job({ completions: 3 }), old))).toEqual([['spec.completions', 'FieldValueInvalid']]);
      const changed = job({ template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:6' }] } } });
      expect(fields(check('jobs', changed, old))).toEqual([['spec.template', 'FieldValueInvalid']]);
      const selectorChanged = check('jobs', job({}, 'uid-1'), job({}, 'uid-0'));
      expect(fields(selectorChanged)).toContainEqual(['spec.selector', 'FieldValueInvalid']);
    });
  });

  describe('updates', () => {
    it('keeps a deployment selector', () => {
      const old = deployment();
      expect(check('deployments', deployment({ replicas: 3 }), old)).toEqual([]);
      const changed = deployment({ selector: { matchLabels: { app: 'web', v: '2' } }, template: template({ app: 'web', v: '2' }) });
      expect(check('deployments', changed, old)).toEqual([
        {
          reason: 'FieldValueInvalid',
          field: 'spec.selector',
          message:
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
        },
      ]);
    });

    it.each(['replicasets', 'daemonsets'])('keeps a %s selector', (resource) => {
      const old = { metadata: meta(), spec: { selector: { matchLabels: { app: 'web' } }, template: template() } };
      const next = { metadata: meta(), spec: { selector: { matchLabels: { app: 'web', v: '2' } }, template: template({ app: 'web', v: '2' }) } };
      expect(fields(check(resource, next, old))).toEqual([['spec.selector', 'FieldValueInvalid']]);
    });

    it('allows only some stateful set spec changes', () => {
      const spec = { selector: { matchLabels: { app: 'web' } }, serviceName: 'web', template: template() };
      const old = { metadata: meta(), spec };
      expect(check('statefulsets', { metadata: meta(), spec: { ...spec, replicas: 5, template: template({ app: 'web' }, { containers: [container({ image: 'nginx:2' })] }) } }, old)).toEqual([]);
      expect(fields(check('statefulsets', { metadata: meta(), spec: { ...spec, serviceName: 'other' } }, old))).toEqual([['spec', 'FieldValueForbidden']]);
    });
  });
});
