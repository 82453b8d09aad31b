// The scheduler's cache (upstream's internal/cache): a NodeInfo per node, fed by the
// node and pod informers, plus the pods this scheduler has assumed onto a node but whose
// binding the informer has not shown yet. Counting assumed pods is what keeps a burst of
// decisions, made faster than bindings come back, from overcommitting a node.
import type { KubeObject } from '../shared/types.js';
import { NodeInfo } from './node-info.js';
import { newPodInfo, type PodInfo } from './pod-info.js';

interface PodState {
  info: PodInfo;
  node: string;
  /** Placed by this scheduler; the informer has not confirmed the binding yet. */
  assumed: boolean;
  bindingFinished: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  /** Nodes that exist (not just ghosts holding pods of a deleted node), in a stable order. */
  private nodeList: NodeInfo[] = [];
  private readonly podStates = new Map<string, PodState>();

  /** The nodes to schedule onto. Do not mutate. */
  nodeInfos(): readonly NodeInfo[] {
    return this.nodeList;
  }

  getNode(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  private nodeInfo(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = new NodeInfo(name)));
    return n;
  }

  addNode(node: KubeObject): void {
    const n = this.nodeInfo(node.metadata.name!);
    if (!n.node) this.nodeList.push(n);
    n.setNode(node);
  }

  updateNode(node: KubeObject): void {
    this.addNode(node);
  }

  removeNode(name: string): void {
    const n = this.nodes.get(name);
    if (!n?.node) return;
    n.node = undefined;
    this.nodeList = this.nodeList.filter((x) => x !== n);
    if (n.pods.size === 0) this.nodes.delete(name);
  }

  /** Counts `info` on `node` before its binding is written. */
  assumePod(info: PodInfo, node: string): void {
    if (this.podStates.has(info.uid)) throw new Error(`pod ${info.key} is already in the cache`);
    this.nodeInfo(node).addPod(info);
    this.podStates.set(info.uid, { info, node, assumed: true, bindingFinished: false });
  }

  finishBinding(uid: string): void {
    const s = this.podStates.get(uid);
    if (s?.assumed) s.bindingFinished = true;
  }

  /** Undoes assumePod after a failed binding; a pod the informer already confirmed stays. */
  forgetPod(uid: string): void {
    const s = this.podStates.get(uid);
    if (!s?.assumed) return;
    this.detach(s);
    this.podStates.delete(uid);
  }

  isAssumed(uid: string | undefined): boolean {
    return uid !== undefined && this.podStates.get(uid)?.assumed === true;
  }

  /** A pod the informer shows bound to a node (ours confirmed, or bound by anyone else). */
  addPod(pod: KubeObject): void {
    const info = newPodInfo(pod);
    const node = pod.spec?.nodeName as string;
    const prior = this.podStates.get(info.uid);
    if (prior) this.detach(prior);
    this.nodeInfo(node).addPod(info);
    this.podStates.set(info.uid, { info, node, assumed: false, bindingFinished: true });
  }

  updatePod(pod: KubeObject): void {
    this.addPod(pod);
  }

  removePod(pod: KubeObject): void {
    const uid = pod.metadata.uid!;
    const s = this.podStates.get(uid);
    if (!s) return;
    this.detach(s);
    this.podStates.delete(uid);
  }

  private detach(s: PodState): void {
    const n = this.nodes.get(s.node);
    if (!n) return;
    n.removePod(s.info.uid);
    if (!n.node && n.pods.size === 0) this.nodes.delete(s.node);
  }

  /** Counts for metrics and tests. */
  get stats(): { nodes: number; pods: number; assumed: number } {
    let assumed = 0;
    for (const s of this.podStates.values()) if (s.assumed) assumed++;
    return { nodes: this.nodeList.length, pods: this.podStates.size, assumed };
  }
}
