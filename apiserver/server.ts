// Builds the apiserver: storage, registry, and one Fastify app whose routes are
// generated from the resource table; one error handler renders every failure as a Status.
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError, errors } from '../shared/errors.js';
import type { AdmissionOptions } from './admission/plugins.js';
import { bootstrap } from './bootstrap.js';
import { apiGroupInfo, apiGroupList, apiResourceList, apiVersions, openapiDocument, openapiRoot, versionInfo } from './handlers/discovery.js';
import { registerPodProxy, type KubeletClientConfig } from './handlers/proxy.js';
import { registerTokenRequest } from './handlers/token-request.js';
import { handleResource, splitApiPath, type ResourceDeps } from './handlers/resource.js';
import { serveWebSocketWatch } from './handlers/watch.js';
import { registry as metrics, requestDuration, requestsTotal, storageObjects } from './metrics.js';
import { ClusterIPAllocator, NodePortAllocator } from './registry/allocator.js';
import { ServiceAllocations } from './registry/services.js';
import { Registry } from './registry/store.js';
import { serviceAccountTokenConfig, type ServiceAccountTokenConfig } from './registry/token-request.js';
import { parseResourcePath, type Query } from './request.js';
import { registerReviews, type ReviewDeps } from './handlers/reviews.js';
import { reconcileBootstrapPolicy, requestUser, secureServing, storageAuthorizer, type SecureServing, type SecureServingOptions } from './secure-port.js';
import type { StorageTransformers } from './storage/encryption.js';
import { LevelStorage } from './storage/level.js';

export interface ApiserverOptions {
  dataDir: string;
  /** Address of the secure port (kube-apiserver's --bind-address). */
  bindAddress: string;
  /** Address of the plain port (the old --insecure-bind-address); default 127.0.0.1. */
  insecureBindAddress?: string;
  /** Plain HTTP port; 0 with a secure port: none (the old --insecure-port=0). */
  port: number;
  /** The address the `kubernetes` Service's endpoints carry; default: bindAddress, or 127.0.0.1 for 0.0.0.0. */
  advertiseAddress?: string;
  serviceClusterIPRange: string;
  serviceNodePortRange: string;
  watchCacheSize: number;
  bookmarkIntervalMs: number;
  /** Largest request body accepted, as kube-apiserver's 3 MiB limit. */
  maxRequestBodyBytes: number;
  /** Keys, issuer and audiences of ServiceAccount tokens; defaults (a key in dataDir) when absent. */
  serviceAccountTokens?: ServiceAccountTokenConfig;
  /** Enabled admission plugins and their settings; kube-apiserver's defaults when absent. */
  admission?: AdmissionOptions;
  /** How the apiserver calls the kubelets (--kubelet-client-certificate, --kubelet-certificate-authority). */
  kubeletClient?: KubeletClientConfig;
  /** The authenticated, authorized HTTPS port (kube-apiserver's --secure-port); absent or port 0: none. */
  secure?: SecureServingOptions;
  /** Encryption at rest (--encryption-provider-config); absent: plaintext. */
  encryption?: StorageTransformers;
  log: Logger;
}

export interface Apiserver {
  app: FastifyInstance;
  url: string;
  /** https://host:port of the secure port, when serving one. */
  secureUrl?: string;
  close(): Promise<void>;
}

