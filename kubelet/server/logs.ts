// GET /containerLogs/{namespace}/{pod}/{container}: a container's stdout and stderr as
// text/plain, as Kubernetes' kubelet serves them (PodLogOptions: follow, previous,
// sinceSeconds, sinceTime, timestamps, tailLines, limitBytes). A followed log is a chunked
// stream that ends when the container stops or the client goes away.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Docker from 'dockerode';
import { demuxBuffer, payloadStream } from '../runtime/docker-stream.js';

export interface PodLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Unix seconds, from sinceSeconds or sinceTime. */
  since?: number;
}

export class BadRequest extends Error {}

/** PodLogOptions from the query, validated as ValidatePodLogOptions does. */
export function parseLogOptions(q: URLSearchParams, now: () => number = Date.now): PodLogOptions {
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const int = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    if (!/^-?\d{1,15}$/.test(v)) throw new BadRequest(`${k}: Invalid value: ${JSON.stringify(v)}: must be an integer`);
    return Number(v);
  };
  const tailLines = int('tailLines');
  const limitBytes = int('limitBytes');
  const sinceSeconds = int('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (tailLines !== undefined && tailLines < 0) throw new BadRequest('tailLines: Invalid value: must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1) throw new BadRequest('limitBytes: Invalid value: must be greater than 0');
  if (sinceSeconds !== undefined && sinceTime) throw new BadRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw new BadRequest('sinceSeconds: Invalid value: must be greater than 0');
  let since: number | undefined;
  if (sinceSeconds !== undefined) since = now() / 1000 - sinceSeconds;
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new BadRequest(`sinceTime: Invalid value: ${JSON.stringify(sinceTime)}: must be an RFC 3339 time`);
    since = t / 1000;
  }
  return { follow: bool('follow'), previous: bool('previous'), timestamps: bool('timestamps'), tailLines, limitBytes, since };
}

/** Streams the container's log into the response. */
export async function serveContainerLogs(docker: Docker, id: string, opts: PodLogOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const container = docker.getContainer(id);
  const info = await container.inspect();
  const query = {
    stdout: true,
    stderr: true,
    timestamps: opts.timestamps,
    // Docker reads tail "0" as no lines, as Kubernetes does; unset is every line.
    ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
    ...(opts.since !== undefined ? { since: Math.max(0, opts.since).toFixed(3) } : {}),
  };
  let remaining = opts.limitBytes ?? Infinity;
  const take = (chunk: Buffer): Buffer => {
    const out = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
    remaining -= out.length;
    return out;
  };
  res.writeHead(200, { 'content-type': 'text/plain' });
  if (!opts.follow) {
    const buf = (await container.logs({ ...query, follow: false })) as unknown as Buffer;
    res.end(take(info.Config.Tty ? buf : demuxBuffer(buf)));
    return;
  }
  res.flushHeaders();
  const source = (await container.logs({ ...query, follow: true })) as unknown as NodeJS.ReadableStream;
  const stream = payloadStream(source, info.Config.Tty);
  const stop = () => stream.destroy();
  req.once('close', stop);
  res.once('close', stop);
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const out = take(chunk);
      if (out.length && !res.write(out)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
      if (remaining <= 0) stream.destroy();
    });
    stream.once('close', resolve);
    stream.once('end', resolve);
    stream.once('error', resolve);
  });
  res.end();
}
