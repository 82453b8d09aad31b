import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../../shared/errors.js';
import type { KubeObject } from '../../../shared/types.js';
import { attrs, container, FakeContext, namespace, pod, resource } from '../fake.test-helper.js';
import { podSecurity } from './plugin.js';
import { evaluatePod, forbiddenDetail, policyToEvaluate, type LevelVersion } from './policy.js';

const baseline: LevelVersion = { level: 'baseline', version: 'latest' };
const restricted: LevelVersion = { level: 'restricted', version: 'latest' };
const detail = (lv: LevelVersion, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => {
  const r = evaluatePod(lv, meta, spec);
  return r.allowed ? 'allowed' : forbiddenDetail(r);
};
const c = (name: string, securityContext: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => container(name, { securityContext, ...extra });

/** A container restricted accepts. */
const good = (name: string) => c(name, { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } });

describe('baseline checks', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a plain pod', { containers: [c('c')] }, 'allowed'],
    ['host namespaces and privileged', { hostNetwork: true, hostPID: true, containers: [c('c', { privileged: true })] }, 'host namespaces (hostNetwork=true, hostPID=true), privileged (container "c" must not set securityContext.privileged=true)'],
    ['capabilities beyond the default set', { containers: [c('a', { capabilities: { add: ['NET_ADMIN', 'CHOWN'] } }), c('b', { capabilities: { add: ['SYS_ADMIN'] } })] }, 'non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)'],
    ['hostPath volumes', { volumes: [{ name: 'root', hostPath: { path: '/' } }, { name: 'tmp', emptyDir: {} }], containers: [c('c')] }, 'hostPath volumes (volume "root")'],
    ['host ports', { containers: [c('c', {}, { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 443, hostPort: 10443 }] })] }, 'hostPort (container "c" uses hostPorts 10443, 8080)'],
    ['an unconfined seccomp profile', { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [c('c')] }, 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'],
    ['an unmasked /proc', { containers: [c('c', { procMount: 'Unmasked' })] }, 'procMount (container "c" must not set securityContext.procMount to "Unmasked")'],
    ['a custom SELinux type and user', { containers: [c('c', { seLinuxOptions: { type: 'spc_t', user: 'root' } })] }, 'seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)'],
    ['unsafe sysctls', { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.ipv4.tcp_syncookies', value: '1' }] }, containers: [c('c')] }, 'forbidden sysctls (kernel.msgmax)'],
    ['an unconfined AppArmor profile', { containers: [c('c', { appArmorProfile: { type: 'Unconfined' } })] }, 'forbidden AppArmor profile (container "c" must not set securityContext.appArmorProfile.type to "Unconfined")'],
  ])('%s', (_name, spec, want) => {
    expect(detail(baseline, spec)).toBe(want);
  });

  it('refuses unconfined AppArmor annotations', () => {
    expect(detail(baseline, { containers: [c('c')] }, { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } })).toBe(
      'forbidden AppArmor profile (annotation container.apparmor.security.beta.kubernetes.io/c="unconfined")',
    );
  });
});

describe('restricted checks', () => {
  it('passes a pod that drops everything and runs as non-root with the runtime seccomp profile', () => {
    expect(detail(restricted, { containers: [good('c')], volumes: [{ name: 'cfg', configMap: { name: 'x' } }] })).toBe('allowed');
  });

  it('lists baseline reasons first, then restricted ones, each in ID order', () => {
    expect(detail(restricted, { hostNetwork: true, volumes: [{ name: 'lib', hostPath: { path: '/lib' } }], containers: [c('c', { privileged: true })] })).toBe(
      'host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true), ' +
        'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
        'restricted volume types (volume "lib" uses restricted volume type "hostPath"), ' +
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['pod-level runAsNonRoot and seccomp cover every container', { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } }, containers: [c('c', { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } })] }, 'allowed'],
    ['an added capability other than NET_BIND_SERVICE', { containers: [{ ...good('c'), securityContext: { ...good('c').securityContext, capabilities: { drop: ['ALL'], add: ['SETUID'] } } }] }, 'unrestricted capabilities (container "c" must not include "SETUID" in securityContext.capabilities.add)'],
    ['runAsUser 0', { securityContext: { runAsUser: 0 }, containers: [good('c')] }, 'runAsUser=0 (pod must not set runAsUser=0)'],
    ['runAsNonRoot false on the pod', { securityContext: { runAsNonRoot: false }, containers: [good('c')] }, 'runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)'],
  ])('%s', (_name, spec, want) => {
    expect(detail(restricted, spec)).toBe(want);
  });

  it('applies only the checks a pinned version had', () => {
    // runAsUser=0 arrived in v1.23, the restricted capabilities check in v1.22.
    const spec = { securityContext: { runAsUser: 0, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [c('c', { allowPrivilegeEscalation: false })] };
    expect(detail({ level: 'restricted', version: 21 }, spec)).toBe('allowed');
    expect(detail({ level: 'restricted', version: 23 }, spec)).toBe('unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsUser=0 (pod must not set runAsUser=0)');
  });
});

