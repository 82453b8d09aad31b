import { describe, expect, it } from 'vitest';
import { columnsFor, humanDuration, podRowConditions, rowCells, translateTimestampSince } from './tables.js';

const NOW = new Date('2025-01-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const RESOURCES = [
  'pods', 'services', 'endpoints', 'nodes', 'namespaces', 'events', 'configmaps', 'secrets',
  'serviceaccounts', 'persistentvolumes', 'persistentvolumeclaims', 'resourcequotas', 'limitranges',
  'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs',
  'horizontalpodautoscalers', 'leases', 'widgets',
];

function shape(resource: string): Array<[string, number]> {
  return columnsFor(resource).map((c) => [c.name, c.priority]);
}

/** The cells keyed by column name, for readable assertions. */
function row(resource: string, obj: unknown): Record<string, unknown> {
  const cells = rowCells(resource, obj, NOW);
  return Object.fromEntries(columnsFor(resource).map((c, i) => [c.name, cells[i]]));
}

describe('columnsFor', () => {
  it('defines pods like kube-apiserver 1.32, wide columns at priority 1', () => {
    expect(shape('pods')).toEqual([
      ['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0],
      ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1],
    ]);
    const [name, , , restarts] = columnsFor('pods');
    expect(name).toMatchObject({ type: 'string', format: 'name' });
    expect(restarts).toMatchObject({ type: 'string', format: '' });
  });

  it('defines the workload kinds', () => {
    expect(shape('deployments')).toEqual([
      ['Name', 0], ['Ready', 0], ['Up-to-date', 0], ['Available', 0], ['Age', 0],
      ['Containers', 1], ['Images', 1], ['Selector', 1],
    ]);
    expect(shape('replicasets').map(([n]) => n)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
    expect(columnsFor('replicasets')[1]!.type).toBe('integer');
    expect(shape('statefulsets')).toEqual([['Name', 0], ['Ready', 0], ['Age', 0], ['Containers', 1], ['Images', 1]]);
    expect(shape('daemonsets').map(([n]) => n)).toEqual([
      'Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector',
    ]);
    expect(shape('jobs')).toEqual([
      ['Name', 0], ['Status', 0], ['Completions', 0], ['Duration', 0], ['Age', 0],
      ['Containers', 1], ['Images', 1], ['Selector', 1],
    ]);
  });

  it('defines services, nodes and events', () => {
    expect(shape('services')).toEqual([
      ['Name', 0], ['Type', 0], ['Cluster-IP', 0], ['External-IP', 0], ['Port(s)', 0], ['Age', 0], ['Selector', 1],
    ]);
    expect(shape('nodes')).toEqual([
      ['Name', 0], ['Status', 0], ['Roles', 0], ['Age', 0], ['Version', 0],
      ['Internal-IP', 1], ['External-IP', 1], ['OS-Image', 1], ['Kernel-Version', 1], ['Container-Runtime', 1],
    ]);
    expect(shape('events')).toEqual([
      ['Last Seen', 0], ['Type', 0], ['Reason', 0], ['Object', 0], ['Subobject', 1], ['Source', 1],
      ['Message', 0], ['First Seen', 1], ['Count', 1], ['Name', 1],
    ]);
    expect(columnsFor('events')[9]!.format).toBe('name');
  });

  it('defines the config and storage kinds', () => {
    expect(shape('configmaps').map(([n]) => n)).toEqual(['Name', 'Data', 'Age']);
    expect(shape('secrets').map(([n]) => n)).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(shape('serviceaccounts').map(([n]) => n)).toEqual(['Name', 'Secrets', 'Age']);
    expect(shape('namespaces').map(([n]) => n)).toEqual(['Name', 'Status', 'Age']);
    expect(shape('endpoints').map(([n]) => n)).toEqual(['Name', 'Endpoints', 'Age']);
    expect(shape('leases').map(([n]) => n)).toEqual(['Name', 'Holder', 'Age']);
    expect(shape('resourcequotas').map(([n]) => n)).toEqual(['Name', 'Request', 'Limit', 'Age']);
    expect(shape('horizontalpodautoscalers').map(([n]) => n)).toEqual(['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
    expect(shape('persistentvolumes')).toEqual([
      ['Name', 0], ['Capacity', 0], ['Access Modes', 0], ['Reclaim Policy', 0], ['Status', 0], ['Claim', 0],
      ['StorageClass', 0], ['VolumeAttributesClass', 0], ['Reason', 0], ['Age', 0], ['VolumeMode', 1],
    ]);
    expect(shape('persistentvolumeclaims')).toEqual([
      ['Name', 0], ['Status', 0], ['Volume', 0], ['Capacity', 0], ['Access Modes', 0], ['StorageClass', 0],
      ['VolumeAttributesClass', 0], ['Age', 0], ['VolumeMode', 1],
    ]);
  });

  it('falls back to the default convertor: Name, Created At', () => {
    for (const resource of ['limitranges', 'widgets']) {
      expect(columnsFor(resource)).toMatchObject([
        { name: 'Name', type: 'string', format: 'name', priority: 0 },
        { name: 'Created At', type: 'date', priority: 0 },
      ]);
    }
    expect(rowCells('limitranges', { metadata: { name: 'l', creationTimestamp: '2024-05-06T07:08:09Z' } }, NOW))
      .toEqual(['l', '2024-05-06T07:08:09Z']);
    expect(rowCells('widgets', { metadata: { name: 'w' } }, NOW)).toEqual(['w', '0001-01-01T00:00:00Z']);
  });

  it('returns copies callers may mutate', () => {
    columnsFor('pods')[0]!.name = 'changed';
    expect(columnsFor('pods')[0]!.name).toBe('Name');
  });
});

describe('humanDuration', () => {
  it.each([
    [-3 * S, '<invalid>'], [-2 * S, '<invalid>'], [-1999, '0s'], [-1 * S, '0s'], [0, '0s'], [999, '0s'],
    [59 * S, '59s'], [119 * S, '119s'], [2 * M, '2m'], [2 * M + 30 * S, '2m30s'], [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'], [179 * M, '179m'], [3 * H, '3h'], [3 * H + 5 * M, '3h5m'], [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'], [47 * H, '47h'], [48 * H, '2d'], [50 * H, '2d2h'], [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'], [729 * D, '729d'], [730 * D, '2y'], [731 * D, '2y1d'], [2919 * D, '7y364d'],
    [2920 * D, '8y'], [3000 * D, '8y'], [3700 * D, '10y'],
  ])('%d ms → %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });

  it('translates timestamps relative to now', () => {
    expect(translateTimestampSince(ago(5 * M), NOW)).toBe('5m');
    expect(translateTimestampSince('2025-01-01T11:59:30.123456Z', NOW)).toBe('29s');
    expect(translateTimestampSince(undefined, NOW)).toBe('<unknown>');
    expect(translateTimestampSince('', NOW)).toBe('<unknown>');
    expect(translateTimestampSince('not a time', NOW)).toBe('<unknown>');
  });
});

const running = { running: { startedAt: ago(H) } };
function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return {
    metadata: { name: 'p', creationTimestamp: ago(2 * H), ...metadata },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}

describe('pod rows', () => {
  it('prints a running pod with its wide cells', () => {
    const p = pod(
      { phase: 'Running', podIP: '10.0.0.5', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] },
      { nodeName: 'n1' },
    );
    expect(rowCells('pods', p, NOW)).toEqual(['p', '1/1', 'Running', '0', '120m', '10.0.0.5', 'n1', '<none>', '<none>']);
  });

  it('counts ready containers and readiness gates', () => {
    const p = pod(
      {
        phase: 'Running', podIPs: [{ ip: '10.0.0.6' }], nominatedNodeName: 'n2',
        conditions: [{ type: 'example.com/a', status: 'True' }, { type: 'example.com/b', status: 'False' }],
        containerStatuses: [
          { name: 'a', ready: true, state: running },
          { name: 'b', ready: false, state: running },
        ],
      },
      { containers: [{ name: 'a' }, { name: 'b' }], readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] },
    );
    expect(row('pods', p)).toMatchObject({ Ready: '1/2', Status: 'Running', IP: '10.0.0.6', 'Nominated Node': 'n2', 'Readiness Gates': '1/2' });
  });

  it('prints Pending for a pod with no status yet', () => {
    expect(row('pods', pod({}))).toMatchObject({ Ready: '0/1', Status: 'Pending', Restarts: '0' });
  });

  it('prints the waiting reason and restarts with the time since the last one', () => {
    const p = pod({
      phase: 'Running',
      containerStatuses: [{
        name: 'app', ready: false, restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * M) } },
      }],
    });
    expect(row('pods', p)).toMatchObject({ Ready: '0/1', Status: 'CrashLoopBackOff', Restarts: '3 (5m ago)' });
  });

  it('prints restarts without "ago" when no termination time is known', () => {
    const p = pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: running }] });
    expect(row('pods', p).Restarts).toBe('2');
  });

  it('prints init container progress and failures', () => {
    const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }] };
    const done = { name: 'i1', state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    expect(row('pods', pod({ phase: 'Pending', initContainerStatuses: [done, { name: 'i2', state: running }] }, spec)).Status).toBe('Init:1/2');
    expect(row('pods', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { waiting: { reason: 'PodInitializing' } } }] }, spec)).Status).toBe('Init:0/2');
    expect(row('pods', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { waiting: { reason: 'ErrImagePull' } } }] }, spec)).Status).toBe('Init:ErrImagePull');
    expect(row('pods', pod({ phase: 'Pending', initContainerStatuses: [done, { name: 'i2', state: { terminated: { exitCode: 2 } } }] }, spec)).Status).toBe('Init:ExitCode:2');
    expect(row('pods', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 137, signal: 9 } } }] }, spec)).Status).toBe('Init:Signal:9');
    expect(row('pods', pod({ phase: 'Failed', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, spec)).Status).toBe('Init:Error');
  });

  it('counts restartable init containers (sidecars) as containers', () => {
    const p = pod(
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [{ name: 'proxy', started: true, ready: true, restartCount: 1, state: running }],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: running }],
      },
      { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
    );
    expect(row('pods', p)).toMatchObject({ Ready: '2/2', Status: 'Running', Restarts: '3' });
  });

  it('prints terminated reasons, exit codes and signals', () => {
    const term = (terminated: object) => pod({ phase: 'Running', containerStatuses: [{ name: 'app', state: { terminated } }] });
    expect(row('pods', term({ exitCode: 0, reason: 'Completed' })).Status).toBe('Completed');
    expect(row('pods', term({ exitCode: 137 })).Status).toBe('ExitCode:137');
    expect(row('pods', term({ exitCode: 143, signal: 15 })).Status).toBe('Signal:15');
    expect(row('pods', term({ exitCode: 137, reason: 'OOMKilled' })).Status).toBe('OOMKilled');
  });

  it('turns Completed back into Running or NotReady while a container still runs', () => {
    const statuses = [
      { name: 'a', ready: true, state: running },
      { name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ];
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    expect(row('pods', pod({ phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] }, spec)).Status).toBe('Running');
    expect(row('pods', pod({ phase: 'Running', containerStatuses: statuses }, spec)).Status).toBe('NotReady');
  });

  it('prints Terminating, Unknown (NodeLost) and keeps terminal phases', () => {
    const deleting = { deletionTimestamp: ago(S) };
    const statuses = [{ name: 'app', ready: true, state: running }];
    expect(row('pods', pod({ phase: 'Running', containerStatuses: statuses }, {}, deleting)).Status).toBe('Terminating');
    expect(row('pods', pod({ phase: 'Running', reason: 'NodeLost', containerStatuses: statuses }, {}, deleting)).Status).toBe('Unknown');
    expect(row('pods', pod({ phase: 'Running', reason: 'NodeLost', containerStatuses: statuses })).Status).toBe('NodeLost');
    const succeeded = pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, {}, deleting);
    expect(row('pods', succeeded).Status).toBe('Completed');
  });

  it('prints the pod reason and SchedulingGated', () => {
    expect(row('pods', pod({ phase: 'Failed', reason: 'Evicted' })).Status).toBe('Evicted');
    const gated = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] });
    expect(row('pods', gated).Status).toBe('SchedulingGated');
  });

  it('marks finished pods with a Completed row condition', () => {
    expect(podRowConditions(pod({ phase: 'Succeeded' }))).toEqual([
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ]);
    expect(podRowConditions(pod({ phase: 'Failed' }))?.[0]?.reason).toBe('Failed');
    expect(podRowConditions(pod({ phase: 'Running' }))).toBeUndefined();
    expect(podRowConditions(null)).toBeUndefined();
  });
});

