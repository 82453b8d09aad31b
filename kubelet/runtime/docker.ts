// ContainerRuntime over a Docker engine (dockerode), as Kubernetes' dockershim did: a pod is
// a pause container ("sandbox") holding the network and IPC namespaces, and every container
// of the pod joins them with `container:<sandbox>`. Everything is found again by labels.
import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { DEFAULT_DOCKER_HOST, checkId, dockerOptions, errorMessage, toEvent, toRuntimeError, toStatus } from './docker-convert.js';
import { formatResolvConf } from '../network/dns.js';
import { demuxBuffer, payloadStream } from './docker-stream.js';
import {
  CONTAINER_TYPE_CONTAINER,
  CONTAINER_TYPE_SANDBOX,
  LABELS,
  POD_INFRA_CONTAINER_NAME,
  QUOTA_PERIOD,
  RuntimeError,
  isRuntimeError,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerStatus,
  type ImageInfo,
  type LogOptions,
  type PodSandboxConfig,
  type RuntimeErrorCode,
  type RuntimeEvent,
} from './runtime.js';

export { DEFAULT_DOCKER_HOST, dockerOptions } from './docker-convert.js';
export const DEFAULT_PAUSE_IMAGE = 'skiff/pause:3.10';

export interface DockerRuntimeOptions {
  /** unix:///var/run/docker.sock (default: DOCKER_HOST, else that) or tcp://host:2375. */
  host?: string;
  /** The sandbox image (default skiff/pause:3.10, built by deploy/build-images.sh). */
  pauseImage?: string;
  /** Docker network of the sandboxes (default: Docker's "bridge"). */
  network?: string;
  /**
   * Pull missing images through the engine (its registry mirror). Off by default: these
   * machines reach no registry, and a pull must never try to leave the machine; on only for
   * engines whose only way out is the cluster's registry (`skiff up --nodes N`).
   */
  pull?: boolean;
}

export class DockerRuntime implements ContainerRuntime {
  readonly host: string;
  private readonly docker: Docker;
  private readonly pauseImage: string;
  private readonly network: string;
  /** Present when the engine may pull (DockerRuntimeOptions.pull). */
  readonly pullImage?: (image: string) => Promise<void>;

  constructor(opts: DockerRuntimeOptions = {}) {
    this.host = opts.host || process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST;
    this.docker = new Docker(dockerOptions(this.host));
    this.pauseImage = opts.pauseImage ?? DEFAULT_PAUSE_IMAGE;
    this.network = opts.network ?? 'bridge';
    if (opts.pull) this.pullImage = (image) => this.pull(image);
  }

