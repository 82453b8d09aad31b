import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../shared/flags.js';
import { addDefaultTolerations, defaultTolerationSeconds } from './default-toleration-seconds.js';
import { attrs, FakeContext, pod, resource } from './fake.test-helper.js';
import { ADMISSION_FLAGS, admissionOptionsFromFlags, DEFAULT_PLUGINS, newAdmissionChain } from './plugins.js';

const flags = (...argv: string[]) => admissionOptionsFromFlags(parseFlags('apiserver', ADMISSION_FLAGS, argv) as Record<string, string | number | boolean>);

describe('admission plugin flags', () => {
  it('enables kube-apiserver defaults that skiff has, in the recommended order', () => {
    expect(flags().plugins).toEqual(['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'PodSecurity', 'DefaultTolerationSeconds', 'ResourceQuota']);
    expect(flags().plugins).toEqual(DEFAULT_PLUGINS);
  });

  it.each([
    [['--disable-admission-plugins=ServiceAccount'], ['NamespaceLifecycle', 'LimitRanger', 'PodSecurity', 'DefaultTolerationSeconds', 'ResourceQuota']],
    [['--enable-admission-plugins', 'AlwaysDeny,AlwaysAdmit'], ['AlwaysAdmit', 'NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'PodSecurity', 'DefaultTolerationSeconds', 'ResourceQuota', 'AlwaysDeny']],
    [['--enable-admission-plugins=ResourceQuota', '--disable-admission-plugins=LimitRanger,PodSecurity'], ['NamespaceLifecycle', 'ServiceAccount', 'DefaultTolerationSeconds', 'ResourceQuota']],
    [['--admission-control=ResourceQuota,NamespaceLifecycle'], ['ResourceQuota', 'NamespaceLifecycle']],
  ])('%j → %j', (argv, want) => {
    expect(flags(...argv).plugins).toEqual(want);
  });

  it.each([
    [['--enable-admission-plugins=NodeRestriction'], 'enable-admission-plugins plugin "NodeRestriction" is unknown'],
    [['--disable-admission-plugins=Foo'], 'disable-admission-plugins plugin "Foo" is unknown'],
    [['--enable-admission-plugins=ResourceQuota,LimitRanger', '--disable-admission-plugins=LimitRanger,ResourceQuota'], '[LimitRanger ResourceQuota] in enable-admission-plugins and disable-admission-plugins overlapped'],
    [['--admission-control=ResourceQuota', '--enable-admission-plugins=LimitRanger'], 'admission-control and enable-admission-plugins/disable-admission-plugins flags are exclusive'],
  ])('refuses %j', (argv, message) => {
    expect(() => flags(...argv)).toThrow(message);
  });

  it('passes the toleration seconds to DefaultTolerationSeconds', () => {
    expect(flags('--default-not-ready-toleration-seconds', '60').config?.defaultTolerationSeconds).toEqual({ notReadySeconds: 60, unreachableSeconds: 300 });
    expect(() => flags('--default-unreachable-toleration-seconds=-1')).toThrow('--default-unreachable-toleration-seconds must be a non-negative integer');
  });

  it('builds the chain with the plugins named', () => {
    expect(newAdmissionChain(new FakeContext(), { plugins: ['AlwaysAdmit', 'ResourceQuota'] }).names).toEqual(['AlwaysAdmit', 'ResourceQuota']);
    expect(() => newAdmissionChain(new FakeContext(), { plugins: ['Nope'] })).toThrow('admission plugin "Nope" is not registered');
  });

  it('AlwaysDeny refuses every write', () => {
    const chain = newAdmissionChain(new FakeContext(), { plugins: ['AlwaysDeny'] });
    expect(() => chain.admit(attrs('CREATE', resource('pods'), pod('p', {})))).toThrow('pods "p" is forbidden: admission control is denying all modifications');
  });
});

describe('DefaultTolerationSeconds', () => {
  const notReady = (s: number) => ({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s });
  const unreachable = (s: number) => ({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s });

  it('tolerates not-ready and unreachable for the configured seconds', () => {
    const a = attrs('CREATE', resource('pods'), pod('p', { containers: [] }));
    defaultTolerationSeconds({ notReadySeconds: 30, unreachableSeconds: 60 }).admit!(a);
    expect(a.object!.spec.tolerations).toEqual([notReady(30), unreachable(60)]);
  });

  it.each([
    ['an explicit unreachable toleration', [unreachable(3)], [notReady(300)]],
    ['one with no effect', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }], [unreachable(300)]],
    ['one with no key', [{ operator: 'Exists', effect: 'NoExecute' }], []],
    ['a NoSchedule toleration, which does not count', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }], [notReady(300), unreachable(300)]],
  ])('adds only what is missing next to %s', (_name, tolerations, added) => {
    const spec: Record<string, any> = { tolerations: structuredClone(tolerations) };
    addDefaultTolerations(spec);
    expect(spec.tolerations).toEqual([...tolerations, ...added]);
  });
});