describe('service rows', () => {
  const svc = (spec: object, status: object = {}) => ({ metadata: { name: 's', creationTimestamp: ago(D) }, spec, status });

  it('prints ports with node ports and the selector', () => {
    const s = svc({
      type: 'NodePort', clusterIP: '10.96.0.10', selector: { tier: 'web', app: 'a' },
      ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }],
    });
    expect(rowCells('services', s, NOW)).toEqual(['s', 'NodePort', '10.96.0.10', '<none>', '80:30080/TCP,443/TCP,53/UDP', '24h', 'app=a,tier=web']);
  });

  it('prints external IPs by service type', () => {
    expect(row('services', svc({ type: 'LoadBalancer', ports: [{ port: 80 }] }))['External-IP']).toBe('<pending>');
    expect(row('services', svc({ type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { hostname: 'lb.example.com' }] } }))['External-IP'])
      .toBe('1.2.3.4,lb.example.com');
    expect(row('services', svc({ type: 'LoadBalancer', externalIPs: ['5.6.7.8'] }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }))['External-IP'])
      .toBe('1.2.3.4,5.6.7.8');
    expect(row('services', svc({ type: 'ClusterIP', externalIPs: ['9.9.9.9', '8.8.8.8'] }))['External-IP']).toBe('9.9.9.9,8.8.8.8');
    expect(row('services', svc({ type: 'ExternalName', externalName: 'db.example.com' }))['External-IP']).toBe('db.example.com');
  });

  it('prints headless, portless and defaulted services', () => {
    expect(row('services', svc({ clusterIP: 'None' }))).toMatchObject({ Type: 'ClusterIP', 'Cluster-IP': 'None', 'Port(s)': '<none>', Selector: '<none>' });
    expect(row('services', svc({ clusterIPs: ['10.96.0.1'], ports: [{ port: 8080 }] }))).toMatchObject({ 'Cluster-IP': '10.96.0.1', 'Port(s)': '8080/TCP' });
    expect(row('services', svc({}))['Cluster-IP']).toBe('<none>');
  });
});

