import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import Fastify from 'fastify'
import { flow } from '../../examples/ivr-menu'
import { toMermaid } from '../../lib/tools/mermaid'
import { flow as pinCheck } from '../../examples/pin-check'
import { flow as parallel } from '../fixtures/flows/parallel'
import { MemoryStore } from '../../lib'
import { SessionRegistry } from '../../lib/sessions'
import { liveViewRoutes } from '../../lib/live-view/routes'
import { RedisStore } from '../../lib/redis'
import { buildApp, event, post } from '../fixtures/helpers'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, functionTool, setupFlow, speak, type AgentMemory } from '../../lib'
import { scriptedModel } from '../../lib/testing'
import { sharedRedis } from '../fixtures/redis-server'

// Debian's chromium; `.ci/run` installs it when it is missing.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const token = 'a-live-view-token-for-the-browser'
const attack = '<img src=x onerror=alert(1)>'

const caller = (id: string, number: string, fields: Record<string, unknown> = {}) =>
  ({ ...event('session_start', id), session: { id, direction: 'inbound', from_phone_number: number, ...fields } })

// Several Chromiums at once on a busy machine take long: one for the file, a fresh page per test.
t.setTimeout(180_000)
let launched: Promise<BrowserContext> | undefined

/** A page of the file's browser (its profile new), whose requests may only go to `url`; what else was asked for is kept in `elsewhere`. */
async function browse (url: string): Promise<{ browser: BrowserContext, page: Page, elsewhere: string[] }> {
  launched ??= (async () => {
    const profile = await mkdtemp(path.join(tmpdir(), 'live-view-chromium-'))
    const context = await chromium.launchPersistentContext(profile, { executablePath, args, headless: true, viewport: { width: 1600, height: 1000 } })
    t.teardown(async () => {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    })
    context.setDefaultTimeout(20_000)
    return context
  })()
  const browser = await launched
  const page = await browser.newPage()
  const elsewhere: string[] = []
  await page.route('**/*', async (route) => {
    if (route.request().url().startsWith(url)) return await route.continue()
    elsewhere.push(route.request().url())
    await route.abort()
  })
  return { browser, page, elsewhere }
}

/** Records, before the page's own script runs, every dialog it opens and every policy violation. */
async function watchPage (page: Page): Promise<{ dialogs: string[] }> {
  const dialogs: string[] = []
  page.on('dialog', (dialog) => { dialogs.push(dialog.message()); dialog.dismiss().catch(() => {}) })
  await page.addInitScript({
    content: `
      const seen = window.seen = []
      for (const name of ['alert', 'confirm', 'prompt']) window[name] = (...values) => { seen.push(name + '(' + values.join() + ')') }
      document.addEventListener('securitypolicyviolation', (e) => { seen.push('csp ' + e.violatedDirective + ' ' + e.blockedURI) })
    `
  })
  return { dialogs }
}

/**
 * Waits until `expression` holds in the page. Polled from here: Playwright's
 * waitForFunction evaluates its predicate with eval, which the page's policy forbids.
 */
