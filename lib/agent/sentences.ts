/**
 * Where one sentence ends and the next has begun: `.`, `!`, `?` or `…`
 * (with any closing quotes or brackets), then white space, then a
 * character that is not a lower-case letter (so that `p.m. today` and
 * `e.g. this` stay whole); or a line break.
 */
const BOUNDARY = /([.!?…]+["'”’)\]]*)\s+(?=[^\s\p{Ll}])|\n+/u

/**
 * Cuts streamed text into sentences as soon as each is complete: a
 * sentence is complete once the next one has begun. The last one is
 * complete only when the text ends (`end()`), so a sentence is never cut
 * in the middle by a pause in the stream.
 */
export class SentenceSplitter {
  #buffer = ''

  /** Takes the next piece of text; returns the sentences it completed, in order. */
  push (text: string): string[] {
    this.#buffer += text
    const sentences: string[] = []
    for (let match = BOUNDARY.exec(this.#buffer); match !== null; match = BOUNDARY.exec(this.#buffer)) {
      const sentence = (this.#buffer.slice(0, match.index) + (match[1] ?? '')).trim()
      this.#buffer = this.#buffer.slice(match.index + match[0].length)
      if (sentence !== '') sentences.push(sentence)
    }
    return sentences
  }

  /** The text ended: what is left, if anything, is the last sentence. */
  end (): string | undefined {
    const rest = this.#buffer.trim()
    this.#buffer = ''
    return rest === '' ? undefined : rest
  }
}
