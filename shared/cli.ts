#!/usr/bin/env node
// `skiff <command>`: one binary, a subcommand per component.
import { FlagError, helpText, parseFlags, type FlagSpec } from './flags.js';

interface Command {
  summary: string;
  flags: FlagSpec[];
  /** Names the leading arguments that are not flags (`skiff logs COMPONENT`). */
  positional?: string;
  main(flags: Record<string, string | number | boolean>, args?: string[]): Promise<void>;
}

const commands: Record<string, () => Promise<Command>> = {
  apiserver: () => import('../apiserver/main.js'),
  'controller-manager': () => import('../controller-manager/main.js'),
  scheduler: () => import('../scheduler/main.js'),
  kubelet: () => import('../kubelet/main.js'),
  'kube-proxy': () => import('../kube-proxy/main.js'),
  dns: () => import('../kube-proxy/dns/main.js'),
  up: () => import('../deploy/cluster/up.js'),
  down: () => import('../deploy/cluster/down.js'),
  status: () => import('../deploy/cluster/status.js'),
  logs: () => import('../deploy/cluster/logs.js'),
  node: () => import('../deploy/cluster/node.js'),
  image: () => import('../deploy/cluster/image.js'),
  certs: () => import('../deploy/cluster/certs.js'),
};

function usage(): string {
  return [
    'Usage: skiff <command> [flags]',
    '',
    'Commands:',
    '  up                  Bring up a cluster on this machine: one node, or --nodes N (installs what is missing)',
    '  status              Show the cluster\'s processes and nodes',
    '  logs PROCESS        Print a process\'s log',
    '  node stop|start N   Stop or start a node (failure drills)',
    '  image load IMAGE    Load an image of the host\'s engine into the cluster\'s registry',
    '  down                Stop the cluster and remove what it put on the host (--purge: its data too)',
    '  certs               Make the CA, certificates and kubeconfigs of a cluster on VMs',
    '',
    '  apiserver           Serve the Kubernetes API backed by LevelDB',
    '  controller-manager  Run the reconcile loops (namespace lifecycle, …)',
    '  scheduler           Bind pending pods to nodes',
    '  kubelet             Run the pods bound to a node (--hollow: simulated, no containers)',
    '  kube-proxy          Program iptables so that Services reach their endpoints from this node',
    '  dns                 Serve the cluster DNS (Service kube-dns) from the Services and Endpoints',
    '',
    'Run `skiff <command> --help` for the flags of a command.',
  ].join('\n');
}

async function run(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const load = commands[name];
  if (!load) {
    console.error(`skiff: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    process.exit(2);
  }
  const cmd = await load();
  let flags: ReturnType<typeof parseFlags>;
  const args: string[] = [];
  if (cmd.positional) while (rest.length && !rest[0]!.startsWith('-')) args.push(rest.shift()!);
  try {
    flags = parseFlags(name, cmd.flags, rest);
  } catch (err) {
    if (err instanceof FlagError) {
      console.error(`skiff ${name}: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (flags === 'help') {
    console.log(helpText(name, cmd.summary, cmd.flags));
    return;
  }
  await cmd.main(flags, args);
}

run(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`skiff: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
