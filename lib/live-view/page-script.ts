/*
 * The page's script, run by the browser: plain JavaScript in a string, so
 * the page is one self-contained file with nothing to fetch. It reads the
 * token from the URL's fragment (never sent to the server) or a form, keeps
 * it for the tab, and reads the event stream with fetch, which, unlike
 * EventSource, can send it in a header.
 */
export const pageScript = String.raw`
'use strict'
const base = location.pathname.replace(/\/+$/, '')
const $ = (selector) => document.querySelector(selector)
const state = { chart: null, calls: new Map(), selected: null, total: 0 }

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

function drawState (node) {
  const box = el('section', { class: 'state ' + node.type + (node.initial ? ' initial' : ''), 'data-id': node.id })
  box.append(el('h3', {}, node.key, el('span', { class: 'badge' })))
  if (node.transitions.length > 0) {
    box.append(el('ul', { class: 'transitions' }, ...node.transitions.map((t) => el('li', {}, t.label + ' → ' + t.targets.join(', ')))))
  }
  if (node.states.length > 0) box.append(el('div', { class: 'children' }, ...node.states.map(drawState)))
  return box
}

function drawChart () {
  $('#chart').replaceChildren(drawState(state.chart))
  highlight()
}

function highlight () {
  const counts = new Map()
  for (const call of state.calls.values()) for (const id of call.active) counts.set(id, (counts.get(id) || 0) + 1)
  const chosen = state.calls.get(state.selected)
  const active = new Set(chosen ? chosen.active : [])
  for (const box of document.querySelectorAll('#chart .state')) {
    const id = box.dataset.id
    const leaf = box.classList.contains('atomic') || box.classList.contains('final')
    box.classList.toggle('active', active.has(id))
    box.classList.toggle('current', leaf && active.has(id))
    const count = leaf ? counts.get(id) || 0 : 0
    box.querySelector('.badge').textContent = count > 0 ? count + (count === 1 ? ' call' : ' calls') : ''
  }
}

function since (ms) {
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000))
  return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's'
}

function drawCalls () {
  if (!state.calls.has(state.selected)) state.selected = state.calls.keys().next().value ?? null
  const rows = [...state.calls.values()].map((call) => {
    const row = el('tr', { class: 'call ' + call.status + (call.id === state.selected ? ' selected' : ''), 'data-id': call.id },
      el('td', {}, call.direction === 'outbound' ? '↗' : '↙'),
      el('td', {}, call.party || '—'),
      el('td', { class: 'where' }, call.states.join('\n')),
      el('td', { class: 'since', 'data-since': call.startedAt }, since(call.startedAt)))
    row.addEventListener('click', () => { state.selected = call.id; drawCalls(); showMermaid() })
    return row
  })
  $('#calls tbody').replaceChildren(...rows)
  $('#count').textContent = state.total + (state.total === 1 ? ' live call' : ' live calls')
  $('#empty').hidden = state.calls.size > 0
  highlight()
}

async function showMermaid () {
  if (!$('#mermaid').open) return
  const query = state.selected ? '?call=' + encodeURIComponent(state.selected) : ''
  const response = await fetch(base + '/mermaid' + query, { headers: { authorization: 'Bearer ' + takeToken() } })
  $('#mermaid pre').textContent = response.ok ? await response.text() : 'The diagram is not available (' + response.status + ').'
}

const handlers = {
  chart (chart) { state.chart = chart; drawChart() },
  calls (list) { state.calls = new Map(list.calls.map((call) => [call.id, call])); state.total = list.total; drawCalls() },
  call (call) {
    if (!state.calls.has(call.id)) state.total++
    state.calls.set(call.id, call)
    drawCalls()
    if (call.id === state.selected) showMermaid()
  },
  ended ({ id }) { if (state.calls.delete(id)) state.total--; drawCalls() }
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
$('#mermaid').addEventListener('toggle', showMermaid)
setInterval(() => { for (const cell of document.querySelectorAll('[data-since]')) cell.textContent = since(Number(cell.dataset.since)) }, 1000)
connect()
`