describe('endpoints rows', () => {
  const eps = (subsets: unknown) => row('endpoints', { metadata: { name: 'e' }, subsets }).Endpoints;
  const addresses = (...ips: string[]) => ips.map((ip) => ({ ip }));

  it('lists up to three endpoints then counts the rest', () => {
    expect(eps([{ addresses: addresses('10.0.0.1', '10.0.0.2'), ports: [{ port: 80 }] }])).toBe('10.0.0.1:80,10.0.0.2:80');
    expect(eps([{ addresses: addresses('10.0.0.1', '10.0.0.2', '10.0.0.3'), ports: [{ port: 80 }] }])).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80');
    expect(eps([{ addresses: addresses('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'), ports: [{ port: 80 }] }]))
      .toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...');
    expect(eps([{ addresses: addresses('10.0.0.1', '10.0.0.2'), ports: [{ port: 80 }, { port: 443 }] }]))
      .toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
  });

  it('prints headless subsets, IPv6 and empty endpoints', () => {
    expect(eps([{ addresses: addresses('10.0.0.1', '10.0.0.2') }])).toBe('10.0.0.1,10.0.0.2');
    expect(eps([{ addresses: addresses('fd00::1'), ports: [{ port: 80 }] }])).toBe('[fd00::1]:80');
    expect(eps([])).toBe('<none>');
    expect(eps(undefined)).toBe('<none>');
  });
});

