// The informer (client-go's reflector + store): list, then watch from the list's
// resourceVersion; advance on every event; re-list on 410; back off on other failures
// (about 0.8 s doubling to 30 s with jitter). It never stops by itself. The store is
// updated before handlers run, and a re-list reports deletes for objects that vanished.
import type { Logger } from 'pino';
import type { Client, ResourceRef } from './client.js';
import type { KubeObject } from './types.js';

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, obj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Injectable so tests never sleep. */
  delay?: (ms: number) => Promise<void>;
  random?: () => number;
}

export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

/** Values an object is indexed under, e.g. its spec.nodeName or its owner's uid. */
export type IndexFunc<T> = (obj: T) => string[];

export const byNamespace: IndexFunc<KubeObject> = (o) => [o.metadata.namespace ?? ''];
export const byControllerUID: IndexFunc<KubeObject> = (o) => (o.metadata.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid);

/** Runs one handler; a throwing handler is logged and does not keep the event from the others. */
function call(log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'informer event handler failed');
  }
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, { fn: IndexFunc<T>; values: Map<string, Set<string>> }>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private synced = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private resourceVersion = '';

  constructor(
    private readonly client: Client,
    private readonly resource: ResourceRef,
    private readonly log: Logger,
    private readonly opts: InformerOptions = {},
  ) {}

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  /** Adds an index; call before start(). */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.indexes.set(name, { fn, values: new Map() });
  }

  /** Objects whose index `name` holds `value`. */
  byIndex(name: string, value: string): T[] {
    const idx = this.indexes.get(name);
    if (!idx) throw new Error(`no index ${name}`);
    return [...(idx.values.get(value) ?? [])].map((k) => this.items.get(k)!).filter(Boolean);
  }

  private store(key: string, obj: T | undefined): void {
    const old = this.items.get(key);
    for (const idx of this.indexes.values()) {
      if (old) {
        for (const v of idx.fn(old)) {
          const set = idx.values.get(v);
          set?.delete(key);
          if (set?.size === 0) idx.values.delete(v);
        }
      }
      if (obj) {
        for (const v of idx.fn(obj)) {
          let set = idx.values.get(v);
          if (!set) idx.values.set(v, (set = new Set()));
          set.add(key);
        }
      }
    }
    if (obj) this.items.set(key, obj);
    else this.items.delete(key);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /** Runs until stop(); resolves the returned promise's first step once synced. */
  start(): Promise<void> {
    return new Promise((resolveSynced) => {
      void this.run(resolveSynced);
    });
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async run(onSynced: () => void): Promise<void> {
    const delay = this.opts.delay ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const random = this.opts.random ?? Math.random;
    let failures = 0;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          if (!this.synced) {
            this.synced = true;
            onSynced();
          }
        }
        const started = Date.now();
        needList = await this.watchOnce();
        if (Date.now() - started > 30_000) failures = 0;
      } catch (err) {
        if (this.stopped) return;
        failures++;
        const backoff = Math.min(800 * 2 ** (failures - 1), 30_000) * (1 + random() * 0.2);
        this.log.warn({ err, resource: this.resource.plural, backoffMs: Math.round(backoff) }, 'list/watch failed; backing off');
        await delay(backoff);
      }
    }
  }

  private async relist(): Promise<void> {
    const list = await this.client.list<T>(this.resource, this.opts.namespace, { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector });
    const fresh = new Map(list.items.map((o) => [keyOf(o), o]));
    for (const [key, old] of [...this.items]) {
      if (!fresh.has(key)) {
        this.store(key, undefined);
        for (const h of this.handlers) call(this.log, () => h.onDelete?.(old));
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.items.get(key);
      this.store(key, obj);
      for (const h of this.handlers) call(this.log, () => (old ? h.onUpdate?.(old, obj) : h.onAdd?.(obj)));
    }
    this.resourceVersion = list.metadata.resourceVersion ?? '';
  }

  /** One watch stream; returns true when the caller must re-list (410 Gone). */
  private async watchOnce(): Promise<boolean> {
    const events = this.client.watch<T>(
      this.resource,
      this.opts.namespace,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300), labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector },
      this.abort.signal,
    );
    for await (const e of events) {
      if (e.type === 'ERROR') {
        const status = e.object as unknown as { code?: number; message?: string };
        if (status.code === 410) return true;
        throw new Error(`watch error: ${status.message ?? JSON.stringify(status)}`);
      }
      const rv = e.object.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (e.type === 'BOOKMARK') continue;
      const key = keyOf(e.object);
      const old = this.items.get(key);
      if (e.type === 'DELETED') {
        this.store(key, undefined);
        for (const h of this.handlers) call(this.log, () => h.onDelete?.(old ?? e.object));
      } else {
        this.store(key, e.object);
        for (const h of this.handlers) call(this.log, () => (old ? h.onUpdate?.(old, e.object) : h.onAdd?.(e.object)));
      }
    }
    return false;
  }
}
