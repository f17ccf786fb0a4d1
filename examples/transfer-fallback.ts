/*
 * A transfer with a fallback: the call goes to the team; when nobody
 * answers in time, the service sends `session_start` again for the same
 * call, and the flow offers a call back instead, on the caller's own number
 * or on one they type.
 *
 *   npx fastify-ai-flow simulate examples/transfer-fallback.ts
 */
import { assign, emit, enqueueActions } from 'xstate'
import { collectDigits, hangup, prompt, sendSms, setupFlow, speak, transfer, type Session } from '../lib'
import { yesOrNo } from './booking-bot'

export const team = { phone: '4921155660300', mobile: '4915790000300' }

interface Context {
  session: Session
  callBack?: string
}

export const flow = setupFlow({
  types: { context: {} as Context },
  guards: {
    callerKnown: ({ context }) => context.session.from_phone_number !== undefined,
    // The transitions hand the guards what they need from the fragment's output.
    saidYes: (_, params: { answer: boolean }) => params.answer,
    enoughDigits: (_, params: { digits: string }) => params.digits.length >= 6
  },
  actions: {
    arrangeCallBack: enqueueActions(({ context, enqueue }) => {
      enqueue.emit(sendSms({ phone_number: team.mobile, message: `Missed call: please call back ${String(context.callBack)}.` }))
      enqueue.emit(speak('Thank you. We will call you back soon. Goodbye.'))
      enqueue.emit(hangup())
    })
  }
}).createMachine({
  id: 'transfer',
  context: ({ input }) => ({ session: input.session }),
  initial: 'idle',
  on: { session_end: '.ended' },
  states: {
    idle: {
      on: {
        session_start: {
          target: 'transferring',
          actions: [
            emit(speak('Please hold, I am connecting you to our team.')),
            emit(({ context }) => transfer({
              target_phone_number: team.phone,
              caller_id_name: 'Acme hotline',
              caller_id_number: context.session.from_phone_number ?? context.session.phone_number ?? team.phone,
              timeout: 20
            }))
          ]
        }
      }
    },
    // Back from a transfer nobody answered: the same call starts again.
    transferring: { on: { session_start: 'fallback' } },
    fallback: { always: [{ guard: 'callerKnown', target: 'sameNumber' }, { target: 'number' }] },
    sameNumber: prompt({
      id: 'sameNumber',
      say: 'Sorry, nobody is free right now. Shall we call you back on the number you are calling from? Say yes or no.',
      match: yesOrNo,
      onMatch: [
        { guard: { type: 'saidYes', params: ({ event }) => ({ answer: event.output.value }) }, target: 'callBack', actions: assign({ callBack: ({ context }) => context.session.from_phone_number }) },
        { target: 'number' }
      ],
      onNoInput: 'number',
      onNoMatch: 'number'
    }),
    number: collectDigits({
      id: 'number',
      say: 'Please type the number we should call, then the hash key.',
      terminator: '#',
      maxLength: 15,
      timeout: 10,
      onDone: [
        { guard: { type: 'enoughDigits', params: ({ event }) => ({ digits: event.output.digits }) }, target: 'callBack', actions: assign({ callBack: ({ event }) => event.output.digits }) },
        { target: 'goodbye' }
      ]
    }),
    callBack: { entry: 'arrangeCallBack' },
    goodbye: { entry: [emit(speak('Please try again later. Goodbye.')), emit(hangup())] },
    ended: { type: 'final' }
  }
})

export default flow
