import { inspectorScript } from './inspector-script'

/*
 * The page's script, run by the browser: plain JavaScript in a string, so
 * the page needs nothing but its own server (and Mermaid, which the plugin
 * serves from the installed package). It reads the
 * token from the URL's fragment (never sent to the server) or a form, keeps
 * it for the tab, and reads the event stream with fetch, which, unlike
 * EventSource, can send it in a header.
 */
export const pageScript = String.raw`
'use strict'
const base = location.pathname.replace(/\/+$/, '')
const $ = (selector) => document.querySelector(selector)
const state = { flow: null, calls: new Map(), selected: null, total: 0 }

function el (tag, attributes, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value)
  for (const child of children) node.append(child)
  return node
}

function takeToken () {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (match) {
    sessionStorage.setItem('liveToken', decodeURIComponent(match[1]))
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem('liveToken')
}

function askToken (why) {
  $('#login').hidden = false
  $('#login-why').textContent = why
  setStatus('signed out')
}

function setStatus (text) {
  $('#status').textContent = text
  $('#status').dataset.state = text
}

function since (ms) {
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000))
  return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's'
}

/** A state path that may break after its dots only, never inside a state's name. */
function pathNode (path) {
  const node = el('span', { class: 'path' })
  path.split('.').forEach((part, index) => {
    if (index > 0) node.append('.', el('wbr'))
    node.append(part)
  })
  return node
}

function select (id) {
  state.selected = id
  drawCalls()
  loadDetail()
}

function drawCalls () {
  if (!state.calls.has(state.selected)) state.selected = state.calls.keys().next().value ?? null
  const rows = [...state.calls.values()].map((call) => {
    const row = el('tr', { class: 'call ' + call.status + (call.id === state.selected ? ' selected' : ''), 'data-id': call.id },
      el('td', {}, call.direction === 'outbound' ? '↗' : '↙'),
      el('td', {}, call.party || '—'),
      el('td', { class: 'where' }, ...call.states.map(pathNode)),
      el('td', { class: 'since', 'data-since': call.startedAt }, since(call.startedAt)))
    row.addEventListener('click', () => { select(call.id) })
    return row
  })
  $('#calls tbody').replaceChildren(...rows)
  $('#count').textContent = state.total + (state.total === 1 ? ' live call' : ' live calls')
  $('#empty').hidden = state.calls.size > 0
}

${inspectorScript}
const handlers = {
  flow (flow) { state.flow = flow; loadDetail() },
  calls (list) {
    state.calls = new Map(list.calls.map((call) => [call.id, call]))
    state.total = list.total
    drawCalls()
    loadDetail()
  },
  call (call) {
    if (!state.calls.has(call.id)) state.total++
    state.calls.set(call.id, call)
    const before = state.selected
    drawCalls()
    if (call.id === state.selected || state.selected !== before) loadDetail()
  },
  turn ({ id }) { if (id === state.selected) loadDetail() },
  ended ({ id }) {
    if (state.calls.delete(id)) state.total--
    const before = state.selected
    drawCalls()
    if (state.selected !== before) loadDetail()
  }
}

function dispatch (block) {
  let event = 'message'
  let data = ''
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('data: ')) data += line.slice(6)
  }
  if (data !== '' && handlers[event]) handlers[event](JSON.parse(data))
}

async function connect () {
  const token = takeToken()
  if (!token) return askToken('Enter the live view token.')
  setStatus('connecting')
  try {
    const response = await fetch(base + '/stream', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' })
    if (response.status === 401) {
      sessionStorage.removeItem('liveToken')
      return askToken('That token was refused.')
    }
    if (!response.ok) throw new Error('status ' + response.status)
    setStatus('live')
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end))
        buffer = buffer.slice(end + 2)
      }
    }
  } catch (err) {
    console.warn('live view stream failed', err)
  }
  setStatus('reconnecting')
  setTimeout(connect, 2000)
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault()
  sessionStorage.setItem('liveToken', $('#token').value)
  $('#login').hidden = true
  connect()
})
setInterval(() => {
  for (const cell of document.querySelectorAll('[data-since]')) cell.textContent = since(Number(cell.dataset.since))
  for (const cell of document.querySelectorAll('[data-due]')) cell.textContent = dueIn(Number(cell.dataset.due))
}, 1000)
connect()
`
