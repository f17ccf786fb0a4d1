import t from 'tap'
import { matchChoice, menu, setupFlow, speak, type MenuOptions } from '../../../lib/flow'
import { drive } from '../../fixtures/drive'

type Department = 'sales' | 'support' | 'billing' | 'agent'

const options: MenuOptions<Department> = {
  id: 'main',
  say: 'Sales, support or billing?',
  choices: {
    sales: { dtmf: '1', words: ['sales', 'buy'] },
    support: { dtmf: '2', words: ['support', 'customer service'] },
    billing: { words: ['billing', 'invoice'] },
    agent: { dtmf: '0' }
  },
  on: { sales: 'sales', support: 'support', billing: { target: 'billing' }, agent: 'operator' },
  noMatch: ['Sorry: sales, support or billing?'],
  onNoInput: 'operator',
  onNoMatch: 'operator'
}

function flowWith (config = menu(options)) {
  return setupFlow().createMachine({
    id: 'ivr',
    initial: 'idle',
    states: { idle: { on: { session_start: 'main' } }, main: config, sales: {}, support: {}, billing: {}, operator: {} }
  })
}

const session = { id: 'x' }
const said = (text: string) => ({ type: 'user_speak' as const, session, text })
const pressed = (digit: string) => ({ type: 'dtmf_received' as const, session, digit })

t.test('matchChoice reads keys and words, whole words only, in any case', async (t) => {
  const match = matchChoice(options.choices)
  t.equal(match(pressed('1')), 'sales')
  t.equal(match(pressed('2')), 'support')
  t.equal(match(pressed('0')), 'agent', 'a choice by key only')
  t.equal(match(pressed('3')), undefined, 'a key no choice has')
  t.equal(match(said('I want to BUY something!')), 'sales')
  t.equal(match(said('Customer-Service, please')), 'support', 'a phrase, punctuation ignored')
  t.equal(match(said('my Invoice')), 'billing')
  t.equal(match(said('salesman')), undefined, 'part of a word is not the word')
  t.equal(match(said('sales or support')), undefined, 'two choices named: neither')
  t.equal(match(said('')), undefined)
})

t.test('a key leads to its choice', async (t) => {
  const call = drive(flowWith())
  t.same(call.send('session_start'), [speak('Sales, support or billing?', { user_input_timeout_seconds: 8 })])
  call.send('dtmf_received', { digit: '2' })
  t.equal(call.value(), 'support')
})

t.test('words lead to their choice, a transition config too', async (t) => {
  const call = drive(flowWith())
  call.send('session_start')
  call.send('user_speak', { text: 'Billing please' })
  t.equal(call.value(), 'billing')
})

t.test('an answer that is no choice reprompts, then gives up', async (t) => {
  const call = drive(flowWith())
  call.send('session_start')
  t.same(call.send('user_speak', { text: 'the weather' }), [speak('Sorry: sales, support or billing?', { user_input_timeout_seconds: 8 })])
  call.send('dtmf_received', { digit: '9' })
  t.equal(call.value(), 'operator')
})

t.test('silence gives up by onNoInput', async (t) => {
  const call = drive(flowWith())
  call.send('session_start')
  call.send('user_input_timeout')
  t.equal(call.value(), 'operator')
})

t.test('wrong choices throw when the flow is built', async (t) => {
  const code = 'FST_AIFLOW_INVALID_FRAGMENT'
  const withChoices = (choices: Record<string, unknown>, on: Record<string, unknown> = { a: 'x', b: 'x' }) =>
    () => menu({ ...options, choices, on } as never)
  t.throws(withChoices({ a: { dtmf: '1' }, b: { dtmf: '1' } }), { code, message: /choice b: dtmf must be one key of 0-9, \* or #, used once, got "1"/ })
  t.throws(withChoices({ a: { dtmf: '12' } }), { code, message: /choice a: dtmf/ })
  t.throws(withChoices({ a: { dtmf: 1 } }), { code, message: /choice a: dtmf/ })
  t.throws(withChoices({ a: { words: [] } }), { code, message: /choice a: words must be non-empty strings/ })
  t.throws(withChoices({ a: { words: ['ok', ' '] } }), { code, message: /choice a: words/ })
  t.throws(withChoices({ a: { words: 'sales' } }), { code, message: /choice a: words/ })
  t.throws(withChoices({ a: {} }), { code, message: /choice a needs dtmf or words/ })
  t.throws(withChoices({ a: { dtmf: '1' }, c: { dtmf: '2' } }), { code, message: /on must say where choice c leads/ })
  t.throws(withChoices({}, {}), { code, message: /choices must not be empty/ })
  t.throws(() => menu({ ...options, id: '' }), { code, message: /id must be/ })
})
