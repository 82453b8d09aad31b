// TEMPORARY stub until the protobuf decoder lands (being written now).
import { errors } from '../../shared/errors.js';
export function decodeK8sProtobuf(_body: Buffer): { apiVersion: string; kind: string; object: Record<string, unknown> } {
  throw errors.unsupportedMediaType('application/vnd.kubernetes.protobuf');
}
