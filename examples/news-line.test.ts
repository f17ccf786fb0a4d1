import { PassThrough } from 'node:stream'
import Fastify from 'fastify'
import t from 'tap'
import { bargeIn, fastifyAiFlow, parseRecording, speak } from '../lib'
import { replayRecording, runScript, simulateCall } from '../lib/testing'
import { flow } from './news-line'

t.test('the caller interrupts the headlines and picks the weather', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  await call.start()
  t.ok(call.matches({ reading: 'headlines' }))
  // What the flow emits on user_speech_started is the answer to it, as over the WebSocket.
  t.same(await call.speechStarted(), [bargeIn(), speak('Yes? Press 1 for sports, 2 for the weather.')])
  t.ok(call.matches('asking'))
  t.same(await call.press('2'), [speak('Weather: sunny, 21 degrees.')])
  t.ok(call.matches('reading'), 'a parent state matches every state inside it')
  t.same(call.state, { reading: 'weather' })
})

t.test('a call recorded over the WebSocket replays clean against the same flow', async (t) => {
  let recording = ''
  const stream = new PassThrough().on('data', (chunk) => { recording += String(chunk) })
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow, websocket: true, record: { stream } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  await runScript(`ws://127.0.0.1:${port}/ws`, ['start', 'speechStarted', { press: '1' }, 'hangUp'], { settle: 250 })
  await app.close()

  const result = await replayRecording(parseRecording(recording), flow)
  t.same(result.differences, [])
  t.equal(result.events, 4)
})
