// The baseline Pod Security Standard: every check of pod-security-admission/policy at
// level baseline, with upstream's reasons and details.
import { isObj, objects } from '../interface.js';
import {
  ALLOWED,
  containers,
  containersPhrase,
  forbid,
  joinQuote,
  pluralize,
  securityContext,
  sortedSet,
  type Check,
  type CheckResult,
  type Obj,
} from './check.js';

const hostNamespaces = (_meta: Obj, spec: Obj): CheckResult => {
  const set: string[] = [];
  if (spec.hostNetwork === true) set.push('hostNetwork=true');
  if (spec.hostPID === true) set.push('hostPID=true');
  if (spec.hostIPC === true) set.push('hostIPC=true');
  return set.length ? forbid('host namespaces', set.join(', ')) : ALLOWED;
};

const privileged = (_meta: Obj, spec: Obj): CheckResult => {
  const bad = containers(spec).filter((c) => securityContext(c)?.privileged === true).map((c) => String(c.name));
  return bad.length ? forbid('privileged', `${containersPhrase(bad)} must not set securityContext.privileged=true`) : ALLOWED;
};

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

const capabilitiesBaseline = (_meta: Obj, spec: Obj): CheckResult => {
  const bad: string[] = [];
  const caps: string[] = [];
  for (const c of containers(spec)) {
    const add: unknown[] = Array.isArray(securityContext(c)?.capabilities?.add) ? securityContext(c)!.capabilities.add : [];
    const extra = add.map(String).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (extra.length) {
      bad.push(String(c.name));
      caps.push(...extra);
    }
  }
  if (!bad.length) return ALLOWED;
  return forbid('non-default capabilities', `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
};

const hostPathVolumes = (_meta: Obj, spec: Obj): CheckResult => {
  const bad = objects(spec.volumes).filter((v) => isObj(v.hostPath)).map((v) => String(v.name));
  return bad.length ? forbid('hostPath volumes', `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}`) : ALLOWED;
};

const hostPorts = (_meta: Obj, spec: Obj): CheckResult => {
  const bad: string[] = [];
  const ports: string[] = [];
  for (const c of containers(spec)) {
    const used = objects(c.ports).filter((p) => typeof p.hostPort === 'number' && p.hostPort !== 0).map((p) => String(p.hostPort));
    if (used.length) {
      bad.push(String(c.name));
      ports.push(...used);
    }
  }
  if (!bad.length) return ALLOWED;
  const list = sortedSet(ports);
  return forbid('hostPort', `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`);
};

const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const appArmorProfile = (meta: Obj, spec: Obj): CheckResult => {
  const ok = (p: unknown) => !isObj(p) || p.type === 'RuntimeDefault' || p.type === 'Localhost';
  const setters: string[] = [];
  const pod = securityContext(spec);
  if (pod && !ok(pod.appArmorProfile)) setters.push(`pod must not set securityContext.appArmorProfile.type to ${JSON.stringify(pod.appArmorProfile.type)}`);
  for (const c of containers(spec)) {
    const sc = securityContext(c);
    if (sc && !ok(sc.appArmorProfile)) setters.push(`container ${JSON.stringify(String(c.name))} must not set securityContext.appArmorProfile.type to ${JSON.stringify(sc.appArmorProfile.type)}`);
  }
  const annotations: string[] = [];
  for (const [k, v] of Object.entries(isObj(meta.annotations) ? meta.annotations : {})) {
    if (k.startsWith(APPARMOR_PREFIX) && v !== 'runtime/default' && !String(v).startsWith('localhost/')) annotations.push(`${k}=${JSON.stringify(v)}`);
  }
  if (annotations.length) setters.push(`${pluralize('annotation', 'annotations', annotations.length)} ${annotations.sort().join(', ')}`);
  return setters.length ? forbid('forbidden AppArmor profile', setters.join(', ')) : ALLOWED;
};

const SELINUX_TYPES_1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const SELINUX_TYPES_1_31 = [...SELINUX_TYPES_1_0, 'container_engine_t'];

const seLinuxOptions = (allowed: string[]) => (_meta: Obj, spec: Obj): CheckResult => {
  const SELINUX_TYPES = new Set(allowed);
  const setters: string[] = [];
  const badTypes: string[] = [];
  let user = false;
  let role = false;
  const valid = (o: Obj): boolean => {
    let ok = true;
    const type = typeof o.type === 'string' ? o.type : '';
    if (!SELINUX_TYPES.has(type)) {
      ok = false;
      badTypes.push(type);
    }
    if (typeof o.user === 'string' && o.user !== '') {
      ok = false;
      user = true;
    }
    if (typeof o.role === 'string' && o.role !== '') {
      ok = false;
      role = true;
    }
    return ok;
  };
  const podOpts = securityContext(spec)?.seLinuxOptions;
  if (isObj(podOpts) && !valid(podOpts)) setters.push('pod');
  const bad = containers(spec).filter((c) => isObj(securityContext(c)?.seLinuxOptions) && !valid(securityContext(c)!.seLinuxOptions)).map((c) => String(c.name));
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return ALLOWED;
  const data: string[] = [];
  const types = sortedSet(badTypes);
  if (types.length) data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
  if (user) data.push('user may not be set');
  if (role) data.push('role may not be set');
  return forbid('seLinuxOptions', `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`);
};

const procMount = (_meta: Obj, spec: Obj): CheckResult => {
  const bad: string[] = [];
  const types: string[] = [];
  for (const c of containers(spec)) {
    const pm = securityContext(c)?.procMount;
    if (pm !== undefined && pm !== null && pm !== 'Default') {
      bad.push(String(c.name));
      types.push(String(pm));
    }
  }
  return bad.length ? forbid('procMount', `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`) : ALLOWED;
};

export const validSeccomp = (type: unknown) => type === 'RuntimeDefault' || type === 'Localhost';

const seccompProfileBaseline = (_meta: Obj, spec: Obj): CheckResult => {
  const setters: string[] = [];
  const values: string[] = [];
  const podProfile = securityContext(spec)?.seccompProfile;
  if (isObj(podProfile) && !validSeccomp(podProfile.type)) {
    setters.push('pod');
    values.push(String(podProfile.type ?? ''));
  }
  const bad: string[] = [];
  for (const c of containers(spec)) {
    const p = securityContext(c)?.seccompProfile;
    if (isObj(p) && !validSeccomp(p.type)) {
      bad.push(String(c.name));
      values.push(String(p.type ?? ''));
    }
  }
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return ALLOWED;
  return forbid('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}`);
};

