// Exec probes through Docker: `docker exec` of the probe's command in the container; the
// result is its exit code and combined output (at most 10 KiB, as upstream keeps).
import Docker from 'dockerode';
import { dockerOptions } from '../runtime/docker-convert.js';
import { demuxBuffer } from '../runtime/docker-stream.js';
import type { ExecFn } from './handlers.js';

const MAX_OUTPUT = 10 * 1024;

class ProbeTimeout extends Error {
  readonly code = 'ProbeTimeout';
}

/** An ExecFn over the Docker engine at `host` (unix:///…, tcp://…; default DOCKER_HOST). */
export function dockerExec(host?: string): ExecFn {
  const docker = new Docker(dockerOptions(host));
  return async (containerId, cmd, timeoutMs) => {
    const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    let size = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        reject(new ProbeTimeout(`command timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on('data', (c: Buffer) => {
        if (size < MAX_OUTPUT * 2) chunks.push(c);
        size += c.length;
      });
      stream.on('end', () => (clearTimeout(timer), resolve()));
      stream.on('close', () => (clearTimeout(timer), resolve()));
      stream.on('error', (err) => (clearTimeout(timer), reject(err)));
    });
    const info = await exec.inspect();
    const output = demuxBuffer(Buffer.concat(chunks)).subarray(0, MAX_OUTPUT).toString('utf8');
    return { exitCode: info.ExitCode ?? -1, output };
  };
}
