import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { and, assign, createMachine, emit, enqueueActions, fromPromise, not, raise, sendTo, setup, type AnyStateMachine, type AnyStateNode } from 'xstate'
import { isPlainJson, statelyModule, toStatelyConfig } from '../../lib/tools/export'
import { stateNodes, transitionsOf } from '../../lib/tools/xstate-parts'
import { exampleFiles, exampleFlows } from '../fixtures/example-flows'

/** The statechart of a machine as plain data: every state, every transition with what it has. */
function shape (machine: AnyStateMachine): unknown {
  const ids = (nodes: readonly AnyStateNode[]): string[] => nodes.map((node) => node.id)
  return stateNodes(machine).map((node) => ({
    id: node.id,
    type: node.type,
    initial: node.type === 'compound' ? ids(node.initial.target as AnyStateNode[]) : undefined,
    tags: [...node.tags],
    entry: node.entry.length,
    exit: node.exit.length,
    invoke: node.invoke.map((definition) => definition.id),
    transitions: transitionsOf(node).map(({ eventType, transition }) => ({
      eventType,
      source: transition.source.id,
      targets: ids((transition.target ?? []) as AnyStateNode[]),
      guard: transition.guard !== undefined,
      actions: transition.actions.length,
      reenter: transition.reenter
    }))
  }))
}

function rebuilt (machine: AnyStateMachine): AnyStateMachine {
  return createMachine(JSON.parse(JSON.stringify(toStatelyConfig(machine))))
}

