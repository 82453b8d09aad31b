// The kubelet API answers errors in plain text with an HTTP status, as Kubernetes' kubelet
// server does (it is not the apiserver: no metav1.Status bodies).
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The 401 every failed or missing authentication gets (the body upstream writes). */
export const unauthorized = (): HttpError => new HttpError(401, 'Unauthorized');

/** Answers an upgrade request that will not be upgraded, then closes the connection. */
export function rejectUpgrade(socket: Duplex, code: number, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = Buffer.from(message);
  socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${message}`);
}
