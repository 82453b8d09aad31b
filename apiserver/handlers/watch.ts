// Watch: newline-delimited JSON events over a chunked HTTP response, or one event per
// WebSocket message. Resumes from any resourceVersion still in the watch cache; older
// ones get an ERROR event with a 410 Expired Status so clients re-list. Objects that
// enter or leave a selector are sent as ADDED / DELETED, as Kubernetes' cacher does.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { ApiError, errors } from '../../shared/errors.js';
import type { KubeObject, WatchEventType } from '../../shared/types.js';
import { table, type Format } from '../encode.js';
import { servedStored } from '../registry/conversion/scheme.js';
import { apiVersionOf, storagePrefix } from '../registry/resources.js';
import type { ListOptions } from '../registry/store.js';
import type { StorageEvent } from '../storage/interface.js';
import { boolParam, intParam, listOptions, one, resourceVersionParam, type Query, type RequestInfo } from '../request.js';
import type { ResourceDeps } from './resource.js';
import { watchersGauge } from '../metrics.js';

/** A watcher whose unsent output passes this is cut off; its client re-lists. */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

interface Sink {
  write(line: string): void;
  backlog(): number;
  /** Ends the stream cleanly (timeout, expiry). */
  close(): void;
  /** Drops the connection: the watcher fell too far behind and must re-list. */
  abort(): void;
  onClose(fn: () => void): void;
}

export function serveWatch(deps: ResourceDeps, info: RequestInfo, q: Query, format: Format, req: FastifyRequest, reply: FastifyReply): void {
  // Parse everything that can fail before the 200 goes out.
  const plan = planWatch(info, q);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': format === 'table' ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
    'transfer-encoding': 'chunked',
    'cache-control': 'no-cache, private',
  });
  res.flushHeaders();
  const sink: Sink = {
    write: (line) => void res.write(line + '\n'),
    backlog: () => res.writableLength,
    close: () => res.end(),
    abort: () => res.destroy(),
    onClose: (fn) => {
      req.raw.on('close', fn);
      res.on('close', fn);
    },
  };
  runWatch(deps, info, plan, format === 'table' ? 'table' : 'json', sink, one(q, 'includeObject'));
}

export function serveWebSocketWatch(deps: ResourceDeps, info: RequestInfo, q: Query, socket: WebSocket): void {
  let plan: WatchPlan;
  try {
    plan = planWatch(info, q);
  } catch (err) {
    const status = err instanceof ApiError ? err.toStatus() : errors.internal(String(err)).toStatus();
    socket.send(JSON.stringify({ type: 'ERROR', object: status }));
    socket.close();
    return;
  }
  const sink: Sink = {
    write: (line) => socket.send(line),
    backlog: () => socket.bufferedAmount,
    close: () => socket.close(),
    abort: () => socket.terminate(),
    onClose: (fn) => socket.on('close', fn),
  };
  runWatch(deps, info, plan, 'json', sink);
}

interface WatchPlan {
  list: ListOptions;
  /** undefined: start with the current state as ADDED events. */
  fromRev?: number;
  timeoutMs?: number;
  bookmarks: boolean;
}

function planWatch(info: RequestInfo, q: Query): WatchPlan {
  const list = listOptions(info.resource, q);
  const rv = resourceVersionParam(q);
  // "0" (any) and unset both start from the current state, as Kubernetes' watch cache does.
  const fromRev = rv === 0 ? undefined : rv;
  const timeout = intParam(q, 'timeoutSeconds');
  return { list, fromRev, timeoutMs: timeout ? timeout * 1000 : undefined, bookmarks: boolParam(q, 'allowWatchBookmarks') };
}

function runWatch(deps: ResourceDeps, info: RequestInfo, plan: WatchPlan, format: 'json' | 'table', sink: Sink, includeObject?: string): void {
  const { registry } = deps;
  const r = info.resource;
  const matches = (o: KubeObject | undefined) => o !== undefined && registry.matches(r, o, plan.list.labelSelector, plan.list.fieldSelector);
  let closed = false;
  let sentColumns = false;
  const emit = (type: WatchEventType, obj: KubeObject, raw?: string) => {
    if (closed) return;
    if (format === 'table' && type !== 'ERROR' && type !== 'BOOKMARK') {
      const t = table(r, [obj], String(obj.metadata.resourceVersion ?? ''), includeObject, !sentColumns);
      sentColumns = true;
      sink.write(`{"type":"${type}","object":${JSON.stringify(t)}}`);
    } else {
      const served = servedStored(r, { obj, raw: raw ?? JSON.stringify(obj) });
      sink.write(`{"type":"${type}","object":${served.raw}}`);
    }
    if (sink.backlog() > MAX_BACKLOG_BYTES) stop(true);
  };
  const onEvent = (e: StorageEvent) => {
    try {
      deliver(e);
    } catch {
      // Could not encode or write this event: end the stream so the client re-lists
      // rather than waiting forever on a watch that no longer gets events.
      stop(true);
    }
  };
  const deliver = (e: StorageEvent) => {
    const now = matches(e.obj);
    const before = matches(e.prev);
    if (e.type === 'ADDED') {
      if (now) emit('ADDED', e.obj, e.raw);
    } else if (e.type === 'MODIFIED') {
      if (now && before) emit('MODIFIED', e.obj, e.raw);
      else if (now) emit('ADDED', e.obj, e.raw);
      else if (before) emit('DELETED', e.obj, e.raw);
    } else if (now || before) emit('DELETED', e.obj, e.raw);
  };

  let handle: { stop(): void } | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  watchersGauge.inc();
  const stop = (cut = false) => {
    if (closed) return;
    closed = true;
    watchersGauge.dec();
    handle?.stop();
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    if (cut) sink.abort();
    else sink.close();
  };
  sink.onClose(() => stop());

  const prefix = storagePrefix(r, info.namespace);
  try {
    if (plan.fromRev === undefined) {
      const start = registry.list(r, info.namespace, { ...plan.list, limit: undefined, continue: undefined });
      for (const item of start.items) emit('ADDED', item.obj, item.raw);
      handle = deps.registry.watchFrom(prefix, start.rev, onEvent);
    } else {
      handle = deps.registry.watchFrom(prefix, plan.fromRev, onEvent);
    }
  } catch (err) {
    const status = err instanceof ApiError ? err.toStatus() : errors.internal(String(err)).toStatus();
    emit('ERROR', status as never);
    stop();
    return;
  }
  // Cut off while replaying (backlog too large): release what was just registered.
  if (closed) {
    handle?.stop();
    return;
  }
  if (plan.bookmarks) {
    bookmarkTimer = setInterval(() => {
      emit('BOOKMARK', { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(registry.revision) } });
    }, deps.bookmarkIntervalMs);
  }
  if (plan.timeoutMs) timeoutTimer = setTimeout(() => stop(), plan.timeoutMs);
}
