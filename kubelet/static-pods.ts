// Static pods (the kubelet's file config source, pkg/kubelet/config/file.go + common.go) and
// their mirror pods (pkg/kubelet/pod/mirror_client.go). Every manifest (YAML or JSON, one
// pod per file) in --pod-manifest-path is read on a poll and on a change of the directory;
// each becomes a pod the kubelet runs itself: named <name>-<nodeName>, namespace "default"
// unless set, spec.nodeName set, its uid an md5 over the manifest's content and the node
// (as upstream's applyDefaults), annotated kubernetes.io/config.{source,hash,seen}. The
// apiserver shows it as a mirror pod (annotation kubernetes.io/config.mirror=<hash>, owned
// by the Node) whose status the pod worker posts. A mirror pod deleted through the API, or
// whose hash no longer matches, is recreated; a removed file terminates the pod (grace
// period, preStop hooks) and then deletes its mirror pod; an edited one replaces the pod.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { applyPodDefaults } from '../apiserver/registry/defaults-pod.js';
import type { Client } from '../shared/client.js';
import { isApiError } from '../shared/errors.js';
import { R } from '../shared/resources.js';
import type { KubeObject } from '../shared/types.js';
import { canonical } from './pod-worker.js';

export const ANN_SOURCE = 'kubernetes.io/config.source';
export const ANN_HASH = 'kubernetes.io/config.hash';
export const ANN_SEEN = 'kubernetes.io/config.seen';
export const ANN_MIRROR = 'kubernetes.io/config.mirror';

export const isMirrorPod = (p: KubeObject | undefined) => Boolean(p?.metadata.annotations?.[ANN_MIRROR]);
export const isStaticPod = (p: KubeObject | undefined) => p?.metadata.annotations?.[ANN_SOURCE] === 'file';
const keyOfPod = (p: KubeObject) => `${p.metadata.namespace}/${p.metadata.name}`;

export interface StaticPodDeps {
  client: Client;
  log: Logger;
  nodeName: string;
  /** The directory of manifests. */
  path: string;
  /** Seconds between polls of the directory (upstream's fileCheckFrequency is 20 s). */
  pollSeconds: number;
  /** The pod keys whose static pod appeared, changed or went: the agent syncs them. */
  onChange: (key: string) => void;
  /** The mirror pod of that key as the informer has it. */
  mirrorFor: (key: string) => KubeObject | undefined;
  now: () => Date;
}

export class StaticPods {
  /** Static pods by key; a pod whose file went stays here (deletionTimestamp set) until terminated. */
  private readonly pods = new Map<string, KubeObject>();
  /** The manifest file of each key (an edit of another file cannot steal a key). */
  private readonly files = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private watcher?: FSWatcher;
  private scanning?: Promise<void>;
  private rescan = false;
  private nodeUid?: string;

  constructor(private readonly d: StaticPodDeps) {}

  async start(): Promise<void> {
    await this.scan();
    try {
      this.watcher = watch(this.d.path, () => void this.scanSoon());
      this.watcher.on('error', (err) => this.d.log.warn({ err }, 'watch of the pod manifest path failed; polling only'));
    } catch (err) {
      this.d.log.warn({ err, path: this.d.path }, 'cannot watch the pod manifest path; polling only');
    }
    const tick = () => {
      this.timer = setTimeout(() => void this.scanSoon().finally(tick), this.d.pollSeconds * 1000);
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
  }

  /** The static pod of a key (with the mirror pod's status as its own), or undefined. */
  podFor(key: string): KubeObject | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    const mirror = this.d.mirrorFor(key);
    const status = mirror && mirror.metadata.annotations?.[ANN_MIRROR] === p.metadata.uid ? mirror.status : undefined;
    return { ...p, status: status ?? { phase: 'Pending' } };
  }

  keys(): string[] {
    return [...this.pods.keys()];
  }

  uids(): string[] {
    return [...this.pods.values()].map((p) => p.metadata.uid!);
  }

  /** The pod worker finished terminating a pod: a removed static pod is forgotten, its mirror deleted. */
  async terminated(pod: KubeObject): Promise<void> {
    const key = keyOfPod(pod);
    const cur = this.pods.get(key);
    if (cur && cur.metadata.uid === pod.metadata.uid && cur.metadata.deletionTimestamp) {
      this.pods.delete(key);
      this.files.delete(key);
    }
    await this.syncMirror(key);
  }

  /**
   * Converges the mirror pod of `key` (upstream's syncPod part for static pods): none when
   * there is no static pod (or it is terminating); deleted and recreated when it is being
   * deleted or its hash is not the static pod's; created when missing.
   */
  async syncMirror(key: string): Promise<void> {
    const pod = this.pods.get(key);
    const mirror = this.d.mirrorFor(key);
    const want = pod && !pod.metadata.deletionTimestamp;
    const stale = mirror && (!want || mirror.metadata.deletionTimestamp || mirror.metadata.annotations?.[ANN_MIRROR] !== pod!.metadata.uid);
    if (mirror && stale) {
      this.d.log.info({ pod: key, reason: want ? 'outdated or being deleted' : 'no static pod' }, 'deleting mirror pod');
      await this.deleteMirror(mirror);
    }
    if (!want || (mirror && !stale)) return;
    await this.createMirror(pod);
  }

