// The downward API's field and resource selectors, shared by env (valueFrom.fieldRef,
// valueFrom.resourceFieldRef) and by downwardAPI volumes, as Kubernetes' pkg/api/v1/resource
// and pkg/fieldpath do.
import { parseCpuMillis, parseQuantity } from '../../shared/quantity.js';
import type { KubeObject } from '../../shared/types.js';

/** A map as fieldpath.FormatMap writes it: sorted `key="value"` lines (Go's %q quoting). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k]!)}`)
    .join('\n');
}

/** Go's strconv.Quote for the printable strings labels and annotations hold. */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (all, hex: string) => {
    const c = parseInt(hex, 16);
    if (c === 0x7f || c < 0x20) return `\\x${hex.slice(2)}`;
    return all;
  });
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/**
 * fieldpath.ExtractFieldPathAsString: metadata.name/namespace/uid, metadata.labels and
 * metadata.annotations (whole maps, formatted), metadata.labels['k'] and annotations['k'].
 */
export function extractFieldPath(pod: KubeObject, fieldPath: string): string {
  const m = pod.metadata;
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) return (sub[1] === 'labels' ? m.labels : m.annotations)?.[sub[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

export interface ResourceFieldSelector {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

/**
 * resource.ExtractContainerResourceValue: a container's limit or request divided by the
 * divisor, rounded up. Limits the container leaves unset are the node's allocatable
 * (MergeContainerResourceLimits), when `allocatable` is given.
 */
export function containerResourceValue(container: any, fs: ResourceFieldSelector, allocatable?: Record<string, string>): string {
  const divisor = fs.divisor === undefined || fs.divisor === '' ? '1' : fs.divisor;
  const [kind, name] = splitResource(fs.resource);
  const resources = container?.resources ?? {};
  let q: string | number | undefined = resources[kind]?.[name];
  if (q === undefined && kind === 'limits') q = allocatable?.[name];
  if (name === 'cpu') {
    const d = parseCpuMillis(divisor);
    if (d <= 0) throw new Error(`invalid divisor ${divisor} for resource ${fs.resource}`);
    return String(Math.ceil(parseCpuMillis(q ?? 0) / d));
  }
  if (name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-')) {
    const d = Math.ceil(parseQuantity(divisor));
    if (d <= 0) throw new Error(`invalid divisor ${divisor} for resource ${fs.resource}`);
    return String(Math.ceil(Math.ceil(parseQuantity(q ?? 0)) / d));
  }
  throw new Error(`unsupported container resource : ${fs.resource}`);
}

function splitResource(resource: string): ['limits' | 'requests', string] {
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests')) throw new Error(`unsupported container resource : ${resource}`);
  return [kind, resource.slice(dot + 1)];
}

/** The container of that name among the pod's containers, init containers included. */
export function findContainer(pod: KubeObject, name: string): any {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.find((c: any) => c.name === name);
}
