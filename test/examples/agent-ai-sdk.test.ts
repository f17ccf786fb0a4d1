import t from 'tap'
import { simulateReadableStream } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { answer } from '../../examples/agent-ai-sdk'
import { INTERRUPTED_NOTE } from '../../lib/ai-sdk'
import { readPage, snippets } from '../fixtures/markdown'

// docs/language-models.md's section on the AI SDK; the lead's part of the page comes with the agent state.
const page = readPage('docs/language-models.md')
const heading = '## Any provider through the Vercel AI SDK'

/** The page from the heading to the next heading of its level; '' when it has none. */
function sectionUnder (heading: string): string {
  const start = page.indexOf(`${heading}\n`)
  if (start === -1) return ''
  const next = page.indexOf('\n## ', start + heading.length)
  return page.slice(start, next === -1 ? undefined : next)
}
const aiSdkSection = sectionUnder(heading)

t.test("docs/language-models.md's AI SDK section shows examples/agent-ai-sdk.ts and says what the adapter sends", async (t) => {
  t.not(aiSdkSection, '', 'the section is there')
  t.same(snippets(aiSdkSection).map((block) => block.file), ['examples/agent-ai-sdk.ts'])
  t.ok(aiSdkSection.includes(`\`${INTERRUPTED_NOTE}\``), `it quotes the note an interrupted turn ends with: ${INTERRUPTED_NOTE}`)
})

t.test('the example asks the model with the instructions, the question and its options, and returns what it says', async (t) => {
  // The provider is the SDK's mock: creating a real one needs a network and a key.
  const provider = new MockLanguageModelV3({
    doStream: async () => ({
      stream: simulateReadableStream({
        chunks: [
          { type: 'text-start', id: 't1' },
          { type: 'text-delta', id: 't1', delta: 'Yes, we are open ' },
          { type: 'text-delta', id: 't1', delta: 'until eleven.' },
          { type: 'text-end', id: 't1' },
          { type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage: { inputTokens: { total: 9, noCache: 9, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 6, text: 6, reasoning: undefined } } }
        ]
      })
    })
  })
  t.equal(await answer(provider, 'Are you open tonight?', new AbortController().signal), 'Yes, we are open until eleven.')
  t.match(provider.doStreamCalls, [{
    temperature: 0.3,
    prompt: [
      { role: 'system', content: 'You answer the phone for Trattoria Roma. Keep it short: it is read aloud.' },
      { role: 'user', content: [{ type: 'text', text: 'Are you open tonight?' }] }
    ]
  }])
  t.equal(provider.doStreamCalls.length, 1)
})
