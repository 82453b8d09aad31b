// The ResourceQuota admission plugin (plugin/pkg/admission/resourcequota): a create (or an
// update that changes usage) is charged against every ResourceQuota of its namespace whose
// status.hard covers it, and refused with upstream's message when status.used plus the
// charge would pass a hard limit.
//
// Two concurrent creates must not both slip under a limit. Upstream charges status.used
// in the admission path with a resourceVersion-guarded write and retries on conflict.
// Here the check runs inside the object's own storage transaction, whose decision is
// synchronous against the latest state (writes accepted but not yet on disk included),
// and the charge is a status write decided in the same turn: no other request can run
// between the check and the charge, across namespaces and quotas alike, without a lock.
// The object's write is accepted before the charge, so a reader of committed state (the
// resourcequota controller) never sees a charge for an object it cannot list yet; its
// status write then conflicts with the charge and it recounts. The same protocol carries
// over to a multi-apiserver store as a compare-and-swap with retries, as upstream does.
import type { KubeObject } from '../../shared/types.js';
import { core, forbidden, type AdmissionContext, type AdmissionPlugin, type Attributes } from './interface.js';
import { evaluatorFor, quotaMatches } from './quota/evaluators.js';
import {
  add,
  fromJSON,
  lessThanOrEqual,
  mask,
  negative,
  prettyPrint,
  removeZeros,
  subtractNonNegative,
  toJSON,
  type ResourceList,
} from './quota/resource-list.js';

export interface ResourceQuotaConfig {
  now?: () => Date;
}

interface Charge {
  name: string;
  requested: ResourceList;
}

/** Every name in hard that the request touches has a recorded usage. */
function hasUsageStats(hard: ResourceList, used: ResourceList, restricted: string[]): boolean {
  return restricted.every((n) => !hard.has(n) || used.has(n));
}

function exceededMessage(name: string, requested: ResourceList, used: ResourceList, hard: ResourceList): string | undefined {
  const { allowed, exceeded } = lessThanOrEqual(mask(add(used, requested), requested.keys()), hard);
  if (allowed) return undefined;
  return `exceeded quota: ${name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`;
}

export function resourceQuota(ctx: AdmissionContext, config: ResourceQuotaConfig = {}): AdmissionPlugin {
  const quotas = core('resourcequotas');
  const now = config.now ?? (() => new Date());

  const charges = (a: Attributes, obj: KubeObject): Charge[] => {
    const e = evaluatorFor(a.resource.group, a.resource.plural);
    if (!e.handles(a.operation)) return [];
    const all = ctx.list(quotas, a.namespace);
    if (all.length === 0) return [];
    const interesting: KubeObject[] = [];
    for (const q of all) {
      const name = q.metadata.name!;
      const hard = fromJSON(q.status?.hard);
      const hardNames = [...hard.keys()];
      if (!quotaMatches(e, q, hardNames, obj)) continue;
      const restricted = e.matchingResources(hardNames);
      const constraint = e.constraints(restricted, obj);
      if (constraint) throw forbidden(a, `failed quota: ${name}: ${constraint}`);
      if (!hasUsageStats(hard, fromJSON(q.status?.used), restricted)) {
        throw forbidden(a, `status unknown for quota: ${name}, resources: ${[...restricted].sort().join(',')}`);
      }
      interesting.push(q);
    }
    if (interesting.length === 0) return [];
    let delta = e.usage(obj, now());
    const neg = negative(delta);
    if (neg.length) throw forbidden(a, `quota usage is negative for resource(s): ${neg.join(',')}`);
    // An update is charged what it adds; a create-on-update (no stored version) everything.
    if (a.operation === 'UPDATE' && a.oldObject?.metadata.resourceVersion) delta = subtractNonNegative(delta, e.usage(a.oldObject, now()));
    delta = removeZeros(delta);
    if (delta.size === 0) return [];
    const out: Charge[] = [];
    for (const q of interesting) {
      const name = q.metadata.name!;
      const hard = fromJSON(q.status?.hard);
      const requested = mask(delta, hard.keys());
      const why = exceededMessage(name, requested, fromJSON(q.status?.used), hard);
      if (why) throw forbidden(a, why);
      if (requested.size) out.push({ name, requested });
    }
    return out;
  };

  return {
    name: 'ResourceQuota',
    validate(a) {
      if (!a.namespace || a.subresource || !a.object) return;
      if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
      const planned = charges(a, a.object);
      if (planned.length === 0 || a.dryRun) return;
      return () =>
        Promise.all(
          planned.map((c) =>
            ctx.updateStatus(quotas, a.namespace, c.name, (copy) => {
              const hard = fromJSON(copy.status?.hard);
              const used = fromJSON(copy.status?.used);
              // Decided against the latest state: the limit still holds, as checked in this turn.
              const why = exceededMessage(c.name, c.requested, used, hard);
              if (why) throw forbidden(a, why);
              copy.status = { ...(copy.status ?? {}), used: toJSON(add(used, c.requested)) };
              return copy;
            }),
          ),
        );
    },
  };
}
