// Discovery (/api, /apis, group versions), /version and openapi, generated from the
// resource table so kubectl finds every resource, short name and subresource.
import { RESOURCES, VERBS, groupVersions as storedGroupVersions, type ResourceInfo } from '../registry/resources.js';
import { REVIEW_RESOURCES } from './reviews.js';
import { openapiV3Document, openapiV3Root } from '../registry/schema.js';

const SUBRESOURCE_VERBS: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  binding: ['create'],
  finalize: ['update'],
  log: ['get'],
  exec: ['create', 'get'],
  attach: ['create', 'get'],
  portforward: ['create', 'get'],
  token: ['create'],
};

/** Kinds of the subresources whose kind is not the resource's own, as Kubernetes lists them. */
const SUBRESOURCE_KINDS: Record<string, string> = { binding: 'Binding', exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions' };

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-skiff',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-11-21T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** The stored resources' group versions, then those of the review kinds (create-only, unstored). */
function groupVersions(): { group: string; version: string }[] {
  const out = storedGroupVersions();
  for (const r of REVIEW_RESOURCES) if (!out.some((gv) => gv.group === r.group && gv.version === r.version)) out.push({ group: r.group, version: r.version });
  return out;
}

function apiGroup(group: string): object {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): object {
  const groups = [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => g !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => ({ ...(apiGroup(g) as object), kind: undefined, apiVersion: undefined })) };
}

export function apiGroupInfo(group: string): object | undefined {
  if (!groupVersions().some((gv) => gv.group === group && group !== '')) return undefined;
  return apiGroup(group);
}

export function apiResourceList(group: string, version: string): object | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  const reviews = REVIEW_RESOURCES.filter((r) => r.group === group && r.version === version);
  if (!rs.length && !reviews.length) return undefined;
  const resources: object[] = reviews.map((r) => ({ name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: ['create'] }));
  for (const r of rs) {
    resources.push(resourceEntry(r));
    for (const sub of r.subresources) {
      const entry: Record<string, unknown> = { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: SUBRESOURCE_VERBS[sub] };
      if (sub === 'scale') Object.assign(entry, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
      if (sub === 'token') Object.assign(entry, { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' });
      if (SUBRESOURCE_KINDS[sub]) entry.kind = SUBRESOURCE_KINDS[sub];
      resources.push(entry);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function resourceEntry(r: ResourceInfo): object {
  const e: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: VERBS };
  if (r.shortNames) e.shortNames = r.shortNames;
  if (r.categories) e.categories = r.categories;
  return e;
}

function gvKey(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

function kindsOf(group: string, version: string) {
  return RESOURCES.filter((r) => r.group === group && r.version === version).map((r) => ({ kind: r.kind, plural: r.plural, namespaced: r.namespaced }));
}

export function openapiRoot(): object {
  const gvs = storedGroupVersions();
  const kindsByGv: Record<string, { kind: string; plural: string; namespaced: boolean }[]> = {};
  for (const gv of gvs) kindsByGv[gvKey(gv.group, gv.version)] = kindsOf(gv.group, gv.version);
  return openapiV3Root(gvs.map((gv) => gvKey(gv.group, gv.version)), kindsByGv as never);
}

/** `/openapi/v3/apis/apps/v1` → the document for apps/v1. */
export function openapiDocument(path: string): object | undefined {
  const m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/?]+))\/?(?:\?.*)?$/.exec(path);
  if (!m) return undefined;
  const group = m[1] ? '' : m[2]!;
  const version = m[1] ?? m[3]!;
  const kinds = kindsOf(group, version);
  if (!kinds.length) return undefined;
  return openapiV3Document(group, version, kinds);
}
