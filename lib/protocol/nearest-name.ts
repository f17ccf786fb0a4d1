/** The number of single-character edits (insert, delete, replace) between two words. */
export function editDistance (a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]
}

/**
 * The name of `known` nearest to `name`, when it is near enough to be a
 * misspelling of it (at most a quarter of its letters, and two, changed);
 * the first of those equally near.
 */
export function nearestName (name: string, known: Iterable<string>): string | undefined {
  const most = Math.max(2, Math.floor(name.length / 4))
  let best: { name: string, distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (distance <= most && (best === undefined || distance < best.distance)) best = { name: candidate, distance }
  }
  return best?.name
}
