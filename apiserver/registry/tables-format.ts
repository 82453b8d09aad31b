// Formatting helpers of kube-apiserver 1.32's printers (pkg/printers/internalversion, the
// apimachinery label helpers and duration.HumanDuration they call), applied to stored v1
// JSON. Every reader tolerates missing or mistyped fields.

export function record(value: unknown): Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : {};
}

export function list(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function int(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** resource.Quantity's String() for a stored quantity; the zero quantity prints "0". */
export function quantity(value: unknown): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '0';
}

/** labels.FormatLabels: "a=b,c=d" sorted by key, "<none>" when empty. */
export function formatLabels(labels: unknown): string {
  const text = Object.entries(record(labels))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${str(v)}`)
    .join(',');
  return text === '' ? '<none>' : text;
}

/** metav1.FormatLabelSelector: the selector string, "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(selector: unknown): string {
  const text = labelSelectorString(selector);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}

/** LabelSelectorAsSelector(...).String() as printDeployment uses it: "" when empty, "<invalid>" on error. */
export function selectorString(selector: unknown): string {
  return labelSelectorString(selector) ?? '<invalid>';
}

/** labels.Selector.String() of metav1.LabelSelectorAsSelector; undefined when the selector is invalid. */
function labelSelectorString(selector: unknown): string | undefined {
  const sel = record(selector);
  const requirements: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(record(sel.matchLabels))) {
    requirements.push({ key, text: `${key}=${str(value)}` });
  }
  for (const expression of list(sel.matchExpressions)) {
    const key = str(expression?.key);
    const values = list(expression?.values).map(str);
    switch (expression?.operator) {
      case 'In':
      case 'NotIn': {
        if (values.length === 0) return undefined;
        const op = expression.operator === 'In' ? 'in' : 'notin';
        requirements.push({ key, text: `${key} ${op} (${[...values].sort().join(',')})` });
        break;
      }
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) return undefined;
        requirements.push({ key, text: expression.operator === 'Exists' ? key : `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  return requirements
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** layoutContainerCells: container names and images, comma-separated. */
export function layoutContainerCells(containers: any[]): [string, string] {
  return [containers.map((c) => str(c?.name)).join(','), containers.map((c) => str(c?.image)).join(',')];
}

/** formatEndpoints: at most three "ip:port" entries, then " + N more...". */
export function formatEndpoints(subsets: any[]): string {
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let more = false;
  let count = 0;
  for (const subset of subsets) {
    const addresses = list(subset?.addresses);
    const ports = list(subset?.ports);
    // A headless service may have no ports: list the bare addresses.
    const targets = ports.length === 0 ? [undefined] : ports;
    for (const port of targets) {
      count += addresses.length;
      for (const address of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        const ip = str(address?.ip);
        shown.push(port === undefined ? ip : joinHostPort(ip, int(port?.port)));
      }
    }
  }
  const text = shown.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** helper.GetAccessModesAsString: "RWO,ROX,RWX,RWOP" in that order, without duplicates. */
export function accessModes(modes: any[]): string {
  const abbreviations: Array<[string, string]> = [
    ['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP'],
  ];
  return abbreviations.filter(([mode]) => modes.includes(mode)).map(([, short]) => short).join(',');
}

/** printResourceQuota's Request and Limit cells: "cpu: 100m/1, pods: 2/10" by sorted resource name. */
export function resourceQuotaColumns(status: Record<string, any>): [string, string] {
  const hard = record(status.hard);
  const used = record(status.used);
  const requests: string[] = [];
  const limits: string[] = [];
  for (const resource of Object.keys(hard).sort()) {
    const pieces = resource.split('.');
    const column = pieces.length > 1 && pieces[0] === 'limits' ? limits : requests;
    column.push(`${resource}: ${quantity(used[resource])}/${quantity(hard[resource])}`);
  }
  return [requests.join(', '), limits.join(', ')];
}

/**
 * formatHPAMetrics: "cpu: 40%/80%, memory: <unknown>/1Gi + 1 more...". Accepts autoscaling/v2
 * (spec.metrics) and autoscaling/v1 (targetCPUUtilizationPercentage) shapes; with no metric
 * the apiserver's default (CPU at 80% utilization) applies.
 */
export function formatHPAMetrics(spec: Record<string, any>, status: Record<string, any>): string {
  let specs = list(spec.metrics);
  let statuses = list(status.currentMetrics);
  if (specs.length === 0) {
    const target = typeof spec.targetCPUUtilizationPercentage === 'number' ? spec.targetCPUUtilizationPercentage : 80;
    specs = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }];
    if (typeof status.currentCPUUtilizationPercentage === 'number') {
      statuses = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    }
  }
  const max = 2;
  const entries = specs.map((metric, i) => formatMetric(record(metric), record(statuses[i])));
  const text = entries.slice(0, max).join(', ');
  return entries.length > max ? `${text} + ${entries.length - max} more...` : text;
}

function formatMetric(metric: Record<string, any>, current: Record<string, any>): string {
  switch (metric.type) {
    case 'External':
    case 'Object': {
      const field = metric.type === 'External' ? 'external' : 'object';
      const target = record(record(metric[field]).target);
      const now = current[field] ? record(current[field].current) : undefined;
      if (target.averageValue !== undefined && target.averageValue !== null) {
        const value = now?.averageValue != null ? quantity(now.averageValue) : '<unknown>';
        return `${value}/${quantity(target.averageValue)} (avg)`;
      }
      return `${now ? nilQuantity(now.value) : '<unknown>'}/${nilQuantity(target.value)}`;
    }
    case 'Pods': {
      const target = record(record(metric.pods).target);
      const value = current.pods ? nilQuantity(record(current.pods.current).averageValue) : '<unknown>';
      return `${value}/${nilQuantity(target.averageValue)}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const field = metric.type === 'Resource' ? 'resource' : 'containerResource';
      const source = record(metric[field]);
      const target = record(source.target);
      const now = current[field] ? record(current[field].current) : undefined;
      if (target.averageValue !== undefined && target.averageValue !== null) {
        const value = now ? nilQuantity(now.averageValue) : '<unknown>';
        return `${str(source.name)}: ${value}/${quantity(target.averageValue)}`;
      }
      const value = typeof now?.averageUtilization === 'number' ? `${now.averageUtilization}%` : '<unknown>';
      const goal = typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>';
      return `${str(source.name)}: ${value}/${goal}`;
    }
    default:
      return '<unknown type>';
  }
}

/** (*resource.Quantity).String(), which prints "<nil>" for a nil pointer. */
function nilQuantity(value: unknown): string {
  return value === undefined || value === null ? '<nil>' : quantity(value);
}

// ---------------------------------------------------------------- services and jobs

export function serviceExternalIP(o: any, type: string): string {
  const spec = record(o.spec);
  const externalIPs = list(spec.externalIPs).map(str);
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = new Set<string>();
      for (const ingress of list(record(o.status).loadBalancer?.ingress)) {
        if (str(ingress?.ip) !== '') lb.add(ingress.ip);
        else if (str(ingress?.hostname) !== '') lb.add(ingress.hostname);
      }
      const lbIPs = [...lb].sort();
      if (externalIPs.length > 0) return [...lbIPs, ...externalIPs].join(',');
      return lbIPs.length > 0 ? lbIPs.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

/** "80/TCP,443:30443/TCP" — makePortString. */
export function servicePorts(ports: any[]): string {
  return ports.map((p) => {
    const protocol = str(p?.protocol) || 'TCP';
    return int(p?.nodePort) > 0 ? `${int(p?.port)}:${int(p.nodePort)}/${protocol}` : `${int(p?.port)}/${protocol}`;
  }).join(',');
}

export function jobStatus(o: any): string {
  const conditions = list(record(o.status).conditions);
  const has = (type: string): boolean => conditions.find((c) => c?.type === type)?.status === 'True';
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export function jobCompletions(spec: any, status: any): string {
  const succeeded = int(status.succeeded);
  if (typeof spec.completions === 'number') return `${succeeded}/${spec.completions}`;
  const parallelism = int(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

export function jobDuration(status: any, now: Date): string {
  const start = Date.parse(str(status.startTime));
  if (Number.isNaN(start)) return '';
  const completion = Date.parse(str(status.completionTime));
  return humanDuration((Number.isNaN(completion) ? now.getTime() : completion) - start);
}

// ---------------------------------------------------------------- time

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration: ~2-3 significant figures. */
export function humanDuration(ms: number): string {
  // Allow a deviation of less than 2 seconds for clock skew: that is "now".
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** The time since an RFC 3339 timestamp, humanized; "<unknown>" when missing or unparsable. */
export function translateTimestampSince(ts: string | undefined, now: Date): string {
  if (!ts) return '<unknown>';
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) return '<unknown>';
  return humanDuration(now.getTime() - ms);
}
