import type { AgentModel } from '../lib'

/** A model of your own: it says back what the caller said last, and ends the call when they say bye. */
export const echoModel: AgentModel = {
  name: 'echo',
  async * stream ({ messages, tools }) {
    const said = messages.reduce((last, message) => message.role === 'caller' ? message.text : last, '')
    if (/\bbye\b/i.test(said) && tools.some((tool) => tool.name === 'end_call')) yield { type: 'tool-call', name: 'end_call', args: {} }
    else yield { type: 'text', text: `You said: ${said}.` }
  }
}
