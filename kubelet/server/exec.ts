// exec and attach: a Docker exec (or an attach to the container's own process) joined to a
// Kubernetes remotecommand WebSocket. stdin flows in on channel 0 and ends on a v5
// close-stream; stdout and stderr flow out on channels 1 and 2 (one stream under a TTY);
// resizes on channel 4 reach the TTY; the exit code ends the session on channel 3.
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { CHANNEL, decodeFrame, encodeFrame, parseResize, statusMessage, type Protocol } from './remotecommand.js';

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Where the session's bytes go, and how the TTY is resized. */
interface Target {
  stream: Duplex;
  /** Output is one raw stream (a TTY) rather than Docker's multiplexed frames. */
  tty: boolean;
  resize(size: { width: number; height: number }): Promise<unknown>;
  /** The exit code once the output has ended (exec), or undefined (attach). */
  exitCode(): Promise<number | undefined>;
}

const HIGH_WATER = 1 << 20;

/** Runs `command` in the container and serves it on `ws` until it exits. */
export async function serveExec(ws: WebSocket, proto: Protocol, docker: Docker, id: string, command: string[], opts: StreamOptions, log: Logger): Promise<void> {
  await serve(ws, proto, log, async () => {
    const exec = await docker.getContainer(id).exec({
      Cmd: command,
      AttachStdin: opts.stdin,
      AttachStdout: opts.stdout,
      AttachStderr: opts.stderr && !opts.tty,
      Tty: opts.tty,
    });
    const stream = (await exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty })) as Duplex;
    return {
      stream,
      tty: opts.tty,
      resize: (s) => exec.resize({ h: s.height, w: s.width }),
      exitCode: () => exitCodeOf(exec),
    };
  });
}

/** Attaches to the container's main process (its stdin needs `stdin: true` in its spec). */
export async function serveAttach(ws: WebSocket, proto: Protocol, docker: Docker, id: string, opts: StreamOptions, log: Logger): Promise<void> {
  await serve(ws, proto, log, async () => {
    const container = docker.getContainer(id);
    const info = await container.inspect();
    const stream = (await container.attach({ stream: true, hijack: true, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr })) as unknown as Duplex;
    return { stream, tty: info.Config.Tty, resize: (s) => container.resize({ h: s.height, w: s.width }), exitCode: async () => undefined };
  });
}

async function serve(ws: WebSocket, proto: Protocol, log: Logger, open: () => Promise<Target>): Promise<void> {
  // Messages may arrive before Docker answers: hold them until the target exists.
  const pending: { data: Buffer; isBinary: boolean }[] = [];
  let target: Target | undefined;
  let closed = false;
  const onMessage = (data: Buffer, isBinary: boolean) => {
    if (target) handleInput(target, proto, data, isBinary, log);
    else pending.push({ data, isBinary });
  };
  ws.on('message', onMessage);
  ws.once('close', () => {
    closed = true;
    target?.stream.destroy();
  });

  const finish = (result: { exitCode?: number; error?: string }) => {
    if (closed) return;
    const status = statusMessage(proto, result);
    if (status !== undefined) ws.send(encodeFrame(proto, CHANNEL.error, status));
    ws.close(1000);
  };

  try {
    target = await open();
  } catch (err) {
    finish({ error: (err as Error).message });
    return;
  }
  if (closed) {
    target.stream.destroy();
    return;
  }
  for (const m of pending.splice(0)) handleInput(target, proto, m.data, m.isBinary, log);

  const t = target;
  const send = (channel: number, chunk: Buffer) => {
    if (closed || chunk.length === 0) return;
    ws.send(encodeFrame(proto, channel, chunk), () => {
      if (ws.bufferedAmount < HIGH_WATER && t.stream.isPaused()) t.stream.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER) t.stream.pause();
  };
  if (t.tty) t.stream.on('data', (chunk: Buffer) => send(CHANNEL.stdout, chunk));
  else demux(t.stream, (kind, chunk) => send(kind === 2 ? CHANNEL.stderr : CHANNEL.stdout, chunk));

  await new Promise<void>((resolve) => {
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      resolve();
    };
    t.stream.once('end', end);
    t.stream.once('close', end);
    t.stream.once('error', (err) => {
      log.debug({ err }, 'stream error');
      end();
    });
  });
  if (closed) return;
  try {
    finish({ exitCode: await t.exitCode() });
  } catch (err) {
    finish({ error: (err as Error).message });
  }
}

function handleInput(t: Target, proto: Protocol, msg: Buffer, isBinary: boolean, log: Logger): void {
  const frame = decodeFrame(proto, msg, isBinary);
  if (!frame) return;
  switch (frame.channel) {
    case CHANNEL.stdin:
      if (frame.data.length && t.stream.writable) t.stream.write(frame.data);
      return;
    case CHANNEL.resize: {
      const size = parseResize(frame.data);
      if (size) t.resize(size).catch((err: unknown) => log.debug({ err }, 'resize failed'));
      return;
    }
    case CHANNEL.close:
      // v5: the client closed one of its streams; stdin's end reaches the process as EOF.
      if (frame.data[0] === CHANNEL.stdin && t.stream.writable) t.stream.end();
      return;
    default:
      return;
  }
}

/** Docker's multiplexed frames (8-byte header: type, 0,0,0, uint32 length) → (type, payload). */
function demux(stream: Duplex, onFrame: (kind: number, payload: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      onFrame(buf[0]!, buf.subarray(8, 8 + size));
      buf = buf.subarray(8 + size);
    }
  });
}

/** The exec's exit code; Docker may report it a moment after the output ends. */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the exec did not report an exit code');
}
