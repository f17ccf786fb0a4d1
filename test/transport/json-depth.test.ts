import t from 'tap'
import { nestsDeeperThan } from '../../lib/transport/json-depth'
import { listen, session } from '../fixtures/app'
import { connect } from '../fixtures/ws-client'
import { buildApp, event, post as postObject } from '../fixtures/helpers'
import { assistant } from '../fixtures/flows'

/** An event whose `session` carries an undocumented field nested `depth` levels below the body. */
function nested (depth: number, id = 'deep-call'): string {
  // The body is level 1 and `session` level 2: the rest is the undocumented field.
  const inner = '['.repeat(depth - 2) + ']'.repeat(depth - 2)
  return `{"type":"session_start","session":{"id":"${id}","extra":${inner}}}`
}

const json = { 'content-type': 'application/json' }
const post = async (app: Parameters<typeof postObject>[0], body: string | object) => await postObject(app, body, json)

t.test('depth is read from the raw text: brackets in strings and escaped quotes do not count', async (t) => {
  t.equal(nestsDeeperThan('{"a":[1,{"b":2}]}', 3), false, 'exactly at the limit')
  t.equal(nestsDeeperThan('{"a":[1,{"b":2}]}', 2), true, 'one over')
  t.equal(nestsDeeperThan('[[]][[]][[]]', 2), false, 'siblings do not add up')
  t.equal(nestsDeeperThan('{"a":"[[[[{{{{"}', 1), false, 'brackets inside a string')
  t.equal(nestsDeeperThan('{"a":"\\"[[[[","b":"\\\\"}', 1), false, 'escaped quotes and backslashes')
  t.equal(nestsDeeperThan('{"a":"\\\\",  "b": [[]]}', 2), true, 'a string ending in a backslash closes')
  t.equal(nestsDeeperThan('', 1), false)
  t.equal(nestsDeeperThan('not json at all', 1), false, 'left to the parser')
  t.equal(nestsDeeperThan('['.repeat(100_000), 64), true, 'a deep prefix stops the scan at the limit')
})

t.test('a body nested 10,000 levels deep is a 400 naming the limit, and the server keeps serving', async (t) => {
  const { app, logs } = await buildApp({ flow: assistant })
  t.teardown(() => app.close())
  const deep = await post(app, nested(10_000))
  t.same(deep, {
    status: 400,
    body: {
      statusCode: 400,
      code: 'FST_AIFLOW_INVALID_EVENT',
      error: 'Bad Request',
      message: 'body nests arrays and objects deeper than the limit of 64 levels (the maxDepth option)'
    }
  })
  t.equal(app.aiFlow.liveCalls, 0, 'no call was opened')
  t.equal((await post(app, nested(64, 'at-the-limit'))).status, 200, '64 levels are accepted')
  t.equal((await post(app, nested(65, 'over-the-limit'))).status, 400, '65 are not')
  t.notOk(logs.some((line) => line.level >= 50), 'nothing logged as a server error')
  t.equal((await post(app, event('user_speak', 'at-the-limit', { text: 'repeat still here' }))).status, 200)
})

t.test('maxDepth is an option, checked at registration', async (t) => {
  const { app } = await buildApp({ flow: assistant, maxDepth: 2 })
  t.teardown(() => app.close())
  t.equal((await post(app, '{"type":"session_start","session":{"id":"a","x":{}}}')).status, 400)
  t.match((await post(app, '{"type":"session_start","session":{"id":"a","x":{}}}')).body, { message: /limit of 2 levels/ })
  t.equal((await post(app, '{"type":"session_start","session":{"id":"a","x":1}}')).status, 200)
  for (const maxDepth of [0, -1, 1.5, '64']) {
    await t.rejects(buildApp({ flow: assistant, maxDepth: maxDepth as number }), {
      code: 'FST_AIFLOW_INVALID_OPTION', message: /maxDepth must be a positive integer/
    }, `maxDepth ${JSON.stringify(maxDepth)}`)
  }
})

t.test('a WebSocket frame nested 10,000 levels deep is an ignored frame naming the limit; the socket carries on', async (t) => {
  const { app, logs } = await listen(t)
  const client = await connect(app)
  client.send(nested(10_000))
  client.send(`[${nested(64)}]`)
  const line = await logs.waitFor('ignored an invalid WebSocket frame')
  t.equal(line.level, 40)
  t.match(line.err, { code: 'FST_AIFLOW_INVALID_FRAME', message: /nests arrays and objects deeper than the limit of 64 levels/ })
  t.equal(logs.find('ignored an invalid WebSocket frame').length, 2, 'an array of events counts as a level')
  const call = session()
  client.send({ type: 'session_start', session: call })
  t.match(await client.next(), { session_id: call.id, text: 'Welcome to Acme!' })
  t.notOk(logs.lines.some((line) => line.level >= 50), 'nothing logged as a server error')
  await client.close()
})
