// The runtime over `tcp://host:port`, as a Docker-in-Docker CI service exposes the engine.
// The engine here listens on its unix socket only, so the test puts a plain TCP relay on
// 127.0.0.1 in front of it (never a routable address: an open Docker port is root).
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from './docker.js';
import { LABELS } from './runtime.js';

const RUN_LABEL = 'skiff.test.run';
const RUN = `tcp-${randomUUID()}`;

describe('DockerRuntime over tcp://', () => {
  let relay: Server;
  let runtime: DockerRuntime;
  const local = new DockerRuntime();

  beforeAll(async () => {
    relay = createServer((client) => {
      const engine = connect('/var/run/docker.sock');
      client.pipe(engine).pipe(client);
      const close = () => {
        client.destroy();
        engine.destroy();
      };
      client.on('error', close);
      engine.on('error', close);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const { port } = relay.address() as { port: number };
    runtime = new DockerRuntime({ host: `tcp://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    for (const c of await local.list({ [RUN_LABEL]: RUN })) await local.remove(c.id);
    await new Promise((r) => relay.close(r));
  });

  it('runs a sandbox and a container, lists and removes them through the TCP engine address', async () => {
    expect(await runtime.version()).toMatch(/^docker:\/\/\d+\./);
    const uid = randomUUID();
    const sandbox = await runtime.createSandbox({ uid, namespace: 'tcp', name: 'p', hostname: 'p', labels: { [RUN_LABEL]: RUN } });
    const id = await runtime.createContainer(sandbox, { name: 'c', image: 'skiff/busybox:1.35', command: ['sleep', '60'], restartCount: 0, labels: { [RUN_LABEL]: RUN } });
    await runtime.start(id);
    const found = await runtime.list({ [LABELS.podUid]: uid });
    expect(found.map((c) => c.labels[LABELS.containerName]).sort()).toEqual(['POD', 'c']);
    expect(found.every((c) => c.state === 'running')).toBe(true);
    for (const c of found) await runtime.remove(c.id);
    expect(await local.list({ [LABELS.podUid]: uid })).toEqual([]);
  });
});
