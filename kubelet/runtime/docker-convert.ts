// Translation between Docker's API and the runtime's types: --docker-host parsing, Docker's
// errors as coded RuntimeErrors, inspect → ContainerStatus, event lines → RuntimeEvent.
import type Docker from 'dockerode';
import { RuntimeError, type ContainerState, type ContainerStatus, type RuntimeErrorCode, type RuntimeEvent } from './runtime.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/**
 * --docker-host / DOCKER_HOST → dockerode's options: `unix:///path`, a bare socket path, or
 * `tcp://host:port` (plain HTTP, port 2375 by default, as a Docker-in-Docker service exposes).
 */
export function dockerOptions(host = process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST): Docker.DockerOptions {
  if (host.startsWith('/')) return { socketPath: host };
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new RuntimeError('InvalidSpec', `invalid Docker host "${host}": use unix:///path/to/docker.sock or tcp://HOST:2375`);
  }
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    return { protocol: 'http', host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 2375) };
  }
  throw new RuntimeError('InvalidSpec', `unsupported Docker host "${host}": use unix:///path/to/docker.sock or tcp://HOST:2375`);
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** An empty or path-like ID would address another Docker endpoint than a container's. */
export function checkId(id: string): void {
  if (!id || /[/?#\s]/.test(id)) throw new RuntimeError('InvalidSpec', `invalid container ID "${id}"`);
}

export function errorMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return (e?.json?.message ?? e?.message ?? String(err)).trim();
}

export function toRuntimeError(err: unknown, notFound: RuntimeErrorCode, host?: string): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const e = err as { statusCode?: number; code?: string };
  const message = errorMessage(err);
  if (e?.code && ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(e.code)) {
    return new RuntimeError('RuntimeUnavailable', `Docker engine at ${host ?? 'DOCKER_HOST'} does not answer: ${message}`);
  }
  switch (e?.statusCode) {
    case 404:
      return new RuntimeError(/no such image/i.test(message) ? 'ImageNotFound' : notFound, message, 404);
    case 409:
      return new RuntimeError('Conflict', message, 409);
    case 400:
      return new RuntimeError('InvalidSpec', message, 400);
    default:
      return new RuntimeError('RuntimeError', message, e?.statusCode);
  }
}

/** Docker's times; its zero time (0001-01-01T00:00:00Z) means "never". */
function time(s: string | undefined): Date | undefined {
  return !s || s.startsWith('0001-01-01') ? undefined : new Date(s);
}

export function toStatus(info: Docker.ContainerInspectInfo): ContainerStatus {
  const ip = Object.values(info.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
  const hc = info.HostConfig ?? {};
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    imageId: info.Image,
    labels: info.Config.Labels ?? {},
    state: info.State.Status as ContainerState,
    exitCode: info.State.ExitCode,
    ...(info.State.Error ? { error: info.State.Error } : {}),
    oomKilled: info.State.OOMKilled,
    createdAt: new Date(info.Created),
    startedAt: time(info.State.StartedAt),
    finishedAt: time(info.State.FinishedAt),
    pid: info.State.Pid,
    ...(ip ? { ipAddress: ip } : {}),
    resources: {
      cpuQuota: hc.CpuQuota ?? 0,
      cpuPeriod: hc.CpuPeriod ?? 0,
      cpuShares: hc.CpuShares ?? 0,
      memoryLimit: hc.Memory ?? 0,
    },
  };
}

/** One line of Docker's event stream → RuntimeEvent (labels: Docker's actor attributes). */
export function toEvent(line: string): RuntimeEvent {
  const ev = JSON.parse(line) as DockerEvent;
  const labels = { ...ev.Actor?.Attributes };
  return {
    action: ev.Action ?? ev.status ?? '',
    id: ev.Actor?.ID ?? ev.id ?? '',
    labels,
    time: ev.timeNano ? new Date(Math.floor(ev.timeNano / 1e6)) : new Date((ev.time ?? 0) * 1000),
    ...(labels.exitCode !== undefined ? { exitCode: Number(labels.exitCode) } : {}),
  };
}
