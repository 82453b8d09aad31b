// The hollow kubelet's test control: a file listing, one per line, the nodes that must
// play dead (`*` for all of them; blank lines and `#` comments ignored). The kubelet
// polls it, so a test makes one node of a many-node process stop renewing by writing
// its name, and brings it back by removing the line. A missing file means none.
import { readFile } from 'node:fs/promises';

export function parseControlFile(text: string, all: string[]): Set<string> {
  const names = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    if (line === '*') for (const n of all) names.add(n);
    else names.add(line);
  }
  return names;
}

/** Polls `path` every `intervalMs` and reports the stopped set whenever the file's content changes. */
export function watchControlFile(
  path: string,
  all: string[],
  onChange: (stopped: Set<string>) => void,
  onError: (err: unknown) => void,
  intervalMs = 250,
): () => void {
  let last: string | undefined;
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return '';
        throw err;
      });
      if (text !== last) {
        last = text;
        onChange(parseControlFile(text, all));
      }
    } finally {
      busy = false;
    }
  };
  const run = () => void poll().catch(onError);
  run();
  const timer = setInterval(run, intervalMs);
  return () => clearInterval(timer);
}