  private async deleteMirror(mirror: KubeObject): Promise<void> {
    try {
      await this.d.client.delete(R.pods, mirror.metadata.namespace, mirror.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: mirror.metadata.uid } });
    } catch (err) {
      if (!(isApiError(err) && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  private async createMirror(pod: KubeObject): Promise<void> {
    this.nodeUid ??= (await this.d.client.get(R.nodes, undefined, this.d.nodeName)).metadata.uid;
    const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...meta } = pod.metadata;
    const mirror: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...meta,
        annotations: { ...pod.metadata.annotations, [ANN_MIRROR]: pod.metadata.uid! },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.d.nodeName, uid: this.nodeUid!, controller: true }],
      },
      spec: pod.spec,
    };
    try {
      await this.d.client.create(R.pods, pod.metadata.namespace, mirror);
      this.d.log.info({ pod: keyOfPod(pod) }, 'created mirror pod');
    } catch (err) {
      if (!(isApiError(err) && err.code === 409)) throw err; // the old one is still going: the next sync retries
    }
  }

  private scanSoon(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = this.scan()
      .catch((err: unknown) => this.d.log.warn({ err, path: this.d.path }, 'reading the pod manifest path failed'))
      .finally(() => {
        this.scanning = undefined;
        if (this.rescan) {
          this.rescan = false;
          void this.scanSoon();
        }
      });
    return this.scanning;
  }

  /** Reads every manifest; new, changed and removed static pods are reported to the agent. */
  private async scan(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.d.path)).filter((n) => !n.startsWith('.')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      names = [];
    }
    const seen = new Map<string, KubeObject>();
    const fileOf = new Map<string, string>();
    for (const name of names) {
      const file = join(this.d.path, name);
      let pod: KubeObject;
      try {
        pod = this.parse(await readFile(file, 'utf8'), file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EISDIR') continue;
        this.d.log.warn({ file, err: (err as Error).message }, 'could not read static pod manifest');
        continue;
      }
      const key = keyOfPod(pod);
      if (seen.has(key)) {
        this.d.log.warn({ file, pod: key, other: fileOf.get(key) }, 'duplicate static pod name; ignoring the file');
        continue;
      }
      seen.set(key, pod);
      fileOf.set(key, file);
    }
    const now = this.d.now().toISOString();
    for (const [key, pod] of seen) {
      const cur = this.pods.get(key);
      if (cur && cur.metadata.uid === pod.metadata.uid && !cur.metadata.deletionTimestamp) continue;
      pod.metadata.annotations![ANN_SEEN] = now;
      this.d.log.info({ pod: key, uid: pod.metadata.uid, file: fileOf.get(key) }, cur ? 'static pod changed' : 'static pod added');
      this.pods.set(key, pod);
      this.files.set(key, fileOf.get(key)!);
      this.d.onChange(key);
    }
    for (const [key, cur] of this.pods) {
      if (seen.has(key) || cur.metadata.deletionTimestamp) continue;
      this.d.log.info({ pod: key }, 'static pod removed');
      const grace = Number(cur.spec?.terminationGracePeriodSeconds ?? 30);
      this.pods.set(key, { ...cur, metadata: { ...cur.metadata, deletionTimestamp: now, deletionGracePeriodSeconds: grace } });
      this.d.onChange(key);
    }
  }

  /** A manifest → the static pod (upstream's tryDecodeSinglePod + applyDefaults). */
  private parse(text: string, file: string): KubeObject {
    const ext = extname(file).toLowerCase();
    const obj = (ext === '.json' ? JSON.parse(text) : parseYaml(text)) as KubeObject | null;
    if (!obj || typeof obj !== 'object' || obj.kind !== 'Pod' || !obj.metadata?.name) throw new Error(`${file}: not a v1 Pod with a metadata.name`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== 'v1') throw new Error(`${file}: apiVersion ${String(obj.apiVersion)} is not v1`);
    if (!Array.isArray(obj.spec?.containers) || !obj.spec.containers.length) throw new Error(`${file}: spec.containers is required`);
    const pod = structuredClone(obj) as KubeObject;
    const uid = pod.metadata.uid || createHash('md5').update(canonical(obj)).update(`host:${this.d.nodeName}`).update(`file:${file}`).digest('hex');
    pod.apiVersion = 'v1';
    pod.metadata = {
      ...pod.metadata,
      name: `${pod.metadata.name}-${this.d.nodeName}`,
      namespace: pod.metadata.namespace || 'default',
      uid,
      annotations: { ...pod.metadata.annotations, [ANN_SOURCE]: 'file', [ANN_HASH]: uid },
    };
    delete pod.status;
    applyPodDefaults(pod as never);
    pod.spec.nodeName = this.d.nodeName;
    // As upstream: a static pod tolerates every NoExecute taint.
    pod.spec.tolerations = [...(pod.spec.tolerations ?? []), { operator: 'Exists', effect: 'NoExecute' }];
    return pod;
  }
}
