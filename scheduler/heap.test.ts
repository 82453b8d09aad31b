import { describe, expect, it } from 'vitest';
import { KeyedHeap } from './heap.js';

describe('KeyedHeap', () => {
  const make = () => new KeyedHeap<{ k: string; v: number }>((x) => x.k, (a, b) => a.v < b.v);
  const drain = (h: ReturnType<typeof make>) => {
    const out: string[] = [];
    for (let x = h.pop(); x; x = h.pop()) out.push(x.k);
    return out;
  };

  it('pops in order, with deletes and updates in the middle', () => {
    const h = make();
    const values = [50, 20, 80, 10, 60, 30, 70, 40, 90, 0];
    values.forEach((v, i) => h.addOrUpdate({ k: `k${i}`, v }));
    expect(h.delete('k3')!.v).toBe(10);
    h.addOrUpdate({ k: 'k8', v: 5 });
    h.addOrUpdate({ k: 'k9', v: 95 });
    expect(h.size).toBe(9);
    expect(h.get('k8')!.v).toBe(5);
    expect(drain(h)).toEqual(['k8', 'k1', 'k5', 'k7', 'k0', 'k4', 'k6', 'k2', 'k9']);
    expect(h.delete('k1')).toBeUndefined();
  });

  it('keeps its order across random operations', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const h = make();
    const model = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const k = `k${Math.floor(rnd() * 100)}`;
      if (rnd() < 0.3) {
        h.delete(k);
        model.delete(k);
      } else {
        const v = Math.floor(rnd() * 1000);
        h.addOrUpdate({ k, v });
        model.set(k, v);
      }
    }
    const popped: number[] = [];
    for (let x = h.pop(); x; x = h.pop()) popped.push(x.v);
    expect(popped).toEqual([...model.values()].sort((a, b) => a - b));
  });
});
