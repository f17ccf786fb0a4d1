import { createHash } from 'node:crypto'
import { pageScript } from './page-script'

const style = `
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d2433; background: #f5f6f8; }
body { margin: 0; }
header { display: flex; gap: 1rem; align-items: baseline; padding: .75rem 1.25rem; background: #1d2433; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
#status { font-size: .85rem; padding: .1rem .5rem; border-radius: 1rem; background: #6b7280; }
#status[data-state="live"] { background: #15803d; }
main { display: grid; grid-template-columns: minmax(18rem, 26rem) 1fr; gap: 1rem; padding: 1rem 1.25rem; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
table { width: 100%; border-collapse: collapse; background: #fff; }
td { padding: .35rem .5rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
tr.call { cursor: pointer; }
tr.call:hover { background: #f0f4ff; }
tr.selected { background: #fff3c4; }
tr.failed td.where { color: #b91c1c; }
td.since { white-space: nowrap; }
td.where { font-family: ui-monospace, monospace; font-size: .8rem; white-space: pre-line; overflow-wrap: anywhere; }
#empty { color: #6b7280; }
.state { border: 1px solid #9aa3b5; border-radius: .6rem; padding: .35rem .55rem; margin: .3rem; background: #fff; min-width: 7rem; }
.state h3 { font-size: .9rem; margin: 0; display: flex; gap: .4rem; align-items: center; }
.state h3 .badge { margin-left: auto; }
.state.initial > h3::before { content: "▸"; color: #6b7280; }
.state.final { border: 3px double #4b5563; }
.state.parallel > .children > .state { border-style: dashed; }
.state.active { border: 2px solid #e65100; }
.state.current { border: 2px solid #e65100; background: #ffd54f; }
.children { display: flex; flex-wrap: wrap; align-items: flex-start; }
.badge { font-size: .75rem; font-weight: normal; color: #fff; background: #1d4ed8; border-radius: 1rem; padding: 0 .45rem; }
.badge:empty { display: none; }
.transitions { list-style: none; margin: .15rem 0; padding: 0; font-size: .75rem; color: #4b5563; font-family: ui-monospace, monospace; }
#chart > .state { margin: 0; }
form#login { padding: 1rem 1.25rem; }
details pre { background: #fff; padding: .5rem; overflow: auto; font-size: .75rem; }
`

const body = `
<header><h1>Live calls</h1><span id="status">connecting</span><span id="count"></span></header>
<form id="login" hidden>
  <p id="login-why"></p>
  <label>Token <input id="token" type="password" autocomplete="off" required></label>
  <button type="submit">Show the calls</button>
</form>
<main>
  <section>
    <h2>Calls</h2>
    <table id="calls"><tbody></tbody></table>
    <p id="empty">No live calls.</p>
  </section>
  <section>
    <h2>Flow</h2>
    <div id="chart"></div>
    <details id="mermaid"><summary>Mermaid source of this diagram</summary><pre></pre></details>
  </section>
</main>
`

/** The live view's page: the same for everyone, with no data in it, so it is served without the token. */
export const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Live calls</title>
<style>${style}</style>
</head>
<body>${body}<script>${pageScript}</script>
</body>
</html>
`

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/** Lets the page run its own script and style and reach its own server only. */
export const pageSecurityPolicy = [
  "default-src 'none'",
  `script-src ${hash(pageScript)}`,
  `style-src ${hash(style)}`,
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'"
].join('; ')
