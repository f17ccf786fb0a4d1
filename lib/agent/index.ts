export { agent, type AgentOptions, type AgentTool, type ToolCalled, type ModelFailed } from './agent-state'
export type { AgentMemory, AgentHistory, HistoryBounds } from './memory'
export type { AgentModel, AgentMessage, ModelPart, ModelRequest, ModelTool } from './model'
export type { SentenceEvent } from './model-turn'