describe('node rows', () => {
  const node = (status: object, labels: object = {}, spec: object = {}) => ({ metadata: { name: 'n1', labels, creationTimestamp: ago(3 * D) }, spec, status });

  it('prints status, roles, version and the wide cells', () => {
    const n = node(
      {
        conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
        addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '172.18.0.2' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'docker://27.0.1' },
      },
      { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'infra' },
    );
    expect(rowCells('nodes', n, NOW)).toEqual([
      'n1', 'Ready', 'control-plane,infra,worker', '3d', 'v1.32.0', '172.18.0.2', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'docker://27.0.1',
    ]);
  });

  it('prints NotReady, Unknown and SchedulingDisabled', () => {
    expect(row('nodes', node({ conditions: [{ type: 'Ready', status: 'False' }] })).Status).toBe('NotReady');
    expect(row('nodes', node({ conditions: [{ type: 'Ready', status: 'Unknown' }] })).Status).toBe('NotReady');
    expect(row('nodes', node({})).Status).toBe('Unknown');
    expect(row('nodes', node({ conditions: [{ type: 'Ready', status: 'True' }] }, {}, { unschedulable: true })).Status).toBe('Ready,SchedulingDisabled');
  });

  it('prints <none> roles and <unknown> node info when absent', () => {
    expect(row('nodes', node({}, { 'node-role.kubernetes.io/': '', 'kubernetes.io/role': '' }))).toMatchObject({
      Roles: '<none>', Version: '', 'Internal-IP': '<none>', 'OS-Image': '<unknown>', 'Kernel-Version': '<unknown>', 'Container-Runtime': '<unknown>',
    });
  });
});