  /** docker pull, to the end of its progress stream; a failure in the stream is ErrImagePull's reason. */
  private async pull(image: string): Promise<void> {
    const ref = /:[^/]+$|@/.test(image) ? image : `${image}:latest`;
    const stream = await this.call(() => this.docker.pull(ref) as Promise<NodeJS.ReadableStream>, 'ImageNotFound');
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string; errorDetail?: { message?: string } }[]) => {
        const failed = err?.message ?? out?.find((o) => o.error)?.error;
        if (failed) reject(new RuntimeError('ImageNotFound', `pulling ${ref}: ${failed}`, 404));
        else resolve();
      }),
    );
  }

  async version(): Promise<string> {
    const v = await this.call(() => this.docker.version(), 'RuntimeError');
    return `docker://${v.Version}`;
  }

  async ensureImage(image: string): Promise<ImageInfo> {
    const info = await this.call(() => this.docker.getImage(image).inspect(), 'ImageNotFound');
    return { id: info.Id, repoTags: info.RepoTags ?? [], size: info.Size };
  }

  async createSandbox(pod: PodSandboxConfig): Promise<string> {
    if (this.pullImage) await this.ensureImage(this.pauseImage).catch(() => this.pullImage!(this.pauseImage));
    const labels = {
      ...pod.labels,
      [LABELS.podUid]: pod.uid,
      [LABELS.podNamespace]: pod.namespace,
      [LABELS.podName]: pod.name,
      [LABELS.containerName]: POD_INFRA_CONTAINER_NAME,
      [LABELS.type]: CONTAINER_TYPE_SANDBOX,
      [LABELS.managed]: 'true',
    };
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of pod.portMappings ?? []) {
      const key = `${p.containerPort}/${(p.protocol ?? 'TCP').toLowerCase()}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.hostIP ?? '', HostPort: String(p.hostPort) });
    }
    const created = await this.call(
      () =>
        this.docker.createContainer({
          name: `k8s_${POD_INFRA_CONTAINER_NAME}_${pod.name}_${pod.namespace}_${pod.uid}_${pod.attempt ?? 0}`,
          Image: this.pauseImage,
          Hostname: pod.hostname,
          Labels: labels,
          ExposedPorts: exposed,
          HostConfig: {
            NetworkMode: pod.network ?? this.network,
            // Other containers may join its IPC namespace only when it is shareable.
            IpcMode: 'shareable',
            PortBindings: bindings,
            Dns: pod.dns?.servers,
            DnsSearch: pod.dns?.searches,
            DnsOptions: pod.dns?.options,
            RestartPolicy: { Name: 'no' },
            // No OomScoreAdj -998 as Kubernetes gives sandboxes: lowering it needs
            // CAP_SYS_RESOURCE, which these machines do not grant (runc fails to start).
          },
        }),
      'ImageNotFound',
    );
    try {
      await this.start(created.id);
      if (pod.dns || pod.hosts) await this.writeSandboxFiles(created.id, pod);
    } catch (err) {
      // A sandbox that never ran is of no use, and its name would block the next attempt.
      const startErr = toRuntimeError(err, 'ContainerNotFound');
      await this.remove(created.id).catch((rmErr: unknown) => {
        startErr.message += `; removing the sandbox failed too: ${errorMessage(rmErr)}`;
      });
      throw startErr;
    }
    return created.id;
  }

  /**
   * The pod's resolv.conf and hosts file, written over the ones Docker made for the sandbox
   * (as dockershim did): its containers join its network namespace and so share both files.
   * Only possible when the engine's files are on this host; a remote engine keeps Docker's.
   */
  private async writeSandboxFiles(id: string, pod: PodSandboxConfig): Promise<void> {
    const info = await this.call(() => this.docker.getContainer(id).inspect(), 'ContainerNotFound');
    const ip = Object.values(info.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress ?? '';
    const writes: [string | undefined, string][] = [];
    if (pod.dns) {
      writes.push([info.ResolvConfPath, formatResolvConf({ servers: pod.dns.servers ?? [], searches: pod.dns.searches ?? [], options: pod.dns.options ?? [] })]);
    }
    if (pod.hosts) writes.push([info.HostsPath, pod.hosts(ip)]);
    for (const [path, content] of writes) {
      if (!path) continue;
      try {
        await access(path, constants.W_OK);
      } catch {
        continue; // the engine's files are not on this host
      }
      await writeFile(path, content);
    }
  }

  async createContainer(sandboxId: string, spec: ContainerSpec): Promise<string> {
    checkId(sandboxId);
    const sandbox = await this.call(() => this.docker.getContainer(sandboxId).inspect(), 'ContainerNotFound');
    const sl = sandbox.Config.Labels ?? {};
    if (sl[LABELS.type] !== CONTAINER_TYPE_SANDBOX) {
      throw new RuntimeError('InvalidSpec', `container ${sandboxId} is not a pod sandbox`);
    }
    const labels = {
      ...spec.labels,
      [LABELS.podUid]: sl[LABELS.podUid]!,
      [LABELS.podNamespace]: sl[LABELS.podNamespace]!,
      [LABELS.podName]: sl[LABELS.podName]!,
      [LABELS.containerName]: spec.name,
      [LABELS.restartCount]: String(spec.restartCount),
      [LABELS.type]: CONTAINER_TYPE_CONTAINER,
      [LABELS.sandboxId]: sandbox.Id,
      [LABELS.managed]: 'true',
    };
    const join = `container:${sandbox.Id}`;
    const mounts = (spec.mounts ?? []).map((m): Docker.MountSettings => {
      if (m.tmpfs) {
        const tmpfs = m.tmpfs.sizeBytes ? { TmpfsOptions: { SizeBytes: m.tmpfs.sizeBytes } as { SizeBytes: number; Mode: number } } : {};
        return { Type: 'tmpfs', Source: '', Target: m.containerPath, ReadOnly: m.readOnly ?? false, ...tmpfs };
      }
      // A bind of a path that does not exist is refused by Docker (400 → InvalidSpec).
      if (!m.hostPath) throw new RuntimeError('InvalidSpec', `mount ${m.containerPath} of container ${spec.name} has neither hostPath nor tmpfs`);
      return { Type: 'bind', Source: m.hostPath, Target: m.containerPath, ReadOnly: m.readOnly ?? false };
    });
    const nonEmpty = (a?: string[]) => (a && a.length ? a : undefined);
    const created = await this.call(
      () =>
        this.docker.createContainer({
          name: `k8s_${spec.name}_${sl[LABELS.podName]}_${sl[LABELS.podNamespace]}_${sl[LABELS.podUid]}_${spec.restartCount}`,
          Image: spec.image,
          // Kubernetes' command replaces the entrypoint (and then the image's CMD is dropped,
          // as Docker does when an entrypoint is given); args replace the CMD.
          Entrypoint: nonEmpty(spec.command),
          Cmd: nonEmpty(spec.args),
          Env: spec.env?.map((e) => `${e.name}=${e.value}`),
          WorkingDir: spec.workingDir,
          User: spec.user,
          Labels: labels,
          Tty: spec.tty ?? false,
          OpenStdin: spec.stdin ?? false,
          StdinOnce: spec.stdinOnce ?? false,
          HostConfig: {
            NetworkMode: join,
            IpcMode: join,
            PidMode: spec.sharePidNamespace ? join : undefined,
            Mounts: mounts,
            ReadonlyRootfs: spec.readOnlyRootfs ?? false,
            CpuQuota: spec.cpuQuota || undefined,
            CpuPeriod: spec.cpuQuota ? (spec.cpuPeriod ?? QUOTA_PERIOD) : undefined,
            CpuShares: spec.cpuShares || undefined,
            Memory: spec.memoryLimit || undefined,
            MemorySwap: spec.memoryLimit || undefined, // no swap beyond the limit
            RestartPolicy: { Name: 'no' }, // restarts are the kubelet's, under its back-off
          },
        }),
      'ImageNotFound',
    );
    return created.id;
  }

  async start(id: string): Promise<void> {
    checkId(id);
    await this.call(() => this.docker.getContainer(id).start(), 'ContainerNotFound', [304]);
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    checkId(id);
    const t = Math.max(0, Math.ceil(graceSeconds));
    await this.call(() => this.docker.getContainer(id).stop({ t }), 'ContainerNotFound', [304, 404]);
  }

  async remove(id: string): Promise<void> {
    checkId(id);
    // 404: gone already; 409 "removal already in progress": another caller is removing it.
    await this.call(() => this.docker.getContainer(id).remove({ force: true, v: true }), 'ContainerNotFound', [404, 409]);
  }

  async list(labels: Record<string, string> = {}): Promise<ContainerStatus[]> {
    const filters = { label: [`${LABELS.managed}=true`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)] };
    const found = await this.call(() => this.docker.listContainers({ all: true, filters }), 'RuntimeError');
    const statuses = await Promise.all(
      found.map((c) =>
        this.inspect(c.Id).catch((err: unknown) => {
          if (isRuntimeError(err, 'ContainerNotFound')) return undefined; // removed meanwhile
          throw err;
        }),
      ),
    );
    return statuses.filter((s): s is ContainerStatus => s !== undefined);
  }

  async inspect(id: string): Promise<ContainerStatus> {
    checkId(id);
    return toStatus(await this.call(() => this.docker.getContainer(id).inspect(), 'ContainerNotFound'));
  }

  async logs(id: string, opts: LogOptions = {}): Promise<Readable> {
    checkId(id);
    const container = this.docker.getContainer(id);
    const info = await this.call(() => container.inspect(), 'ContainerNotFound');
    const query = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps ?? false,
      ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
      ...(opts.since ? { since: (opts.since.getTime() / 1000).toFixed(3) } : {}),
    };
    if (!opts.follow) {
      const buf = await this.call(() => container.logs({ ...query, follow: false }), 'ContainerNotFound');
      return Readable.from([info.Config.Tty ? buf : demuxBuffer(buf)]);
    }
    const source = await this.call(() => container.logs({ ...query, follow: true }), 'ContainerNotFound');
    const out = payloadStream(source, info.Config.Tty);
    if (opts.signal) {
      const onAbort = () => out.destroy();
      if (opts.signal.aborted) onAbort();
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
    return out;
  }

  /**
   * Docker's event stream for skiff's containers. It ends when `signal` aborts or when the
   * engine closes it (a restart): the caller then lists again and resubscribes, as an informer.
   */
  async *events(opts: { since?: Date; signal?: AbortSignal } = {}): AsyncIterable<RuntimeEvent> {
    const stream = (await this.call(
      () =>
        this.docker.getEvents({
          ...(opts.since ? { since: Math.floor(opts.since.getTime() / 1000) } : {}),
          filters: { type: ['container'], label: [`${LABELS.managed}=true`] },
        }),
      'RuntimeError',
    )) as Readable;
    // readline ends on the stream's 'end' only: close it too when the stream is destroyed.
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    stream.once('close', () => lines.close());
    const onAbort = () => stream.destroy();
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const line of lines) {
        if (!line.trim()) continue;
        yield toEvent(line);
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }

  /** Runs a Docker call; its errors become RuntimeErrors (404 → `notFound`), `ok` codes are success. */
  private async call<T>(fn: () => Promise<T>, notFound: RuntimeErrorCode, ok: number[] = []): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== undefined && ok.includes(status)) return undefined as T;
      throw toRuntimeError(err, notFound, this.host);
    }
  }
}
