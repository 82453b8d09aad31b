import http from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRecorder } from '../../shared/events.js';
import { ProbeError, ProbeManager, runHandler, type ExecFn } from './index.js';
import type { ProbeTarget } from './handlers.js';

/** Timers on a fake clock: advance() fires what is due and lets the probes' promises settle. */
class FakeClock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const timer = { at: this.t + ms, fn, seq: this.seq++ };
    this.timers.push(timer);
    return () => (this.timers = this.timers.filter((x) => x !== timer));
  };
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = end;
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const log = pino({ level: 'silent' });
const realTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

describe('handlers', () => {
  let server: http.Server;
  let port: number;
  let closedPort: number;
  const seen: http.IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/ok') res.end('fine');
      else if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end();
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 2000).unref();
      else res.writeHead(500).end('broken');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    const s: Server = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closedPort = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const target = (extra: Partial<ProbeTarget> = {}): ProbeTarget => ({
    podIP: '127.0.0.1',
    container: { name: 'c', ports: [{ name: 'http', containerPort: port }] },
    containerId: 'cid',
    exec: async () => 0,
    allowHost: (h) => h === '127.0.0.1',
    setTimer: realTimer,
    ...extra,
  });

  it('httpGet: 2xx and 3xx succeed, others fail, headers are sent', async () => {
    expect(await runHandler({ httpGet: { path: '/ok', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, 1000, target())).toEqual({ result: 'Success', output: 'fine' });
    expect(seen.at(-1)).toMatchObject({ 'x-probe': 'yes', 'user-agent': 'kube-probe/1.32', accept: '*/*' });
    expect((await runHandler({ httpGet: { path: '/redirect', port } }, 1000, target())).result).toBe('Success');
    expect(await runHandler({ httpGet: { path: '/bad', port } }, 1000, target())).toEqual({ result: 'Failure', output: 'HTTP probe failed with statuscode: 500' });
  });

  it('httpGet: a refused connection and a timeout fail', async () => {
    expect(await runHandler({ httpGet: { path: '/', port: closedPort } }, 1000, target())).toEqual({
      result: 'Failure',
      output: `Get "http://127.0.0.1:${closedPort}/": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
    const slow = await runHandler({ httpGet: { path: '/slow', port } }, 50, target());
    expect(slow).toEqual({ result: 'Failure', output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
  });

  it('tcpSocket: connects to the pod IP', async () => {
    expect(await runHandler({ tcpSocket: { port } }, 1000, target())).toEqual({ result: 'Success', output: '' });
    expect(await runHandler({ tcpSocket: { port: closedPort } }, 1000, target())).toEqual({ result: 'Failure', output: `dial tcp 127.0.0.1:${closedPort}: connect: connection refused` });
  });

  it('refuses other hosts and unknown ports without connecting', async () => {
    await expect(runHandler({ httpGet: { host: '192.0.2.1', port: 80 } }, 1000, target())).rejects.toThrow(/probe host 192.0.2.1 refused/);
    await expect(runHandler({ tcpSocket: { host: '192.0.2.1', port: 80 } }, 1000, target())).rejects.toBeInstanceOf(ProbeError);
    await expect(runHandler({ tcpSocket: { port: 'nope' } }, 1000, target())).rejects.toThrow(/couldn't find port: nope/);
    await expect(runHandler({ tcpSocket: { port: 0 } }, 1000, target())).rejects.toThrow(/invalid port number/);
    await expect(runHandler({ httpGet: { port: 80 } }, 1000, target({ podIP: '' }))).rejects.toThrow(/no IP/);
  });

  it('exec: exit 0 succeeds, other codes fail, a hung command times out', async () => {
    const clock = new FakeClock();
    const exec: ExecFn = async (_id, cmd) => (cmd[0] === 'hang' ? new Promise(() => {}) : { exitCode: Number(cmd[1]), output: `out ${cmd[1]}` });
    const t = target({ exec, setTimer: clock.setTimer });
    expect(await runHandler({ exec: { command: ['exit', '0'] } }, 1000, t)).toEqual({ result: 'Success', output: 'out 0' });
    expect(await runHandler({ exec: { command: ['exit', '3'] } }, 1000, t)).toEqual({ result: 'Failure', output: 'out 3' });
    const hung = runHandler({ exec: { command: ['hang'] } }, 1000, t);
    await clock.advance(1000);
    expect(await hung).toEqual({ result: 'Failure', output: 'command "hang" timed out' });
  });
});

describe('ProbeManager', () => {
  /** A pod with one container "app" whose exec probes answer from `answers[probe]`. */
  function setup(probes: Record<string, any>) {
    const clock = new FakeClock();
    const answers: Record<string, number> = { live: 0, ready: 0, start: 0 };
    const calls: string[] = [];
    const exec: ExecFn = async (id, cmd) => {
      calls.push(`${id}:${cmd[0]}`);
      return answers[cmd[0]!]!;
    };
    const recorder = new FakeRecorder();
    const m = new ProbeManager({ exec, log, now: clock.now, setTimer: clock.setTimer, recorder });
    const changes: string[] = [];
    m.onChange((uid, name, type, result) => changes.push(`${name}/${type}=${result}`));
    const container = { name: 'app', ...probes };
    const pod = { metadata: { uid: 'u1', name: 'p', namespace: 'ns' }, spec: { containers: [container, { name: 'plain' }] } };
    return { clock, answers, calls, m, changes, pod, recorder };
  }
  const probe = (cmd: string, extra: any = {}) => ({ exec: { command: [cmd] }, periodSeconds: 10, ...extra });

  it('readiness: not ready until it passes successThreshold, unready after failureThreshold', async () => {
    const { clock, answers, m, pod, calls } = setup({ readinessProbe: probe('ready', { successThreshold: 2, failureThreshold: 2 }) });
    m.addPod(pod, '127.0.0.1');
    expect(m.ready('u1', 'app')).toBe(false);
    expect(m.ready('u1', 'nope')).toBeUndefined();
    m.updateContainer('u1', 'app', 'c1', new Date(clock.t));
    m.updateContainer('u1', 'plain', 'c2', new Date(clock.t));
    await clock.advance(0);
    expect(calls).toEqual(['c1:ready']);
    expect(m.ready('u1', 'app')).toBe(false); // one success of two
    expect(m.ready('u1', 'plain')).toBe(true); // no probe: ready once running
    await clock.advance(10_000);
    expect(m.ready('u1', 'app')).toBe(true);
    answers.ready = 1;
    await clock.advance(10_000);
    expect(m.ready('u1', 'app')).toBe(true);
    await clock.advance(10_000);
    expect(m.ready('u1', 'app')).toBe(false);
    expect(m.livenessFailed('u1', 'app')).toBe(false);
  });

  it('liveness: fails after failureThreshold, holds until a new container, honours initialDelaySeconds', async () => {
    const { clock, answers, m, pod, calls, changes, recorder } = setup({ livenessProbe: probe('live', { initialDelaySeconds: 15, failureThreshold: 3 }) });
    m.addPod(pod, '127.0.0.1', { app: 'c1' });
    await clock.advance(10_000);
    expect(calls).toEqual([]); // within the initial delay
    answers.live = 1;
    await clock.advance(20_000); // probes at 20 s and 30 s
    expect(calls).toEqual(['c1:live', 'c1:live']);
    expect(m.livenessFailed('u1', 'app')).toBe(false);
    await clock.advance(10_000);
    expect(m.livenessFailed('u1', 'app')).toBe(true);
    expect(m.failedProbe('u1', 'app')).toBe('liveness');
    expect(changes).toEqual(['app/liveness=Success', 'app/liveness=Failure']);
    expect(recorder.events.filter((e) => e.reason === 'Unhealthy')).toHaveLength(3);
    expect(recorder.events[0]?.message).toContain('Liveness probe failed: command "live" exited with 1');
    await clock.advance(60_000);
    expect(calls).toHaveLength(3); // on hold
    answers.live = 0;
    m.updateContainer('u1', 'app', 'c2', new Date(clock.t)); // restarted
    expect(m.livenessFailed('u1', 'app')).toBe(false);
    await clock.advance(20_000);
    expect(calls.at(-1)).toBe('c2:live');
    expect(m.livenessFailed('u1', 'app')).toBe(false);
  });

  it('startup gates liveness and readiness, then readiness runs at once', async () => {
    const { clock, answers, m, pod, calls } = setup({
      startupProbe: probe('start', { periodSeconds: 1, failureThreshold: 30 }),
      livenessProbe: probe('live'),
      readinessProbe: probe('ready'),
    });
    answers.start = 1;
    m.addPod(pod, '127.0.0.1', { app: 'c1' });
    await clock.advance(5_000);
    expect(calls.every((c) => c === 'c1:start')).toBe(true);
    expect(m.startupDone('u1', 'app')).toBe(false);
    expect(m.ready('u1', 'app')).toBe(false);
    answers.start = 0;
    await clock.advance(1_000);
    expect(m.startupDone('u1', 'app')).toBe(true);
    expect(calls.at(-1)).toBe('c1:ready');
    expect(m.ready('u1', 'app')).toBe(true);
    const n = calls.length;
    await clock.advance(10_000);
    expect(calls.slice(n).sort()).toEqual(['c1:live', 'c1:ready']); // startup no longer probed
  });

  it('a startup probe past its failureThreshold asks for a restart', async () => {
    const { clock, answers, m, pod } = setup({ startupProbe: probe('start', { periodSeconds: 1, failureThreshold: 3 }) });
    answers.start = 1;
    m.addPod(pod, '127.0.0.1', { app: 'c1' });
    await clock.advance(2_000);
    expect(m.livenessFailed('u1', 'app')).toBe(true);
    expect(m.failedProbe('u1', 'app')).toBe('startup');
  });

  it('a stopped container is not ready; a deleting pod passes liveness and stops probing it', async () => {
    const { clock, answers, m, pod, calls } = setup({ livenessProbe: probe('live', { failureThreshold: 1 }), readinessProbe: probe('ready') });
    m.addPod(pod, '127.0.0.1', { app: 'c1' });
    await clock.advance(0);
    expect(m.ready('u1', 'app')).toBe(true);
    m.updateContainer('u1', 'app', 'c1', undefined); // exited
    await clock.advance(0);
    expect(m.ready('u1', 'app')).toBe(false);
    m.updateContainer('u1', 'app', 'c1', new Date(clock.t)); // running again: probed at once
    await clock.advance(0);
    m.addPod({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }, '127.0.0.1');
    answers.live = 1;
    const lives = calls.filter((c) => c.endsWith('live')).length;
    await clock.advance(30_000);
    expect(m.livenessFailed('u1', 'app')).toBe(false);
    expect(calls.filter((c) => c.endsWith('live')).length).toBe(lives);
    m.removePod('u1');
    const n = calls.length;
    await clock.advance(60_000);
    expect(calls.length).toBe(n);
    expect(m.ready('u1', 'app')).toBeUndefined();
  });

  it('a prober error keeps the previous result and records an event', async () => {
    const { clock, m, pod, recorder } = setup({ readinessProbe: { tcpSocket: { port: 'missing' } } });
    m.addPod(pod, '127.0.0.1', { app: 'c1' });
    await clock.advance(0);
    expect(m.ready('u1', 'app')).toBe(false);
    expect(recorder.events[0]?.message).toContain("Readiness probe errored: couldn't find port: missing");
  });
});
