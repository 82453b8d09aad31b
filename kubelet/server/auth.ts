// The kubelet API's auth filter (upstream's Server.InstallAuthFilter): every request,
// upgrades included, is authenticated, then authorized as a verb on nodes/<subresource>
// of this node; 401 Unauthorized, 403 Forbidden (user=…, verb=…, resource=nodes,
// subresource=…) or 500 when the apiserver cannot answer a review.
import type { UserInfo } from '../../apiserver/auth/authorizer.js';
import type { AuthnRequest, KubeletAuthenticator } from './authn.js';
import { forbiddenMessage, nodeRequestAttributes, type KubeletAuthorizer } from './authz.js';
import { HttpError } from './http-error.js';

export interface KubeletAuth {
  authenticator: KubeletAuthenticator;
  authorizer: KubeletAuthorizer;
  /** The node whose API this is: the `name` of every authorization check. */
  nodeName: string;
}

export interface AuthRequest extends AuthnRequest {
  method: string;
  /** The URL path, without the query. */
  path: string;
  /** An upgrade (WebSocket or SPDY) rather than a plain request. */
  upgrade: boolean;
}

/** The authenticated and authorized caller; throws HttpError 401, 403 or 500. */
export async function authorizeRequest(auth: KubeletAuth, req: AuthRequest): Promise<UserInfo> {
  const user = await auth.authenticator.authenticate(req);
  const all = nodeRequestAttributes(req.method, req.path, req.upgrade, auth.nodeName);
  for (const attrs of all) {
    let allowed: boolean;
    try {
      allowed = (await auth.authorizer(user, attrs)).allowed;
    } catch (err) {
      const e = new HttpError(500, `Authorization error (user=${user.name}, verb=${attrs.verb}, resource=${attrs.resource}, subresource=${attrs.subresource})`);
      throw Object.assign(e, { cause: err });
    }
    if (allowed) return user;
  }
  throw new HttpError(403, forbiddenMessage(user, all));
}
