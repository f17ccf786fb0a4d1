import { createHash } from 'node:crypto'
import type { MermaidBundle } from './mermaid-bundle'
import { pageScript } from './page-script'
import { pageStyle } from './page-style'

const body = `
<header><h1>Live calls</h1><span id="status">connecting</span><span id="count"></span></header>
<form id="login" hidden>
  <p id="login-why"></p>
  <label>Token <input id="token" type="password" autocomplete="off" required></label>
  <button type="submit">Show the calls</button>
</form>
<main>
  <section id="list">
    <h2>Calls</h2>
    <table id="calls"><tbody></tbody></table>
    <p id="empty">No live calls.</p>
  </section>
  <section id="flow">
    <h2>Flow</h2>
    <div id="diagram"></div>
    <details id="source"><summary>Mermaid source of this diagram</summary><pre></pre></details>
  </section>
  <section id="inspector">
    <h2>Call</h2>
    <p id="no-call">No call selected.</p>
    <div id="detail" hidden>
      <dl id="facts"></dl>
      <h3>Transcript</h3>
      <ol id="transcript"></ol>
      <p id="no-transcript" class="none">Nothing heard on this instance yet.</p>
      <h3>Pending timers</h3>
      <ul id="timers"></ul>
      <p id="no-timers" class="none">None.</p>
      <h3>Context</h3>
      <pre id="context"></pre>
    </div>
  </section>
</main>
`

/** The live view's page and the policy it is served with. */
export interface LivePage {
  html: string
  securityPolicy: string
}

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/**
 * The page: the same for everyone, with no call data in it, so it is served
 * without the token. Its policy lets run only its own script and, by its
 * integrity hash, Mermaid's bundle, and lets it reach its own server only.
 * Styles may be inline because Mermaid styles its drawing so; nothing from
 * a call ever becomes markup, so no style can come from a caller either.
 */
export function livePage (mermaid: { src: string, bundle: MermaidBundle } | undefined): LivePage {
  const loader = mermaid === undefined ? '' : `<script src="${mermaid.src}" integrity="${mermaid.bundle.integrity}"></script>\n`
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Live calls</title>
<style>${pageStyle}</style>
</head>
<body>${body}${loader}<script>${pageScript}</script>
</body>
</html>
`
  const scripts = [hash(pageScript), ...(mermaid === undefined ? [] : [`'${mermaid.bundle.integrity}'`])]
  const securityPolicy = [
    "default-src 'none'",
    `script-src ${scripts.join(' ')}`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'"
  ].join('; ')
  return { html, securityPolicy }
}