async function until (page: Page, expression: string): Promise<void> {
  for (const end = Date.now() + 15_000; !(await page.evaluate(expression) as boolean);) {
    if (Date.now() > end) throw new Error(`never true: ${expression}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const transcript = async (page: Page): Promise<string[]> => await page.$$eval('#transcript li', (items) =>
  items.map((item) => [...item.children].filter((child) => child.tagName !== 'TIME').map((child) => child.textContent).join('|')))

t.test('the inspector in headless Chromium: the call on the diagram, its transcript and context, as text only', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const { page, elsewhere } = await browse(url)

  await post(app, caller('first-call', '4915790000111', { account_id: attack }))
  const { dialogs } = await watchPage(page)
  await page.goto(`${url}/live#token=${token}`)
  await page.waitForSelector('#status[data-state="live"]')
  t.equal(await page.evaluate('location.hash'), '', 'the token leaves the address bar')
  await page.waitForSelector('tr.call.selected[data-id="first-call"]')
  t.equal(await page.textContent('tr.call td:nth-child(2)'), '•••111')
  t.equal(await page.textContent('#count'), '1 live call')

  await page.waitForSelector('#diagram svg')
  // Whatever boxes `toMermaid` highlights for the call are the ones drawn highlighted.
  const source = toMermaid(flow, { highlight: { main: { listening: { noInput: 'none', noMatch: 'none' } } } })
  t.equal(await page.textContent('#source pre'), source, "the diagram is the call's, as toMermaid makes it")
  const [, classed] = /^ {2}class (\S+) active$/m.exec(source) ?? []
  const highlighted: string[] = await page.$$eval('#diagram svg g.active', (nodes) => nodes.map((node) => node.id))
  t.same(highlighted.map((id) => /-state-(.+)-\d+$/.exec(id)?.[1]).sort(), classed.split(',').sort(), "the call's active states are highlighted in Mermaid's drawing")

  await post(app, event('user_input_timeout', 'first-call'))
  await post(app, event('user_speak', 'first-call', { text: attack, barged_in: true }))
  await page.locator('#transcript li', { hasText: 'I did not get that' }).waitFor()
  t.same(await transcript(page), [
    'Call session_start|',
    'We said|Welcome to Acme.',
    'We said|For sales, press 1 or say sales. For support, press 2 or say support. For our opening hours, press 3.',
    'Call timed out|the caller said nothing',
    'We said|Are you still there? Press 1 for sales, 2 for support or 3 for our opening hours.',
    `Caller barged in|${attack}`,
    'We said|Sorry, I did not get that. Press 1 for sales, 2 for support or 3 for our opening hours.'
  ], "the caller's words, our answers, the timeout and the barge-in, in order")
  t.match(await page.textContent('#context'), `"account_id": "${attack}"`, 'the context, shown as it is')
  t.match(await page.textContent('#context'), '"from_phone_number": "•••111"', 'with its phone numbers masked')
  t.notMatch(await page.textContent('#context'), '4915790000111')

  await post(app, event('dtmf_received', 'first-call', { digit: '1' }))
  await page.locator('#transcript li', { hasText: 'to •••100' }).waitFor()
  t.same((await transcript(page)).slice(-3), ['Caller pressed|1', 'We said|Connecting you to sales.', 'We transferred|to •••100'])
  await until(page, "document.querySelector('#diagram svg g.active')?.textContent === 'sales'")
  t.equal(await page.textContent('tr.call[data-id="first-call"] td.where'), 'sales')

  t.equal(await page.locator('img').count(), 0, 'no img element was made of what the caller said')
  t.same(await page.evaluate('window.seen'), [], 'no dialog was called, and nothing broke the page policy')
  t.same(dialogs, [], 'no dialog opened')
  t.same(elsewhere, [], 'no request left the machine')

  await post(app, caller('second-call', '4915790000222'))
  await page.waitForSelector('tr.call[data-id="second-call"]')
  t.equal(await page.textContent('#count'), '2 live calls')
  t.ok(await page.isVisible('tr.call.selected[data-id="first-call"]'), 'a new call does not take the selection')
  await page.click('tr.call[data-id="second-call"]')
  await page.locator('#facts dd', { hasText: 'second-call' }).waitFor()
  await until(page, `document.querySelectorAll('#diagram svg g.active').length === ${classed.split(',').length}`)
  t.equal(await page.textContent('#source pre'), source, 'the diagram follows the chosen call')
  t.equal((await transcript(page)).length, 3, 'and so does the transcript')
  t.notMatch(await page.textContent('#context'), attack)

  await post(app, event('session_end', 'second-call'))
  await page.locator('#facts dd', { hasText: 'first-call' }).waitFor()
  t.ok(await page.isVisible('tr.call.selected[data-id="first-call"]'), 'when the chosen call ends, the next is shown')
  await post(app, event('session_end', 'first-call'))
  await page.waitForSelector('tr.call[data-id="first-call"]', { state: 'detached' })
  t.ok(await page.isVisible('#no-call'), 'with no call, no call is shown')
  t.equal(await page.textContent('#count'), '0 live calls')
})

t.test("an agent's tool runs in the transcript, collapsed: opened, their arguments and results as text, phone numbers masked", async (t) => {
  const model = scriptedModel([
    { text: 'Let me look.', tools: [{ name: 'lookup', args: { order: attack, callback: '+49 30 1234567' } }] },
    'It ships today.'
  ])
  const machine = setupFlow({ types: { context: {} as { agent?: AgentMemory } } }).createMachine({
    id: 'orders',
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'desk' } },
      desk: agent({
        id: 'desk',
        model,
        instructions: 'Look orders up.',
        functions: {
          lookup: functionTool({
            description: 'Where an order is',
            parameters: Type.Object({ order: Type.String(), callback: Type.String() }),
            run: ({ args }) => ({ order: args.order, status: 'packed', driver: '+49 170 7654321' })
          })
        },
        tools: {},
        onError: 'sorry'
      }),
      sorry: { entry: emit(speak('Sorry.')) }
    }
  })
  const { app } = await buildApp({ flow: machine, liveView: { token } })
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const { page, elsewhere } = await browse(url)
  await post(app, caller('orders-call', '4915790000333'))
  const { dialogs } = await watchPage(page)
  await page.goto(`${url}/live#token=${token}`)
  await page.waitForSelector('tr.call.selected[data-id="orders-call"]')
  await post(app, event('user_speak', 'orders-call', { text: 'Where is my order?' }))
  await page.locator('#transcript li', { hasText: 'It ships today.' }).waitFor()
  const lines = await transcript(page)
  t.match(lines[2], /^We ran a tool\|lookup · ok · \d+ ms · round 1Arguments/, 'the run, by name, outcome, time and round')
  t.same(lines.filter((_line, i) => i !== 2), [
    'Call session_start|',
    'Caller said|Where is my order?',
    'We said|Let me look.',
    'We said|It ships today.'
  ], 'between the words that led to it and the reply')
  const tool = page.locator('#transcript li[data-kind="tool"] details')
  t.equal(await tool.getAttribute('open'), null, 'collapsed')
  t.notOk(await page.isVisible('#transcript li[data-kind="tool"] pre.args'), 'its arguments hidden until opened')
  await page.click('#transcript li[data-kind="tool"] summary')
  t.ok(await page.isVisible('#transcript li[data-kind="tool"] pre.args'))
  t.same(JSON.parse(await page.textContent('#transcript pre.args') ?? ''), { order: attack, callback: '•••567' }, 'its arguments, as text, phone numbers masked')
  t.same(JSON.parse(await page.textContent('#transcript pre.result') ?? ''), { order: attack, status: 'packed', driver: '•••321' }, 'its result, so too')
  await post(app, event('assistant_speech_ended', 'orders-call'))
  await page.locator('#transcript li', { hasText: 'assistant_speech_ended' }).waitFor()
  t.equal(await tool.getAttribute('open'), '', 'an opened run stays open as the transcript grows')
  t.equal(await page.locator('img').count(), 0)
  t.same(await page.evaluate('window.seen'), [])
  t.same(dialogs, [])
  t.same(elsewhere, [])
})

