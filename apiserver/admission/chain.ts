// The admission chain: the enabled plugins in kube-apiserver's order, run in three
// passes over one request: prepare (may wait), admit (mutating), validate (validating).
import type { AdmissionEffect, AdmissionPlugin, Attributes } from './interface.js';

export class AdmissionChain {
  constructor(readonly plugins: AdmissionPlugin[]) {}

  get names(): string[] {
    return this.plugins.map((p) => p.name);
  }

  /** Waits some plugins need before a create is decided; nothing is changed. */
  async prepare(a: Attributes): Promise<void> {
    if (a.operation !== 'CREATE') return;
    for (const p of this.plugins) if (p.prepare) await p.prepare(a);
  }

  /** Mutating admission, in order; the first plugin that refuses ends it. */
  admit(a: Attributes): void {
    for (const p of this.plugins) p.admit?.(a);
  }

  /** Validating admission, in order; returns the writes to make once the object's write is accepted. */
  validate(a: Attributes): AdmissionEffect[] {
    const effects: AdmissionEffect[] = [];
    for (const p of this.plugins) {
      const effect = p.validate?.(a);
      if (effect) effects.push(effect);
    }
    return effects;
  }
}
