// One informer per resource, shared by every controller in a process (client-go's
// SharedInformerFactory): controllers register handlers and indexes, then the factory
// starts them all and waits until every one has synced.
import type { Logger } from 'pino';
import type { Client, ResourceRef } from './client.js';
import { Informer, type InformerOptions } from './informer.js';
import type { KubeObject } from './types.js';

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly client: Client,
    private readonly log: Logger,
    private readonly opts: InformerOptions = {},
  ) {}

  for<T extends KubeObject = KubeObject>(r: ResourceRef): Informer<T> {
    const key = `${r.group}/${r.version}/${r.plural}`;
    let inf = this.informers.get(key);
    if (!inf) {
      if (this.started) throw new Error(`informer for ${key} requested after start`);
      inf = new Informer<KubeObject>(this.client, r, this.log.child({ informer: r.plural }), this.opts);
      this.informers.set(key, inf);
    }
    return inf as unknown as Informer<T>;
  }

  /** Starts every informer and resolves once all have listed. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
