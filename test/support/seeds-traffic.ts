// Clients of the seeds' Services from the test process: one GET on a fresh connection (no
// keep-alive, so each request meets the Service's current backends as a new user would),
// and a caller that keeps calling, bounded in count and time, counting answers and failures.
// Addresses are only the cluster's own (10.250.0.0/24 node addresses, pod IPs).
import { request } from 'node:http';

/** One GET; the body, or a rejection for a non-2xx answer, a reset or a timeout. */
export function get(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface CallerReport {
  /** Trimmed body → how many times it was answered. */
  answers: Map<string, number>;
  /** The bodies in order, to see what answered last. */
  sequence: string[];
  failures: string[];
}

/**
 * Calls `urls` in turn every `everyMs` until stop() or a bound (`maxRequests`, `maxMs`);
 * `done` resolves with what it saw.
 */
export class Caller {
  private stopped = false;
  /** What it has seen so far (filled in as it goes). */
  readonly report: CallerReport = { answers: new Map(), sequence: [], failures: [] };
  readonly done: Promise<CallerReport>;

  constructor(urls: string[], o: { everyMs: number; maxRequests: number; maxMs: number; timeoutMs?: number }) {
    this.done = this.loop(urls, o);
  }

  stop(): Promise<CallerReport> {
    this.stopped = true;
    return this.done;
  }

  private async loop(urls: string[], o: { everyMs: number; maxRequests: number; maxMs: number; timeoutMs?: number }): Promise<CallerReport> {
    const report = this.report;
    const deadline = Date.now() + o.maxMs;
    for (let i = 0; i < o.maxRequests && !this.stopped && Date.now() < deadline; i++) {
      const url = urls[i % urls.length]!;
      const t = Date.now();
      try {
        const body = (await get(url, o.timeoutMs ?? 3000)).trim();
        report.answers.set(body, (report.answers.get(body) ?? 0) + 1);
        report.sequence.push(body);
      } catch (err) {
        report.failures.push(`#${i} ${new Date(t).toISOString()} ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, o.everyMs - (Date.now() - t))));
    }
    return report;
  }
}

/** Bounded requests to one URL: every body, or the first failure. */
export async function getEach(url: string, count: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) bodies.push((await get(url)).trim());
  return bodies;
}
