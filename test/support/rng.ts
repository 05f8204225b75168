// A small deterministic PRNG (mulberry32) for generated inputs: the tests' random mail and diffs,
// the benches' corpora. Seeded, so a failure or a figure can be reproduced exactly.

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
