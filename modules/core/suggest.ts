/** "Did you mean" support: the closest known names to a near-miss. */

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/**
 * Known names within a third of the input's length in edits (at least 1, at most 3), closest first,
 * plus names that differ only by case, `-`/`_` or a prefix such as `conpot` → `conpot_ipmi`.
 */
export function suggest(input: string, known: readonly string[], max = 3): string[] {
  const norm = (x: string) => x.toLowerCase().replace(/[-_ ]/g, "");
  const budget = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
  const scored = known
    .map((k) => ({ k, d: norm(k) === norm(input) ? 0 : editDistance(input, k) }))
    .filter(({ d }) => d <= budget)
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k));
  // A name the input is a prefix of (`conpot` → `conpot_ipmi`) ranks after same-name matches and
  // before mere edit-distance matches (`conpot` → `go-pot`).
  const prefixed = input.length >= 4 ? known.filter((k) => norm(k) !== norm(input) && norm(k).startsWith(norm(input))).sort((x, y) => x.localeCompare(y)) : [];
  const out = [...scored.filter(({ d }) => d === 0).map(({ k }) => k), ...prefixed, ...scored.filter(({ d }) => d > 0).map(({ k }) => k)];
  return [...new Set(out)].slice(0, max);
}

/** `; did you mean "a" or "b"?` or the empty string. */
export function didYouMean(input: string, known: readonly string[]): string {
  const s = suggest(input, known);
  if (s.length === 0) return "";
  return `; did you mean ${s.map((x) => `"${x}"`).join(" or ")}?`;
}
