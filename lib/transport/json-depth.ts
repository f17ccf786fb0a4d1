const OPEN_OBJECT = 0x7b // {
const OPEN_ARRAY = 0x5b // [
const CLOSE_OBJECT = 0x7d // }
const CLOSE_ARRAY = 0x5d // ]
const QUOTE = 0x22 // "
const BACKSLASH = 0x5c // \

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, read
 * from the raw text before it is parsed. Parsing a deep document works;
 * what comes after it (validating, storing, `JSON.stringify` of a parked
 * call) recurses and overflows the stack, in whatever request touches it.
 * Text that is not JSON is left to the parser to refuse.
 */
export function nestsDeeperThan (text: string, maxDepth: number): boolean {
  // Text nests no deeper than the arrays and objects it opens: an event opens a handful, counted in native code.
  if (opensAtMost(text, maxDepth)) return false
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) {
      inString = true
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--
    }
  }
  return false
}

/** Whether `text` has at most `most` `{` and `[` in all, those in strings too. */
function opensAtMost (text: string, most: number): boolean {
  let opened = 0
  for (let at = text.indexOf('{'); at !== -1; at = text.indexOf('{', at + 1)) if (++opened > most) return false
  for (let at = text.indexOf('['); at !== -1; at = text.indexOf('[', at + 1)) if (++opened > most) return false
  return true
}

/** The sentence that names the limit, after "body " or "frame ". */
export const tooDeep = (maxDepth: number): string =>
  `nests arrays and objects deeper than the limit of ${maxDepth} levels (the maxDepth option)`
