// The generic registry store (Kubernetes' genericregistry.Store): create, get, list,
// update, patch and delete for every resource in the table, with defaults, validation,
// optimistic concurrency, the status/spec split, generation, graceful deletion and
// finalizers. All decisions about one key run inside one storage transaction.
//
// Admission runs as in kube-apiserver: defaults, then the mutating plugins, then
// validation, then the validating plugins. The validating pass runs inside the write's
// transaction, against the latest state, and may ask for writes of its own (a quota
// charge) that are made in the same turn, right after the object's write is accepted.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { cause, errors, type StatusCause } from '../../shared/errors.js';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import type { AdmissionChain } from '../admission/chain.js';
import { StorageAdmissionContext } from '../admission/context.js';
import type { AdmissionEffect, Attributes, Operation, UserInfo } from '../admission/interface.js';
import { newAdmissionChain, type AdmissionOptions } from '../admission/plugins.js';
import { applyPatch, type PatchType } from '../patch/apply-patch.js';
import type { Storage, StorageEvent, StoredObject, TxnResult, WatchHandle } from '../storage/interface.js';
import { servedObject, toStorageVersion } from './conversion/scheme.js';
import { applyDefaults, computePodQOS } from './defaults.js';
import { fieldsOf } from './fields.js';
import { recordManager, serverSideApply } from './managed-fields.js';
import { apiVersionOf, storageKey, storagePrefix, type ResourceInfo } from './resources.js';
import { checkSchema, pruneUnknown } from './schema.js';
import type { ServiceAllocations } from './services.js';
import { validateObject } from './validation.js';
import { timestamp } from './time.js';

export { timestamp };

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  force?: boolean;
  /** Filled with Warning headers to send back. */
  warnings: string[];
  /** Who asks, once authentication says; admission plugins see it. */
  userInfo?: UserInfo;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
}

export interface ListOptions {
  labelSelector: LabelSelector;
  fieldSelector: FieldRequirement[];
  limit?: number;
  continue?: string;
}

export interface WriteResult {
  obj: KubeObject;
  raw: string;
  created: boolean;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATE_ATTEMPTS = 8;

export class Registry {
  readonly admission: AdmissionChain;
  /** Writes the validating plugins asked for during the transaction being decided. */
  private effects: AdmissionEffect[] | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly services: ServiceAllocations,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    admission: AdmissionOptions = {},
  ) {
    const writeStatus = (r: ResourceInfo, ns: string, name: string, change: (copy: KubeObject) => KubeObject) =>
      this.mutate(r, ns, name, change, { dryRun: false, fieldValidation: 'Ignore', warnings: [] }, { sub: 'status' });
    this.admission = newAdmissionChain(new StorageAdmissionContext(storage, writeStatus), admission);
  }

  get revision(): number {
    return this.storage.revision;
  }

  /** Storage events after `fromRev` for keys under `prefix` (watch-cache replay, then live). */
  watchFrom(prefix: string, fromRev: number, onEvent: (e: StorageEvent) => void): WatchHandle {
    return this.storage.watch(prefix, fromRev, onEvent);
  }

  get(r: ResourceInfo, ns: string | undefined, name: string): StoredObject {
    const found = this.storage.get(storageKey(r, ns, name));
    if (!found) throw errors.notFound(r.plural, r.group, name);
    return found;
  }

