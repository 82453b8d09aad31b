// Kubernetes' RequestInfoFactory (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go):
// what a request asks for, in the authorizer's vocabulary. Resource requests live under
// /api/{version} and /apis/{group}/{version}; everything else is a non-resource request
// whose verb is the lower-cased HTTP method. Parsing never fails the request: a path
// the server does not serve still gets attributes, and the handler answers 404 later.

export interface RequestInfo {
  /** True for /api/v1/... and /apis/{group}/{version}/...; false for /healthz, /version, /api. */
  isResourceRequest: boolean;
  /** The URL path, unescaped as the server saw it, without the query. */
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, proxy; the lower-cased method for non-resource requests. */
  verb: string;
  /** `api` or `apis`; empty for non-resource requests. */
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  /** Empty for cluster-scoped requests. */
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** The path segments from the resource on: resource/name/subresource/... */
  parts: string[];
}

export interface RequestInput {
  method: string;
  /** The request URL; a query string on it is read when `query` is not given. */
  url: string;
  query?: Record<string, string | string[] | undefined>;
  /** Request headers (lower-case names), to tell WebSocket upgrades apart. */
  headers?: Record<string, string | string[] | undefined>;
}

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_API_PREFIXES = new Set(['api']);
/** Legacy verbs written as the first path segment: /api/v1/watch/pods, /api/v1/proxy/nodes/x. */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
/** Subresources of a namespace itself: /api/v1/namespaces/{name}/status. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
/** pods subresources that open a stream: a WebSocket GET on them is authorized as create. */
const POD_CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The RequestInfo of one HTTP request. */
export function requestInfo(input: RequestInput): RequestInfo {
  const [rawPath, rawQuery] = splitUrl(input.url);
  const path = rawPath;
  const query = input.query ?? parseQuery(rawQuery);
  const method = input.method.toUpperCase();
  const info: RequestInfo = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '',
    namespace: '', resource: '', subresource: '', name: '', parts: [],
  };

  let parts = splitPath(path);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0]!)) return info;
  const prefix = parts[0]!;
  parts = parts.slice(1);
  if (!GROUPLESS_API_PREFIXES.has(prefix)) {
    // /apis/{group}/{version}/... needs one more segment than /api/{version}/...
    if (parts.length < 3) return info;
    info.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  info.apiPrefix = prefix;
  info.isResourceRequest = true;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);

  if (SPECIAL_VERBS.has(parts[0]!)) {
    // Upstream fails such a request ("unable to determine kind and namespace"); here it stays a bare verb.
    if (parts.length < 2) {
      info.verb = parts[0]!;
      return info;
    }
    info.verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[method] ?? '';
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      // /namespaces/{ns}/{resource}/...: the resource is what follows, unless it is the namespace's own subresource.
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  info.parts = parts;

  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  // No name on a get: a collection, so list or watch; a metadata.name field selector names the object.
  if (info.name === '' && info.verb === 'get') {
    info.verb = watchRequested(query) ? 'watch' : 'list';
    const selected = nameFromFieldSelector(first(query.fieldSelector));
    if (selected !== undefined && isValidPathSegmentName(selected)) info.name = selected;
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';

  // Kubernetes 1.30+ (AuthorizePodWebsocketUpgradeCreatePermission): streaming into a
  // pod over a WebSocket GET needs the same `create` a POST needs.
  if (
    info.verb === 'get' && info.apiGroup === '' && info.resource === 'pods' &&
    POD_CONNECT_SUBRESOURCES.has(info.subresource) && isWebSocketRequest(input.headers)
  ) {
    info.verb = 'create';
  }
  return info;
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape stays as sent; the resource handler rejects the path with its own 400.
    decoded = path;
  }
  return [decoded, q < 0 ? '' : url.slice(q + 1)];
}

/** splitPath: trims slashes at both ends and splits on '/'. */
function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function parseQuery(raw: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(raw)) (out[k] ??= []).push(v);
  return out;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * ListOptions.Watch as the parameter codec decodes it (Convert_Slice_string_To_bool):
 * any value but "0" and "false" (any case) asks for a watch, even an empty one.
 */
export function watchRequested(query: Record<string, string | string[] | undefined>): boolean {
  const v = first(query.watch);
  if (v === undefined) return false;
  return v !== '0' && v.toLowerCase() !== 'false';
}

/** fields.Selector.RequiresExactMatch("metadata.name"): the value of `metadata.name=` or `==`. */
export function nameFromFieldSelector(selector: string | undefined): string | undefined {
  if (!selector) return undefined;
  for (const term of splitTerms(selector)) {
    const m = /^metadata\.name(==?)(.*)$/s.exec(term);
    if (m && !m[2]!.startsWith('=')) return unescapeSelectorValue(m[2]!);
  }
  return undefined;
}

/** Splits a field selector on commas that are not escaped with a backslash. */
function splitTerms(selector: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i]!;
    if (c === '\\' && i + 1 < selector.length) {
      cur += c + selector[i + 1];
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((t) => t.trim());
}

function unescapeSelectorValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** path.IsValidPathSegmentName: not `.`/`..`, no `/` or `%`. */
function isValidPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

/** wsstream.IsWebSocketRequest: `Connection: Upgrade` and `Upgrade: websocket`. */
function isWebSocketRequest(headers: RequestInput['headers']): boolean {
  if (!headers) return false;
  const connection = [headers.connection].flat().join(',').toLowerCase();
  const upgrade = [headers.upgrade].flat().join(',').toLowerCase();
  return connection.split(',').some((t) => t.trim() === 'upgrade') && upgrade.split(',').some((t) => t.trim() === 'websocket');
}
