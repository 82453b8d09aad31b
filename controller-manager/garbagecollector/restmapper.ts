// Which resource an ownerReference's apiVersion/kind names (the REST mapper), from a
// table of known kinds and else from discovery, remembered per group version.
import type { Client, ResourceRef } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';

export interface ResourceMapping {
  ref: ResourceRef;
  namespaced: boolean;
}

export interface KindMapping {
  apiVersion: string;
  kind: string;
  ref: ResourceRef;
}

/** The kind is not served (yet): a transient error, retried with backoff. */
export class RestMappingError extends Error {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
    why: string,
  ) {
    super(`unable to map ${apiVersion}/${kind} to a resource: ${why}`);
    this.name = 'RestMappingError';
  }
}

interface ApiResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export class RestMapper {
  private readonly known = new Map<string, ResourceMapping>();
  private readonly discovered = new Map<string, Promise<Map<string, ResourceMapping>>>();

  constructor(
    private readonly client: Pick<Client, 'request'>,
    known: KindMapping[] = [],
  ) {
    for (const k of known) this.known.set(`${k.apiVersion}|${k.kind}`, { ref: k.ref, namespaced: k.ref.namespaced });
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceMapping> {
    const hit = this.known.get(`${apiVersion}|${kind}`);
    if (hit) return hit;
    let kinds = this.discovered.get(apiVersion);
    if (!kinds) {
      kinds = this.discover(apiVersion);
      this.discovered.set(apiVersion, kinds);
      // A failed or partial discovery is not remembered: the next lookup asks again.
      kinds.catch(() => this.discovered.delete(apiVersion));
    }
    let mapping: ResourceMapping | undefined;
    try {
      mapping = (await kinds).get(kind);
    } catch (err) {
      if (err instanceof RestMappingError) throw new RestMappingError(apiVersion, kind, `${apiVersion} is not served`);
      throw err;
    }
    if (!mapping) {
      this.discovered.delete(apiVersion);
      throw new RestMappingError(apiVersion, kind, `no kind ${kind} in ${apiVersion}`);
    }
    return mapping;
  }

  private async discover(apiVersion: string): Promise<Map<string, ResourceMapping>> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    let list: ApiResourceList;
    try {
      list = await this.client.request<ApiResourceList>('GET', path);
    } catch (err) {
      if (isApiError(err) && err.code === 404) throw new RestMappingError(apiVersion, '', 'not served');
      throw err;
    }
    const out = new Map<string, ResourceMapping>();
    for (const r of list.resources) {
      if (r.name.includes('/')) continue;
      out.set(r.kind, { ref: { group: group!, version: version!, plural: r.name, namespaced: r.namespaced }, namespaced: r.namespaced });
    }
    return out;
  }
}
