// suggest.ts: "did you mean" hints for names a user mistyped.

/** " (did you mean X?)" for a near miss, else "". */
export function suggest(name: string, candidates: string[]): string {
  const lower = name.toLowerCase();
  const hit = candidates.find((c) => c.toLowerCase() === lower) ?? candidates.find((c) => distance(c.toLowerCase(), lower) <= 2);
  return hit ? ` (did you mean "${hit}"?)` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}
