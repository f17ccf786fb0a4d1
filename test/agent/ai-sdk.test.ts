import t from 'tap'
import { Type } from '@sinclair/typebox'
import type { MockLanguageModelV3 } from 'ai/test'
import { CUT_NOTE, INTERRUPTED_NOTE } from '../../lib/ai-sdk'
import type { AgentModel, ModelPart, ModelRequest } from '../../lib/agent/model'
import { AI_SDK_LINES, aiSdkLine, answering, calling, finish, saying, streamOf, type ProviderCall, type ProviderPart } from '../fixtures/ai-sdk-lines'

/*
 * The adapter against the SDK itself, on each line it supports (ai 6 and
 * ai 7): only the provider is a mock (the line's own `MockLanguageModelV3`
 * or `MockLanguageModelV4`), so `streamText`, its message checks and its
 * tool-call parsing all run as they do with a real provider.
 */

function request (overrides: Partial<ModelRequest> = {}): ModelRequest {
  return { instructions: 'Be brief.', messages: [{ role: 'caller', text: 'Hello?' }], tools: [], signal: new AbortController().signal, ...overrides }
}

async function collect (model: AgentModel, asked: ModelRequest): Promise<ModelPart[]> {
  const parts: ModelPart[] = []
  for await (const part of model.stream(asked)) parts.push(part)
  return parts
}

/** What the provider was asked on its one call. */
function onlyCall (provider: MockLanguageModelV3): ProviderCall {
  if (provider.doStreamCalls.length !== 1) throw new Error(`the provider was called ${provider.doStreamCalls.length} times`)
  return provider.doStreamCalls[0]
}

const BOOK = { name: 'book_table', description: 'Books a table.', parameters: Type.Object({ people: Type.Integer({ minimum: 1 }), time: Type.String() }) }

