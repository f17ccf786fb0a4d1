/** The live view page's style sheet. */
export const pageStyle = `
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d2433; background: #f5f6f8; }
body { margin: 0; }
header { display: flex; gap: 1rem; align-items: baseline; padding: .75rem 1.25rem; background: #1d2433; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
#status { font-size: .85rem; padding: .1rem .5rem; border-radius: 1rem; background: #6b7280; }
#status[data-state="live"] { background: #15803d; }
main { display: grid; grid-template-columns: minmax(16rem, 22rem) minmax(20rem, 1fr) minmax(20rem, 28rem); gap: 1rem; padding: 1rem 1.25rem; align-items: start; }
section > h2 { font-size: 1rem; margin: 0 0 .5rem; }
h3 { font-size: .9rem; margin: 1rem 0 .35rem; color: #4b5563; }
table { width: 100%; border-collapse: collapse; background: #fff; }
td { padding: .35rem .5rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
tr.call { cursor: pointer; }
tr.call:hover { background: #f0f4ff; }
tr.selected { background: #fff3c4; }
tr.failed td.where { color: #b91c1c; }
td.since { white-space: nowrap; }
td.where { font-family: ui-monospace, monospace; font-size: .8rem; }
/* A state path breaks only after its dots (the page puts a <wbr> there), never inside a name. */
.path { display: block; overflow-wrap: normal; word-break: keep-all; }
.note, #empty, #no-call, .none { color: #6b7280; }
#diagram { background: #fff; border: 1px solid #e5e7eb; border-radius: .5rem; padding: .5rem; overflow: auto; min-height: 8rem; }
#diagram svg { display: block; margin: 0 auto; max-width: 100%; height: auto; }
details pre, pre#context { background: #fff; padding: .5rem; overflow: auto; font-size: .75rem; border: 1px solid #e5e7eb; border-radius: .4rem; max-height: 20rem; white-space: pre-wrap; overflow-wrap: anywhere; }
#facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: 0; }
#facts dt { color: #6b7280; }
#facts dd { margin: 0; }
ol#transcript { list-style: none; margin: 0; padding: 0; max-height: 26rem; overflow: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: .4rem; }
#transcript li { display: grid; grid-template-columns: 4.6rem 7.5rem 1fr; gap: .5rem; padding: .3rem .5rem; border-bottom: 1px solid #f0f1f4; }
#transcript time, #timers time { font-family: ui-monospace, monospace; font-size: .75rem; color: #6b7280; }
#transcript .who { font-size: .8rem; font-weight: 600; }
#transcript .text { white-space: pre-wrap; overflow-wrap: anywhere; }
#transcript li[data-from="caller"] .who { color: #1d4ed8; }
#transcript li[data-from="us"] .who { color: #15803d; }
#transcript li[data-from="call"] .who { color: #6b7280; font-weight: normal; }
#transcript li[data-kind="barge-in"] .who, #transcript li[data-kind="timeout"] .who { color: #b45309; }
#transcript details summary { cursor: pointer; font-family: ui-monospace, monospace; font-size: .85rem; }
#transcript details .label { display: block; margin-top: .3rem; font-size: .75rem; color: #6b7280; }
#transcript details pre { margin: .1rem 0; padding: .3rem; background: #f6f7f9; border-radius: .3rem; font-size: .8rem; white-space: pre-wrap; }
ul#timers { margin: 0; padding-left: 1.1rem; }
#timers code { font-size: .8rem; }
form#login { padding: 1rem 1.25rem; }
`
