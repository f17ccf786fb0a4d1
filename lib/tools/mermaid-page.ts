export interface MermaidPageOptions {
  /** The page's title. */
  title: string
  /** Mermaid's browser bundle (`mermaid/dist/mermaid.min.js`), inlined so the page needs no network. */
  script: string
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

/**
 * A single HTML file that renders a Mermaid diagram in any browser, offline:
 * Mermaid itself is inlined, the diagram source is escaped into the page.
 */
export function mermaidPage (source: string, { title, script }: MermaidPageOptions): string {
  // A script element ends at the first "</script", wherever it is.
  const inlined = script.replace(/<\/(script)/gi, '<\\/$1')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>body { font-family: system-ui, sans-serif; margin: 2rem; } h1 { font-size: 1.25rem; }</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<pre class="mermaid">
${escapeHtml(source)}</pre>
<script>${inlined}</script>
<script>mermaid.initialize({ startOnLoad: true, securityLevel: 'strict' })</script>
</body>
</html>
`
}