describe('workload rows', () => {
  const template = { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } };

  it('prints deployments', () => {
    const d = {
      metadata: { name: 'd', creationTimestamp: ago(10 * M) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(rowCells('deployments', d, NOW)).toEqual(['d', '2/3', 3, 2, '10m', 'web,log', 'nginx:1.27,busybox', 'app=web,env in (dev,prod)']);
    expect(row('deployments', { metadata: { name: 'd' }, spec: { selector: {} } })).toMatchObject({ Ready: '0/1', Selector: '' });
  });

  it('prints replica sets, stateful sets and daemon sets', () => {
    const selector = { matchExpressions: [{ key: 'tier', operator: 'Exists' }, { key: 'canary', operator: 'DoesNotExist' }] };
    expect(rowCells('replicasets', { metadata: { name: 'rs' }, spec: { replicas: 2, selector, template }, status: { replicas: 2, readyReplicas: 1 } }, NOW))
      .toEqual(['rs', 2, 2, 1, '<unknown>', 'web,log', 'nginx:1.27,busybox', '!canary,tier']);
    expect(rowCells('statefulsets', { metadata: { name: 'db' }, spec: { replicas: 3, template }, status: { readyReplicas: 3 } }, NOW))
      .toEqual(['db', '3/3', '<unknown>', 'web,log', 'nginx:1.27,busybox']);
    const ds = {
      metadata: { name: 'ds' },
      spec: { selector: { matchLabels: { app: 'ds' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [] } } },
      status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
    };
    expect(rowCells('daemonsets', ds, NOW)).toEqual(['ds', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '<unknown>', '', '', 'app=ds']);
    expect(row('daemonsets', { metadata: { name: 'ds' } })).toMatchObject({ 'Node Selector': '<none>', Selector: '<none>' });
  });

  it('prints job status, completions and duration', () => {
    const job = (spec: object, status: object, metadata: object = {}) => row('jobs', { metadata: { name: 'j', ...metadata }, spec, status });
    expect(job({ completions: 1 }, {
      succeeded: 1, startTime: ago(2 * M), completionTime: ago(90 * S), conditions: [{ type: 'Complete', status: 'True' }],
    })).toMatchObject({ Status: 'Complete', Completions: '1/1', Duration: '30s' });
    expect(job({ completions: 5, parallelism: 2 }, { succeeded: 2, startTime: ago(3 * M) })).toMatchObject({ Status: 'Running', Completions: '2/5', Duration: '3m' });
    expect(job({ parallelism: 3 }, { succeeded: 1 })).toMatchObject({ Completions: '1/1 of 3', Duration: '' });
    expect(job({}, {})).toMatchObject({ Status: 'Running', Completions: '0/1' });
    expect(job({ completions: 1 }, { conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }] }).Status).toBe('Failed');
    expect(job({ suspend: true }, { conditions: [{ type: 'Suspended', status: 'True' }] }).Status).toBe('Suspended');
    expect(job({}, { conditions: [{ type: 'Suspended', status: 'True' }] }, { deletionTimestamp: ago(S) }).Status).toBe('Terminating');
    expect(job({}, { conditions: [{ type: 'Complete', status: 'False' }] }).Status).toBe('Running');
  });

  it('prints horizontal pod autoscalers (v2 and v1 shapes)', () => {
    const v2 = {
      metadata: { name: 'h' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } },
          { type: 'Pods', pods: { target: { averageValue: '10' } } },
        ],
      },
      status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }] },
    };
    expect(rowCells('horizontalpodautoscalers', v2, NOW)).toEqual(['h', 'Deployment/web', 'cpu: 40%/80%, memory: <unknown>/1Gi + 1 more...', '1', 5, 2, '<unknown>']);
    const v1 = { metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 }, status: {} };
    expect(row('horizontalpodautoscalers', v1)).toMatchObject({ Targets: 'cpu: <unknown>/50%', MinPods: '<unset>' });
  });
});