export async function startApiserver(opts: ApiserverOptions): Promise<Apiserver> {
  const log = opts.log;
  const storage = await LevelStorage.open({ dir: opts.dataDir, watchCacheSize: opts.watchCacheSize, encryption: opts.encryption, log });
  const allocations = new ServiceAllocations(new ClusterIPAllocator(opts.serviceClusterIPRange), new NodePortAllocator(opts.serviceNodePortRange));
  allocations.restore(storage.list('/registry/core/services/').map((s) => s.obj));
  const registry = new Registry(storage, allocations, log, undefined, opts.admission);
  log.info({ plugins: registry.admission.names }, 'admission plugins enabled');
  const deps: ResourceDeps = { registry, bookmarkIntervalMs: opts.bookmarkIntervalMs };
  const serviceAccountTokens = opts.serviceAccountTokens ?? serviceAccountTokenConfig({}, opts.dataDir);

  const ctx: AppContext = { opts, storage, registry, deps, serviceAccountTokens, address: `${opts.insecureBindAddress ?? '127.0.0.1'}:${opts.port}` };
  // The plain port answers reviews too, as its user (system:masters) with the authorizers of the secure port.
  const review = storageAuthorizer(storage, opts.secure?.authorizationModes ?? ['Node', 'RBAC']);
  const app = await buildApp(ctx, undefined, { authorizer: review.authorizer, rules: review.rbac, userOf: requestUser });
  let secureApp: FastifyInstance | undefined;
  if (opts.secure && opts.secure.port !== 0) {
    const secure = secureServing(opts.secure, storage, serviceAccountTokens);
    const reviews: ReviewDeps = { authorizer: secure.authorizer, rules: secure.rbac, authenticator: secure.authenticator, userOf: requestUser };
    secureApp = await buildApp({ ...ctx, address: `${opts.advertiseAddress || opts.bindAddress}:${opts.secure.port}` }, secure, reviews);
  }
  const insecureHost = opts.insecureBindAddress ?? '127.0.0.1';
  const plain = opts.port !== 0 || !secureApp;
  if (plain) await app.listen({ host: insecureHost, port: opts.port });
  const port = plain ? (app.server.address() as { port: number }).port : 0;
  // The `kubernetes` Service points at the secure port when there is one, as upstream's.
  const advertise = opts.advertiseAddress || (opts.bindAddress === '0.0.0.0' ? '127.0.0.1' : opts.bindAddress);
  await bootstrap(registry, allocations.ips.first, advertise, secureApp ? opts.secure!.port : port, log);
  let securePort: number | undefined;
  if (secureApp) {
    await reconcileBootstrapPolicy(registry, log);
    await secureApp.listen({ host: opts.bindAddress, port: opts.secure!.port });
    securePort = (secureApp.server.address() as { port: number }).port;
    log.info({ address: opts.bindAddress, port: securePort }, 'apiserver serving securely');
  }
  if (plain) log.info({ address: insecureHost, port, dataDir: opts.dataDir, revision: storage.revision }, 'apiserver serving plain HTTP (unauthenticated)');
  return {
    app,
    url: plain ? `http://${insecureHost}:${port}` : `https://${advertise}:${securePort}`,
    secureUrl: securePort === undefined ? undefined : `https://${opts.bindAddress}:${securePort}`,
    close: async () => {
      await secureApp?.close();
      await app.close();
      await storage.close();
    },
  };
}

interface AppContext {
  opts: ApiserverOptions;
  storage: LevelStorage;
  registry: Registry;
  deps: ResourceDeps;
  serviceAccountTokens: ServiceAccountTokenConfig;
  /** host:port advertised in /api. */
  address: string;
}

