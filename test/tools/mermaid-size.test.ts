import path from 'node:path'
import t from 'tap'
import { chromium, type Browser } from 'playwright-core'
import { diagram } from '../../lib/cli/diagram-command'
import { flow as pizza } from '../../examples/pizza-flow'
import { flow as parallel } from '../fixtures/flows/parallel'

// Debian's chromium package; another path can be given in CHROMIUM_PATH.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const root = path.join(__dirname, '..', '..')

// Two Chromiums, one after the other, each drawing with Mermaid: more than tap's 30 s on a busy machine.
t.setTimeout(120_000)

/**
 * The pizza flow's diagram as a browser draws it, at the default page width
 * (1280 CSS px). With DIAGRAM_SCREENSHOTS=<dir> it also saves the pictures
 * docs/diagrams.md shows: `npm run build` is not needed for that.
 */
async function render (browser: Browser, expand: boolean): Promise<{ width: number, height: number, labels: string[] }> {
  const page = await browser.newPage()
  await page.setContent(diagram(pizza, { html: true, expand, cwd: root, name: 'pizza-flow.ts' }))
  const svg = await page.waitForSelector('pre.mermaid svg', { timeout: 30_000 })
  const { width, height } = await svg.evaluate((node) => node.getBoundingClientRect())
  const labels = await page.$$eval('pre.mermaid svg p', (nodes) => nodes.map((node) => node.textContent ?? ''))
  const dir = process.env.DIAGRAM_SCREENSHOTS
  if (dir !== undefined) await svg.screenshot({ path: path.join(dir, `pizza-flow${expand ? '-expanded' : ''}.png`) })
  await page.close()
  return { width, height, labels }
}

t.test('the pizza flow, collapsed, is under 1,000 px tall at the default width; expanded shows the reprompts', async (t) => {
  const browser = await chromium.launch({ executablePath, args })
  t.teardown(() => browser.close())
  const collapsed = await render(browser, false)
  t.ok(collapsed.height > 100, `drawn (${Math.round(collapsed.width)} × ${Math.round(collapsed.height)} px)`)
  t.ok(collapsed.height < 1000, `collapsed it is ${Math.round(collapsed.height)} px tall`)
  for (const label of ['small', 'large', 'agent', 'no input ×2', 'no match ×2', 'answered', 'digits complete [phoneNumber]', 'menu', 'collect digits']) {
    t.ok(collapsed.labels.includes(label), `draws ${label}`)
  }
  t.notOk(collapsed.labels.includes('reprompt1'), 'no reprompt state')
  const expanded = await render(browser, true)
  t.ok(expanded.labels.includes('reprompt1'), 'expanded, the reprompt states are drawn')
  t.ok(expanded.height > collapsed.height, `expanded it is taller (${Math.round(expanded.height)} px)`)
})

t.test('a parallel state with transitions out of and between its regions draws without a syntax error', async (t) => {
  const browser = await chromium.launch({ executablePath, args })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  await page.setContent(diagram(parallel, { html: true, cwd: root, name: 'parallel.ts' }))
  const svg = await page.waitForSelector('pre.mermaid svg', { timeout: 30_000 })
  const text = await svg.evaluate((node) => node.textContent ?? '')
  t.notMatch(text, /Syntax error/, 'Mermaid has no error to show')
  const labels = await page.$$eval('pre.mermaid svg p', (nodes) => nodes.map((node) => node.textContent ?? ''))
  for (const label of ['p', 'a', 'b', 'x', 'y', 'inner', 'done', 'dtmf_received', 'user_speak', 'user_speech_started', 'user_input_timeout']) {
    t.ok(labels.includes(label), `draws ${label}`)
  }
})
