/** Kubernetes' RFC 3339 timestamps have second precision. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