t.test('state names in the call list break after a dot, never inside a name', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  await post(app, caller('narrow-call', '4915790000333'))
  const { page } = await browse(url)
  await page.setViewportSize({ width: 900, height: 700 })
  t.teardown(() => page.close())
  await page.goto(`${url}/live#token=${token}`)
  await page.waitForSelector('tr.call[data-id="narrow-call"] .path')
  // How many lines each state name's text takes, measured by the browser's layout.
  const names: Array<{ name: string, lines: number }> = await page.evaluate(`[...document.querySelectorAll('td.where .path')].flatMap((element) =>
    [...element.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE && node.textContent !== '.').map((node) => {
      const range = document.createRange()
      range.selectNodeContents(node)
      return { name: node.textContent, lines: new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size }
    }))`)
  t.same(names.map((name) => name.name), ['main', 'listening', 'noInput', 'none', 'main', 'listening', 'noMatch', 'none'])
  t.ok(names.every((name) => name.lines === 1), `each name on one line: ${JSON.stringify(names)}`)
  const height: number = await page.evaluate("document.querySelector('td.where .path').getBoundingClientRect().height / parseFloat(getComputedStyle(document.querySelector('td.where')).lineHeight)")
  t.ok(height > 1.5, `the narrow column does break the path, at its dots (${height} lines)`)
})

