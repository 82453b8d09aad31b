// Prometheus metrics named as CoreDNS names them (plugin/metrics): requests by transport,
// family and type, responses by rcode and answering plugin, and the request duration.
// The hot path only adds to plain numbers (a count, a histogram bucket); prom-client reads
// them at each scrape, which keeps label hashing and allocation out of the per-query cost.
import client from 'prom-client';

/** The query types CoreDNS reports by name; every other type is counted as "other". */
const MONITORED = new Set(['A', 'AAAA', 'MX', 'SOA', 'CNAME', 'PTR', 'TXT', 'NS', 'SRV', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'HTTPS', 'IXFR', 'AXFR', 'ANY']);
const BUCKETS = client.exponentialBuckets(0.00025, 2, 16);
const DURATION = 'coredns_dns_request_duration_seconds';

interface Series {
  req: client.Counter.Internal;
  res: client.Counter.Internal;
  /** Counts not yet handed to the counters. */
  count: number;
  /** The duration histogram of this series' `type`, shared by the series of that type. */
  dur: Histogram;
}

/** One label set of the duration histogram: a count per bucket (not cumulative), sum and count. */
interface Histogram {
  labels: Record<string, string>;
  buckets: number[];
  sum: number;
  count: number;
}

export class DnsMetrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<string>;
  private readonly responses: client.Counter<string>;
  /** Per label combination: its counter children and what was counted since the last scrape. */
  private readonly series = new Map<string, Series>();
  private readonly durations = new Map<string, Histogram>();

  /** `server` as CoreDNS's label, `dns://:53`: set once the port is bound, before the first query. */
  constructor(public server: string) {
    client.collectDefaultMetrics({ register: this.registry });
    const collect = () => this.flush();
    this.requests = new client.Counter({
      name: 'coredns_dns_requests_total',
      help: 'Counter of DNS requests made per zone, protocol and family.',
      labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'],
      registers: [this.registry],
      collect,
    });
    this.responses = new client.Counter({
      name: 'coredns_dns_responses_total',
      help: 'Counter of response status codes.',
      labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'],
      registers: [this.registry],
      collect,
    });
    // The histogram is read straight from the buckets the hot path fills (prom-client's own
    // Histogram hashes its labels on every observe).
    this.registry.registerMetric({
      name: DURATION,
      help: 'Histogram of the time (in seconds) each request took per zone.',
      type: 'histogram',
      get: async () => ({ name: DURATION, help: 'Histogram of the time (in seconds) each request took per zone.', type: 'histogram', aggregator: 'sum', values: this.durationValues() }),
    } as unknown as client.Metric);
  }

  observe(proto: 'udp' | 'tcp', family: 'IPv4' | 'IPv6' | string, qtype: string, rcode: string, plugin: string, seconds: number): void {
    const type = MONITORED.has(qtype) ? qtype : 'other';
    const fam = family === 'IPv6' ? '2' : '1';
    const key = `${proto} ${fam} ${type} ${rcode} ${plugin}`;
    let s = this.series.get(key);
    if (!s) {
      const base = { server: this.server, zone: '.', view: '' };
      let dur = this.durations.get(type);
      if (!dur) this.durations.set(type, (dur = { labels: { ...base, type }, buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
      s = { req: this.requests.labels({ ...base, proto, family: fam, type }), res: this.responses.labels({ ...base, rcode, plugin }), count: 0, dur };
      this.series.set(key, s);
    }
    s.count++;
    const h = s.dur;
    let b = 0;
    while (b < BUCKETS.length && seconds > BUCKETS[b]!) b++;
    h.buckets[b]!++;
    h.sum += seconds;
    h.count++;
  }

  private durationValues(): { labels: Record<string, string | number>; value: number; metricName: string }[] {
    const out: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const h of this.durations.values()) {
      let acc = 0;
      BUCKETS.forEach((le, i) => out.push({ labels: { ...h.labels, le }, value: (acc += h.buckets[i]!), metricName: `${DURATION}_bucket` }));
      out.push({ labels: { ...h.labels, le: '+Inf' }, value: h.count, metricName: `${DURATION}_bucket` });
      out.push({ labels: h.labels, value: h.sum, metricName: `${DURATION}_sum` });
      out.push({ labels: h.labels, value: h.count, metricName: `${DURATION}_count` });
    }
    return out;
  }

  private flush(): void {
    for (const s of this.series.values()) {
      if (s.count === 0) continue;
      s.req.inc(s.count);
      s.res.inc(s.count);
      s.count = 0;
    }
  }
}