describe('other rows', () => {
  it('prints events with object, source and counts', () => {
    const e = {
      metadata: { name: 'p.1' }, type: 'Warning', reason: 'BackOff', message: ' Back-off restarting \n',
      involvedObject: { kind: 'Pod', name: 'p', fieldPath: 'spec.containers{app}' },
      source: { component: 'kubelet', host: 'n1' }, firstTimestamp: ago(10 * M), lastTimestamp: ago(M), count: 4,
    };
    expect(rowCells('events', e, NOW)).toEqual(['60s', 'Warning', 'BackOff', 'pod/p', 'spec.containers{app}', 'kubelet, n1', 'Back-off restarting', '10m', 4, 'p.1']);
    const modern = { metadata: { name: 'x' }, eventTime: '2025-01-01T11:59:00.000000Z', reportingController: 'skiff', involvedObject: { kind: 'Node' } };
    expect(row('events', modern)).toMatchObject({ 'Last Seen': '60s', 'First Seen': '60s', Object: 'node', Source: 'skiff', Count: 1 });
    expect(row('events', { ...modern, series: { count: 7, lastObservedTime: ago(5 * S) } })).toMatchObject({ 'Last Seen': '5s', Count: 7 });
  });

  it('prints config maps, secrets, service accounts, namespaces and leases', () => {
    expect(rowCells('configmaps', { metadata: { name: 'c' }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, NOW)).toEqual(['c', 3, '<unknown>']);
    expect(rowCells('secrets', { metadata: { name: 's' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } }, NOW)).toEqual(['s', 'kubernetes.io/tls', 2, '<unknown>']);
    expect(row('secrets', { metadata: { name: 's' } })).toMatchObject({ Type: 'Opaque', Data: 0 });
    expect(row('serviceaccounts', { metadata: { name: 'default' }, secrets: [{ name: 't' }] }).Secrets).toBe(1);
    expect(row('namespaces', { metadata: { name: 'ns' }, status: { phase: 'Terminating' } }).Status).toBe('Terminating');
    expect(row('namespaces', { metadata: { name: 'ns' } }).Status).toBe('Active');
    expect(row('leases', { metadata: { name: 'kube-scheduler' }, spec: { holderIdentity: 'skiff-1' } }).Holder).toBe('skiff-1');
  });

  it('prints resource quotas split into requests and limits', () => {
    const q = { metadata: { name: 'q' }, status: { hard: { pods: '10', 'requests.cpu': '1', 'limits.memory': '2Gi', 'limits.cpu': '2' }, used: { pods: '3', 'limits.cpu': '500m' } } };
    expect(row('resourcequotas', q)).toMatchObject({ Request: 'pods: 3/10, requests.cpu: 0/1', Limit: 'limits.cpu: 500m/2, limits.memory: 0/2Gi' });
  });

  it('prints persistent volumes and claims', () => {
    const pv = {
      metadata: { name: 'pv1' },
      spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local' },
      status: { phase: 'Bound' },
    };
    expect(rowCells('persistentvolumes', pv, NOW)).toEqual(['pv1', '5Gi', 'RWO,RWX', 'Delete', 'Bound', 'default/data', 'local', '<unset>', '', '<unknown>', 'Filesystem']);
    const pvc = { metadata: { name: 'data' }, spec: { volumeName: 'pv1', storageClassName: 'local', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound', capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'] } };
    expect(rowCells('persistentvolumeclaims', pvc, NOW)).toEqual(['data', 'Bound', 'pv1', '5Gi', 'RWO', 'local', '<unset>', '<unknown>', 'Filesystem']);
    expect(row('persistentvolumeclaims', { metadata: { name: 'd', deletionTimestamp: ago(S) }, spec: {} })).toMatchObject({ Status: 'Terminating', Capacity: '', 'Access Modes': '' });
  });
});

describe('partial objects', () => {
  const partials: unknown[] = [
    undefined, null, {}, { metadata: {} }, { metadata: null, spec: null, status: null },
    { metadata: { name: 5, labels: 'x' }, spec: 'bad', status: 7 },
    { spec: { containers: [null], initContainers: [null], ports: [null], selector: { matchExpressions: [null] }, template: { spec: null } },
      status: { containerStatuses: [null, { state: null }], initContainerStatuses: [null], conditions: [null], addresses: [null] },
      subsets: [null, { addresses: [null], ports: [null] }], involvedObject: null, data: null },
  ];

  it.each(RESOURCES)('%s never throws and fills every column', (resource) => {
    for (const obj of partials) {
      const cells = rowCells(resource, obj, NOW);
      expect(cells).toHaveLength(columnsFor(resource).length);
      for (const cell of cells) expect(['string', 'number', 'boolean']).toContain(typeof cell);
    }
  });

  it('prints the upstream placeholders for an empty pod', () => {
    expect(rowCells('pods', {}, NOW)).toEqual(['', '0/0', 'Pending', '0', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
  });
});
