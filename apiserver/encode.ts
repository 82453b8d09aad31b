// Response encoding: JSON (from the stored bytes where possible), YAML, and the
// meta.k8s.io/v1 Table that `kubectl get` asks for. Objects go out in the version the
// request addressed (conversion/scheme.ts); tables print from the stored version, as
// upstream's printers print the internal one.
import YAML from 'yaml';
import { errors } from '../shared/errors.js';
import type { KubeObject } from '../shared/types.js';
import { servedObject, servedStored } from './registry/conversion/scheme.js';
import { columnsFor, podRowConditions, rowCells } from './registry/tables.js';
import { apiVersionOf, type ResourceInfo } from './registry/resources.js';
import type { StoredObject } from './storage/interface.js';

export type Format = 'json' | 'yaml' | 'table';

/** Picks the first media type in Accept that skiff can produce, as content negotiation does. */
export function negotiate(accept: string | undefined): Format {
  if (!accept || accept.trim() === '') return 'json';
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    if (type === 'application/json' || type === 'application/*' || type === '*/*') {
      if (p.as === 'table') {
        if (p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1')) return 'table';
        continue;
      }
      if (p.as) continue;
      return 'json';
    }
    if (type === 'application/yaml') return 'yaml';
  }
  throw errors.notAcceptable('only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
}

export function contentTypeOf(format: Format): string {
  return format === 'yaml' ? 'application/yaml' : 'application/json';
}

export interface Encoded {
  contentType: string;
  body: string;
}

export function encodeObject(r: ResourceInfo, o: { obj: KubeObject; raw: string }, format: Format, includeObject?: string): Encoded {
  if (format === 'table') return { contentType: 'application/json', body: JSON.stringify(table(r, [o.obj], String(o.obj.metadata.resourceVersion ?? ''), includeObject)) };
  const served = servedStored(r, o);
  if (format === 'yaml') return { contentType: 'application/yaml', body: YAML.stringify(served.obj) };
  return { contentType: 'application/json', body: served.raw };
}

export function encodeList(r: ResourceInfo, items: StoredObject[], rev: number, cont: string | undefined, format: Format, includeObject?: string): Encoded {
  const meta: Record<string, string> = { resourceVersion: String(rev) };
  if (cont) meta.continue = cont;
  if (format === 'table') {
    const t = table(r, items.map((i) => i.obj), String(rev), includeObject);
    t.metadata = meta;
    return { contentType: 'application/json', body: JSON.stringify(t) };
  }
  const head = { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: meta };
  const served = items.map((i) => servedStored(r, i));
  if (format === 'yaml') return { contentType: 'application/yaml', body: YAML.stringify({ ...head, items: served.map((i) => i.obj) }) };
  const body = JSON.stringify(head).slice(0, -1) + ',"items":[' + served.map((i) => i.raw).join(',') + ']}';
  return { contentType: 'application/json', body };
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: Record<string, string>;
  columnDefinitions: unknown[];
  rows: unknown[];
}

export function table(r: ResourceInfo, objs: KubeObject[], rv: string, includeObject = 'Metadata', withColumns = true): Table {
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv },
    columnDefinitions: withColumns ? columnsFor(r.plural) : [],
    rows: objs.map((o) => {
      const row: Record<string, unknown> = { cells: rowCells(r.plural, o, now) };
      if (r.plural === 'pods') {
        const conditions = podRowConditions(o);
        if (conditions) row.conditions = conditions;
      }
      if (includeObject === 'Object') row.object = servedObject(r, o);
      else if (includeObject !== 'None') {
        row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      }
      return row;
    }),
  };
}
