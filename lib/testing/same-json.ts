import { isDeepStrictEqual } from 'node:util'

/** Compares as JSON would carry them: an `undefined` field is no field. */
export function sameJson (a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)))
}
