import t from 'tap'
import Fastify from 'fastify'
import { fastifyAiFlow, type FastifyAiFlowOptions } from '../../lib'
import { assistant } from '../fixtures/flows'

t.test('websocket: true serves GET /ws beside POST /webhook; false or absent serves none', async (t) => {
  for (const [websocket, served] of [[true, true], [{}, true], [false, false], [undefined, false]] as const) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyAiFlow, { flow: assistant, websocket })
    await app.ready()
    t.equal(app.hasRoute({ method: 'GET', url: '/ws' }), served, `websocket: ${JSON.stringify(websocket)}`)
    t.equal(app.hasRoute({ method: 'POST', url: '/webhook' }), true)
  }
})

t.test('a bad websocket option fails the registration, naming what was given', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    ['yes', /websocket must be true, false or an object, got "yes"/],
    [null, /websocket must be true, false or an object, got null/],
    [{ path: 'ws' }, /websocket.path must be a string starting with \/, got "ws"/],
    [{ maxPayload: 0 }, /websocket.maxPayload must be a positive integer, got 0/],
    [{ maxBufferedBytes: -1 }, /websocket.maxBufferedBytes must be a positive integer, got -1/],
    [{ pingInterval: 1.5 }, /websocket.pingInterval must be a positive integer, got 1.5/]
  ]
  for (const [websocket, message] of cases) {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(async () => {
      await app.register(fastifyAiFlow, { flow: assistant, websocket } as unknown as FastifyAiFlowOptions)
    }, { code: 'FST_AIFLOW_INVALID_OPTION', message })
  }
})
