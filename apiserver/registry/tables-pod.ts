// The pod row of kube-apiserver 1.32's printPod (pkg/printers/internalversion/printers.go):
// READY, the STATUS reason, RESTARTS with "(5m ago)", AGE, and the wide cells (IP, Node,
// Nominated Node, Readiness Gates). The apiserver always prints wide; kubectl hides the
// priority-1 columns unless -o wide. Objects may be partial: nothing here throws.

import { int, list, record, str } from './tables-format.js';

/** Formats the time elapsed since an RFC 3339 timestamp ("<unknown>" when missing). */
export type SinceFn = (timestamp: string | undefined) => string;

/** metav1.TableRowCondition, as printPod attaches to finished pods. */
export interface TableRowCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

/** The cells of one pod row, in the order of the pod column definitions. */
export function podCells(pod: any, since: SinceFn): unknown[] {
  const spec = record(pod?.spec);
  const status = record(pod?.status);
  const meta = record(pod?.metadata);
  const conditions = list(status.conditions);

  // The apiserver sets phase Pending on create; a stored pod without one is still pending.
  const phase = str(status.phase) || 'Pending';
  let reason = str(status.reason) || phase;
  for (const c of conditions) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let restarts = 0;
  let restartableInitRestarts = 0;
  let lastRestart = new LatestTime();
  let lastRestartableInitRestart = new LatestTime();
  let totalContainers = list(spec.containers).length;
  let readyContainers = 0;

  const initSpecs = list(spec.initContainers);
  const initByName = new Map<string, any>();
  for (const c of initSpecs) {
    initByName.set(str(c?.name), c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const container = record(initStatuses[i]);
    const restartable = isRestartableInitContainer(initByName.get(str(container.name)));
    const lastTerminated = container.lastState?.terminated;
    restarts += int(container.restartCount);
    if (lastTerminated) lastRestart.observe(lastTerminated.finishedAt);
    if (restartable) {
      restartableInitRestarts += int(container.restartCount);
      if (lastTerminated) lastRestartableInitRestart.observe(lastTerminated.finishedAt);
    }
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (restartable && container.started === true) {
      if (container.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      // initialization has failed
      if (str(terminated.reason) === '') {
        reason = int(terminated.signal) !== 0
          ? `Init:Signal:${int(terminated.signal)}`
          : `Init:ExitCode:${int(terminated.exitCode)}`;
      } else {
        reason = 'Init:' + str(terminated.reason);
      }
    } else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = 'Init:' + str(waiting.reason);
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(conditions, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = record(statuses[i]);
      restarts += int(container.restartCount);
      const lastTerminated = container.lastState?.terminated;
      if (lastTerminated) lastRestart.observe(lastTerminated.finishedAt);
      const waiting = container.state?.waiting;
      const terminated = container.state?.terminated;
      if (waiting && str(waiting.reason) !== '') {
        reason = str(waiting.reason);
      } else if (terminated && str(terminated.reason) !== '') {
        reason = str(terminated.reason);
      } else if (terminated) {
        reason = int(terminated.signal) !== 0
          ? `Signal:${int(terminated.signal)}`
          : `ExitCode:${int(terminated.exitCode)}`;
      } else if (container.ready === true && container.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // change pod status back to "Running" if there is at least one container still running
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  if (meta.deletionTimestamp && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (meta.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart.timestamp !== undefined) {
    restartsCell = `${restarts} (${since(lastRestart.timestamp)} ago)`;
  }

  // v1 → internal conversion makes status.podIP authoritative over podIPs[0].
  const podIP = str(status.podIP) || str(list(status.podIPs)[0]?.ip) || '<none>';
  return [
    str(meta.name),
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsCell,
    since(str(meta.creationTimestamp) || undefined),
    podIP,
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    readinessGates(list(spec.readinessGates), conditions),
  ];
}

/** The row conditions printPod attaches: Completed=True for Succeeded and Failed pods. */
export function podRowConditions(pod: any): TableRowCondition[] | undefined {
  switch (pod?.status?.phase) {
    case 'Succeeded':
      return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    case 'Failed':
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    default:
      return undefined;
  }
}

function readinessGates(gates: any[], conditions: any[]): string {
  if (gates.length === 0) return '<none>';
  let trueConditions = 0;
  for (const gate of gates) {
    const condition = conditions.find((c) => c?.type === gate?.conditionType);
    if (condition?.status === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

/** An init container with restartPolicy Always is a sidecar: it counts towards READY. */
function isRestartableInitContainer(container: any): boolean {
  return container?.restartPolicy === 'Always';
}

/** Like upstream's isPodInitializedConditionTrue / hasPodReadyCondition: the first match decides. */
function hasCondition(conditions: any[], type: string): boolean {
  const condition = conditions.find((c) => c?.type === type);
  return condition?.status === 'True';
}

/** The latest of a series of timestamps, keeping the original string for printing. */
class LatestTime {
  timestamp: string | undefined;
  private ms = Number.NEGATIVE_INFINITY;

  observe(value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    const ms = Date.parse(value);
    if (Number.isNaN(ms) || ms <= this.ms) return;
    this.ms = ms;
    this.timestamp = value;
  }
}
