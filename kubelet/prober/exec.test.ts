// dockerExec against the local Docker engine (skipped when there is none): exit codes,
// output, and the timeout. The container runs with no network.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerExec } from './exec.js';

const IMAGE = 'skiff/busybox:1.35';
const available = (() => {
  try {
    execFileSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!available)('dockerExec', () => {
  let id = '';
  beforeAll(() => {
    id = execFileSync('docker', ['run', '-d', '--rm', '--network', 'none', '--label', 'skiff.test=prober-exec', IMAGE, 'sleep', '120'], { encoding: 'utf8' }).trim();
  });
  afterAll(() => {
    if (id) execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
  });

  it('returns the exit code and the output', async () => {
    const exec = dockerExec();
    expect(await exec(id, ['sh', '-c', 'echo ok'], 5000)).toEqual({ exitCode: 0, output: 'ok\n' });
    expect(await exec(id, ['sh', '-c', 'echo bad >&2; exit 3'], 5000)).toEqual({ exitCode: 3, output: 'bad\n' });
  });

  it('times out a hung command', async () => {
    await expect(dockerExec()(id, ['sleep', '10'], 300)).rejects.toMatchObject({ code: 'ProbeTimeout' });
  });
});
