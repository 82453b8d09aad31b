// A small flag parser for skiff's subcommands: `--name value`, `--name=value`, booleans,
// defaults and a generated `--help`, with Kubernetes' flag names.
export interface FlagSpec {
  name: string;
  help: string;
  default?: string | number | boolean;
  type?: 'string' | 'number' | 'boolean';
}

export class FlagError extends Error {}

export function parseFlags(command: string, specs: FlagSpec[], argv: string[]): Record<string, string | number | boolean> | 'help' {
  const out: Record<string, string | number | boolean> = {};
  for (const s of specs) if (s.default !== undefined) out[s.name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument ${JSON.stringify(arg)} (see skiff ${command} --help)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new FlagError(`unknown flag --${name} (see skiff ${command} --help)`);
    const type = spec.type ?? (spec.default === undefined ? 'string' : typeof spec.default);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (type === 'boolean') {
      out[name] = value === undefined ? true : value === 'true';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`flag --${name} needs a value`);
    }
    if (type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new FlagError(`flag --${name} needs a number, got ${JSON.stringify(value)}`);
      out[name] = n;
    } else out[name] = value;
  }
  return out;
}

export function helpText(command: string, summary: string, specs: FlagSpec[]): string {
  const lines = [`Usage: skiff ${command} [flags]`, '', summary, '', 'Flags:'];
  for (const s of specs) {
    const def = s.default !== undefined && s.default !== '' ? ` (default ${JSON.stringify(s.default)})` : '';
    lines.push(`  --${s.name.padEnd(32)} ${s.help}${def}`);
  }
  return lines.join('\n');
}
