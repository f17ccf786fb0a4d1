import type { AnyStateNode } from 'xstate'

// What JavaScript names an arrow function after the property it is written in: no name of the author's.
const INFERRED = new Set(['', 'anonymous', 'guard', 'actions', 'entry', 'exit', 'src', 'delay', 'input', 'output'])

/** A function's own name, when its author gave one (`function isOpen`, `named('chose sales', …)`). */
export function ownName (fn: { name: string }): string | undefined {
  return INFERRED.has(fn.name) ? undefined : fn.name
}

/** Where a state node stands, as people write it: `booking.askDate`, or the machine's id for the root. */
export function placeOf (node: AnyStateNode): string {
  return node.path.length === 0 ? node.machine.id : node.path.join('.')
}

/**
 * Names for the inline functions of one machine: a function keeps its own
 * name when it has one, else it is named after where it stands
 * (`size.small` for the guard of the transition from `size` to `small`).
 * The same function always gets the same name; two functions never share
 * one (the second `size.small` is `size.small.2`).
 */
export class PartNames {
  readonly #byPart = new Map<unknown, string>()
  readonly #taken = new Set<string>()

  constructor (reserved: Iterable<string> = []) {
    for (const name of reserved) this.#taken.add(name)
  }

  /** The name of `part`; `ownNames: false` for XState's built-in actions and guards, whose own names say only what they are. */
  of (part: unknown, place: string, ownNames = true): string {
    const known = this.#byPart.get(part)
    if (known !== undefined) return known
    const base = (ownNames ? ownName(part as { name: string }) : undefined) ?? place
    let name = base
    for (let n = 2; this.#taken.has(name); n++) name = `${base}.${n}`
    this.#taken.add(name)
    this.#byPart.set(part, name)
    return name
  }
}
