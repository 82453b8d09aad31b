// The admission plugins skiff registers, in kube-apiserver's order (AllOrderedPlugins),
// the ones on by default, and kube-apiserver's flags choosing them:
// --enable-admission-plugins and --disable-admission-plugins adjust the default set and
// never change the order; the deprecated --admission-control gives the whole list, in
// the order given, and excludes the other two.
import type { FlagSpec } from '../../shared/flags.js';
import { alwaysAdmit, alwaysDeny } from './always.js';
import { AdmissionChain } from './chain.js';
import { defaultTolerationSeconds, type DefaultTolerationSecondsConfig } from './default-toleration-seconds.js';
import type { AdmissionContext, AdmissionPlugin } from './interface.js';
import { limitRanger } from './limit-ranger.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';
import { podSecurity } from './pod-security/plugin.js';
import type { PodSecurityConfig } from './pod-security/plugin.js';
import { resourceQuota, type ResourceQuotaConfig } from './resource-quota.js';
import { serviceAccount, type ServiceAccountConfig } from './service-account.js';

export interface AdmissionConfig {
  serviceAccount?: ServiceAccountConfig;
  podSecurity?: PodSecurityConfig;
  resourceQuota?: ResourceQuotaConfig;
  defaultTolerationSeconds?: DefaultTolerationSecondsConfig;
}

export interface AdmissionOptions {
  /** Enabled plugins, in the order they run; kube-apiserver's default set when absent. */
  plugins?: string[];
  config?: AdmissionConfig;
}

type Factory = (ctx: AdmissionContext, config: AdmissionConfig) => AdmissionPlugin;

const FACTORIES: Record<string, Factory> = {
  AlwaysAdmit: () => alwaysAdmit(),
  NamespaceLifecycle: (ctx) => namespaceLifecycle(ctx),
  LimitRanger: (ctx) => limitRanger(ctx),
  ServiceAccount: (ctx, c) => serviceAccount(ctx, c.serviceAccount),
  PodSecurity: (ctx, c) => podSecurity(ctx, c.podSecurity),
  DefaultTolerationSeconds: (_ctx, c) => defaultTolerationSeconds(c.defaultTolerationSeconds),
  ResourceQuota: (ctx, c) => resourceQuota(ctx, c.resourceQuota),
  AlwaysDeny: () => alwaysDeny(),
};

/** The recommended order; webhooks, ResourceQuota and AlwaysDeny go last, as upstream. */
export const ORDERED_PLUGINS = ['AlwaysAdmit', 'NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'PodSecurity', 'DefaultTolerationSeconds', 'ResourceQuota', 'AlwaysDeny'];

/** Those of kube-apiserver's default-on plugins that skiff has: what the flags enable by default. */
export const DEFAULT_PLUGINS = ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'PodSecurity', 'DefaultTolerationSeconds', 'ResourceQuota'];


export function newAdmissionChain(ctx: AdmissionContext, opts: AdmissionOptions = {}): AdmissionChain {
  const names = opts.plugins ?? DEFAULT_PLUGINS;
  return new AdmissionChain(
    names.map((n) => {
      const factory = FACTORIES[n];
      if (!factory) throw new Error(`admission plugin ${JSON.stringify(n)} is not registered`);
      return factory(ctx, opts.config ?? {});
    }),
  );
}

export const ADMISSION_FLAGS: FlagSpec[] = [
  {
    name: 'enable-admission-plugins',
    help: `Admission plugins to enable in addition to the default ones (${DEFAULT_PLUGINS.join(', ')}); comma-separated, any order. Available: ${ORDERED_PLUGINS.join(', ')}`,
    default: '',
  },
  { name: 'disable-admission-plugins', help: 'Admission plugins to disable although on by default; comma-separated', default: '' },
  { name: 'admission-control', help: 'Deprecated: the whole ordered list of admission plugins; use --enable-admission-plugins or --disable-admission-plugins', default: '' },
  { name: 'default-not-ready-toleration-seconds', help: 'tolerationSeconds of the not-ready:NoExecute toleration added to every pod without one', default: 300 },
  { name: 'default-unreachable-toleration-seconds', help: 'tolerationSeconds of the unreachable:NoExecute toleration added to every pod without one', default: 300 },
];

function names(v: unknown): string[] {
  return String(v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The admission options of the parsed flags; throws with kube-apiserver's message when they are wrong. */
export function admissionOptionsFromFlags(f: Record<string, string | number | boolean>): AdmissionOptions {
  const enable = names(f['enable-admission-plugins']);
  const disable = names(f['disable-admission-plugins']);
  const legacy = names(f['admission-control']);
  const errs: string[] = [];
  if (legacy.length && (enable.length || disable.length)) {
    errs.push('admission-control and enable-admission-plugins/disable-admission-plugins flags are exclusive, please set enable-admission-plugins or disable-admission-plugins only');
  }
  for (const n of legacy) if (!FACTORIES[n]) errs.push(`admission-control plugin ${JSON.stringify(n)} is unknown`);
  for (const n of enable) if (!FACTORIES[n]) errs.push(`enable-admission-plugins plugin ${JSON.stringify(n)} is unknown`);
  for (const n of disable) if (!FACTORIES[n]) errs.push(`disable-admission-plugins plugin ${JSON.stringify(n)} is unknown`);
  const overlap = [...new Set(enable.filter((n) => disable.includes(n)))].sort();
  if (overlap.length) errs.push(`[${overlap.join(' ')}] in enable-admission-plugins and disable-admission-plugins overlapped`);
  if (errs.length) throw new Error(errs.join('; '));
  const seconds = (name: string) => {
    const v = Number(f[name] ?? 300);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(f[name])}`);
    return v;
  };
  const plugins = legacy.length ? [...new Set(legacy)] : ORDERED_PLUGINS.filter((n) => (DEFAULT_PLUGINS.includes(n) || enable.includes(n)) && !disable.includes(n));
  return {
    plugins,
    config: {
      defaultTolerationSeconds: {
        notReadySeconds: seconds('default-not-ready-toleration-seconds'),
        unreachableSeconds: seconds('default-unreachable-toleration-seconds'),
      },
    },
  };
}
