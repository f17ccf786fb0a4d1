import type { AnyStateNode } from 'xstate'

// Words Mermaid's state diagram grammar reads as keywords where an id is expected.
const KEYWORDS = new Set(['state', 'note', 'direction', 'class', 'classDef', 'style', 'end', 'as', 'click', 'left', 'right', 'of'])

/**
 * Mermaid ids for state nodes: letters, digits and `_` only, built from the
 * node's path so that the diagram source stays readable, and made unique
 * when two paths come out the same.
 */
export class MermaidIds {
  readonly #byNode = new Map<AnyStateNode, string>()
  readonly #taken: Set<string>

  constructor (reserved: readonly string[] = []) {
    this.#taken = new Set(reserved)
  }

  of (node: AnyStateNode): string {
    let id = this.#byNode.get(node)
    if (id !== undefined) return id
    const base = node.path.join('_').replace(/\W/g, '_')
    id = KEYWORDS.has(base) || /^\d/.test(base) ? `s_${base}` : base
    for (let n = 2; this.#taken.has(id); n++) id = `${base}_${n}`
    this.#taken.add(id)
    this.#byNode.set(node, id)
    return id
  }
}

/**
 * Text safe inside a Mermaid label: one line, and every character that the
 * grammar could read as syntax written as an entity code (`#35;` for `#`).
 */
export function mermaidText (text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[^\w .,:'()[\]*+=\-/@]/g, (char) => `#${char.codePointAt(0) as number};`)
}
