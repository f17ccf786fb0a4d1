import t from 'tap'
import { buildServer } from '../../examples/live-view'

t.test('the live view example serves the page, and the calls to holders of its token', async (t) => {
  const token = 'a-long-random-live-view-token'
  const app = buildServer(token)
  t.teardown(() => app.close())
  t.equal((await app.inject('/live')).statusCode, 200)
  t.equal((await app.inject('/live/calls')).statusCode, 401)
  const calls = await app.inject({ url: '/live/calls', headers: { authorization: `Bearer ${token}` } })
  t.match(calls.json(), { calls: [], total: 0, chart: { id: 'ivr' } })
})
