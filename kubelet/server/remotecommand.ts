// Kubernetes' remotecommand stream protocols over a WebSocket (k8s.io/apimachinery
// pkg/util/httpstream/wsstream and kubelet's cri/streaming/remotecommand): every binary
// message is one channel byte then the payload. Channels: 0 stdin, 1 stdout, 2 stderr,
// 3 error/status, 4 resize (v3+), 255 close-stream (v5: [255, channel] ends that channel).
// v4 and v5 carry a metav1.Status JSON on channel 3; older versions a plain error text.
// The base64 variants send text messages: an ASCII digit channel, then base64 payload.

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** What the kubelet accepts, most preferred first (wsstream's preference order). */
export const REMOTE_COMMAND_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

export interface Protocol {
  name: string;
  /** 1 for channel.k8s.io … 5 for v5. */
  version: number;
  base64: boolean;
}

export function parseProtocol(name: string): Protocol {
  const base64 = name.includes('base64');
  const m = /^v(\d)\./.exec(name);
  return { name, version: m ? Number(m[1]) : 1, base64 };
}

/**
 * Chooses the subprotocol as wsstream does: the first the client offers that we support.
 * A client offering none gets the unversioned binary protocol; offering only unknown ones
 * is refused (false).
 */
export function chooseProtocol(offered: Set<string>): string | false {
  if (offered.size === 0) return 'channel.k8s.io';
  for (const p of offered) if ((REMOTE_COMMAND_PROTOCOLS as readonly string[]).includes(p)) return p;
  return false;
}

/** One outgoing frame for `channel`, in the protocol's encoding. */
export function encodeFrame(proto: Protocol, channel: number, payload: Buffer | string): Buffer | string {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (proto.base64) return String.fromCharCode(48 + channel) + data.toString('base64');
  return Buffer.concat([Buffer.from([channel]), data]);
}

/** Splits an incoming message into its channel and payload; undefined for an empty one. */
export function decodeFrame(proto: Protocol, msg: Buffer, isBinary: boolean): { channel: number; data: Buffer } | undefined {
  if (msg.length === 0) return undefined;
  if (proto.base64 || !isBinary) {
    const text = msg.toString('latin1');
    return { channel: text.charCodeAt(0) - 48, data: Buffer.from(text.slice(1), 'base64') };
  }
  return { channel: msg[0]!, data: msg.subarray(1) };
}

/** The terminal size in a resize message: {"Width":W,"Height":H}. */
export function parseResize(data: Buffer): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(data.toString()) as { Width?: unknown; Height?: unknown };
    const width = Number(v.Width);
    const height = Number(v.Height);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}

/**
 * The final message on the error channel. v4+: a metav1.Status (Success, or Failure with
 * reason NonZeroExitCode and the code as an ExitCode cause, which kubectl turns into its
 * own exit code). Older protocols: nothing on success, the error's text otherwise.
 */
export function statusMessage(proto: Protocol, result: { exitCode?: number; error?: string }): string | undefined {
  const failed = result.error !== undefined || (result.exitCode !== undefined && result.exitCode !== 0);
  if (proto.version < 4) {
    if (!failed) return undefined;
    return result.error ?? `command terminated with non-zero exit code: exit status ${result.exitCode}`;
  }
  if (!failed) return JSON.stringify({ metadata: {}, status: 'Success' });
  if (result.error !== undefined) {
    return JSON.stringify({ metadata: {}, status: 'Failure', message: result.error, reason: 'InternalError', details: { causes: [{ message: result.error }] }, code: 500 });
  }
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${result.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  });
}