for (const name of AI_SDK_LINES) {
  t.test(name, async (t) => {
    const line = await aiSdkLine(t, name)
    const { aiSdkModel } = line
    const providerStreaming = (chunks: ProviderPart[]): MockLanguageModelV3 => answering(line, [chunks])

    t.test("the mock is the line's own provider interface", async (t) => {
      t.equal(line.mock().specificationVersion, name === 'ai 6' ? 'v3' : 'v4')
    })

    t.test('named after the provider and the model, or as told', async (t) => {
      t.equal(aiSdkModel(line.mock({ provider: 'acme.chat', modelId: 'small-1' })).name, 'acme.chat/small-1')
      t.equal(aiSdkModel('openai/gpt-4o-mini').name, 'openai/gpt-4o-mini', 'a gateway id is its own name')
      t.equal(aiSdkModel(line.mock(), { name: 'front desk' }).name, 'front desk')
    })

    t.test('text comes as it streams: one part per delta, in order', async (t) => {
      const provider = providerStreaming([{ type: 'stream-start', warnings: [] }, ...saying('We are ', 'open until ', 'eleven.'), finish('stop')])
      t.same(await collect(aiSdkModel(provider), request()), [
        { type: 'text', text: 'We are ' },
        { type: 'text', text: 'open until ' },
        { type: 'text', text: 'eleven.' }
      ])
    })

    t.test('a tool call comes with its parsed arguments; the tools are offered with their schemas', async (t) => {
      const provider = providerStreaming([...saying('Let me book that.'), calling('p-1', 'book_table', { people: 4, time: '19:30' }), finish('tool-calls')])
      const parts = await collect(aiSdkModel(provider), request({
        tools: [BOOK, { name: 'transfer', description: 'Passes the call to a person.', parameters: Type.Object({}) }]
      }))
      t.same(parts, [
        { type: 'text', text: 'Let me book that.' },
        { type: 'tool-call', name: 'book_table', args: { people: 4, time: '19:30' } }
      ])
      // As a provider sends them: JSON (TypeBox's symbol keys stay behind).
      t.same(JSON.parse(JSON.stringify(onlyCall(provider).tools)), [
        { type: 'function', name: 'book_table', description: 'Books a table.', inputSchema: JSON.parse(JSON.stringify(BOOK.parameters)) },
        { type: 'function', name: 'transfer', description: 'Passes the call to a person.', inputSchema: { type: 'object', properties: {} } }
      ])
    })

    t.test('the calls of one step come out one after the other, in the order the provider sent them', async (t) => {
      const provider = providerStreaming([
        calling('p-1', 'book_table', { people: 2, time: '19:00' }),
        calling('p-2', 'book_table', { people: 2, time: '20:00' }),
        finish('tool-calls')
      ])
      t.same(await collect(aiSdkModel(provider), request({ tools: [BOOK] })), [
        { type: 'tool-call', name: 'book_table', args: { people: 2, time: '19:00' } },
        { type: 'tool-call', name: 'book_table', args: { people: 2, time: '20:00' } }
      ])
    })

    t.test('a tool call the SDK cannot parse still comes out, with its arguments as written, for the flow to refuse', async (t) => {
      const provider = providerStreaming([
        { type: 'tool-call', toolCallId: 'p-1', toolName: 'book_table', input: '{"people": four' },
        finish('tool-calls')
      ])
      const parts = await collect(aiSdkModel(provider), request({
        tools: [{ name: 'book_table', description: 'Books a table.', parameters: Type.Object({ people: Type.Integer() }) }]
      }))
      t.same(parts, [{ type: 'tool-call', name: 'book_table', args: '{"people": four' }])
    })

    t.test('the instructions are the system prompt and every kind of message reaches the model', async (t) => {
      const provider = providerStreaming([finish('stop')])
      const model = aiSdkModel(provider)
      await collect(model, request({
        instructions: 'You take table bookings for Trattoria Roma.',
        messages: [
          { role: 'caller', text: 'A table for four, please.' },
          { role: 'assistant', text: 'For what time', interrupted: true },
          { role: 'caller', text: 'Half past seven', cut: true },
          { role: 'assistant', text: '' },
          { role: 'tool', name: 'book_table', args: { people: 4, time: '19:30' }, ok: false, result: 'No table free at 19:30.' },
          { role: 'tool', name: 'book_table', args: { people: 4, time: '20:00' }, ok: true, result: 'Booked: table 7.' },
          { role: 'assistant', text: 'You have table 7 at eight.' }
        ]
      }))
      const toolCall = (id: string, input: unknown): unknown => ({
        role: 'assistant', content: [{ type: 'tool-call', toolCallId: id, toolName: 'book_table', input }]
      })
      const toolResult = (id: string, output: unknown): unknown => ({
        role: 'tool', content: [{ type: 'tool-result', toolCallId: id, toolName: 'book_table', output }]
      })
      t.match(onlyCall(provider).prompt, [
        { role: 'system', content: 'You take table bookings for Trattoria Roma.' },
        { role: 'user', content: [{ type: 'text', text: 'A table for four, please.' }] },
        { role: 'assistant', content: [{ type: 'text', text: `For what time${INTERRUPTED_NOTE}` }] },
        { role: 'user', content: [{ type: 'text', text: `Half past seven${CUT_NOTE}` }] },
        toolCall('call-4', { people: 4, time: '19:30' }),
        toolResult('call-4', { type: 'error-text', value: 'No table free at 19:30.' }),
        toolCall('call-5', { people: 4, time: '20:00' }),
        toolResult('call-5', { type: 'text', value: 'Booked: table 7.' }),
        { role: 'assistant', content: [{ type: 'text', text: 'You have table 7 at eight.' }] }
      ])
      t.equal(onlyCall(provider).prompt.length, 9, 'the empty assistant turn is left out')
      t.equal(INTERRUPTED_NOTE, ' [interrupted by the caller]')
      t.equal(CUT_NOTE, ' [cut: the caller said more]')
    })

    t.test('a tool entry keeps its id as the conversation grows', async (t) => {
      const provider = providerStreaming([finish('stop')])
      const model = aiSdkModel(provider)
      const messages: ModelRequest['messages'] = [
        { role: 'caller', text: 'Book for two.' },
        { role: 'tool', name: 'book_table', args: { people: 2 }, ok: true, result: 'Booked.' }
      ]
      await collect(model, request({ messages }))
      await collect(model, request({ messages: [...messages, { role: 'assistant', text: 'Done.' }, { role: 'caller', text: 'Thanks.' }] }))
      const ids = provider.doStreamCalls.map((call) => call.prompt.flatMap((message) =>
        Array.isArray(message.content) ? message.content.flatMap((part) => 'toolCallId' in part ? [part.toolCallId] : []) : []))
      t.same(ids, [['call-1', 'call-1'], ['call-1', 'call-1']])
    })

    t.test("the state's options reach the model, over the adapter's defaults", async (t) => {
      const provider = providerStreaming([finish('stop')])
      const model = aiSdkModel(provider, { defaults: { temperature: 0.9, topP: 0.5 } })
      await collect(model, request({ options: { temperature: 0.2, maxOutputTokens: 60 } }))
      t.match(onlyCall(provider), { temperature: 0.2, topP: 0.5, maxOutputTokens: 60 })
      t.equal(onlyCall(provider).providerOptions, undefined, 'no provider options when none are given')
    })

    t.test("provider options reach the provider as they are, the state's merged over the defaults' provider by provider", async (t) => {
      const defaults = { providerOptions: { openai: { store: false, reasoningEffort: 'medium' }, anthropic: { sendReasoning: false } } }
      const state = { providerOptions: { openai: { reasoningEffort: 'low' }, google: { safetySettings: [] } } }
      const asked = async (options: { defaults?: Record<string, unknown>, state?: Record<string, unknown> }): Promise<unknown> => {
        const provider = providerStreaming([finish('stop')])
        await collect(aiSdkModel(provider, { defaults: options.defaults }), request({ options: options.state }))
        return onlyCall(provider).providerOptions
      }
      t.same(await asked({ defaults }), defaults.providerOptions, "the adapter's alone")
      t.same(await asked({ state }), state.providerOptions, "the state's alone")
      t.same(await asked({ defaults, state }), {
        openai: { store: false, reasoningEffort: 'low' },
        anthropic: { sendReasoning: false },
        google: { safetySettings: [] }
      }, 'both: each provider keeps the defaults the state does not replace')
    })

    t.test('options cannot replace what the request itself says', async (t) => {
      const provider = providerStreaming([finish('stop')])
      // `system` is ai 6's name for the prompt, `instructions` ai 7's.
      await collect(aiSdkModel(provider), request({ instructions: 'The real prompt.', options: { system: 'Another prompt.', instructions: 'A third one.', prompt: 'Hi' } }))
      t.match(onlyCall(provider).prompt, [{ role: 'system', content: 'The real prompt.' }, { role: 'user' }])
      t.equal(onlyCall(provider).prompt.length, 2)
    })

    t.test('aborting the signal stops the stream: the provider sees it aborted and the iteration ends without an error', async (t) => {
      const controller = new AbortController()
      // As a provider's HTTP body does: the first words, then nothing until the request is aborted.
      const provider = line.mock({
        doStream: async ({ abortSignal }) => ({
          stream: new ReadableStream<ProviderPart>({
            start (stream) {
              stream.enqueue({ type: 'text-start', id: 't1' })
              stream.enqueue({ type: 'text-delta', id: 't1', delta: 'Let me see' })
              abortSignal?.addEventListener('abort', () => { stream.error(abortSignal.reason) })
            }
          })
        })
      })
      const parts: ModelPart[] = []
      for await (const part of aiSdkModel(provider).stream(request({ signal: controller.signal }))) {
        parts.push(part)
        controller.abort()
      }
      t.same(parts, [{ type: 'text', text: 'Let me see' }])
      t.equal(onlyCall(provider).abortSignal?.aborted, true)
    })

    t.test("a provider's error in the stream is thrown, after what came before it", async (t) => {
      const provider = providerStreaming([...saying('Sure').slice(0, 2), { type: 'error', error: new Error('overloaded') }])
      const parts: ModelPart[] = []
      await t.rejects(async () => { for await (const part of aiSdkModel(provider).stream(request())) parts.push(part) }, { message: 'overloaded' })
      t.same(parts, [{ type: 'text', text: 'Sure' }])
    })

    t.test('a provider that fails before streaming is thrown too', async (t) => {
      const provider = answering(line, [new Error('connection refused')])
      await t.rejects(collect(aiSdkModel(provider), request()), { message: 'connection refused' })
    })

    t.test('a provider of the ai 6 interface (V3) answers too', async (t) => {
      const provider = line.mockV3({ doStream: async () => ({ stream: streamOf([...saying('Hello.'), finish('stop')]) }) })
      t.equal(provider.specificationVersion, 'v3')
      t.same(await collect(aiSdkModel(provider), request()), [{ type: 'text', text: 'Hello.' }])
    })
  })
}
