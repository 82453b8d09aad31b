// `skiff image load IMAGE…`: pushes images built with the host's engine into the cluster's
// registry, from which every node's engine pulls them (as kind's `load docker-image`, but
// through a real registry). A one-node cluster runs the host's images directly.
import type { FlagSpec } from '../../shared/flags.js';
import { DEFAULT_DATA_DIR, savedSettings } from './layout.js';
import { ensureRegistry, mirrorPath, pushImage } from './registry.js';
import { step } from './up.js';

export const summary = 'Load images of the host\'s Docker engine into the cluster (`skiff image load IMAGE…`)';
export const positional = 'load IMAGE…';

export const flags: FlagSpec[] = [{ name: 'data-dir', help: 'Directory of the cluster', default: DEFAULT_DATA_DIR }];

export async function main(f: Record<string, string | number | boolean>, args: string[] = []): Promise<void> {
  const [action, ...images] = args;
  if (action !== 'load' || images.length === 0) {
    console.error('skiff image: usage: skiff image load IMAGE… (e.g. skiff image load hello-node:v1)');
    process.exit(2);
  }
  const dataDir = String(f['data-dir']);
  const s = savedSettings(dataDir);
  if (s.nodes <= 1) {
    console.log(`A one-node cluster runs the host engine's images as they are: ${images.join(', ')} need no loading.`);
    return;
  }
  try {
    const push = await ensureRegistry(dataDir);
    for (const image of images) {
      await step(`pushing ${image} into the cluster registry (as ${mirrorPath(image)})`, () => pushImage(image, push));
    }
    console.log(`Every node can now run ${images.join(', ')} (imagePullPolicy IfNotPresent; a tag you load again needs Always or a new tag).`);
  } catch (err) {
    console.error(`\nskiff image load failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
