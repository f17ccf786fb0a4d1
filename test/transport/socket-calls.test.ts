import t from 'tap'
import { watchedSocketCalls } from '../../lib/transport/socket-calls'

/** A registry's watchers, told by hand. */
function registry () {
  const watchers = new Set<(id: string, ended: boolean) => void>()
  return {
    watch: (watcher: (id: string, ended: boolean) => void) => {
      watchers.add(watcher)
      return () => { watchers.delete(watcher) }
    },
    tell: (id: string, ended: boolean) => { for (const watcher of watchers) watcher(id, ended) },
    get watching () { return watchers.size }
  }
}

t.test('a socket\'s calls leave it wherever they end: the registry tells, and nothing is kept for them', async (t) => {
  const source = registry()
  const { calls, unwatch } = watchedSocketCalls<string>(source)
  calls.carried('a', 'ws1')
  calls.carried('b', 'ws1')
  calls.carried('b', 'ws2')
  t.equal(calls.count('ws1'), 1, 'a call carried by another socket leaves the first')
  t.equal(calls.size, 4, 'two calls, each on its socket')
  source.tell('a', false)
  t.equal(calls.count('ws1'), 1, 'a change is not an end')
  source.tell('a', true)
  source.tell('b', true)
  t.equal(calls.size, 0, 'ended (over HTTP, elsewhere, by expiry), no call is kept')
  t.same(calls.closed('ws1'), [], 'and a socket closing then lets go of nothing')
  unwatch()
  t.equal(source.watching, 0, 'unwatch stops watching')
})