t.test('a wrong token shows the form; the right one, typed, shows the calls', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const { browser, page } = await browse(url)
  await page.goto(`${url}/live#token=not-the-token`)
  await page.waitForSelector('#login:not([hidden])')
  t.equal(await page.textContent('#login-why'), 'That token was refused.')
  await page.fill('#token', token)
  await page.click('#login button')
  await page.waitForSelector('#status[data-state="live"]')
  t.ok(await page.isVisible('#empty'), 'no calls yet')
  await page.waitForSelector('#diagram svg')
  t.equal(await page.locator('#diagram svg g.active').count(), 0, 'the flow is drawn, nothing highlighted')
  const fresh = await browser.newPage()
  await fresh.goto(`${url}/live`)
  await fresh.waitForSelector('#login:not([hidden])')
  t.equal(await fresh.textContent('#login-why'), 'Enter the live view token.', 'a new tab asks again')
})

/** A clock whose delays never fire, that reads the time of day: the page counts down to them in real time. */
const stillClock = { setTimeout: () => 0, clearTimeout: () => {}, now: () => Date.now() }

t.test("a call's pending timers, counting down; a screenshot of the inspector", async (t) => {
  const app = Fastify()
  // The digits' timer stays pending, however slow the machine.
  const registry = new SessionRegistry({ flow: pinCheck, flows: {}, flowVersion: '1', store: new MemoryStore(), replyTimeout: 1000, sessionTtl: 60_000, maxSessions: 10, fallback: [], log: app.log, clock: stillClock })
  await app.register(liveViewRoutes, { path: '/live', token, registry, flow: pinCheck })
  t.teardown(async () => { await app.close(); await registry.close() })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const send = async (type: string, fields: Record<string, unknown> = {}, id = 'pin-call') =>
    await registry.dispatch({ type, session: { id, direction: 'inbound', from_phone_number: id === 'pin-call' ? '4915790000687' : '4915790000342', account_id: 'account-123' }, ...fields }, { log: app.log })

  // Another call first, further on: the page selects the most recently active one.
  await send('session_start', {}, 'other-pin-call')
  for (const digit of '2468') await send('dtmf_received', { digit }, 'other-pin-call')
  await send('session_start')
  const { page, elsewhere } = await browse(url)
  await page.goto(`${url}/live#token=${token}`)
  await page.waitForSelector('tr.call.selected[data-id="pin-call"]')
  await page.locator('#transcript li', { hasText: 'Please enter your four-digit PIN.' }).waitFor()
  t.ok(await page.isVisible('#no-timers'), 'no timers: none shown')
  await send('user_speak', { text: 'one moment', barged_in: true })
  await send('dtmf_received', { digit: '4' })
  await send('dtmf_received', { digit: '2' })
  await page.locator('#timers li').waitFor()
  t.match(await page.textContent('#timers li'), /^xstate\.after\.interDigit\.digitCollector\.collecting to pin\.digits, in [1-4] s$/, 'the event, the actor it goes to, the time left')
  t.notOk(await page.isVisible('#no-timers'))
  t.same((await transcript(page)).slice(-3), ['Caller barged in|one moment', 'Caller pressed|4', 'Caller pressed|2'])
  await page.waitForSelector('#diagram svg g.active')

  const shot = process.env.LIVE_VIEW_SCREENSHOT ?? path.join(await mkdtemp(path.join(tmpdir(), 'live-view-shot-')), 'live-view.png')
  await page.screenshot({ path: shot })
  const png = await readFile(shot)
  t.same([...png.subarray(1, 4)], [...Buffer.from('PNG')], 'a PNG picture of the page')
  t.equal(png.readUInt32BE(16), 1600, 'as wide as the window')
  if (process.env.LIVE_VIEW_SCREENSHOT === undefined) await rm(path.dirname(shot), { recursive: true, force: true })
  t.same(elsewhere, [])
})