const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];

const sysctls = (allowed: string[]) => {
  const set = new Set(allowed);
  return (_meta: Obj, spec: Obj): CheckResult => {
    const bad = objects(securityContext(spec)?.sysctls).map((s) => String(s.name)).filter((n) => !set.has(n));
    return bad.length ? forbid('forbidden sysctls', bad.join(', ')) : ALLOWED;
  };
};

const windowsHostProcess = (_meta: Obj, spec: Obj): CheckResult => {
  const setters: string[] = [];
  if (securityContext(spec)?.windowsOptions?.hostProcess === true) setters.push('pod');
  const bad = containers(spec).filter((c) => securityContext(c)?.windowsOptions?.hostProcess === true).map((c) => String(c.name));
  if (bad.length) setters.push(containersPhrase(bad));
  return setters.length ? forbid('hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`) : ALLOWED;
};

const v0 = (check: Check['versions'][number]['check']) => [{ minVersion: 0, check }];

export const BASELINE_CHECKS: Check[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: v0(appArmorProfile) },
  { id: 'capabilities_baseline', level: 'baseline', versions: v0(capabilitiesBaseline) },
  { id: 'hostNamespaces', level: 'baseline', versions: v0(hostNamespaces) },
  { id: 'hostPathVolumes', level: 'baseline', versions: v0(hostPathVolumes) },
  { id: 'hostPorts', level: 'baseline', versions: v0(hostPorts) },
  { id: 'privileged', level: 'baseline', versions: v0(privileged) },
  { id: 'procMount', level: 'baseline', versions: v0(procMount) },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [
      { minVersion: 0, check: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minVersion: 31, check: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: v0(seccompProfileBaseline) },
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [
      { minVersion: 0, check: sysctls(SYSCTLS_1_0) },
      { minVersion: 27, check: sysctls(SYSCTLS_1_27) },
      { minVersion: 29, check: sysctls(SYSCTLS_1_29) },
      { minVersion: 32, check: sysctls(SYSCTLS_1_32) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: v0(windowsHostProcess) },
];
