// Verb dispatch for every resource path: one handler generated from the registry table.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../shared/errors.js';
import { encodeList, encodeObject, negotiate, type Format } from '../encode.js';
import type { ResourceInfo } from '../registry/resources.js';
import type { Registry, WriteOptions, WriteResult } from '../registry/store.js';
import {
  boolParam,
  decodeBody,
  decodeDeleteOptions,
  decodePatch,
  listOptions,
  one,
  parseResourcePath,
  writeOptions,
  type Query,
  type RequestInfo,
} from '../request.js';
import { PROXY_SUBRESOURCES } from './proxy.js';
import { bindPod, toScale, writeScale } from './subresources.js';
import { watchRequested } from '../auth/request-info.js';
import { serveWatch } from './watch.js';
import { authenticatedUser } from '../secure-port.js';

export interface ResourceDeps {
  registry: Registry;
  bookmarkIntervalMs: number;
}

/** Splits `/api/v1/...` or `/apis/g/v/...` into group, version and the rest. */
export function splitApiPath(url: string): { group: string; version: string; rest: string[] } {
  const path = url.split('?')[0]!;
  const segs = path.split('/').slice(1);
  if (segs[0] === 'api') return { group: '', version: segs[1] ?? '', rest: segs.slice(2) };
  return { group: segs[1] ?? '', version: segs[2] ?? '', rest: segs.slice(3) };
}

export async function handleResource(deps: ResourceDeps, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { group, version, rest } = splitApiPath(req.url);
  const info = parseResourcePath(group, version, rest);
  const q = req.query as Query;
  const body = req.body as Buffer | undefined;
  const ct = req.headers['content-type'];
  const { registry } = deps;
  const r = info.resource;
  const ns = info.namespace;
  (req as FastifyRequest & { resourceLabel?: string }).resourceLabel = r.plural;

  const strict = one(q, 'fieldValidation') === 'Strict';
  if (info.subresource === 'binding' && req.method !== 'POST') throw errors.methodNotAllowed('binding only supports create (POST)');
  // pods/log, exec, attach, portforward have their own routes (proxy.ts); any other path to them is refused.
  if (info.subresource && (PROXY_SUBRESOURCES as readonly string[]).includes(info.subresource)) {
    throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  }
  switch (req.method) {
    case 'GET': {
      const format = negotiate(req.headers.accept);
      if (info.name === undefined) {
        if (info.watchPath || watchRequested(q)) return serveWatch(deps, info, q, format, req, reply);
        const list = registry.list(r, ns, listOptions(r, q));
        return send(reply, 200, encodeList(r, list.items, list.rev, list.continue, format, one(q, 'includeObject')));
      }
      if (info.watchPath) return serveWatch(deps, info, { ...q, fieldSelector: `metadata.name=${info.name}` }, format, req, reply);
      const found = registry.get(r, ns, info.name);
      if (info.subresource === 'scale') return sendJson(reply, 200, toScale(found.obj), format, r);
      return send(reply, 200, encodeObject(r, found, format, one(q, 'includeObject')));
    }
    case 'POST': {
      if (info.name !== undefined && info.subresource === 'binding') {
        await bindPod(registry, r, ns!, info.name, decodeBody(ct, body, strict), writeOptions(q, req.headers['user-agent'], authenticatedUser(req)));
        return sendJson(reply, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, 'json', r);
      }
      if (info.name !== undefined) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      const format = negotiate(req.headers.accept);
      const opts = writeOptions(q, req.headers['user-agent'], authenticatedUser(req));
      const result = await registry.create(r, ns, decodeBody(ct, body, strict), opts);
      return sendWrite(reply, r, 201, result, format, opts);
    }
    case 'PUT': {
      if (info.name === undefined) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const format = negotiate(req.headers.accept);
      const opts = writeOptions(q, req.headers['user-agent'], authenticatedUser(req));
      const input = decodeBody(ct, body, strict);
      if (info.subresource === 'scale') {
        const result = await writeScale(registry, r, ns, info.name, { put: input }, opts);
        return sendJson(reply, 200, toScale(result.obj), format, r, opts);
      }
      const result = await registry.update(r, ns, info.name, input, opts, info.subresource);
      return sendWrite(reply, r, 200, result, format, opts);
    }
    case 'PATCH': {
      if (info.name === undefined) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const format = negotiate(req.headers.accept);
      const opts = writeOptions(q, req.headers['user-agent'], authenticatedUser(req));
      const { type, body: patch } = decodePatch(ct, body, strict);
      if (type === 'apply' && !one(q, 'fieldManager')) {
        throw errors.invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
      }
      if (info.subresource === 'scale') {
        if (type === 'apply') throw errors.unsupportedMediaType(ct ?? '');
        const result = await writeScale(registry, r, ns, info.name, { patchType: type, patch }, opts);
        return sendJson(reply, 200, toScale(result.obj), format, r, opts);
      }
      const result = await registry.patch(r, ns, info.name, type, patch, opts, info.subresource);
      return sendWrite(reply, r, result.created ? 201 : 200, result, format, opts);
    }
    case 'DELETE': {
      const format = negotiate(req.headers.accept);
      const opts = writeOptions(q, req.headers['user-agent'], authenticatedUser(req));
      const options = decodeDeleteOptions(ct, body, q);
      if (options.dryRun) opts.dryRun = true;
      if (info.name === undefined) {
        const deleted = await registry.deleteCollection(r, ns, listOptions(r, q), options, opts);
        const items = deleted.map((obj) => ({ key: '', rev: 0, obj, raw: JSON.stringify(obj) }));
        return send(reply, 200, encodeList(r, items, registry.revision, undefined, format === 'table' ? 'json' : format));
      }
      if (info.subresource) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const result = await registry.delete(r, ns, info.name, options, opts);
      return sendWrite(reply, r, 200, result, format, opts);
    }
    default:
      throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
  }
}

function send(reply: FastifyReply, code: number, e: { contentType: string; body: string }): void {
  void reply.code(code).header('content-type', e.contentType).send(e.body);
}

function sendWrite(reply: FastifyReply, r: ResourceInfo, code: number, result: WriteResult, format: Format, opts: WriteOptions): void {
  if (opts.warnings.length) void reply.header('warning', opts.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', '));
  send(reply, code, encodeObject(r, result, format));
}

function sendJson(reply: FastifyReply, code: number, obj: object, format: Format, r: ResourceInfo, opts?: WriteOptions): void {
  if (opts?.warnings.length) void reply.header('warning', opts.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', '));
  const o = obj as { metadata?: { resourceVersion?: string } };
  const e = encodeObject(r, { obj: o as never, raw: JSON.stringify(obj) }, format === 'table' ? 'json' : format);
  send(reply, code, e);
}

export type { RequestInfo };