describe('namespace labels', () => {
  it('reads enforce, audit and warn with versions; warn follows a stricter enforce', () => {
    const { policy, errors } = policyToEvaluate({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.29' });
    expect(errors).toEqual([]);
    expect(policy).toEqual({ enforce: { level: 'baseline', version: 29 }, audit: { level: 'privileged', version: 'latest' }, warn: { level: 'baseline', version: 29 } });
  });

  it('treats an invalid level as restricted and an invalid version as latest, and reports both', () => {
    const { policy, errors } = policyToEvaluate({ 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/warn-version': '1.29' });
    expect(policy.enforce.level).toBe('restricted');
    expect(errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.29": must be "latest" or "v1.x"',
    ]);
  });
});

describe('PodSecurity admission', () => {
  const pods = resource('pods');
  const deployments = resource('deployments', 'apps');
  const namespaces = resource('namespaces');
  const labels = (mode: string, level: string) => ({ [`pod-security.kubernetes.io/${mode}`]: level });
  const plugin = (ns: KubeObject, objs: KubeObject[] = []) => podSecurity(new FakeContext([ns, ...objs]));
  const hostNet = pod('x', { hostNetwork: true, containers: [c('c', { privileged: true })] });

  it('refuses a pod that violates the enforce level, with upstream message', () => {
    const p = plugin(namespace('ns', labels('enforce', 'baseline')));
    expect(() => p.validate!(attrs('CREATE', pods, hostNet))).toThrow(
      'pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)',
    );
    try {
      p.validate!(attrs('CREATE', pods, hostNet));
    } catch (err) {
      expect((err as ApiError).code).toBe(403);
    }
  });

  it('admits anything in an unlabelled namespace, kube-system included: nothing is exempt', () => {
    expect(() => plugin(namespace('kube-system')).validate!(attrs('CREATE', pods, { ...hostNet, metadata: { name: 'x', namespace: 'kube-system' } }))).not.toThrow();
  });

  it('warns in warn mode without refusing', () => {
    const a = attrs('CREATE', pods, hostNet);
    plugin(namespace('ns', labels('warn', 'restricted'))).validate!(a);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toMatch(/^would violate PodSecurity "restricted:latest": host namespaces \(hostNetwork=true\), privileged/);
  });

  it('only warns for the pod template of a workload, even under enforce', () => {
    const d: KubeObject = { metadata: { name: 'web', namespace: 'ns' }, spec: { template: { metadata: {}, spec: hostNet.spec } } };
    const a = attrs('CREATE', deployments, d);
    plugin(namespace('ns', labels('enforce', 'baseline'))).validate!(a);
    expect(a.warnings).toEqual(['would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)']);
  });

  it('looks at a pod update again only when containers or images change', () => {
    const p = plugin(namespace('ns', labels('enforce', 'baseline')));
    const relabelled = { ...hostNet, metadata: { ...hostNet.metadata, labels: { a: 'b' } } };
    expect(() => p.validate!(attrs('UPDATE', pods, relabelled, { oldObject: hostNet }))).not.toThrow();
    const newImage = structuredClone(hostNet);
    newImage.spec.containers[0].image = 'busybox:1.37';
    expect(() => p.validate!(attrs('UPDATE', pods, newImage, { oldObject: hostNet }))).toThrow(/violates PodSecurity/);
  });

  it('refuses invalid labels on a namespace, and warns about existing pods when enforce tightens', () => {
    const p = plugin(namespace('ns'), [hostNet, { ...hostNet, metadata: { name: 'a', namespace: 'ns' } }, pod('fine', { containers: [c('c')] })]);
    expect(() => p.validate!(attrs('CREATE', namespaces, namespace('bad', labels('enforce', 'strict'))))).toThrow(
      'Namespace "bad" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
    );
    const a = attrs('UPDATE', namespaces, namespace('ns', labels('enforce', 'baseline')), { oldObject: namespace('ns') });
    p.validate!(a);
    expect(a.warnings).toEqual(['existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"', 'a (and 1 other pod): host namespaces, privileged']);
  });
});
