/**
 * A flow's state value as one dotted string: `{ booking: 'askDate' }` is
 * `booking.askDate`; the regions of a parallel state are joined with `,`.
 * Undefined (a call that ended or failed) stays undefined.
 */
export function statePath (value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value
  const paths: string[] = []
  collect(value, '', paths)
  return paths.join(',')
}

function collect (value: unknown, prefix: string, paths: string[]): void {
  if (typeof value !== 'object' || value === null) {
    paths.push(prefix + String(value))
    return
  }
  const entries = Object.entries(value)
  // A compound state whose child is not known yet: its own name is the path.
  if (entries.length === 0) paths.push(prefix.slice(0, -1))
  for (const [key, inner] of entries) collect(inner, `${prefix}${key}.`, paths)
}
