// The DefaultTolerationSeconds admission plugin: a pod that does not already tolerate the
// node.kubernetes.io/not-ready or /unreachable NoExecute taint (a toleration with that key
// or no key, and effect NoExecute or none) gets one, operator Exists, for
// --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds, so
// that its node's failure evicts it after five minutes rather than at once.
import { isObj, type AdmissionPlugin } from './interface.js';

export interface DefaultTolerationSecondsConfig {
  notReadySeconds?: number;
  unreachableSeconds?: number;
}

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

/** Adds what is missing to spec.tolerations; malformed tolerations are left to validation. */
export function addDefaultTolerations(spec: Record<string, any>, notReadySeconds = 300, unreachableSeconds = 300): void {
  if (spec.tolerations !== undefined && spec.tolerations !== null && !Array.isArray(spec.tolerations)) return;
  const tolerations: unknown[] = spec.tolerations ?? [];
  const empty = (v: unknown) => v === undefined || v === null || v === '';
  const tolerates = (key: string) => tolerations.some((t) => isObj(t) && (t.key === key || empty(t.key)) && (t.effect === 'NoExecute' || empty(t.effect)));
  const added: Record<string, unknown>[] = [];
  if (!tolerates(TAINT_NODE_NOT_READY)) added.push({ key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: notReadySeconds });
  if (!tolerates(TAINT_NODE_UNREACHABLE)) added.push({ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: unreachableSeconds });
  if (added.length) spec.tolerations = [...tolerations, ...added];
}

export function defaultTolerationSeconds(config: DefaultTolerationSecondsConfig = {}): AdmissionPlugin {
  return {
    name: 'DefaultTolerationSeconds',
    admit(a) {
      if (a.resource.group || a.resource.plural !== 'pods' || a.subresource) return;
      if ((a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !isObj(a.object?.spec)) return;
      addDefaultTolerations(a.object.spec, config.notReadySeconds ?? 300, config.unreachableSeconds ?? 300);
    },
  };
}
