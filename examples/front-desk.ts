import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, functionTool, hangup, setupFlow, speak, transfer, type AgentMemory, type AgentModel } from '../lib'
import { scriptedModel, type ScriptedAnswer } from '../lib/testing'

export interface FrontDeskContext {
  /** The conversation, kept by the agent states: it goes with the call from the front desk to billing. */
  agent?: AgentMemory
}

export interface Invoice { amount: number, currency: string, due: string, paid: boolean }

/** Invoices by number: an in-memory ledger standing in for the billing system. */
export const invoices = new Map<string, Invoice>([
  ['4711', { amount: 129.5, currency: 'EUR', due: '2026-12-31', paid: false }],
  ['4712', { amount: 80, currency: 'EUR', due: '2026-11-30', paid: true }]
])

const PERSON = { target_phone_number: '+4930100000', caller_id_name: 'Acme', caller_id_number: '+4930100001' }

/**
 * Acme's line: a front-desk agent answers, and hands the call over to a
 * billing agent, with its own instructions, tools and model, for anything
 * about invoices; billing looks invoices up (a function tool) and ends the
 * call, or hands it to a person. The conversation goes with the call, and
 * billing's model is told it was handed the call, by whom and why.
 */
export function frontDeskFlow (models: { desk: AgentModel, billing: AgentModel }) {
  return setupFlow({ types: { context: {} as FrontDeskContext } }).createMachine({
    id: 'front-desk',
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'desk' } },
      desk: agent({
        id: 'desk',
        model: models.desk,
        greeting: 'Welcome to Acme. How can I help you?',
        instructions: 'You answer the phone at Acme. Keep every answer to one or two short sentences: the caller hears them. ' +
          'For anything about invoices, bills or payments, say that you put the caller through, and call transfer_to_billing ' +
          'with the reason in a few words. Call transfer_to_person when the caller asks for a person, and end_call when they are done.',
        tools: {
          transfer_to_billing: {
            description: 'Hand the call to the billing agent, for invoices, bills and payments.',
            parameters: Type.Object({ reason: Type.String({ description: 'What the caller wants from billing, in a few words' }) }),
            then: 'billing',
            // The whole conversation goes with the call, and billing's model is told who handed it over and why.
            handoff: true
          },
          transfer_to_person: { description: 'Hand the call to a person.', parameters: Type.Object({}), then: 'person' },
          end_call: { description: 'End the call when the caller is done.', parameters: Type.Object({}), then: 'goodbye' }
        },
        onError: 'person'
      }),
      billing: agent({
        id: 'billing',
        model: models.billing,
        instructions: 'You are Acme\'s billing agent on the phone. Keep every answer to one or two short sentences. ' +
          'Look an invoice up with find_invoice before you say anything about it. Call transfer_to_person when the caller ' +
          'wants a person or something you cannot do, and end_call when they are done.',
        functions: {
          find_invoice: functionTool({
            description: 'An invoice by its number: its amount, due date and whether it is paid.',
            parameters: Type.Object({ number: Type.String({ description: 'The invoice number', pattern: '^\\d{1,10}$' }) }),
            result: Type.Union([
              Type.Object({ found: Type.Literal(true), amount: Type.Number(), currency: Type.String(), due: Type.String(), paid: Type.Boolean() }),
              Type.Object({ found: Type.Literal(false) })
            ]),
            run: ({ args }) => {
              const invoice = invoices.get(args.number)
              return invoice === undefined ? { found: false as const } : { found: true as const, ...invoice }
            }
          })
        },
        tools: {
          transfer_to_person: { description: 'Hand the call to a person.', parameters: Type.Object({}), then: 'person' },
          end_call: { description: 'End the call when the caller is done.', parameters: Type.Object({}), then: 'goodbye' }
        },
        onError: 'person'
      }),
      goodbye: { entry: [emit(speak('Thank you for calling Acme. Goodbye!')), emit(hangup())] },
      person: { type: 'final', entry: [emit(speak('I am putting you through to a person.')), emit(transfer(PERSON))] }
    }
  })
}

/** What the front desk's scripted model answers each call: it hands the call to billing at once. */
export const DESK_ANSWERS: ScriptedAnswer[] = [
  { text: 'Of course, I am putting you through to billing.', tool: { name: 'transfer_to_billing', args: { reason: 'a question about an invoice' } } }
]

/** What billing's scripted model answers each call, counted from the handoff: it looks invoice 4711 up. */
export const BILLING_ANSWERS: ScriptedAnswer[] = [
  'Hello, this is billing. What is the number of the invoice?',
  { tool: { name: 'find_invoice', args: { number: '4711' } } },
  'Invoice 4711 is for 129.50 euros, due on the 31st of December, and not paid yet. Anything else?',
  { text: 'You are welcome.', tool: { name: 'end_call' } }
]

/** Scripted models for both agents, each answering from its own list in every call (by the call's conversation, so on any instance). */
export const scriptedModels = (): { desk: AgentModel, billing: AgentModel } => ({
  desk: scriptedModel(DESK_ANSWERS, { perCall: true, name: 'desk' }),
  billing: scriptedModel(BILLING_ANSWERS, { perCall: true, name: 'billing' })
})

/** The line with the scripted models, for `simulate`, `diagram` and `check`. */
export const flow = frontDeskFlow(scriptedModels())
