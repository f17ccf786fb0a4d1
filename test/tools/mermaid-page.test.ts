import path from 'node:path'
import t from 'tap'
import { chromium } from 'playwright-core'
import { mermaidPage } from '../../lib/tools/mermaid-page'
import { diagram } from '../../lib/cli/diagram-command'
import { flow as menuFlow } from '../fixtures/flows/menu'

t.test('the page escapes its title and the diagram, and keeps the inlined script whole', async (t) => {
  const page = mermaidPage('a --> b : <x> & "y"', { title: 'R&D <flow>', script: 'var s = "</script>"; var t = "</SCRIPT"' })
  t.match(page, /<title>R&#38;D &#60;flow&#62;<\/title>/)
  t.match(page, /<pre class="mermaid">\na --&#62; b : &#60;x&#62; &#38; &#34;y&#34;<\/pre>/)
  t.match(page, /<script>var s = "<\\\/script>"; var t = "<\\\/SCRIPT"<\/script>/)
  t.match(page, /mermaid\.initialize\(\{ startOnLoad: true, securityLevel: 'strict' \}\)/)
})

// Debian's chromium package; another path can be given in CHROMIUM_PATH.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

t.test('a headless browser renders the page offline: every state and transition drawn', async (t) => {
  const html = diagram(menuFlow, { html: true, cwd: path.join(__dirname, '..', '..'), name: 'menu.ts' })
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const requests: string[] = []
  page.on('request', (request) => { if (!request.url().startsWith('data:')) requests.push(request.url()) })
  await page.setContent(html)
  await page.waitForSelector('pre.mermaid svg', { timeout: 20_000 })
  const labels = await page.$$eval('pre.mermaid svg p', (nodes) => nodes.map((node) => node.textContent))
  for (const label of ['welcome', 'menu', 'sales', 'bye', 'session_start', 'dtmf_received [guard]', 'after 30000 ms']) {
    t.ok(labels.includes(label), `draws ${label}`)
  }
  t.same(requests, [], 'the page loads nothing from the network')
})