  list(r: ResourceInfo, ns: string | undefined, opts: ListOptions): { items: StoredObject[]; rev: number; continue?: string } {
    const rev = this.storage.revision;
    const all = this.storage.list(storagePrefix(r, ns));
    let start = 0;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      start = all.findIndex((o) => o.key > token.key);
      if (start < 0) start = all.length;
    }
    const items: StoredObject[] = [];
    let next: string | undefined;
    for (let i = start; i < all.length; i++) {
      const o = all[i]!;
      if (!this.matches(r, o.obj, opts.labelSelector, opts.fieldSelector)) continue;
      if (opts.limit && items.length >= opts.limit) {
        next = encodeContinue(items[items.length - 1]!.key, rev);
        break;
      }
      items.push(o);
    }
    return { items, rev, continue: next };
  }

  matches(r: ResourceInfo, obj: KubeObject, labels: LabelSelector, fields: FieldRequirement[]): boolean {
    if (labels.length && !matchesLabels(labels, obj.metadata?.labels)) return false;
    if (fields.length && !matchesFields(fields, fieldsOf(r, obj))) return false;
    return true;
  }

  async create(r: ResourceInfo, ns: string | undefined, body: unknown, opts: WriteOptions): Promise<WriteResult> {
    const obj = this.decode(r, ns, body, opts);
    const generated = (obj.metadata.name === undefined || obj.metadata.name === '') && !!obj.metadata.generateName;
    this.initCreate(r, obj);
    await this.admission.prepare(this.attributes('CREATE', r, ns, obj, undefined, opts));
    this.admitCreate(r, ns, obj, opts, 'Update');
    // A generated name that is taken is drawn again, as kube-apiserver does since 1.32
    // (RetryGenerateName): with 5 random characters, collisions are real at thousands of pods.
    for (let attempt = 1; ; attempt++) {
      const name = String(obj.metadata.name ?? '');
      const decide = (cur: StoredObject | undefined): TxnResult => this.decideCreate(r, ns, name, cur, obj, opts);
      try {
        return await this.commit(storageKey(r, ns, name), decide, opts, true);
      } catch (err) {
        if (!generated || attempt >= MAX_GENERATE_ATTEMPTS || (err as { reason?: string }).reason !== 'AlreadyExists') throw err;
        obj.metadata.name = obj.metadata.generateName + randomSuffix();
      }
    }
  }

  async update(r: ResourceInfo, ns: string | undefined, name: string, body: unknown, opts: WriteOptions, sub?: string): Promise<WriteResult> {
    const obj = this.decode(r, ns, body, opts, name);
    const key = storageKey(r, ns, name);
    return this.commit(
      key,
      (cur) => {
        if (!cur) throw errors.notFound(r.plural, r.group, name);
        return this.prepareUpdate(r, cur, obj, opts, sub);
      },
      opts,
      false,
    );
  }

  async patch(r: ResourceInfo, ns: string | undefined, name: string, type: PatchType, patchBody: unknown, opts: WriteOptions, sub?: string): Promise<WriteResult> {
    const key = storageKey(r, ns, name);
    let created = false;
    if (type === 'apply' && !sub && !this.storage.peek(key)) {
      // An apply that creates: admission may need to wait before the transaction, as a create does.
      const applied = this.decode(r, ns, patchBody, opts, name);
      this.initCreate(r, applied);
      await this.admission.prepare(this.attributes('CREATE', r, ns, applied, undefined, opts));
    }
    const result = await this.commit(
      key,
      (cur) => {
        if (type === 'apply') {
          // Applied in the request's version, as upstream's field manager does, then stored.
          const applied = this.decodeServed(r, ns, patchBody, opts, name);
          if (!opts.fieldManager) throw errors.invalid('PatchOptions', 'meta.k8s.io', '', [cause.required('fieldManager')]);
          if (!cur) {
            if (sub) throw errors.notFound(r.plural, r.group, name);
            created = true;
            const obj = toStorageVersion(r, applied);
            this.initCreate(r, obj);
            this.admitCreate(r, ns, obj, opts, 'Apply');
            return this.decideCreate(r, ns, name, cur, obj, opts);
          }
          const merged = serverSideApply(servedObject(r, cur.obj), applied, opts.fieldManager, apiVersionOf(r), opts.force ?? false, this.now());
          return this.prepareUpdate(r, cur, toStorageVersion(r, merged), opts, sub, true);
        }
        if (!cur) throw errors.notFound(r.plural, r.group, name);
        // A patch applies to the object as the request's version shows it.
        const patched = applyPatch(type, servedObject(r, JSON.parse(cur.raw) as KubeObject), patchBody);
        if (!isObject(patched)) throw errors.badRequest('the patched object is not a JSON object');
        const obj = this.decode(r, ns, patched, opts, name);
        return this.prepareUpdate(r, cur, obj, opts, sub);
      },
      opts,
      false,
    );
    return { ...result, created };
  }

  async delete(r: ResourceInfo, ns: string | undefined, name: string, options: DeleteOptions, opts: WriteOptions): Promise<WriteResult> {
    return this.commit(
      storageKey(r, ns, name),
      (cur) => {
        if (!cur) throw errors.notFound(r.plural, r.group, name);
        const pre = options.preconditions;
        if (pre?.uid && pre.uid !== cur.obj.metadata.uid) {
          throw errors.conflict(r.plural, r.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.obj.metadata.uid}`);
        }
        if (pre?.resourceVersion && pre.resourceVersion !== String(cur.rev)) {
          throw errors.conflict(r.plural, r.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.rev}`);
        }
        this.validateAdmission(this.attributes('DELETE', r, ns, undefined, cur.obj, opts));
        const decision = this.decideDelete(r, cur, options);
        if ('delete' in decision && r.plural === 'services') this.services.apply(cur.obj, undefined, opts.dryRun);
        return decision;
      },
      opts,
      false,
    );
  }

  /**
   * Read-modify-write of one object inside a transaction: `change` gets a private copy
   * of the live object. Used by subresources (scale, binding) that are not plain PUTs;
   * `validate: false` is for writes the server itself vouches for (binding a pod).
   */
  async mutate(
    r: ResourceInfo,
    ns: string | undefined,
    name: string,
    change: (copy: KubeObject, cur: StoredObject) => KubeObject,
    opts: WriteOptions,
    how: { sub?: string; validate?: boolean } = {},
  ): Promise<WriteResult> {
    const key = storageKey(r, ns, name);
    return this.commit(
      key,
      (cur) => {
        if (!cur) throw errors.notFound(r.plural, r.group, name);
        const next = change(JSON.parse(cur.raw) as KubeObject, cur);
        if (how.validate === false) {
          if (opts.fieldManager) recordManager(next, cur.obj, opts.fieldManager, 'Update', apiVersionOf(r), this.now(), how.sub);
          return { put: next };
        }
        return this.prepareUpdate(r, cur, next, opts, how.sub);
      },
      opts,
      false,
    );
  }

  /** Deletes every match one by one, as Kubernetes' DeleteCollection does. */
  async deleteCollection(r: ResourceInfo, ns: string | undefined, list: ListOptions, options: DeleteOptions, opts: WriteOptions): Promise<KubeObject[]> {
    const { items } = this.list(r, ns, list);
    const out: KubeObject[] = [];
    for (const item of items) {
      try {
        out.push((await this.delete(r, item.obj.metadata.namespace, item.obj.metadata.name!, options, opts)).obj);
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
    }
    return out;
  }

  /**
   * Runs a decision in a transaction, or, for dryRun, against the latest state without
   * writing. The writes admission asked for while deciding are made in the same turn,
   * once the object's own write is accepted, so nothing can come between check and charge.
   */
  private async commit(key: string, decide: (cur: StoredObject | undefined) => TxnResult, opts: WriteOptions, creating: boolean): Promise<WriteResult> {
    const effects: AdmissionEffect[] = [];
    const decideAdmitted = (cur: StoredObject | undefined): TxnResult => {
      const outer = this.effects;
      effects.length = 0;
      this.effects = effects;
      try {
        return decide(cur);
      } finally {
        this.effects = outer;
      }
    };
    if (opts.dryRun) {
      const cur = this.storage.peek(key);
      const d = decideAdmitted(cur);
      const obj = 'put' in d ? d.put : cur!.obj;
      return { obj, raw: JSON.stringify(obj), created: creating };
    }
    const write = this.storage.txn(key, decideAdmitted);
    const charged = effects.map((apply) =>
      apply().catch((err: unknown) => {
        // The object is written; the resourcequota controller recounts what was not charged.
        this.log.error({ err, key }, 'admission write after an accepted write failed');
      }),
    );
    const stored = await write;
    await Promise.all(charged);
    if (!stored) throw errors.internal(`no state after write of ${key}`);
    return { obj: stored.obj, raw: stored.raw, created: creating };
  }

  /** The admission attributes of a write. */
  private attributes(operation: Operation, r: ResourceInfo, ns: string | undefined, obj: KubeObject | undefined, old: KubeObject | undefined, opts: WriteOptions, sub?: string): Attributes {
    return {
      operation,
      resource: r,
      subresource: sub ?? '',
      namespace: r.namespaced ? (ns ?? '') : '',
      name: String((obj ?? old)?.metadata.name ?? ''),
      object: obj,
      oldObject: old,
      userInfo: opts.userInfo,
      dryRun: opts.dryRun,
      warnings: opts.warnings,
    };
  }

  /** Validating admission, inside a transaction: the writes it asks for join the transaction's. */
  private validateAdmission(a: Attributes): void {
    const effects = this.admission.validate(a);
    if (effects.length && !this.effects) throw errors.internal('admission asked for a write outside a transaction');
    this.effects?.push(...effects);
  }

  /** Turns a request body into an object of this resource in its storage version, or throws a 400 naming what is wrong. */
  private decode(r: ResourceInfo, ns: string | undefined, body: unknown, opts: WriteOptions, urlName?: string): KubeObject {
    return toStorageVersion(r, this.decodeServed(r, ns, body, opts, urlName));
  }

  /** decode, in the version the request addressed (r's), checked against that version's schema. */
  private decodeServed(r: ResourceInfo, ns: string | undefined, body: unknown, opts: WriteOptions, urlName?: string): KubeObject {
    if (!isObject(body)) throw errors.badRequest(`the body of the request must be a JSON object describing a ${r.kind}`);
    const apiVersion = apiVersionOf(r);
    // apiVersion, kind and metadata first and status last, as Kubernetes serializes objects.
    const { apiVersion: _v, kind: _k, metadata, status, ...rest } = structuredClone(body);
    const obj = { apiVersion: body.apiVersion, kind: body.kind, metadata, ...rest } as KubeObject;
    if (status !== undefined) obj.status = status;
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== apiVersion) {
      throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== r.kind) {
      throw errors.badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${r.kind})`);
    }
    obj.apiVersion = apiVersion;
    obj.kind = r.kind;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (!isObject(obj.metadata)) throw errors.badRequest('metadata must be an object');
    const strict = opts.fieldValidation === 'Strict';
    const { unknownFields, causes } = checkSchema(r.group, r.version, r.kind, obj, strict);
    if (causes.length) {
      throw errors.badRequest(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`, causes);
    }
    if (strict && unknownFields.length) {
      throw errors.badRequest(`strict decoding error: ${unknownFields.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    const dropped = pruneUnknown(r.group, r.version, r.kind, obj);
    if (opts.fieldValidation === 'Warn') for (const f of dropped) opts.warnings.push(`unknown field "${f}"`);
    const meta = obj.metadata;
    if (r.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = ns;
    } else delete meta.namespace;
    if (urlName !== undefined) {
      if (meta.name !== undefined && meta.name !== '' && meta.name !== urlName) {
        throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${urlName})`);
      }
      meta.name = urlName;
    }
    return obj;
  }

  /** What a create starts from: server-set metadata, no status where status is a subresource, defaults. */
  private initCreate(r: ResourceInfo, obj: KubeObject): void {
    const meta = obj.metadata;
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.now());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (r.generation) meta.generation = 1;
    else delete meta.generation;
    if (r.subresources.includes('status') && !r.keepStatusOnCreate) delete obj.status;
    applyDefaults(r.plural, obj);
  }

  /**
   * Mutating admission, then what the strategy does after it (the name drawn from
   * generateName, a pod's QoS class from its final resources), then validation.
   */
  private admitCreate(r: ResourceInfo, ns: string | undefined, obj: KubeObject, opts: WriteOptions, operation: 'Apply' | 'Update'): void {
    const meta = obj.metadata;
    this.admission.admit(this.attributes('CREATE', r, ns, obj, undefined, opts));
    if ((meta.name === undefined || meta.name === '') && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (r.plural === 'pods' && !r.group && obj.spec && obj.status && typeof obj.status === 'object') obj.status.qosClass = computePodQOS(obj.spec);
    const causes = validateObject(r.plural, obj);
    if (causes.length) throw errors.invalid(r.kind, r.group, String(meta.name ?? ''), causes);
    if (opts.fieldManager) recordManager(obj, undefined, opts.fieldManager, operation, apiVersionOf(r), this.now());
  }

  private decideCreate(r: ResourceInfo, ns: string | undefined, name: string, cur: StoredObject | undefined, obj: KubeObject, opts: WriteOptions): TxnResult {
    this.validateAdmission(this.attributes('CREATE', r, ns, obj, undefined, opts));
    if (cur) throw errors.alreadyExists(r.plural, r.group, name);
    if (r.plural === 'services') {
      const causes = this.services.apply(undefined, obj, opts.dryRun);
      if (causes.length) throw errors.invalid(r.kind, r.group, name, causes);
    }
    return { put: obj };
  }

  private prepareUpdate(r: ResourceInfo, cur: StoredObject, next: KubeObject, opts: WriteOptions, sub?: string, applied = false): TxnResult {
    const old = cur.obj;
    const name = old.metadata.name!;
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== String(cur.rev)) {
      throw errors.conflict(r.plural, r.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    if (next.metadata.uid && next.metadata.uid !== old.metadata.uid) {
      throw errors.conflict(r.plural, r.group, name, `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    let obj: KubeObject;
    if (sub === 'status') {
      obj = structuredClone(old);
      obj.status = next.status;
    } else {
      obj = next;
      if (r.subresources.includes('status') && r.plural !== 'namespaces') {
        if (old.status === undefined) delete obj.status;
        else obj.status = structuredClone(old.status);
      }
    }
    const meta = obj.metadata;
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
      if (old.metadata[k] === undefined) delete meta[k];
      else (meta as Record<string, unknown>)[k] = old.metadata[k];
    }
    if (sub === 'finalize') {
      obj = structuredClone(old);
      obj.spec = { ...(old.spec ?? {}), finalizers: next.spec?.finalizers ?? [] };
    }
    if (r.plural === 'services' && sub !== 'status') this.services.carryOver(old, obj);
    applyDefaults(r.plural, obj);
    const ns = old.metadata.namespace;
    this.admission.admit(this.attributes('UPDATE', r, ns, obj, old, opts, sub));
    const causes = validateObject(r.plural, obj, old);
    if (causes.length) throw errors.invalid(r.kind, r.group, name, causes);
    this.validateAdmission(this.attributes('UPDATE', r, ns, obj, old, opts, sub));
    if (r.generation) {
      const g = old.metadata.generation ?? 1;
      meta.generation = specChanged(old, obj) ? g + 1 : g;
    }
    if (opts.fieldManager && !applied && !isDeepStrictEqual(stripVolatile(old), stripVolatile(obj))) {
      recordManager(obj, old, opts.fieldManager, 'Update', apiVersionOf(r), this.now(), sub);
    }
    if (isDeepStrictEqual(stripVolatile(old), stripVolatile(obj)) && isDeepStrictEqual(old.metadata.managedFields, obj.metadata.managedFields)) {
      return { none: true };
    }
    const finalized = this.finalized(r, obj);
    if (r.plural === 'services') {
      const c = this.services.apply(old, finalized ? undefined : obj, opts.dryRun);
      if (c.length) throw errors.invalid(r.kind, r.group, name, c);
    }
    return finalized ? { delete: true } : { put: obj };
  }

  /** An object being deleted whose last finalizer is gone is removed. */
  private finalized(r: ResourceInfo, obj: KubeObject): boolean {
    const meta = obj.metadata;
    if (!meta.deletionTimestamp || (meta.finalizers?.length ?? 0) > 0) return false;
    if (r.plural === 'namespaces') return (obj.spec?.finalizers?.length ?? 0) === 0;
    return (meta.deletionGracePeriodSeconds ?? 0) === 0;
  }

  private decideDelete(r: ResourceInfo, cur: StoredObject, options: DeleteOptions): TxnResult {
    const old = cur.obj;
    const obj = structuredClone(old);
    const meta = obj.metadata;
    const nowTs = timestamp(this.now());
    if (r.plural === 'namespaces') {
      if (meta.deletionTimestamp) return { none: true };
      meta.deletionTimestamp = nowTs;
      meta.deletionGracePeriodSeconds = 0;
      obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
      return this.finalized(r, obj) ? { delete: true } : { put: obj };
    }
    let grace = 0;
    if (r.plural === 'pods') {
      const phase = old.status?.phase;
      const terminal = phase === 'Succeeded' || phase === 'Failed';
      grace = options.gracePeriodSeconds ?? old.spec?.terminationGracePeriodSeconds ?? 30;
      if (!old.spec?.nodeName || terminal) grace = 0;
      if (grace < 0) grace = 0;
    }
    const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : undefined);
    const finalizers = new Set(meta.finalizers ?? []);
    if (policy === 'Orphan') finalizers.add('orphan');
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    if (finalizers.size === 0 && grace === 0) return { delete: true };
    if (meta.deletionTimestamp) {
      // Already terminating: only a shorter grace period changes anything.
      const curGrace = meta.deletionGracePeriodSeconds ?? 0;
      if (grace >= curGrace && finalizers.size === (meta.finalizers?.length ?? 0)) return { none: true };
      if (grace === 0 && finalizers.size === 0) return { delete: true };
    }
    meta.finalizers = [...finalizers];
    if (meta.finalizers.length === 0) delete meta.finalizers;
    meta.deletionGracePeriodSeconds = grace;
    meta.deletionTimestamp = timestamp(new Date(this.now().getTime() + grace * 1000));
    if (r.generation) meta.generation = (meta.generation ?? 1) + 1;
    return { put: obj };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}

function specChanged(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return !isDeepStrictEqual(strip(a), strip(b));
}

function stripVolatile(o: KubeObject): unknown {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
  return { ...o, metadata: meta };
}

function encodeContinue(key: string, rev: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: rev, start: key })).toString('base64url');
}

function decodeContinue(token: string): { key: string; rev: number } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv: number; start: string };
    if (typeof t.start !== 'string') throw new Error('no start');
    return { key: t.start, rev: Number(t.rv) };
  } catch {
    throw errors.badRequest(`invalid continue token: ${JSON.stringify(token)}`);
  }
}

export type { StatusCause };
