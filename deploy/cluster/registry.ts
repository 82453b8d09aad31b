// The cluster's registry (Debian's docker-registry in skiff/registry:2), a container of the
// host's engine published on the cluster address 10.250.0.1:5000, where every node's engine
// finds it as its registry mirror, and on a loopback port, where the host's engine pushes to
// it (Docker trusts plain HTTP on 127.0.0.0/8 only). A name like `hello-node:v1` is
// docker.io/library/hello-node:v1 to an engine, so it is pushed as library/hello-node:v1,
// which is what a mirror is asked for.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run as sh } from '../../shared/exec.js';
import { REGISTRY, REGISTRY_CONTAINER } from './layout.js';
import { waitFor } from './wait.js';

export const REGISTRY_IMAGE = 'skiff/registry:2';
/** What every node can run out of the box. */
export const CLUSTER_IMAGES = ['skiff/pause:3.10', 'skiff/busybox:1.35', 'skiff/hello-node:1.0', 'skiff/node:20'];

const docker = (args: string[], timeoutMs = 120_000) => sh('docker', args, { timeoutMs });

/** Starts the registry unless it runs; returns the host's push address (127.0.0.1:PORT). */
export async function ensureRegistry(dataDir: string): Promise<string> {
  const state = await docker(['inspect', '--format', '{{.State.Running}}', REGISTRY_CONTAINER]).then((s) => s.trim(), () => 'absent');
  if (state === 'false') await docker(['start', REGISTRY_CONTAINER]);
  if (state === 'absent') {
    const store = join(dataDir, 'registry');
    mkdirSync(store, { recursive: true });
    await docker(['run', '-d', '--name', REGISTRY_CONTAINER, '--restart', 'unless-stopped', '--label', `skiff.cluster=${dataDir}`,
      '-p', '127.0.0.1::5000', '-p', `${REGISTRY}:5000`, '-v', `${store}:/var/lib/registry`, REGISTRY_IMAGE]);
  }
  const ports = await docker(['port', REGISTRY_CONTAINER, '5000/tcp']);
  const local = ports.split('\n').map((l) => l.trim()).find((l) => l.startsWith('127.0.0.1:'));
  if (!local) throw new Error(`the registry container ${REGISTRY_CONTAINER} publishes no loopback port (docker port says ${JSON.stringify(ports)}); remove it (docker rm -f ${REGISTRY_CONTAINER}) and run skiff up again`);
  await waitFor(`the registry at ${local} answering /v2/`, 30_000, async () => (await fetch(`http://${local}/v2/`, { signal: AbortSignal.timeout(2000) })).ok, () => `See docker logs ${REGISTRY_CONTAINER}.`);
  return local;
}

/** The repository path an engine asks its mirror for: library/NAME for a one-part name. */
export function mirrorPath(image: string): string {
  const first = image.split('/')[0]!;
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    throw new Error(`${image} names a registry (${first}); load images by their Docker Hub-style name, e.g. hello-node:v1 or team/app:1.0`);
  }
  const tagged = /:[^/]+$/.test(image) ? image : `${image}:latest`;
  return tagged.includes('/') ? tagged : `library/${tagged}`;
}

/** Pushes a local image of the host's engine into the registry (tag, push, untag). */
export async function pushImage(image: string, pushAddress: string): Promise<void> {
  const target = `${pushAddress}/${mirrorPath(image)}`;
  await docker(['image', 'inspect', image]).catch(() => {
    throw new Error(`no image ${image} in the host's Docker engine: build it first (docker build -t ${image} DIR)`);
  });
  await docker(['tag', image, target]);
  try {
    await docker(['push', '--quiet', target], 300_000);
  } finally {
    await docker(['rmi', target]).catch(() => undefined);
  }
}

export async function removeRegistry(): Promise<void> {
  await docker(['rm', '-f', '-v', REGISTRY_CONTAINER]).catch(() => undefined);
}
