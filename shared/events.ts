// The event recorder (client-go's record.EventRecorder): controllers say what they did,
// as core/v1 Events that `kubectl describe` and `kubectl get events` show. Repeats of the
// same event within ten minutes bump the count instead of creating a new object.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Client } from './client.js';
import { R } from './resources.js';
import type { KubeObject } from './types.js';

export interface EventRecorder {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
  at: number;
}

const DEDUPE_MS = 10 * 60 * 1000;

export class ApiEventRecorder implements EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly client: Client,
    private readonly component: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.record(obj, type, reason, message).catch((err: unknown) => this.log.warn({ err, reason }, 'could not record event'));
  }

  private async record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const m = obj.metadata;
    const namespace = m.namespace || 'default';
    const key = [m.uid, type, reason, message].join('\u0000');
    const ts = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const prior = this.seen.get(key);
    if (prior && this.now().getTime() - prior.at < DEDUPE_MS) {
      prior.count++;
      prior.at = this.now().getTime();
      try {
        await this.client.patch(R.events, prior.namespace, prior.name, { count: prior.count, lastTimestamp: ts });
        return;
      } catch (err) {
        // The event expired or was deleted: record it anew below.
        if ((err as { code?: number }).code !== 404) throw err;
        this.seen.delete(key);
      }
    }
    const name = `${m.name}.${randomBytes(8).toString('hex')}`;
    const involvedObject = { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion };
    await this.client.create(R.events, namespace, {
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      type,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: '',
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    } as KubeObject);
    this.seen.set(key, { name, namespace, count: 1, first: ts, at: this.now().getTime() });
    if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** A recorder that keeps events in memory, for unit tests. */
export class FakeRecorder implements EventRecorder {
  readonly events: { reason: string; type: string; message: string; object: string }[] = [];
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ reason, type, message, object: `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}` });
  }
}
