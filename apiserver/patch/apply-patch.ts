// Chooses the patch algorithm by the request's Content-Type.
import { errors } from '../../shared/errors.js';
import { jsonPatch } from './json.js';
import { mergePatch } from './merge.js';
import { strategicMergePatch } from './strategic.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** Applies a json, merge or strategic patch to a private copy of the live object. */
export function applyPatch(type: Exclude<PatchType, 'apply'> | PatchType, live: Record<string, unknown>, patch: unknown): unknown {
  switch (type) {
    case 'json':
      return jsonPatch(live, patch);
    case 'merge':
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw errors.badRequest('a merge patch must be a JSON object');
      return mergePatch(live, patch);
    case 'strategic':
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw errors.badRequest('a strategic merge patch must be a JSON object');
      return strategicMergePatch(live, patch as Record<string, unknown>);
    default:
      throw errors.unsupportedMediaType(type);
  }
}
