import { toMermaid } from '../lib'
import { flow } from './pizza-flow'

/** The pizza flow with each fragment as one box: what `diagram` prints. */
export const collapsed = toMermaid(flow)

/** The same flow with the inside of its fragments, laid out sideways: `diagram --expand --direction LR`. */
export const expanded = toMermaid(flow, { expand: true, direction: 'LR' })

/** A call hearing its first reprompt for the toppings: the `toppings` box is highlighted. */
export const highlighted = toMermaid(flow, { highlight: { toppings: { listening: { noInput: 'reprompt1', noMatch: 'none' } } } })