/** One Fastify app serving the whole API; the secure port's has TLS and the authentication/authorization filter. */
async function buildApp(ctx: AppContext, secure: SecureServing | undefined, reviews: ReviewDeps): Promise<FastifyInstance> {
  const { opts, storage, registry, deps, serviceAccountTokens, address } = ctx;
  const log = opts.log;
  const app = Fastify({
    ...(secure ? { https: secure.https } : {}),
    bodyLimit: opts.maxRequestBodyBytes,
    routerOptions: { maxParamLength: 1000 },
    return503OnClosing: false,
    forceCloseConnections: true,
    // Errors Fastify raises before routing (a malformed %-escape) get a Status too.
    frameworkErrors: (err, _req, rawReply) => {
      const reply = rawReply as unknown as FastifyReply;
      void reply.code(400).header('content-type', 'application/json').send(JSON.stringify(errors.badRequest(`malformed request: ${err.message}`).toStatus()));
    },
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: opts.maxRequestBodyBytes } });

  // Bodies arrive as bytes whatever their type; handlers decode them by Content-Type so
  // every malformed body becomes a proper Status instead of Fastify's own error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req, reply) => {
    let apiErr: ApiError;
    if (err instanceof ApiError) apiErr = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      apiErr = errors.tooLarge(`Request entity too large: limit is ${opts.maxRequestBodyBytes}`);
      // Answering while the client is still uploading, then closing, makes the kernel
      // reset the connection and the client never sees the 413. Read and discard the
      // rest first, within bounds, so an honest client gets its answer.
      await drain(req.raw, 64 * 1024 * 1024, 10_000);
    }
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') apiErr = errors.unsupportedMediaType(String(req.headers['content-type'] ?? ''));
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) apiErr = errors.badRequest(err.message);
    else {
      log.error({ err, method: req.method, url: req.url }, 'internal error');
      apiErr = errors.internal(err.message);
    }
    if (apiErr.code >= 500) log.error({ err: apiErr, method: req.method, url: req.url }, 'request failed');
    else log.info({ code: apiErr.code, reason: apiErr.reason, method: req.method, url: req.url }, apiErr.message);
    return reply.code(apiErr.code).header('content-type', 'application/json').send(JSON.stringify(apiErr.toStatus()));
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).header('content-type', 'application/json').send(JSON.stringify(errors.pathNotFound().toStatus()));
  });

  app.addHook('onResponse', (req, reply, done) => {
    const resource = (req as FastifyRequest & { resourceLabel?: string }).resourceLabel ?? '';
    const verb = req.method;
    requestsTotal.inc({ verb, resource, code: String(reply.statusCode) });
    requestDuration.observe({ verb, resource }, reply.elapsedTime / 1000);
    if (verb !== 'GET' && verb !== 'HEAD') {
      log.info({ method: verb, url: req.url, code: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    }
    done();
  });

  // The secure port authenticates and authorizes every request before routing it.
  if (secure) {
    app.addHook('onRequest', (req) => secure.filter(req));
    app.addHook('preHandler', async (req) => secure.nodeRestriction(req));
  }

  const json = (reply: FastifyReply, body: unknown, code = 200) => void reply.code(code).header('content-type', 'application/json').send(JSON.stringify(body));

  app.get('/version', (_req, reply) => json(reply, versionInfo()));
  for (const path of ['/healthz', '/livez', '/readyz', '/healthz/ping', '/livez/ping', '/readyz/ping']) {
    app.get(path, (_req, reply) => void reply.header('content-type', 'text/plain; charset=utf-8').send('ok'));
  }
  app.get('/metrics', async (_req, reply) => {
    storageObjects.set(storage.list('/registry/').length);
    void reply.header('content-type', metrics.contentType).send(await metrics.metrics());
  });
  app.get('/api', (_req, reply) => json(reply, apiVersions(address)));
  app.get('/apis', (_req, reply) => json(reply, apiGroupList()));
  app.get('/api/v1', (_req, reply) => json(reply, apiResourceList('', 'v1')));
  app.get('/apis/:group', (req, reply) => {
    const g = apiGroupInfo((req.params as { group: string }).group);
    if (!g) throw errors.pathNotFound();
    json(reply, g);
  });
  app.get('/apis/:group/:version', (req, reply) => {
    const p = req.params as { group: string; version: string };
    const list = apiResourceList(p.group, p.version);
    if (!list) throw errors.pathNotFound();
    json(reply, list);
  });
  app.get('/openapi/v2', (_req, reply) => json(reply, errors.pathNotFound().toStatus(), 404));
  app.get('/openapi/v3', (_req, reply) => json(reply, openapiRoot()));
  app.get('/openapi/v3/*', (req, reply) => {
    const doc = openapiDocument(req.url);
    if (!doc) throw errors.pathNotFound();
    json(reply, doc);
  });

  const resourceRoute = (url: string) => {
    app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url, handler: (req, reply) => handleResource(deps, req, reply) });
    app.route({
      method: 'GET',
      url,
      handler: (req, reply) => handleResource(deps, req, reply),
      // Watches may also arrive as WebSocket upgrades on the same path.
      wsHandler: (socket, req) => {
        const { group, version, rest } = splitApiPath(req.url);
        try {
          const info = parseResourcePath(group, version, rest);
          serveWebSocketWatch(deps, info, req.query as Query, socket);
        } catch (err) {
          const status = err instanceof ApiError ? err.toStatus() : errors.internal(String(err)).toStatus();
          socket.send(JSON.stringify({ type: 'ERROR', object: status }));
          socket.close();
        }
      },
    });
  };
  // pods/log, exec, attach, portforward: proxied to the pod's kubelet (more specific routes
  // than the generic ones below, so they win).
  registerPodProxy(app, registry, ctx.opts.kubeletClient ?? {});
  registerTokenRequest(app, registry, serviceAccountTokens);
  registerReviews(app, reviews);
  resourceRoute('/api/v1/*');
  resourceRoute('/apis/:group/:version/*');

  return app;
}

/** Reads and discards what is left of a request body, giving up past a size or time bound. */
function drain(req: NodeJS.ReadableStream & { complete?: boolean; destroy(): void }, maxBytes: number, maxMs: number): Promise<void> {
  if (req.complete) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      req.removeListener('data', onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    req.on('data', onData);
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
    req.resume();
  });
}
