// What a user reads from `kubectl get pods|nodes -o json` in the seeds' scenarios, reduced to
// the fields the assertions need: where a pod runs, whether it is Running and Ready, being
// deleted, its containers' IDs and restart counts; each node's STATUS column.
import type { SkiffCluster } from './skiff-up.js';

export interface PodView {
  name: string;
  uid: string;
  node: string;
  phase: string;
  ready: boolean;
  deleting: boolean;
  ip: string;
  /** Container name → docker ID (without the docker:// prefix). */
  containerIDs: Record<string, string>;
  restarts: number;
}

interface PodJSON {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; containerID?: string; restartCount?: number }[];
  };
}

export function podView(p: PodJSON): PodView {
  const cs = p.status.containerStatuses ?? [];
  return {
    name: p.metadata.name,
    uid: p.metadata.uid,
    node: p.spec.nodeName ?? '',
    phase: p.status.phase ?? '',
    ready: (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    deleting: !!p.metadata.deletionTimestamp,
    ip: p.status.podIP ?? '',
    containerIDs: Object.fromEntries(cs.map((c) => [c.name, (c.containerID ?? '').replace(/^docker:\/\//, '')])),
    restarts: cs.reduce((n, c) => n + (c.restartCount ?? 0), 0),
  };
}

/** The pods of a namespace (matching `selector`, a kubectl -l expression). */
export async function pods(c: SkiffCluster, ns: string, selector?: string): Promise<PodView[]> {
  const list = await c.json<{ items: PodJSON[] }>(['get', 'pods', '-n', ns, ...(selector ? ['-l', selector] : [])]);
  return list.items.map(podView);
}

/** Running, Ready and not being deleted: the pods a ReplicaSet counts as available. */
export const live = (ps: PodView[]): PodView[] => ps.filter((p) => p.phase === 'Running' && p.ready && !p.deleting);

/** Node name → the STATUS column of `kubectl get nodes` (Ready, NotReady, …). */
export async function nodeStatus(c: SkiffCluster): Promise<Map<string, string>> {
  const out = await c.k(['get', 'nodes', '--no-headers']);
  return new Map(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/) as [string, string]),
  );
}

/** The sorted names `kubectl get pods -n NS -l SELECTOR -o name` prints. */
export async function podNames(c: SkiffCluster, ns: string, selector?: string): Promise<string[]> {
  const out = await c.k(['get', 'pods', '-n', ns, ...(selector ? ['-l', selector] : []), '-o', 'name']);
  return out.split('\n').filter(Boolean).sort();
}