t.test('every example file that holds a flow is exported in the test', async (t) => {
  const root = path.join(__dirname, '..', '..')
  const files = readdirSync(path.join(root, 'examples'))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .filter((name) => /createMachine\(|createConversationFlow\(/.test(readFileSync(path.join(root, 'examples', name), 'utf8')))
    .map((name) => `examples/${name}`)
  // usage.ts builds its flow inside and exports only the app.
  t.same([...exampleFiles, 'examples/usage.ts'].sort(), files.sort())
})

for (const [name, machine] of exampleFlows) {
  t.test(`${name}: createMachine rebuilds the same statechart from the exported JSON`, async (t) => {
    const twin = rebuilt(machine)
    t.equal(twin.id, machine.id)
    t.same(shape(twin), shape(machine))
  })
}

t.test('inline functions are named from where they stand, or by their own name', async (t) => {
  const isBig = ({ event }: { event: { type: string } }): boolean => event.type === 'go'
  const machine = setup({
    types: { emitted: {} as { type: 'speak', text: string } },
    guards: { isSmall: () => true },
    actions: { note: () => {} },
    actors: { lookup: fromPromise(async () => 'x') },
    delays: { patience: 1000 }
  }).createMachine({
    id: 'shop',
    context: { count: 0 },
    initial: 'size',
    states: {
      size: {
        tags: ['asking'],
        description: 'Which size?',
        meta: { page: 1 },
        entry: [emit({ type: 'speak', text: 'Small or large?' }), emit(() => ({ type: 'speak', text: 'computed' }))],
        exit: 'note',
        on: {
          dtmf_received: [
            { guard: ({ event }) => event.type === 'dtmf_received', target: 'small', actions: assign({ count: 1 }) },
            { guard: isBig, target: 'large', reenter: true, description: 'pressed 2' },
            { guard: ({ event }) => event.type === 'x', target: 'small' },
            { guard: and(['isSmall', not(() => false)]), target: 'small' },
            { guard: { type: 'isSmall', params: { strict: true } }, target: 'large', actions: { type: 'note', params: { why: 'large' } } },
            { guard: and([{ type: 'isSmall', params: { strict: true } }, 'isSmall']), target: ['#shop.large.a.done', '#shop.large.b.two'] },
            { guard: { type: 'isSmall' }, target: 'small', actions: { type: 'note', params: () => ({ why: 'made' }) } }
          ]
        },
        after: { patience: 'large', 500: { target: 'small', actions: raise({ type: 'tick' }) } }
      },
      small: {
        invoke: { id: 'look', src: 'lookup', input: { q: 'small' }, onDone: 'large', onError: '#shop.size' },
        on: { tick: { actions: [sendTo('look', { type: 'go' }), enqueueActions(() => {}), () => {}] } }
      },
      large: {
        type: 'parallel',
        states: {
          a: { initial: 'one', states: { one: { on: { go: '#shop.large.b.two' } }, done: { type: 'final' } } },
          b: { initial: 'two', states: { two: { type: 'final', output: { ok: true } }, h: { type: 'history', history: 'deep' } } }
        },
        onDone: 'size'
      }
    }
  })
  const config = toStatelyConfig(machine) as any
  t.same(shape(rebuilt(machine)), shape(machine), 'the same statechart')
  t.same(config.context, { count: 0 })
  const size = config.states.size
  t.same([size.tags, size.description, size.meta, size.exit], [['asking'], 'Which size?', { page: 1 }, 'note'])
  t.same(size.entry, [
    { type: 'size.entry', params: { xstate: 'emit', event: { type: 'speak', text: 'Small or large?' } } },
    { type: 'size.entry.2', params: { xstate: 'emit' } }
  ])
  const dtmf = size.on.dtmf_received
  t.same(dtmf.map((transition: any) => transition.guard), [
    'size.small', 'isBig', 'size.small.2', 'isSmall and not size.small.3', { type: 'isSmall', params: { strict: true } }, 'isSmall and isSmall', 'isSmall'
  ])
  t.same(dtmf[5].target, ['#shop.large.a.done', '#shop.large.b.two'], 'several targets')
  t.same(dtmf[6].actions, 'note', 'params a function makes are left out')
  t.same(dtmf[0].actions, { type: 'size.dtmf_received', params: { xstate: 'assign', assigns: ['count'] } })
  t.same([dtmf[1].reenter, dtmf[1].description], [true, 'pressed 2'])
  t.same(dtmf[4].actions, { type: 'note', params: { why: 'large' } })
  t.same(size.after.patience, { target: 'large' })
  t.same(size.after[500].actions, { type: 'size.after 500', params: { xstate: 'raise', event: { type: 'tick' } } })
  t.same(config.states.small.invoke, [{ id: 'look', src: 'lookup', input: { q: 'small' }, onDone: { target: 'large' }, onError: { target: 'size' } }])
  t.same(config.states.small.on.tick.actions, [
    { type: 'small.tick', params: { xstate: 'sendTo', event: { type: 'go' }, to: 'look' } },
    { type: 'small.tick.2', params: { xstate: 'enqueueActions' } },
    'small.tick.3'
  ])
  t.equal(config.states.large.type, 'parallel')
  t.same(config.states.large.states.b.states, { two: { type: 'final', output: { ok: true } }, h: { type: 'history', history: 'deep' } })
  t.equal(config.states.large.states.a.states.one.on.go.target, '#shop.large.b.two')
})

t.test('an inline invoked machine is named by its id, other inline logic by its place', async (t) => {
  const child = createMachine({ id: 'child', initial: 'a', states: { a: {} } })
  const machine = createMachine({
    id: 'parent',
    initial: 'one',
    states: {
      one: { invoke: { id: 'c', src: child, systemId: 'kid' } },
      two: { invoke: { src: fromPromise(async () => 1), input: () => ({}) } }
    }
  })
  const config = toStatelyConfig(machine) as any
  t.same(config.states.one.invoke, [{ id: 'c', src: 'child', systemId: 'kid' }])
  t.same(config.states.two.invoke[0].src, 'two.invoke')
  t.notOk('input' in config.states.two.invoke[0], 'input made by a function is left out')
  t.notOk('context' in toStatelyConfig(setup({}).createMachine({ context: () => ({ n: 1 }) })))
})

t.test('isPlainJson tells what JSON carries unchanged', async (t) => {
  t.ok(isPlainJson({ a: [1, 'b', null, true], c: undefined, d: Object.create(null) }))
  t.notOk(isPlainJson({ f: () => 1 }))
  t.notOk(isPlainJson(new Date()))
  const cycle: Record<string, unknown> = {}
  cycle.self = cycle
  t.notOk(isPlainJson(cycle))
  t.notOk(isPlainJson(undefined))
})

t.test('the TypeScript module is createMachine of the same config', async (t) => {
  const [, machine] = exampleFlows[0]
  const config = toStatelyConfig(machine)
  const text = statelyModule(config, 'examples/booking-bot.ts')
  t.match(text, /^import \{ createMachine \} from 'xstate'\n\n\/\/ Made by `fastify-ai-flow export examples\/booking-bot\.ts`/)
  t.match(text, /\n {2}id: "booking",\n/, 'keys are written without quotes')
  const body = text.replace(/^import .*\n/, '').replace('export const machine = ', 'return ')
  const made = new Function('createMachine', body)((value: unknown) => value) // eslint-disable-line no-new-func
  t.same(made, config)
})
