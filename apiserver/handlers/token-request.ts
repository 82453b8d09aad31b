// The serviceaccounts/token route: POST creates a TokenRequest (registry/token-request.ts);
// every other method is refused, as kube-apiserver's create-only subresource. Registered
// before the generic resource routes, as the pod proxy routes are, so it wins.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import YAML from 'yaml';
import { errors } from '../../shared/errors.js';
import { negotiate } from '../encode.js';
import { createToken, type ServiceAccountTokenConfig } from '../registry/token-request.js';
import type { Registry } from '../registry/store.js';
import { decodeBody, one, parseResourcePath, type Query } from '../request.js';
import { splitApiPath } from './resource.js';

export const TOKEN_REQUEST_PATH = '/api/v1/namespaces/:namespace/serviceaccounts/:name/token';

export function registerTokenRequest(app: FastifyInstance, registry: Registry, config: ServiceAccountTokenConfig): void {
  app.route({ method: 'POST', url: TOKEN_REQUEST_PATH, handler: (req, reply) => handleTokenRequest(registry, config, req, reply) });
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: TOKEN_REQUEST_PATH,
    handler: () => {
      throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    },
  });
}

async function handleTokenRequest(registry: Registry, config: ServiceAccountTokenConfig, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  (req as FastifyRequest & { resourceLabel?: string }).resourceLabel = 'serviceaccounts';
  const { group, version, rest } = splitApiPath(req.url);
  // The same checks of namespace and name as every other path.
  const info = parseResourcePath(group, version, rest);
  const format = negotiate(req.headers.accept);
  const q = req.query as Query;
  const body = decodeBody(req.headers['content-type'], req.body as Buffer | undefined, one(q, 'fieldValidation') === 'Strict');
  const { tokenRequest, warnings } = await createToken(registry, config, info.namespace!, info.name!, body);
  if (warnings.length) void reply.header('warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', '));
  if (format === 'yaml') return void reply.code(201).header('content-type', 'application/yaml').send(YAML.stringify(tokenRequest));
  void reply.code(201).header('content-type', 'application/json').send(JSON.stringify(tokenRequest));
}
