import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { chromium, type BrowserContext } from 'playwright-core'
import { flow } from '../../examples/ivr-menu'
import { buildApp, event, post } from '../fixtures/helpers'

// Debian's chromium; `.ci/run` installs it when it is missing.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const token = 'a-live-view-token-for-the-browser'

const caller = (id: string, number: string) => ({ ...event('session_start', id), session: { id, direction: 'inbound', from_phone_number: number } })

t.test('the live view in headless Chromium: calls listed, states highlighted, live', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const profile = await mkdtemp(path.join(tmpdir(), 'live-view-chromium-'))
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath, args, headless: true })
  t.teardown(async () => {
    await browser.close()
    await app.close()
    await rm(profile, { recursive: true, force: true })
  })
  browser.setDefaultTimeout(10_000)
  // The page must need nothing but its own server.
  const elsewhere: string[] = []
  await browser.route('**/*', async (route) => {
    if (route.request().url().startsWith(url)) return await route.continue()
    elsewhere.push(route.request().url())
    await route.abort()
  })

  await post(app, caller('first-call', '4915790000111'))
  const page = await browser.newPage()
  await page.goto(`${url}/live#token=${token}`)
  await page.waitForSelector('#status[data-state="live"]')
  t.equal(await page.evaluate('location.hash'), '', 'the token leaves the address bar')
  await page.waitForSelector('tr.call.selected[data-id="first-call"]')
  t.equal(await page.textContent('tr.call td:nth-child(2)'), '•••111')
  t.equal(await page.textContent('#count'), '1 live call')
  t.ok(await page.isVisible('.state.current[data-id="ivr.main.listening.noInput.none"]'), "the selected call's states are highlighted")
  t.ok(await page.isVisible('.state.active[data-id="main"]'), 'its parents too')

  await post(app, caller('second-call', '4915790000222'))
  await page.waitForSelector('tr.call[data-id="second-call"]')
  t.equal(await page.textContent('#count'), '2 live calls')
  t.equal(await page.textContent('.state[data-id="ivr.main.listening.noMatch.none"] > h3 .badge'), '2 calls')

  await post(app, event('dtmf_received', 'first-call', { digit: '1' }))
  await page.waitForSelector('.state.current[data-id="ivr.sales"]')
  t.equal(await page.textContent('tr.call[data-id="first-call"] td.where'), 'sales')
  t.equal(await page.textContent('.state[data-id="ivr.sales"] > h3 .badge'), '1 call')

  await page.click('tr.call[data-id="second-call"]')
  await page.waitForSelector('tr.call.selected[data-id="second-call"]')
  t.notOk(await page.isVisible('.state.current[data-id="ivr.sales"]'), 'the highlight follows the chosen call')

  await page.click('#mermaid summary')
  await page.locator('#mermaid pre', { hasText: /^stateDiagram-v2/ }).waitFor()
  t.match(await page.textContent('#mermaid pre'), /\n  class main active\n/)

  if (process.env.LIVE_VIEW_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.LIVE_VIEW_SCREENSHOT, fullPage: true })

  await post(app, event('session_end', 'first-call'))
  await page.waitForSelector('tr.call[data-id="first-call"]', { state: 'detached' })
  t.equal(await page.textContent('#count'), '1 live call')
  t.same(elsewhere, [], 'no request left the machine')
})

t.test('a wrong token shows the form; the right one, typed, shows the calls', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const profile = await mkdtemp(path.join(tmpdir(), 'live-view-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, { executablePath, args, headless: true })
  t.teardown(async () => {
    await browser.close()
    await app.close()
    await rm(profile, { recursive: true, force: true })
  })
  browser.setDefaultTimeout(10_000)
  const page = await browser.newPage()
  await page.goto(`${url}/live#token=not-the-token`)
  await page.waitForSelector('#login:not([hidden])')
  t.equal(await page.textContent('#login-why'), 'That token was refused.')
  await page.fill('#token', token)
  await page.click('#login button')
  await page.waitForSelector('#status[data-state="live"]')
  t.ok(await page.isVisible('#empty'), 'no calls yet')
  const fresh = await browser.newPage()
  await fresh.goto(`${url}/live`)
  await fresh.waitForSelector('#login:not([hidden])')
  t.equal(await fresh.textContent('#login-why'), 'Enter the live view token.', 'a new tab asks again')
})
