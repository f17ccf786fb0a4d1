/*
 * The inspector part of the page's script: the selected call's diagram,
 * facts, transcript, timers and context. Everything that comes from a call
 * goes into the page as text (`append` of a string, `textContent`), never
 * as markup; the diagram is Mermaid's drawing of the flow, which holds
 * nothing of a call but which states are active.
 */
export const inspectorScript = String.raw`
if (window.mermaid) mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'default' })
const drawing = { source: null, count: 0 }
const loading = { running: null, again: false }

function clock (ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false })
}

function dueIn (ms) {
  const s = Math.round((ms - Date.now()) / 1000)
  return s > 0 ? 'in ' + s + ' s' : 'due now'
}

async function drawDiagram (source) {
  if (source === drawing.source) return
  drawing.source = source
  $('#source pre').textContent = source
  if (!window.mermaid) {
    $('#diagram').replaceChildren(el('p', { class: 'note' }, 'Mermaid is not installed beside the server (npm install mermaid): the diagram\'s source is below.'))
    $('#source').open = true
    return
  }
  let svg
  try {
    ({ svg } = await mermaid.render('flow-diagram-' + (++drawing.count), source))
  } catch (err) {
    // An empty panel would hide that the drawing failed: say why, and show what Mermaid was given.
    if (drawing.source !== source) return
    $('#diagram').replaceChildren(el('p', { class: 'note' }, 'Mermaid could not draw this diagram: ' + ((err && err.message) || String(err)) + ' Its source is below.'))
    $('#diagram').dataset.failed = String(drawing.count)
    $('#source').open = true
    return
  }
  // A later drawing may have started while this one was made.
  if (drawing.source !== source) return
  const picture = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement
  $('#diagram').replaceChildren(document.importNode(picture, true))
  $('#diagram').dataset.drawn = String(drawing.count)
}

const WHO = { caller: 'Caller', us: 'We', call: 'Call' }
const KIND = {
  said: 'said', key: 'pressed', 'barge-in': 'barged in', timeout: 'timed out', speak: 'said', audio: 'played audio',
  hangup: 'hung up', transfer: 'transferred', send_sms: 'sent an SMS', barge_in: 'stopped playback', mix_audio: 'mixed audio', tool: 'ran a tool'
}

/** A tool's run, collapsed: its name, outcome and time; opened, its arguments and its result (or error). */
function toolRun (line) {
  const tool = line.tool
  return el('details', { 'data-key': line.at + ' ' + line.text },
    el('summary', {}, line.text + ' · ' + tool.outcome + ' · ' + tool.ms + ' ms · round ' + tool.round),
    el('span', { class: 'label' }, 'Arguments'), el('pre', { class: 'args' }, tool.args),
    el('span', { class: 'label' }, tool.outcome === 'ok' ? 'Result' : 'Error'), el('pre', { class: 'result' }, tool.result))
}

function transcriptLine (line) {
  const who = WHO[line.from] + ' ' + (KIND[line.kind] || line.kind)
  return el('li', { 'data-from': line.from, 'data-kind': line.kind },
    el('time', {}, clock(line.at)), el('span', { class: 'who' }, who), el('span', { class: 'text' }, line.tool ? toolRun(line) : line.text))
}

function timerItem (timer) {
  return el('li', {}, el('code', {}, timer.event), ' to ', timer.actor === '' ? 'the flow' : el('code', {}, timer.actor), ', ',
    el('time', { 'data-due': timer.dueAt, title: new Date(timer.dueAt).toISOString() }, dueIn(timer.dueAt)))
}

function fact (name, value) {
  return [el('dt', {}, name), el('dd', {}, value)]
}

function drawDetail (detail) {
  $('#no-call').hidden = detail !== null
  $('#detail').hidden = detail === null
  if (detail === null) return
  const call = detail.call
  $('#facts').replaceChildren(
    ...fact('Call', call.id),
    ...fact(call.direction === 'outbound' ? 'Callee' : 'Caller', call.party || '—'),
    ...fact('Status', call.status),
    ...fact('States', call.states.join(', ') || '—'),
    ...fact('Started', clock(call.startedAt)))
  // A tool's run someone opened stays open as the transcript is drawn again.
  const open = new Set([...document.querySelectorAll('#transcript details[open]')].map((node) => node.dataset.key))
  $('#transcript').replaceChildren(...detail.transcript.map(transcriptLine))
  for (const node of document.querySelectorAll('#transcript details')) node.open = open.has(node.dataset.key)
  $('#no-transcript').hidden = detail.transcript.length > 0
  $('#transcript').lastElementChild?.scrollIntoView({ block: 'nearest' })
  $('#timers').replaceChildren(...detail.timers.map(timerItem))
  $('#no-timers').hidden = detail.timers.length > 0
  $('#context').textContent = detail.context
}

async function fetchDetail () {
  const id = state.selected
  if (id === null) {
    drawDetail(null)
    if (state.flow) await drawDiagram(state.flow.mermaid)
    return
  }
  const response = await fetch(base + '/calls/' + encodeURIComponent(id), { headers: { authorization: 'Bearer ' + takeToken() }, cache: 'no-store' })
  // The call may have ended meanwhile: its end comes on the stream.
  if (!response.ok || id !== state.selected) return
  const detail = await response.json()
  drawDetail(detail)
  await drawDiagram(detail.mermaid)
}

/** Reads the selected call again; changes that come while it is read make it read once more after. */
async function loadDetail () {
  if (loading.running) { loading.again = true; return }
  loading.running = (async () => {
    do {
      loading.again = false
      await fetchDetail().catch((err) => { console.warn('the call could not be read', err) })
    } while (loading.again)
  })()
  await loading.running
  loading.running = null
  $('main').dataset.shown = state.selected || ''
}
`