t.test('a parallel flow is drawn in the Flow panel; a diagram Mermaid cannot read shows its error and source, not an empty panel', async (t) => {
  const { app } = await buildApp({ flow: parallel, liveView: { token } })
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const { page } = await browse(url)
  t.teardown(() => page.close())
  await page.goto(`${url}/live#token=${token}`)
  await page.waitForSelector('#diagram svg')
  const labels = await page.$$eval('#diagram svg p', (nodes) => nodes.map((node) => node.textContent))
  for (const label of ['a', 'b', 'done', 'user_speech_started']) t.ok(labels.includes(label), `draws ${label}`)
  t.notMatch(await page.textContent('#diagram'), /Syntax error/)

  const broken = 'stateDiagram-v2\n  a --> --> b\n'
  await page.evaluate(`drawDiagram(${JSON.stringify(broken)})`)
  await page.waitForSelector('#diagram[data-failed]')
  t.match(await page.textContent('#diagram p.note'), /^Mermaid could not draw this diagram: .*(Parse error|Syntax error|Expecting).* Its source is below\.$/s, "Mermaid's own error")
  t.equal(await page.locator('#diagram svg').count(), 0)
  t.equal(await page.textContent('#source pre'), broken, 'the source it could not draw')
  t.ok(await page.evaluate("document.querySelector('#source').open"), 'shown opened')
})

t.test('two instances sharing Redis, one page: a call alternating between them stays on the page, its transcript in order', async (t) => {
  // Two instances of the plugin in this process, each with its own store and connections, as two processes would have.
  const redisUrl = await sharedRedis(t)
  const prefix = `test:${Date.now()}:${Math.random()}:`
  const { app: one } = await buildApp({ flow, liveView: { token }, store: new RedisStore({ url: redisUrl, prefix }) })
  const { app: two } = await buildApp({ flow, liveView: { token }, store: new RedisStore({ url: redisUrl, prefix }) })
  t.teardown(async () => { await one.close(); await two.close() })
  const url = await one.listen({ port: 0, host: '127.0.0.1' })
  const { page, elsewhere } = await browse(url)
  t.teardown(() => page.close())
  await post(two, caller('elsewhere', '4915790000444'))
  await page.goto(`${url}/live#token=${token}`)
  await page.waitForSelector('tr.call[data-id="elsewhere"]')
  t.equal(await page.textContent('tr.call[data-id="elsewhere"] td:nth-child(2)'), '•••444', 'a call served only by the other instance is listed')

  await post(two, caller('moving', '4915790000555'))
  await page.click('tr.call[data-id="moving"]')
  await page.locator('#facts dd', { hasText: 'moving' }).waitFor()
  // Its events alternate: started on the second instance, then the first, the second, the first.
  await post(one, event('user_input_timeout', 'moving'))
  await post(two, event('user_speak', 'moving', { text: 'hello?' }))
  await post(one, event('dtmf_received', 'moving', { digit: '1' }))
  await page.locator('#transcript li', { hasText: 'to •••100' }).waitFor()
  t.same(await transcript(page), [
    'Call session_start|',
    'We said|Welcome to Acme.',
    'We said|For sales, press 1 or say sales. For support, press 2 or say support. For our opening hours, press 3.',
    'Call timed out|the caller said nothing',
    'We said|Are you still there? Press 1 for sales, 2 for support or 3 for our opening hours.',
    'Caller said|hello?',
    'We said|Sorry, I did not get that. Press 1 for sales, 2 for support or 3 for our opening hours.',
    'Caller pressed|1',
    'We said|Connecting you to sales.',
    'We transferred|to •••100'
  ], 'the lines of both instances, in the call\'s order')
  await until(page, "document.querySelector('tr.call[data-id=\"moving\"] td.where')?.textContent === 'sales'")
  t.ok(await page.isVisible('tr.call.selected[data-id="moving"]'), 'the call stayed on the page, selected')
  t.equal(await page.textContent('#count'), '2 live calls')

  await post(two, event('session_end', 'elsewhere'))
  await page.waitForSelector('tr.call[data-id="elsewhere"]', { state: 'detached' })
  t.equal(await page.textContent('#count'), '1 live call', 'a call ended on the other instance leaves the page')
  t.same(elsewhere, [])
})
